"""Crash safety of training: SIGKILL in the middle of an epoch, `--resume`, same result.

The real thing (~30 s wall, in the default suite): a tiny two-epoch springs run
(`python -m duetgraph train`, CPU, one thread, fixed seed, dropout
on so the global random stream matters too) is started twice at once: one runs to the end, the
other is killed with SIGKILL part-way through epoch 2 (after epoch 1's last.pt and metrics.csv
appear), then resumed with `--resume`. Both must end with identical weights, optimizer state, best.pt
and metrics.csv rows (timing columns aside). Fast: the same with an exception half-way through
epoch 2 in this process; damaged checkpoints are named and never loaded; a failed write keeps the
previous checkpoint; temporaries of a killed write are removed on resume.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from duetgraph.cli import main
from duetgraph.model.nri import NRIModel
from duetgraph.sim.nri_format import make_nri_dataset
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import (
    CHECKPOINT_KEYS,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from duetgraph.train.loop import fit

SRC = Path(__file__).resolve().parents[2] / "src"
TIMING = {"epoch_s", "cpu_s", "elapsed_s", "cpu_total_s"}
# Many small batches make an epoch last ~1-2 s, long enough to be killed inside.
SETTINGS = ["--system", "springs3", "--epochs", "2", "--hidden", "16", "--pred-steps", "3",
            "--batch-size", "2", "--dropout", "0.1", "--threads", "1", "--seed", "7",
            "--no-progress"]  # fmt: skip


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "duetgraph", "train", *args]


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}


def _rows(run: Path) -> list[dict[str, str]]:
    path = run / runfiles.METRICS_CSV
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _wait_for_epoch_1(run: Path, proc: subprocess.Popen, timeout: float = 300.0) -> float:
    """Poll until epoch 1's metrics row is written; return that epoch's duration in seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(run)
        if rows:
            return float(rows[0]["epoch_s"])
        if proc.poll() is not None:
            raise AssertionError(f"training ended before epoch 1 was written: {proc.stderr.read()}")
        time.sleep(0.005)
    raise AssertionError("epoch 1 took too long")


@pytest.fixture(scope="module")
def crashed_and_resumed(tmp_path_factory):  # ~15 s CPU, 3 processes
    """(reference run, killed-and-resumed run, what the folder held right after the kill)."""
    root = tmp_path_factory.mktemp("crash")
    data = root / "data"
    make_nri_dataset("springs", data, n_train=200, n_valid=16, n_test=4, n_balls=3, n_steps=1200)
    ref, run = root / "reference", root / "killed"
    common = ["--data", str(data), *SETTINGS]
    popen = dict(env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reference = subprocess.Popen(_command(*common, "-o", str(ref)), **popen)
    victim = subprocess.Popen(_command(*common, "-o", str(run)), **popen)
    try:
        epoch_s = _wait_for_epoch_1(run, victim)
        time.sleep(0.4 * epoch_s)  # well inside epoch 2
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        after_kill = {
            "epoch": load_checkpoint(run / runfiles.LAST)["epoch"],
            "rows": len(_rows(run)),
            "files": sorted(p.name for p in run.iterdir()),
        }
        resumed = subprocess.run(
            _command("--data", str(data), "-o", str(run), "--resume", "--no-progress"),
            env=_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert resumed.returncode == 0, resumed.stderr
        assert reference.wait(timeout=600) == 0, reference.stderr.read()
    finally:
        for proc in (reference, victim):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return ref, run, after_kill


def test_the_kill_landed_inside_epoch_2(crashed_and_resumed):
    _, _, after_kill = crashed_and_resumed
    # last.pt still holds epoch 1 and metrics.csv one row: epoch 2 was running, unfinished.
    assert after_kill["epoch"] == 1 and after_kill["rows"] == 1, after_kill


def test_sigkilled_run_resumed_ends_with_the_same_weights_and_metrics(crashed_and_resumed):
    ref, run, _ = crashed_and_resumed
    assert_same_run(ref, run, n_epochs=2)


def assert_same_run(ref: Path, run: Path, n_epochs: int) -> None:
    """Identical last.pt and best.pt (weights, Adam state, generators) and metrics rows."""
    for name in (runfiles.LAST, runfiles.BEST):
        a, b = load_checkpoint(ref / name), load_checkpoint(run / name)
        assert a["epoch"] == b["epoch"] == (n_epochs if name == runfiles.LAST else a["epoch"])
        assert a["model_state"].keys() == b["model_state"].keys()
        for key, tensor in a["model_state"].items():
            assert torch.equal(tensor, b["model_state"][key]), f"{name}: {key} differs"
        for k, state in a["optimizer_state"]["state"].items():
            for field, value in state.items():
                assert torch.equal(value, b["optimizer_state"]["state"][k][field])
        for gen in ("shuffle", "gumbel", "torch"):
            assert torch.equal(a["rng"][gen], b["rng"][gen])
        assert a["best"] == b["best"]
    rows_ref, rows_run = _rows(ref), _rows(run)
    assert [int(r["epoch"]) for r in rows_run] == list(range(1, n_epochs + 1))
    strip = [{k: v for k, v in r.items() if k not in TIMING} for r in (*rows_ref, *rows_run)]
    assert strip[:n_epochs] == strip[n_epochs:]
    # no temporary file of an interrupted write is left behind
    assert not [p.name for p in run.iterdir() if ".tmp" in p.name]


class Crash(RuntimeError):
    """Stands in for the process dying in the middle of a training step."""


def test_crash_mid_epoch_then_resume_is_identical(
    tmp_path, springs_train_valid, tiny_run_config, model_config_for
):
    """In-process version of the SIGKILL test (fast): a step of epoch 2 raises, then resume."""
    train, valid, stats = springs_train_valid
    rc = tiny_run_config(epochs=3, batch_size=4)
    mc = model_config_for(rc, train)
    info = {"kind": "physics", "system": "springs3", "normalisation": stats.to_dict()}
    steps = {"n": 0}
    per_epoch = -(-train.features.shape[0] // 4)

    def crashing(config):
        model = NRIModel(config)
        forward = model.forward

        def step(x, generator=None):
            if model.training:
                steps["n"] += 1
                if steps["n"] == per_epoch + per_epoch // 2:  # half-way through epoch 2
                    raise Crash("killed")
            return forward(x, generator=generator)

        model.forward = step
        return model

    for name in ("ref", "run"):
        runfiles.prepare_run_dir(tmp_path / name, resume=False, overwrite=False)
    fit(mc, rc, train, valid, tmp_path / "ref", info)
    with pytest.raises(Crash):
        fit(mc, rc, train, valid, tmp_path / "run", info, build=crashing)
    assert load_checkpoint(tmp_path / "run" / runfiles.LAST)["epoch"] == 1
    assert len(_rows(tmp_path / "run")) == 1
    resume = load_checkpoint(tmp_path / "run" / runfiles.LAST)
    runfiles.prepare_run_dir(tmp_path / "run", resume=True, overwrite=False)
    fit(mc, rc, train, valid, tmp_path / "run", info, resume_from=resume)
    assert_same_run(tmp_path / "ref", tmp_path / "run", n_epochs=3)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished two-epoch springs run made with `duetgraph train` in this process."""
    root = tmp_path_factory.mktemp("finished")
    data = root / "data"
    make_nri_dataset("springs", data, n_train=32, n_valid=8, n_test=4, n_balls=3, n_steps=1200)
    settings = ["--system", "springs3", "--epochs", "2", "--hidden", "8", "--pred-steps", "2",
                "--batch-size", "16", "--threads", "1", "--no-progress"]  # fmt: skip
    assert main(["train", "--data", str(data), "-o", str(root / "run"), *settings]) == 0
    return root / "run"


def _copy_run(finished_run: Path, tmp_path) -> Path:
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "empty"])
def test_resume_names_a_damaged_last_checkpoint(finished_run, tmp_path, capsys, damage):
    run = _copy_run(finished_run, tmp_path)
    last = run / runfiles.LAST
    data = last.read_bytes()
    if damage == "truncate":
        last.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "flip a byte":  # inside a stored weight: only the checksum can tell
        weights = max(load_checkpoint(last)["model_state"].values(), key=lambda t: t.numel())
        k = data.index(weights.numpy().tobytes()) + 1
        last.write_bytes(data[:k] + bytes([data[k] ^ 0x01]) + data[k + 1 :])
    else:
        last.write_bytes(b"")
    with pytest.raises(CheckpointError, match=str(last)):
        load_checkpoint(last)
    capsys.readouterr()
    data_dir = load_checkpoint(run / runfiles.BEST)["data"]["data_dir"]
    status = main(["train", "--data", data_dir, "-o", str(run), "--resume", "--epochs", "4"])
    err = capsys.readouterr().err
    assert status == 2 and f"error: {last}:" in err
    assert len(_rows(run)) == 2  # nothing was trained on from a damaged checkpoint


def test_evaluate_names_an_altered_best_checkpoint(finished_run, tmp_path, capsys):
    run = _copy_run(finished_run, tmp_path)
    best = run / runfiles.BEST
    payload = torch.load(best, weights_only=True)
    key = next(iter(payload["model_state"]))
    payload["model_state"][key] = payload["model_state"][key] + 1e-3  # altered, checksum kept
    torch.save(payload, best)
    capsys.readouterr()
    assert main(["evaluate", str(run), "--split", "valid"]) == 2
    err = capsys.readouterr().err
    assert f"error: {best}: checksum mismatch" in err


def test_a_failed_checkpoint_write_keeps_the_previous_file(tmp_path, monkeypatch):
    """A crash while writing (disk full mid-save) leaves the old checkpoint and no temp file."""
    path = tmp_path / runfiles.LAST
    payload = {k: None for k in CHECKPOINT_KEYS}
    payload["model_state"] = {"w": torch.ones(3)}
    save_checkpoint(path, payload)
    before = path.read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        with open(f, "wb") as out:
            out.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(Exception, match="No space left on device"):
        save_checkpoint(path, {**payload, "model_state": {"w": torch.zeros(3)}})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [runfiles.LAST]
    assert torch.equal(load_checkpoint(path)["model_state"]["w"], torch.ones(3))


def test_resume_removes_temporaries_of_a_killed_write(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / runfiles.LAST).write_bytes(b"x")
    stale = run / ".last.pt.abc123.tmp.pt"
    stale.write_bytes(b"half")
    foreign = run / "notes.txt"
    foreign.write_text("mine")
    runfiles.prepare_run_dir(run, resume=True, overwrite=False)
    assert not stale.exists() and foreign.exists() and (run / runfiles.LAST).exists()
