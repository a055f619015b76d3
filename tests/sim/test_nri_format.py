import json

import numpy as np
import pytest

from duetgraph.errors import InputError, OutputError
from duetgraph.sim.charged import ChargedConfig, simulate_charged
from duetgraph.sim.kuramoto import simulate_kuramoto
from duetgraph.sim.nri_format import (
    load_nri_kuramoto_split,
    load_nri_split,
    make_nri_dataset,
    write_nri_split,
)
from duetgraph.sim.springs import SpringsConfig, simulate_springs

SHORT = {"n_steps": 300, "sample_every": 100}  # 2 frames: fast


def nri_train_labels(raw, n):
    """What NRI's utils.load_data does to an edges file: (e + 1) / 2 as int64, off-diagonal."""
    labels = np.array((raw.reshape(-1, n * n) + 1) / 2, dtype=np.int64)
    return labels[:, np.flatnonzero(1 - np.eye(n))]


def test_springs_round_trip_with_nri_file_names(tmp_path):
    traj = simulate_springs(4, np.random.default_rng(0), SpringsConfig(**SHORT))
    paths = write_nri_split(tmp_path, "springs5", "train", traj)
    assert sorted(p.name for p in paths) == [
        "edges_train_springs5.npy",
        "loc_train_springs5.npy",
        "vel_train_springs5.npy",
    ]
    loc, vel, edges = load_nri_split(tmp_path, "springs5", "train")
    np.testing.assert_array_equal(loc, traj.positions)
    np.testing.assert_array_equal(vel, traj.velocities)
    np.testing.assert_array_equal(edges, traj.edges)
    assert edges.dtype == np.int64 and loc.dtype == np.float64


def test_charged_files_hold_charge_products_that_nri_turns_into_our_labels(tmp_path):
    traj = simulate_charged(6, np.random.default_rng(1), ChargedConfig(**SHORT))
    write_nri_split(tmp_path, "charged5", "valid", traj)
    raw = np.load(tmp_path / "edges_valid_charged5.npy")
    q = traj.charges
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_array_equal(raw[:, off], (q[:, :, None] * q[:, None, :])[:, off])
    assert set(np.unique(raw[:, off])) <= {-1.0, 1.0}
    np.testing.assert_array_equal(nri_train_labels(raw, 5), traj.edges[:, off])
    np.testing.assert_array_equal(load_nri_split(tmp_path, "charged5", "valid")[2], traj.edges)


def test_files_made_by_nri_scripts_load(tmp_path):
    # NRI's generate_dataset.py: float64 arrays, charged edges = charges · chargesᵀ (diagonal 1)
    rng = np.random.default_rng(2)
    q = rng.choice([-1.0, 1.0], size=(3, 4, 1))
    np.save(tmp_path / "loc_test_charged4.npy", rng.normal(size=(3, 99, 2, 4)))
    np.save(tmp_path / "vel_test_charged4.npy", rng.normal(size=(3, 99, 2, 4)))
    np.save(tmp_path / "edges_test_charged4.npy", q @ q.transpose(0, 2, 1))
    loc, vel, edges = load_nri_split(tmp_path, "charged4", "test")
    assert loc.shape == vel.shape == (3, 99, 2, 4)
    i, j = np.triu_indices(4, k=1)
    np.testing.assert_array_equal(edges[:, i, j], (q[:, i, 0] == q[:, j, 0]).astype(int))


def test_kuramoto_round_trip_uses_nri_feature_layout(tmp_path):
    traj = simulate_kuramoto(3, np.random.default_rng(3))
    write_nri_split(tmp_path, "kuramoto5", "test", traj)
    assert np.load(tmp_path / "feat_test_kuramoto5.npy").shape == (3, 5, 49, 3)  # (S, n, T, F)
    features, edges = load_nri_kuramoto_split(tmp_path, "kuramoto5", "test")
    np.testing.assert_array_equal(features, traj.features)
    np.testing.assert_array_equal(edges, traj.edges)


def test_missing_or_malformed_files_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="loc_train_springs5.npy: not found"):
        load_nri_split(tmp_path, "springs5", "train")
    traj = simulate_springs(2, np.random.default_rng(4), SpringsConfig(**SHORT))
    write_nri_split(tmp_path, "springs5", "train", traj)
    np.save(tmp_path / "edges_train_springs5.npy", np.zeros((2, 4, 4)))
    with pytest.raises(InputError, match=r"edges have shape \(2, 4, 4\)"):
        load_nri_split(tmp_path, "springs5", "train")
    np.save(tmp_path / "vel_train_springs5.npy", np.zeros((2, 2, 2)))
    with pytest.raises(InputError, match="velocities have shape"):
        load_nri_split(tmp_path, "springs5", "train")
    np.save(tmp_path / "loc_train_springs5.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError, match="without pickle"):
        load_nri_split(tmp_path, "springs5", "train")
    with pytest.raises(InputError, match="split 'training'"):
        load_nri_split(tmp_path, "springs5", "training")


def test_existing_files_are_kept_unless_overwrite(tmp_path):
    first = simulate_springs(2, np.random.default_rng(5), SpringsConfig(**SHORT))
    second = simulate_springs(2, np.random.default_rng(6), SpringsConfig(**SHORT))
    write_nri_split(tmp_path, "springs5", "train", first)
    (tmp_path / "vel_train_springs5.npy").unlink()  # only some files exist: still nothing written
    with pytest.raises(OutputError, match="already exists"):
        write_nri_split(tmp_path, "springs5", "train", second)
    assert not (tmp_path / "vel_train_springs5.npy").exists()
    write_nri_split(tmp_path, "springs5", "train", second, overwrite=True)
    np.testing.assert_array_equal(
        load_nri_split(tmp_path, "springs5", "train")[0], second.positions
    )
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_make_dataset_writes_three_splits_and_meta(tmp_path):
    kwargs = dict(n_train=5, n_valid=3, n_test=2, seed=11, n_steps=300, sample_every=100)
    meta_path = make_nri_dataset("charged", tmp_path / "a", **kwargs)
    meta = json.loads(meta_path.read_text())
    assert meta_path.name == "meta_charged5.json" and meta["seed"] == 11
    assert {s: (m["n_sims"], m["n_frames"]) for s, m in meta["splits"].items()} == {
        "train": (5, 2),
        "valid": (3, 2),
        "test": (2, 5),  # the test split is twice as long, as in NRI
    }
    loc, _, _ = load_nri_split(tmp_path / "a", "charged5", "test")
    assert loc.shape == (2, 5, 2, 5)
    # same seed → same files; a different train size leaves valid and test unchanged
    make_nri_dataset("charged", tmp_path / "b", **{**kwargs, "n_train": 7})
    for split in ("valid", "test"):
        for a, b in zip(
            load_nri_split(tmp_path / "a", "charged5", split),
            load_nri_split(tmp_path / "b", "charged5", split),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(OutputError):
        make_nri_dataset("charged", tmp_path / "a", **kwargs)
    with pytest.raises(InputError, match="unknown system"):
        make_nri_dataset("gravity", tmp_path / "c", **kwargs)
