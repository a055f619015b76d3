import dataclasses

import numpy as np
import pytest
import torch

from duetgraph.data.physics import (
    SQUARE_SYMMETRIES,
    PhysicsNormalisation,
    edge_labels,
    load_physics_split,
    physics_features,
    transform_features,
)
from duetgraph.errors import InputError
from duetgraph.sim.charged import ChargedConfig, integrate_charged, sample_charged_initial


def arrays(S=4, T=6, n=3, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    loc = rng.normal(size=(S, T, 2, n)) * 3.0 * scale
    vel = rng.normal(size=(S, T, 2, n)) * 0.2 * scale
    edges = rng.integers(0, 2, size=(S, n, n))
    return loc, vel, edges


def test_features_are_nri_normalised_and_ordered():
    loc, vel, _ = arrays()
    stats = PhysicsNormalisation.from_train(loc, vel)
    x = physics_features(loc, vel, stats)
    assert x.shape == (4, 6, 3, 4) and x.dtype == np.float32
    assert x[..., :2].min() == pytest.approx(-1) and x[..., :2].max() == pytest.approx(1)
    assert x[..., 2:].min() == pytest.approx(-1) and x[..., 2:].max() == pytest.approx(1)
    # sample 1, frame 2, ball 0: (x, y, vx, vy) from the (S, T, 2, n) layout
    s, t, i = 1, 2, 0
    want_x = (loc[s, t, 0, i] - loc.min()) * 2 / (loc.max() - loc.min()) - 1
    want_vy = (vel[s, t, 1, i] - vel.min()) * 2 / (vel.max() - vel.min()) - 1
    assert x[s, t, i, 0] == pytest.approx(want_x, abs=1e-6)
    assert x[s, t, i, 3] == pytest.approx(want_vy, abs=1e-6)


def test_other_splits_use_the_train_statistics():
    loc, vel, _ = arrays()
    stats = PhysicsNormalisation.from_train(loc, vel)
    loc2, vel2, _ = arrays(seed=1, scale=2.0)
    x = physics_features(loc2, vel2, stats)
    assert x[..., :2].max() > 1.0  # larger test data leave [-1, 1]: mapped with train's range
    assert PhysicsNormalisation.from_dict(stats.to_dict()) == stats


def test_edge_labels_follow_nri_convention():
    # charged: products of charges ±1 → 1 for same sign; springs 0/1 stay as they are
    q = np.array([1, -1, 1])
    charged = (q[:, None] * q[None, :])[None]
    assert edge_labels(charged, [(0, 1), (0, 2), (2, 1)]).tolist() == [[0, 1, 0]]
    # asymmetric matrix: (send, recv) reads edges[recv, send], the force on recv from send
    m = np.zeros((1, 3, 3), dtype=int)
    m[0, 2, 0] = 1
    assert edge_labels(m, [(0, 2), (2, 0)]).tolist() == [[1, 0]]


def test_bad_inputs_raise_clear_errors():
    loc, vel, edges = arrays()
    with pytest.raises(InputError, match="empty or not finite"):
        PhysicsNormalisation.from_train(np.zeros(3), vel)
    with pytest.raises(InputError, match=r"\(S, T, 2, N\)"):
        physics_features(loc[..., 0], vel[..., 0], PhysicsNormalisation.from_train(loc, vel))
    with pytest.raises(InputError, match="outside"):
        edge_labels(edges, [(0, 5)])


def write_nri(folder, suffix, split, loc, vel, edges):
    folder.mkdir(exist_ok=True)
    for name, a in (("loc", loc), ("vel", vel), ("edges", edges)):
        np.save(folder / f"{name}_{split}_{suffix}.npy", a)


def test_load_split_from_nri_files(tmp_path):
    loc, vel, edges = arrays(S=5)
    write_nri(tmp_path, "springs3", "train", loc, vel, edges)
    write_nri(tmp_path, "springs3", "valid", *arrays(S=3, seed=2))
    train, stats = load_physics_split(tmp_path, "springs3", "train")
    assert len(train) == 5 and train.n_nodes == 3 and train.n_frames == 6
    assert stats == PhysicsNormalisation.from_train(loc, vel)
    assert train.edge_types.tolist() == (edges > 0).astype(int).tolist()
    assert train.edge_labels([(0, 1), (1, 0)]).shape == (5, 2)
    valid, same = load_physics_split(tmp_path, "springs3", "valid", stats, max_sims=2)
    assert len(valid) == 2 and same is stats
    with pytest.raises(InputError, match="train statistics"):
        load_physics_split(tmp_path, "springs3", "valid")


def test_square_symmetries_are_the_eight_turns_and_mirrors_of_the_box():
    mats = [np.array(m) for m in SQUARE_SYMMETRIES]
    assert len({m.tobytes() for m in mats}) == 8
    assert any((m == np.eye(2)).all() for m in mats)
    for a in mats:
        assert (a @ a.T == np.eye(2)).all()  # orthogonal: lengths and the box are kept
        for b in mats:  # closed under composition: a group
            assert any((a @ b == c).all() for c in mats)


@pytest.mark.parametrize("m", SQUARE_SYMMETRIES)
def test_transformed_features_are_the_features_of_the_transformed_motion(m):
    loc, vel, _ = arrays(scale=1.0)
    loc, vel = loc + 0.7, vel - 0.1  # train ranges not centred on zero
    stats = PhysicsNormalisation.from_train(loc, vel)
    turn = lambda a: np.einsum("ij,stjn->stin", np.array(m, dtype=float), a)  # noqa: E731
    want = physics_features(turn(loc), turn(vel), stats)
    got = transform_features(torch.tensor(physics_features(loc, vel, stats)), m, stats)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want, atol=2e-6)


@pytest.mark.parametrize("m", SQUARE_SYMMETRIES[1:])
def test_the_charged_box_physics_is_unchanged_by_each_symmetry(m):
    """Walls at ±box_size and the per-component force clip are kept by exactly these 8 maps."""
    config = ChargedConfig(n_balls=4, n_steps=1200, sample_every=100, box_size=1.5)  # walls hit
    initial = sample_charged_initial(6, np.random.default_rng(3), config)
    R = np.array(m, dtype=float)
    turned = dataclasses.replace(
        initial,
        positions=np.einsum("ij,sjn->sin", R, initial.positions),
        velocities=np.einsum("ij,sjn->sin", R, initial.velocities),
    )
    a, b = integrate_charged(initial, config), integrate_charged(turned, config)
    np.testing.assert_allclose(np.einsum("ij,stjn->stin", R, a.positions), b.positions, atol=1e-9)


def test_transform_features_checks_its_arguments():
    stats = PhysicsNormalisation(-1.0, 1.0, -1.0, 1.0)
    with pytest.raises(ValueError, match="2×2"):
        transform_features(torch.zeros(2, 3, 4), [[1, 0, 0]], stats)
    with pytest.raises(ValueError, match="x, y, vx, vy"):
        transform_features(torch.zeros(2, 3, 6), SQUARE_SYMMETRIES[0], stats)
