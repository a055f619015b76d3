"""One model from many duets: per-duet time splits, shared normalisation, one skeleton."""

import numpy as np
import pytest

from duetgraph import Duet, InputError
from duetgraph.cli import main
from duetgraph.data.duet_dataset import build_duet_windows
from duetgraph.data.joints import select_joints
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.checkpoint import load_checkpoint
from duetgraph.train.duet import PAPER_JOINTS, duet_run_config, train_duet

TINY = {"train__epochs": 1, "train__threads": 1, "model__n_hidden": 8, "data__n_rotations": 1}


@pytest.fixture(scope="module")
def duets():
    a, _ = simulate_duet(DuetSimConfig(duration_s=30, fps=10), np.random.default_rng(1))
    b, _ = simulate_duet(DuetSimConfig(duration_s=20, fps=10), np.random.default_rng(2))
    return a, b


def _named(positions, fps: float, name: str, skeleton: str = "smpl29") -> Duet:
    """A duet read from the file `name` (its first provenance step names the source)."""
    return Duet(positions, fps, skeleton, provenance=({"step": "read", "source": name},))


def test_many_duets_split_each_in_time_and_share_one_normalisation(duets, tmp_path):
    a, b = duets
    result = train_duet([a, b], tmp_path / "run", duet_run_config(**TINY))
    info = load_checkpoint(tmp_path / "run" / "last.pt")["data"]

    selection = select_joints(a.skeleton, PAPER_JOINTS)
    alone = [build_duet_windows(d, selection, 8, anchor_frame=0) for d in (a, b)]
    both = build_duet_windows([a, b], selection, 8, anchor_frame=0)
    # Each duet is cut on its own: its last 15 % validates.
    assert info["train_frames"] == [s.cut_frame for d in alone for s in d.splits]
    assert info["n_train"] == sum(d.train.n_windows for d in alone)
    assert info["n_valid"] == sum(d.valid.n_windows for d in alone)
    assert result.history[0]["samples"] == info["n_train"]
    # One normalisation, fitted on the training windows of both (not of either alone).
    assert info["normalizer"] == both.normalizer.to_dict()
    assert info["normalizer"]["position_scale"] not in {d.normalizer.position_scale for d in alone}
    assert len(info["sources"]) == 2


def test_duets_of_different_skeletons_are_refused_by_name(duets, tmp_path):
    a, _ = duets
    other = _named(a.positions[:, :, :24], a.fps, "smpl24-take.npz", skeleton="smpl24")
    with pytest.raises(InputError, match=r"smpl24-take\.npz.*skeleton is smpl24.*smpl29"):
        train_duet([a, other], tmp_path / "run", duet_run_config(**TINY))
    assert not (tmp_path / "run").exists()


def test_duets_at_different_rates_need_a_model_fps(duets, tmp_path):
    a, b = duets
    fast = _named(np.repeat(b.positions, 2, axis=0), 20.0, "fast.npz")
    config = duet_run_config(**TINY, data__fps=0.0)
    with pytest.raises(InputError, match="--model-fps"):
        train_duet([a, fast], tmp_path / "run", config)
    result = train_duet([a, fast], tmp_path / "ok", duet_run_config(**TINY))  # both to 10 fps
    assert result.epochs_done == 1


def test_a_duet_too_short_to_split_is_named(duets, tmp_path):
    a, b = duets
    short = _named(b.positions[:12], b.fps, "tiny-clip.npz")
    with pytest.raises(InputError, match=r"tiny-clip\.npz.*frames"):
        train_duet([a, short], tmp_path / "run", duet_run_config(**TINY))


def test_cli_trains_one_model_on_a_folder_of_duets(duets, tmp_path, capsys):
    folder = tmp_path / "duets"
    folder.mkdir()
    for name, duet in zip(("a", "b"), duets, strict=True):
        duet.save(folder / f"{name}.npz")
    args = ["--epochs", "1", "--hidden", "8", "--rotations", "1", "--threads", "1"]
    assert main(["train", str(folder), "-o", str(tmp_path / "run"), *args, "--no-progress"]) == 0
    info = load_checkpoint(tmp_path / "run" / "best.pt")["data"]
    assert len(info["sources"]) == 2 and info["n_train"] > 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", str(empty), "-o", str(tmp_path / "r2"), *args]) == 2
    assert "holds no duet files" in capsys.readouterr().err
