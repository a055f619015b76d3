"""The one-way data flow of DESIGN.md §1, enforced on the source text.

The packages sit in layers, lowest first; a package imports only from layers below its own (never
from a sibling in its layer): io reads files into duets, clean, sim and extract make duets, data,
model and analysis work on them, train and viz use those, and the CLI parses flags above all.
The model is torch alone: of the layers below it, it sees only the base (`MODEL_SEES`).
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "duetgraph"

LAYERS = (
    {"skeleton"},
    {"errors", "cores"},
    {"atomic"},
    {"duet"},
    {"io"},
    {"clean", "sim", "extract"},
    {"data", "model", "analysis"},
    {"train", "viz"},
    {"cli"},
    {"__main__"},
)
LAYER = {package: depth for depth, layer in enumerate(LAYERS) for package in layer}
MODEL_SEES = {"skeleton", "errors", "cores", "atomic", "duet"}
FORBIDDEN_THIRD_PARTY = {"sim": {"torch"}, "extract": {"torch"}, "analysis": {"torch"}}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _package(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def test_every_package_has_a_layer():
    packages = {_package(p) for p in SRC.rglob("*.py")} - {"__init__"}
    assert packages <= set(LAYER), f"place {sorted(packages - set(LAYER))} in LAYERS"


@pytest.mark.parametrize("package", sorted(LAYER))
def test_imports_flow_one_way(package):
    paths = list((SRC / package).rglob("*.py")) or [SRC / f"{package}.py"]
    for path in paths:
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "duetgraph" and len(parts) > 1 and parts[1] != package:
                assert LAYER[parts[1]] < LAYER[package], (
                    f"{path} imports {name}: {parts[1]} is not below {package} in DESIGN.md §1"
                )
                assert package != "model" or parts[1] in MODEL_SEES, f"{path} imports {name}"
            assert parts[0] not in FORBIDDEN_THIRD_PARTY.get(package, set()), (
                f"{path} imports {name}"
            )


def test_the_layers_hold_the_pairs_design_md_names():
    """DESIGN.md §1's table and what its issues found missing (analysis -> train, io -> clean,
    io -> data) are all ruled out by the layers."""
    forbidden = {"io": {"clean", "data", "model", "train", "viz"}, "analysis": {"train", "viz"},
                 "model": {"io", "train", "viz"}, "sim": {"viz", "train", "model"},
                 "data": {"viz", "train"}, "train": {"viz"}, "clean": {"model", "train", "viz"}}  # fmt: skip
    for package, others in forbidden.items():
        for other in others:
            allowed = LAYER[other] < LAYER[package] and (package != "model" or other in MODEL_SEES)
            assert not allowed, f"the layers would let {package} import {other}"
