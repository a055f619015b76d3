import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.sim.charged import (
    ChargedConfig,
    charge_edges,
    charged_force,
    charged_force_one,
    integrate_charged,
    integrate_charged_loop,
    sample_charged_initial,
    simulate_charged,
)
from duetgraph.sim.leapfrog import InitialState


def test_shapes_and_nri_frame_counts():
    train = simulate_charged(3, np.random.default_rng(0))
    assert train.positions.shape == train.velocities.shape == (3, 49, 2, 5)
    assert train.edges.shape == (3, 5, 5) and train.charges.shape == (3, 5)
    test = simulate_charged(2, np.random.default_rng(0), ChargedConfig(n_steps=10_000))
    assert test.positions.shape == (2, 99, 2, 5)


def test_edges_say_whether_charges_have_the_same_sign():
    init = sample_charged_initial(3000, np.random.default_rng(1))
    q = init.charges
    assert set(np.unique(q)) == {-1.0, 1.0} and (q > 0).mean() == pytest.approx(0.5, abs=0.02)
    i, j = np.triu_indices(5, k=1)
    np.testing.assert_array_equal(init.edges[:, i, j], (q[:, i] == q[:, j]).astype(int))
    np.testing.assert_array_equal(init.edges, init.edges.transpose(0, 2, 1))
    assert not init.edges[:, np.arange(5), np.arange(5)].any()
    np.testing.assert_array_equal(
        charge_edges(np.array([[1.0, -1.0, 1.0]]))[0], [[0, 0, 1], [0, 0, 0], [1, 0, 0]]
    )


def test_coulomb_force_value_and_direction():
    x = np.array([[[0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]])  # (1, 2, 3)
    q = np.array([[1.0, 1.0, -1.0]])
    f = charged_force(q, 1.0)(x)[0]
    # on ball 0: repelled by ball 1 (+x away → −x) and attracted by ball 2 (towards +y)
    np.testing.assert_allclose(f[:, 0], [-2 / 8, 3 / 27])
    np.testing.assert_allclose(f.sum(axis=1), 0.0, atol=1e-15)  # Newton's third law
    np.testing.assert_allclose(charged_force_one(q[0], 1.0)(x[0]), f)


def test_like_charges_separate_and_opposite_charges_meet():
    pos = np.array([[[-0.5, 0.5], [0.0, 0.0]]] * 2)  # two balls 1 apart, at rest
    init = InitialState(
        pos,
        np.zeros_like(pos),
        charge_edges(np.array([[1.0, 1.0], [1.0, -1.0]])),
        np.array([[1.0, 1.0], [1.0, -1.0]]),
    )
    traj = integrate_charged(init, ChargedConfig(n_balls=2, n_steps=300, sample_every=100))
    gap = traj.positions[:, -1, 0, 1] - traj.positions[:, -1, 0, 0]
    assert gap[0] > 1.0 and gap[1] < 1.0


def test_vectorised_equals_loop_reference_with_walls_and_clipping():
    init = sample_charged_initial(5, np.random.default_rng(2))
    pos, vel = init.positions.copy(), init.velocities.copy()
    pos[0, :, 0], vel[0, :, 0] = [4.999, 0.0], [0.5, 0.0]  # hits the right wall
    pos[1, :, 1] = pos[1, :, 0] + 0.05  # close pair: |F| = 1 / 0.005 > 100, clipped
    init = InitialState(pos, vel, init.edges, init.charges)
    assert np.abs(charged_force(init.charges, 1.0)(pos)).max() > 100
    cfg = ChargedConfig(n_steps=2000)
    fast = integrate_charged(init, cfg, chunk_size=2)
    slow = integrate_charged_loop(init, cfg)
    np.testing.assert_allclose(fast.positions, slow.positions, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.velocities, slow.velocities, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.edges, slow.edges)
    assert np.abs(fast.positions).max() <= cfg.box_size


def test_same_seed_same_result_and_different_seeds_differ():
    cfg = ChargedConfig(n_steps=1000)
    a = simulate_charged(4, np.random.default_rng(5), cfg)
    b = simulate_charged(4, np.random.default_rng(5), cfg, chunk_size=1)
    c = simulate_charged(4, np.random.default_rng(6), cfg)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.charges, b.charges)
    assert not np.allclose(a.positions, c.positions)


def test_missing_charges_and_bad_settings_raise_input_error():
    init = sample_charged_initial(2, np.random.default_rng(0))
    with pytest.raises(InputError, match="charges"):
        integrate_charged(InitialState(init.positions, init.velocities, init.edges))
    with pytest.raises(InputError, match="at least 2 balls"):
        ChargedConfig(n_balls=1)
