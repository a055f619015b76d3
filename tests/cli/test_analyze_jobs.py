"""`duetgraph analyze` over many duets: subfolders, worker processes, failures reported."""

import json

import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.cli import main
from duetgraph.cli._journey import group_inputs
from duetgraph.sim.duet import DuetSimConfig, simulate_duet

FAST = [
    "--joints",
    "pelvis,left_wrist,right_wrist",
    "--surrogates",
    "19",
    "--video",
    "none",
    "--no-progress",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    duet, _ = simulate_duet(DuetSimConfig(duration_s=30, fps=10), np.random.default_rng(5))
    duet.save(folder / "good.npz")
    (folder / "broken.csv").write_text("garbage\n")
    return folder


def test_one_failing_duet_is_reported_and_the_others_finish(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    # The broken input comes first and both run at once: the good one must still finish.
    args = [str(inputs / "broken.csv"), str(inputs / "good.npz"), "-o", str(out)]
    assert main(["analyze", *args, "--jobs", "2", *FAST]) == 1
    summary = json.loads((out / "summary.json").read_text())
    rows = {r["name"]: r for r in summary["duets"]}
    assert summary["n_inputs"] == 2 and summary["n_failed"] == 1
    assert rows["good"]["status"] == "ok" and rows["good"]["strongest"]
    assert rows["broken"]["status"] == "failed" and "broken.csv" in rows["broken"]["error"]
    assert (out / "good" / "report.json").is_file() and (out / "good" / "strings.npz").is_file()
    assert "Traceback" in (out / "broken" / "analyze.log").read_text()
    printed = capsys.readouterr().out
    assert "1 of 2 duets analysed; 1 failed" in printed and "FAILED broken" in printed

    # A second batch into the same folder is refused before any work, unless --overwrite.
    assert main(["analyze", *args, "--jobs", "2", *FAST]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_inputs_group_into_duets(tmp_path):
    for name in ("a.npz", "b.csv", "x.bvh", "y.bvh", "a2.npz"):
        (tmp_path / name).write_text("")
    sub = tmp_path / "clips"
    sub.mkdir()
    for name in ("a.npz", "c.json", "notes.txt"):
        (sub / name).write_text("")
    p = str(tmp_path)
    single, batch = group_inputs([f"{p}/x.bvh", f"{p}/y.bvh"])
    assert not batch and single[0].name == "x+y" and len(single[0].paths) == 2
    many, batch = group_inputs([f"{p}/a.npz", str(sub), f"{p}/x.bvh,{p}/y.bvh"])
    assert batch
    assert [m.name for m in many] == ["a", "a-2", "c", "x+y"]  # names stay distinct
    assert [len(m.paths) for m in many] == [1, 1, 1, 2]
    one, batch = group_inputs([str(sub)])
    assert batch and len(one) == 2  # a folder is always a batch
    with pytest.raises(InputError, match="holds one dancer"):
        group_inputs([f"{p}/a.npz", f"{p}/x.bvh"])


def test_one_job_runs_the_duets_in_turn_past_a_failure(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    missing = tmp_path / "missing.json"
    args = [str(inputs / "broken.csv"), str(missing), "-o", str(out), *FAST]
    assert main(["analyze", *args]) == 1  # --jobs 1: in this process, one after the other
    rows = json.loads((out / "summary.json").read_text())["duets"]
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert "missing.json" in rows[1]["error"]
    assert "0 of 2 duets analysed; 2 failed" in capsys.readouterr().out
