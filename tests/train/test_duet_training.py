"""The duet model end to end on small planted-string duets: train, infer, bad input."""

import json

import numpy as np
import pytest
import torch

from duetgraph import Duet, InputError
from duetgraph.analysis.recovery import auroc, recover_planted
from duetgraph.cli import main
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.checkpoint import CheckpointError
from duetgraph.train.duet import duet_run_config, train_duet
from duetgraph.train.infer import infer_strings

TINY = {
    "train__epochs": 2,
    "train__threads": 1,
    "model__n_hidden": 16,
    "data__n_rotations": 2,
}


@pytest.fixture(scope="module")
def planted():
    return simulate_duet(DuetSimConfig(duration_s=60, fps=10), np.random.default_rng(7))


@pytest.fixture(scope="module")
def tiny_run(planted, tmp_path_factory):
    duet, _ = planted
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    result = train_duet(duet, run_dir, duet_run_config(**TINY))
    return run_dir, result


def test_training_writes_a_run_and_moves_off_the_prior(tiny_run):
    run_dir, result = tiny_run
    assert {"best.pt", "last.pt", "metrics.csv", "config.toml"} <= {
        p.name for p in run_dir.iterdir()
    }
    assert result.epochs_done == 2
    # A collapsed encoder (the prior implementation's bug) has KL(posterior || prior) = 0.
    assert result.history[-1]["valid_kl"] > 0.01
    assert result.history[-1]["train_nll"] < result.history[0]["train_nll"]


def test_the_papers_model_trains_and_moves_off_the_prior(planted, tmp_path):
    """The default is NRI's MLP pair with relative inputs; the paper's GCN encoder and
    graph-recurrent decoder (with the bones as known edges) stay one option away."""
    duet, _ = planted
    paper = {"model__encoder": "gcn", "model__decoder": "graph_rnn"}  # pair inputs: concat
    result = train_duet(duet, tmp_path / "paper", duet_run_config(**TINY, **paper))
    assert result.history[-1]["valid_kl"] > 0.01
    assert result.history[-1]["train_nll"] < result.history[0]["train_nll"]
    config = (tmp_path / "paper" / "config.toml").read_text()
    assert 'decoder = "graph_rnn"' in config and 'encoder = "gcn"' in config
    assert 'pair_inputs = "concat"' in config
    assert duet_run_config().model["pair_inputs"] == "relative"
    with pytest.raises(InputError, match="relative"):
        duet_run_config(model__encoder="gcn", model__pair_inputs="relative")


def test_inference_gives_a_posterior_per_window(planted, tiny_run):
    duet, strings = planted
    run_dir, _ = tiny_run
    post = infer_strings(duet, run_dir, stride=2)
    n_windows = (duet.n_frames - 8) // 2 + 1
    assert post.probs.shape == (n_windows, 18, 2)
    np.testing.assert_allclose(post.probs.sum(-1), 1.0, atol=1e-5)
    assert post.node_names[0].startswith("A:") and post.node_names[-1].startswith("B:")
    np.testing.assert_allclose(post.window_end - post.window_start, 0.8)
    # Not the prior: the encoder's output depends on the input.
    assert np.abs(post.probs - np.array(post.edge_prior)).max() > 0.01
    rec = recover_planted(post, strings)
    assert rec.k == 3 and 0.0 <= rec.auroc <= 1.0


def test_inference_is_deterministic(planted, tiny_run):
    duet, _ = planted
    a = infer_strings(duet, tiny_run[0], stride=4)
    b = infer_strings(duet, tiny_run[0], stride=4)
    np.testing.assert_array_equal(a.probs, b.probs)


def test_same_seed_same_weights(planted, tmp_path):
    duet, _ = planted
    cfg = duet_run_config(**{**TINY, "train__epochs": 1, "data__n_rotations": 1})
    train_duet(duet, tmp_path / "a", cfg)
    train_duet(duet, tmp_path / "b", cfg)
    wa = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model_state"]
    wb = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model_state"]
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=0, atol=0)


def test_auroc_matches_hand_computed_values():
    assert auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert auroc([0.1, 0.8, 0.9, 0.2], [1, 1, 0, 0]) == 0.25
    assert auroc([0.5, 0.5], [1, 0]) == 0.5


def test_short_duet_unknown_joints_and_wrong_skeleton_are_refused(planted, tiny_run, tmp_path):
    duet, _ = planted
    short = Duet(duet.positions[:5], fps=10)
    with pytest.raises(InputError, match="frames"):
        train_duet(short, tmp_path / "s", duet_run_config(**TINY))
    with pytest.raises(InputError, match="tail"):
        train_duet(duet, tmp_path / "j", duet_run_config(**TINY, data__joints="pelvis,tail"))
    smpl24 = Duet(duet.positions[:, :, :24], fps=10, skeleton="smpl24")
    with pytest.raises(InputError, match="smpl29"):
        infer_strings(smpl24, tiny_run[0])


def test_corrupted_checkpoint_is_named(tiny_run, planted, tmp_path):
    run_dir, _ = tiny_run
    bad = tmp_path / "bad"
    bad.mkdir()
    data = (run_dir / "best.pt").read_bytes()
    (bad / "best.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="best.pt"):
        infer_strings(planted[0], bad)


def test_cli_train_then_infer(planted, tmp_path, capsys):
    duet, _ = planted
    path = duet.save(tmp_path / "duet.npz")
    args = ["train", str(path), "-o", str(tmp_path / "run"), "--epochs", "1", "--hidden", "8",
            "--rotations", "1", "--threads", "1", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    assert main(args) == 2  # the run folder is not reused without --resume/--overwrite
    assert "already holds" in capsys.readouterr().err
    out = tmp_path / "strings.npz"
    infer = [
        "infer",
        str(path),
        "--run",
        str(tmp_path / "run"),
        "-o",
        str(out),
        "--surrogates",
        "19",
    ]
    assert main(infer) == 0
    assert out.is_file() and out.with_suffix(".csv").is_file()
    tested = json.loads(out.with_suffix(".json").read_text())  # the tested strings of its joints
    assert tested["n_tested"] == 18 and tested["q"] == 0.05
    raw = json.loads((tmp_path / "strings.nri_posterior.json").read_text())  # the model's view
    assert raw["threshold"] == 0.8
    assert main(infer) == 2
    capsys.readouterr()
    # an output folder that does not exist yet is made (and never blamed on the input)
    infer[infer.index(str(out))] = str(tmp_path / "new" / "deeper" / "strings.npz")
    assert main(infer) == 0, capsys.readouterr().err
    assert (tmp_path / "new" / "deeper" / "strings.nri_posterior.npz").is_file()


def test_recovery_scores_planted_edges_and_leaves_implied_ones_out():
    from types import SimpleNamespace

    from duetgraph.analysis.posterior import StringPosterior

    # Nodes: A pelvis, A right wrist, B pelvis, B left wrist; edges A→B then B→A.
    send = [0, 0, 1, 1, 2, 2, 3, 3]
    recv = [2, 3, 2, 3, 0, 1, 0, 1]
    p_string = np.array([0.9, 0.95, 0.2, 0.8, 0.1, 0.3, 0.2, 0.85])
    probs = np.stack([1 - p_string, p_string], -1)[None].repeat(3, 0)
    post = StringPosterior(
        probs=probs, window_start=[0.0, 1, 2], window_end=[1.0, 2, 3], senders=send,
        receivers=recv, node_names=("A:pelvis", "A:right_wrist", "B:pelvis", "B:left_wrist"),
        node_dancer=[0, 0, 1, 1], node_joint=[0, 21, 0, 20], skeleton="smpl29",
    )  # fmt: skip
    planted = [SimpleNamespace(a_joint="pelvis", b_joint="pelvis", spans=None)]
    rec = recover_planted(post, planted)
    # A pelvis -> B left wrist hangs below B's pelvis: implied, not scored.
    assert rec.n_implied == 1 and rec.k == 1
    # Positive 0.9 against negatives 0.2, 0.8, 0.1, 0.3, 0.2, 0.85: above all six.
    assert rec.auroc == 1.0 and rec.precision_at_k == 1.0
    wrist = [SimpleNamespace(a_joint="right_wrist", b_joint="left_wrist", spans=[(0.0, 2.0)])]
    rec = recover_planted(post, wrist)
    # 0.8 is above 0.2, 0.1, 0.3, 0.2 and below 0.9, 0.95, 0.85 (the A pelvis edges count now).
    assert rec.n_implied == 0 and rec.auroc == pytest.approx(4 / 7)
    assert "A right_wrist -> B left_wrist" in rec.on_off


def test_evaluation_reports_baselines_and_posterior_statistics(planted, tiny_run, tmp_path, capsys):
    from duetgraph.train.duet_eval import evaluate_duet_run, posterior_statistics

    duet, _ = planted
    r = evaluate_duet_run(tiny_run[0], duet)
    assert set(r["mse_m2"]) == {"model", "repeat_last", "const_velocity"}
    assert set(r["mse_m2"]["model"]) == {"1", "7"}
    # Constant velocity is exact on straight lines and beats repeat-last on smooth motion.
    assert r["mse_m2"]["const_velocity"]["1"] < r["mse_m2"]["repeat_last"]["1"]
    # Two epochs already move the posterior off the prior (a collapsed encoder gives KL = 0).
    assert r["kl_per_edge"] > 0.01 and not r["collapsed"]
    prior = np.array([0.9, 0.1])
    collapsed = posterior_statistics(np.tile(prior, (5, 3, 1)), prior)
    assert collapsed["kl_per_edge"] == pytest.approx(0, abs=1e-9)
    assert collapsed["entropy_per_edge"] == pytest.approx(collapsed["prior_entropy"])
    path = duet.save(tmp_path / "d.npz")
    assert main(["evaluate", str(tiny_run[0]), "--duet", str(path)]) == 0
    assert "const. velocity" in capsys.readouterr().out


def test_duet_config_file_sets_fields_and_rejects_unknown_keys(tmp_path):
    from duetgraph.train.duet import load_duet_run_config

    good = tmp_path / "run.toml"
    good.write_text('[data]\nwindow = 6\njoints = "all"\n[model]\nn_edge_types = 3\n'
                    "edge_prior = [0.8, 0.1, 0.1]\n[train]\nepochs = 3\n")  # fmt: skip
    cfg = load_duet_run_config(good, train__epochs=5)
    assert cfg.data.window == 6 and cfg.data.joints == "all"
    assert cfg.model["edge_prior"] == (0.8, 0.1, 0.1) and cfg.train.epochs == 5
    bad = tmp_path / "bad.toml"
    bad.write_text("[data]\nwindw = 6\n")
    with pytest.raises(InputError, match="windw"):
        load_duet_run_config(bad)


def test_resuming_a_duet_run_keeps_its_settings_and_takes_only_what_may_change(planted, tmp_path,
                                                                               capsys):  # fmt: skip
    """One resume policy for duet and physics runs (train.config.RESUMABLE): epochs, time
    limits, threads and device may change; anything else must be what the run has."""
    duet, _ = planted
    path = duet.save(tmp_path / "duet.npz")
    run = tmp_path / "run"
    args = ["train", str(path), "-o", str(run), "--hidden", "8", "--rotations", "1",
            "--threads", "1", "--no-progress"]  # fmt: skip
    assert main([*args, "--epochs", "1", "--lr", "0.002", "--batch-size", "64"]) == 0
    assert main([*args, "--resume", "--epochs", "2", "--cpu-limit-min", "7"]) == 0
    stored = torch.load(run / "last.pt", weights_only=False)["run_config"]
    assert stored["train"]["epochs"] == 2 and stored["train"]["cpu_limit_min"] == 7
    assert stored["train"]["lr"] == 0.002 and stored["train"]["batch_size"] == 64
    assert main([*args, "--resume", "--epochs", "3", "--cpu-limit-min", "9"]) == 0  # alone too
    stored = torch.load(run / "last.pt", weights_only=False)["run_config"]
    assert stored["train"]["cpu_limit_min"] == 9 and stored["train"]["lr"] == 0.002
    capsys.readouterr()
    assert main([*args, "--resume", "--epochs", "3", "--lr", "0.1"]) == 2
    assert "train.lr = 0.1 differs from the run's 0.002" in capsys.readouterr().err


def test_a_symmetric_duet_run_trains_one_variable_per_joint_pair(planted, tmp_path):
    duet, _ = planted
    path = duet.save(tmp_path / "duet.npz")
    args = ["train", str(path), "-o", str(tmp_path / "run"), "--epochs", "1", "--hidden", "8",
            "--rotations", "1", "--threads", "1", "--no-progress", "--symmetric"]  # fmt: skip
    assert main(args) == 0
    ckpt = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert ckpt["run_config"]["data"]["symmetric"] is True
    assert ckpt["model_config"]["symmetric"] is True
    assert "symmetric = true" in (tmp_path / "run" / "config.toml").read_text()
