"""Output safety of every command: nothing replaced without --overwrite, inputs never replaced,
and an unwritable or full location gives one clear error and leaves no half-written file.

For each command that writes (clean, convert, example, simulate, render, infer, evaluate, train,
demo, analyze) and `info` (which must write nothing):

- an existing output is refused without --overwrite and left byte for byte as it was;
- an output that is one of the inputs is refused, even with --overwrite;
- an output folder below a regular file (ENOTDIR: what a read-only location looks like to root,
  who ignores permission bits) is refused with an `error:` line and nothing is created;
- a read-only folder (chmod 0o555) likewise; skipped when running as root (see above);
- a full disk (every fsync of `duetgraph.atomic` fails with ENOSPC) gives an `error:` line naming
  ENOSPC, and no output and no temporary file is left.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from duetgraph.cli import main

SENTINEL = b"an output the user made earlier\n"
TINY_TRAIN = ["--epochs", "1", "--hidden", "8", "--rotations", "1", "--threads", "1",
              "--no-progress"]  # fmt: skip


@dataclass(frozen=True)
class Assets:
    root: Path
    duet: Path  # a duetgraph .npz (20 s, smpl29)
    alphapose: Path  # faulty AlphaPose output of the same duet
    run: Path  # a one-epoch duet run trained on it
    strings: Path  # its inferred strings.npz


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Assets:
    root = tmp_path_factory.mktemp("assets")
    assert main(["example", "-o", str(root / "ex"), "--duration", "20", "--alphapose"]) == 0
    duet = root / "ex" / "duet.npz"
    assert main(["train", str(duet), "-o", str(root / "run"), *TINY_TRAIN]) == 0
    strings = root / "strings.npz"
    assert main(["infer", str(duet), "--run", str(root / "run"), "-o", str(strings)]) == 0
    return Assets(root, duet, root / "ex" / "alphapose-results.json", root / "run", strings)


@dataclass(frozen=True)
class Command:
    """How to run one command with its outputs in `out` (a folder that may not exist yet)."""

    name: str
    argv: Callable[[Path, Assets], list[str]]
    outputs: Callable[[Path], list[Path]]  # what it writes into `out`, the first one checked
    makes_folder: bool = False  # `out` itself is the command's output folder
    keeps_old: bool = True  # --overwrite replaces file by file (train deletes the old run first)


def _evaluate_argv(out: Path, a: Assets) -> list[str]:
    if not (out / "best.pt").exists():  # evaluate writes into a run folder: use a copy
        shutil.copytree(a.run, out, dirs_exist_ok=True)
    return ["evaluate", str(out), "--duet", str(a.duet)]


COMMANDS = [
    Command("clean", lambda o, a: ["clean", str(a.alphapose), "-o", str(o / "duet.npz")],
            lambda o: [o / "duet.npz"]),
    Command("convert", lambda o, a: ["convert", str(a.duet), "-o", str(o / "duet.csv")],
            lambda o: [o / "duet.csv"]),
    Command("example", lambda o, a: ["example", "-o", str(o), "--duration", "3"],
            lambda o: [o / "duet.npz", o / "strings.json"], makes_folder=True),
    Command("simulate", lambda o, a: ["simulate", "springs", "--out", str(o), "--n-sims", "2",
                                      "--n-valid", "1", "--n-test", "1", "--n-balls", "3",
                                      "--n-steps", "200"],
            lambda o: [o / "loc_train_springs3.npy", o / "meta_springs3.json"], makes_folder=True),
    Command("render", lambda o, a: ["render", str(a.duet), "--strings", str(a.strings), "-o",
                                    str(o), "--video", "none", "--viewer"],
            lambda o: [o / "viewer.html"], makes_folder=True),
    Command("infer", lambda o, a: ["infer", str(a.duet), "--run", str(a.run), "-o",
                                   str(o / "s.npz")],
            lambda o: [o / "s.npz", o / "s.csv", o / "s.json"]),
    Command("evaluate", _evaluate_argv, lambda o: [o / "metrics_duet.json"]),
    Command("train", lambda o, a: ["train", str(a.duet), "-o", str(o / "run"), *TINY_TRAIN],
            lambda o: [o / "run" / "config.toml"], keeps_old=False),
    Command("demo", lambda o, a: ["demo", "-o", str(o), "--duration", "30", "--epochs", "1",
                                  "--video", "none", "--no-progress"],
            lambda o: [o / "alphapose-results.json"], makes_folder=True),
    Command("analyze", lambda o, a: ["analyze", str(a.duet), "-o", str(o), "--epochs", "1",
                                     "--video", "none", "--no-progress"],
            lambda o: [o / "strings.npz"], makes_folder=True),
]  # fmt: skip
BY_NAME = {c.name: c for c in COMMANDS}


def _run(argv: list[str], capsys) -> tuple[int, str]:
    capsys.readouterr()
    status = main(argv)
    return status, capsys.readouterr().err


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def _leftovers(folder: Path) -> list[str]:
    """Temporary files of atomic writes under `folder`."""
    if not folder.exists():
        return []
    return sorted(str(p) for p in folder.rglob("*") if ".tmp" in p.name)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_an_existing_output_is_refused_and_untouched(name, assets, tmp_path, capsys):
    command = BY_NAME[name]
    out = tmp_path / "out"
    argv = command.argv(out, assets)
    first = command.outputs(out)[0]
    first.parent.mkdir(parents=True, exist_ok=True)
    first.write_bytes(SENTINEL)
    before = _snapshot(out)
    status, err = _run(argv, capsys)
    assert status == 2, err
    assert len(_error_lines(err)) == 1 and "--overwrite" in err
    assert _snapshot(out) == before  # nothing replaced, nothing added
    assert not _leftovers(tmp_path)


SAME_AS_INPUT = {
    "clean": lambda a, t: ["clean", str(a.duet), "-o", str(a.duet), "--overwrite"],
    "convert": lambda a, t: ["convert", str(a.duet), "-o", str(a.duet), "--overwrite"],
    "infer": lambda a, t: ["infer", str(a.duet), "--run", str(a.run), "-o", str(a.duet),
                           "--overwrite"],
    # -o duet.npz for an input duet.csv: infer's strings.csv beside it would be the input
    "infer (sibling)": lambda a, t: ["infer", str(_as_csv(a, t)), "--run", str(a.run), "-o",
                                     str(_as_csv(a, t).with_suffix(".npz")), "--overwrite"],
    "render": lambda a, t: ["render", str(_as_html(a, t)), "--strings", str(a.strings), "-o",
                            str(t), "--video", "none", "--viewer", "--overwrite"],
    "evaluate": lambda a, t: ["evaluate", str(a.run), "--duet",
                              str(a.run / "metrics_duet.json"), "--overwrite"],
}  # fmt: skip


def _as_csv(a: Assets, folder: Path) -> Path:
    path = folder / "duet.csv"
    if not path.exists():
        assert main(["convert", str(a.duet), "-o", str(path)]) == 0
    return path


def _as_html(a: Assets, folder: Path) -> Path:
    """A duet saved under the name render writes (viewer.html) to try to make it replace it."""
    path = folder / "viewer.html"
    if not path.exists():
        shutil.copyfile(a.duet, path)
    return path


@pytest.mark.parametrize("case", sorted(SAME_AS_INPUT))
def test_an_input_is_never_an_output_even_with_overwrite(case, assets, tmp_path, capsys):
    argv = SAME_AS_INPUT[case](assets, tmp_path)
    watched = [assets.duet, assets.run, tmp_path]
    before = {str(p): _snapshot(p) if p.is_dir() else p.read_bytes() for p in watched}
    status, err = _run(argv, capsys)
    assert status == 2, err
    assert "is also an input" in err and len(_error_lines(err)) == 1
    after = {str(p): _snapshot(p) if p.is_dir() else p.read_bytes() for p in watched}
    assert after == before


# evaluate writes into an existing run folder.
UNWRITABLE = [c.name for c in COMMANDS if c.name != "evaluate"]


@pytest.mark.parametrize("name", UNWRITABLE)
def test_a_location_below_a_regular_file_is_refused(name, assets, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(SENTINEL)
    out = blocker / "out"
    status, err = _run(BY_NAME[name].argv(out, assets), capsys)
    assert status == 2, err
    assert len(_error_lines(err)) == 1 and str(blocker) in err
    assert blocker.read_bytes() == SENTINEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores permission bits; the ENOTDIR and ENOSPC tests cover unwritable places",
)
@pytest.mark.parametrize("name", UNWRITABLE)
def test_a_read_only_folder_is_refused(name, assets, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    out = folder / "out"
    out.mkdir()
    for path in (out, folder):
        path.chmod(0o555)
    try:
        status, err = _run(BY_NAME[name].argv(out, assets), capsys)
        assert status == 2, err
        assert len(_error_lines(err)) == 1
        assert not any(out.iterdir())
    finally:
        for path in (folder, out):
            path.chmod(0o755)


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_a_full_disk_leaves_no_output_and_no_temporary_file(
    name, assets, tmp_path, capsys, monkeypatch
):
    command = BY_NAME[name]
    out = tmp_path / "out"
    argv = [*command.argv(out, assets), "--overwrite"]
    outputs = command.outputs(out)
    if command.keeps_old:  # an earlier output stays as it was if its replacement fails
        outputs[0].parent.mkdir(parents=True, exist_ok=True)
        outputs[0].write_bytes(SENTINEL)
    monkeypatch.setattr("duetgraph.atomic.os.fsync", _disk_full)
    status, err = _run(argv, capsys)
    assert status == 2, err
    lines = _error_lines(err)
    assert len(lines) == 1 and os.strerror(errno.ENOSPC) in lines[0]
    if command.keeps_old:
        assert outputs[0].read_bytes() == SENTINEL
    assert not any(p.exists() for p in outputs[1 if command.keeps_old else 0 :])
    assert not _leftovers(tmp_path)


def test_info_writes_nothing(assets, tmp_path, capsys):
    folder = tmp_path / "in"
    shutil.copytree(assets.duet.parent, folder)
    before = _snapshot(folder)
    for name in ("duet.npz", "alphapose-results.json"):
        status, err = _run(["info", str(folder / name)], capsys)
        assert status == 0, err
    assert _snapshot(folder) == before
