"""The one-way data flow of DESIGN.md §1, enforced on the source text."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "duetgraph"

FORBIDDEN = {
    "skeleton": {"io", "clean", "sim", "data", "model", "train", "analysis", "viz", "cli"},
    "io": {"model", "train", "viz", "cli"},
    "clean": {"model", "train", "viz", "cli"},
    "sim": {"viz", "model", "train", "data", "cli"},
    "data": {"viz", "train", "cli"},
    "model": {"io", "train", "viz", "clean", "cli"},
    "train": {"viz", "cli"},
    "analysis": {"viz", "cli"},
    "extract": {"clean", "sim", "data", "model", "train", "analysis", "viz", "cli"},
}
FORBIDDEN_THIRD_PARTY = {"sim": {"torch"}, "extract": {"torch"}}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package):
    for path in (SRC / package).rglob("*.py"):
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "duetgraph" and len(parts) > 1:
                assert parts[1] not in FORBIDDEN[package], f"{path} imports {name}"
            assert parts[0] not in FORBIDDEN_THIRD_PARTY.get(package, set()), (
                f"{path} imports {name}"
            )


def test_nothing_imports_viz_or_cli():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        if rel[0] in {"viz", "cli", "__main__.py"}:
            continue
        for name in imported_modules(path):
            assert not name.startswith(("duetgraph.viz", "duetgraph.cli")), f"{path} imports {name}"
