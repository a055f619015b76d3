"""The checked-in hostile corpus (`tests/corpus/`): each file gives exactly its expected message.

Every case of `tests/corpus/hostile/manifest.json` runs its command (`duetgraph clean` or
`duetgraph info`) from inside the corpus folder; failures must exit with status 2 and print
exactly the expected `error: ...` line, inputs that must work exit 0 and print the expected line.
The corpus must also be what `make_hostile.py` writes, byte for byte (it is deterministic).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from duetgraph.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
HOSTILE = CORPUS / "hostile"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))


def _generator():
    spec = importlib.util.spec_from_file_location("make_hostile", CORPUS / "make_hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_what_the_generator_writes(tmp_path):
    manifest = _generator().build(tmp_path)
    assert manifest == MANIFEST
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {p.name for p in HOSTILE.iterdir()}
    for name in written:
        assert (tmp_path / name).read_bytes() == (HOSTILE / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_hostile_file_gives_its_message(name, tmp_path, monkeypatch, capsys):
    case = MANIFEST[name]
    before = {p.name: p.read_bytes() for p in HOSTILE.iterdir()}
    out = tmp_path / "out.npz"
    argv = [case["command"], name, *case["args"]]
    if case["command"] == "clean":
        argv += ["-o", str(out)]
    monkeypatch.chdir(HOSTILE)
    status = main(argv)
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert status == case["exit"], captured.err
    if case["exit"]:
        assert errors == [case["stderr"]]
        assert not out.exists()  # nothing is written when reading fails
    else:
        assert errors == []
        assert case["stdout"] in captured.out.splitlines()
    assert {p.name: p.read_bytes() for p in HOSTILE.iterdir()} == before  # inputs only read
    assert list(tmp_path.iterdir()) == (
        [out] if case["command"] == "clean" and not case["exit"] else []
    )


def test_the_installed_command_prints_the_same_line(tmp_path):
    """One case through `python -m duetgraph`, as a user runs it: same line, status 2."""
    case = MANIFEST["truncated.json"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH")]))}  # fmt: skip
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "duetgraph",
            "clean",
            "truncated.json",
            "-o",
            str(tmp_path / "o.npz"),
        ],
        cwd=HOSTILE,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == case["stderr"]
