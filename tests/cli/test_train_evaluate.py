"""End to end: simulate a few springs systems, `duetgraph train`, `--resume`, `duetgraph evaluate`."""

import csv
import json

import torch

from duetgraph.cli import main
from duetgraph.sim.nri_format import make_nri_dataset


def write_springs(folder):
    """A tiny springs data set, 3 balls, in NRI's layout (test sequences longer, as in NRI)."""
    make_nri_dataset(
        "springs",
        folder,
        n_train=48,
        n_valid=16,
        n_test=16,
        n_balls=3,
        n_steps=1200,
        n_steps_test=3300,
    )
    return folder


TINY = ["--hidden", "16", "--pred-steps", "3", "--batch-size", "16", "--threads", "1"]


def test_train_resume_evaluate(tmp_path, capsys):
    data = write_springs(tmp_path / "data")
    run = tmp_path / "run"
    argv = ["train", "--data", str(data), "--system", "springs3", "-o", str(run), "--no-progress"]
    assert main([*argv, "--preset", "nri_springs5", "--epochs", "2", *TINY]) == 0
    assert {p.name for p in run.iterdir()} == {"config.toml", "last.pt", "best.pt", "metrics.csv"}
    assert "2 epochs (completed)" in capsys.readouterr().out

    # a second run into the same folder is refused, with one line on stderr
    assert main([*argv, "--epochs", "2", *TINY]) == 2
    assert "--resume" in capsys.readouterr().err
    # settings that change what is learnt cannot change on resume
    assert main([*argv, "--resume", "--lr", "0.1"]) == 2
    assert "start a new run" in capsys.readouterr().err

    assert main([*argv, "--resume", "--epochs", "3"]) == 0
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    ckpt = torch.load(run / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 3 and ckpt["model_config"]["n_hidden"] == 16
    assert ckpt["data"]["system"] == "springs3"

    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(data), "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "edge accuracy" in out and "const. vel." in out and "20 steps" in out
    metrics = json.loads((run / "metrics_test.json").read_text())
    assert metrics["rollout_start"] == 11 and metrics["n_samples"] == 16
    assert 0.0 <= metrics["edge_accuracy"] <= metrics["edge_accuracy_perm"] <= 1.0
    assert set(metrics["mse"]) == {"1", "10", "20"}
    assert metrics["mse_static"]["20"] > metrics["mse_static"]["1"]

    # the box-averaged evaluation has its own file and leaves the plain one as it was
    before = (run / "metrics_test.json").read_text()
    assert main(["evaluate", str(run), "--data", str(data), "--box-symmetries"]) == 0
    assert "averaged over 8 symmetries" in capsys.readouterr().out
    boxed = json.loads((run / "metrics_test_box8.json").read_text())
    assert boxed["n_symmetries"] == 8 and boxed["n_samples"] == 16
    assert (run / "metrics_test.json").read_text() == before
    assert main(["evaluate", str(run), "--duet", str(data), "--box-symmetries"]) == 2
    assert "--box-symmetries is for physics runs" in capsys.readouterr().err

    # without --data, evaluate finds the folder the run was trained on
    assert main(["evaluate", str(run), "--split", "valid", "--checkpoint", "last"]) == 0
    assert json.loads((run / "metrics_valid.json").read_text())["n_samples"] == 16


def test_train_config_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nepoch = 3\n")
    assert (
        main(["train", "--data", str(tmp_path), "-o", str(tmp_path / "r"), "--config", str(bad)])
        == 2
    )
    assert "has no key 'epoch'" in capsys.readouterr().err
    assert main(["train", "-o", str(tmp_path / "r")]) == 2
    assert "--data" in capsys.readouterr().err


def test_evaluate_needs_a_run(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "best.pt" in capsys.readouterr().err
