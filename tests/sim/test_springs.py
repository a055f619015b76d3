import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.sim.leapfrog import InitialState
from duetgraph.sim.springs import (
    SpringsConfig,
    integrate_springs,
    integrate_springs_loop,
    sample_springs_initial,
    simulate_springs,
    springs_energy,
    springs_force,
    springs_force_one,
)


def test_shapes_and_nri_frame_counts():
    train = simulate_springs(3, np.random.default_rng(0))
    assert train.positions.shape == train.velocities.shape == (3, 49, 2, 5)
    assert train.edges.shape == (3, 5, 5) and train.edges.dtype == np.int64
    test = simulate_springs(2, np.random.default_rng(0), SpringsConfig(n_steps=10_000))
    assert test.positions.shape == (2, 99, 2, 5)
    assert SpringsConfig(n_balls=10).n_frames == 49


def test_graphs_are_symmetric_without_self_loops_and_half_connected():
    edges = sample_springs_initial(4000, np.random.default_rng(1)).edges
    assert set(np.unique(edges)) == {0, 1}
    np.testing.assert_array_equal(edges, edges.transpose(0, 2, 1))
    assert not edges[:, np.arange(5), np.arange(5)].any()
    upper = edges[:, *np.triu_indices(5, k=1)]
    assert upper.mean() == pytest.approx(0.5, abs=0.02)


def test_initial_speed_and_spread_follow_nri():
    init = sample_springs_initial(4000, np.random.default_rng(2))
    np.testing.assert_allclose(np.linalg.norm(init.velocities, axis=1), 0.5)
    assert init.positions.std() == pytest.approx(0.5, rel=0.03)


def test_same_seed_same_result_and_different_seeds_differ():
    cfg = SpringsConfig(n_steps=1000)
    a = simulate_springs(4, np.random.default_rng(7), cfg)
    b = simulate_springs(4, np.random.default_rng(7), cfg, chunk_size=3)
    c = simulate_springs(4, np.random.default_rng(8), cfg)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.edges, b.edges)
    assert not np.allclose(a.positions, c.positions)


def test_force_pulls_connected_balls_together():
    edges = np.zeros((1, 3, 3), dtype=np.int64)
    edges[0, 0, 1] = edges[0, 1, 0] = 1
    x = np.array([[[0.0, 2.0, 9.0], [0.0, 0.0, 0.0]]])  # ball 2 is unconnected
    f = springs_force(edges, 0.1)(x)
    np.testing.assert_allclose(f[0], [[0.2, -0.2, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(springs_force_one(edges[0], 0.1)(x[0]), f[0])


def wall_and_clip_state():
    """Initial states that hit the walls and, with strong springs, the force clip."""
    init = sample_springs_initial(4, np.random.default_rng(3))
    pos, vel = init.positions.copy(), init.velocities.copy()
    pos[0, 0, 0], vel[0, 0, 0] = 4.999, 0.5  # ball 0 of sim 0 hits the right wall at once
    pos[1, 1, 2], vel[1, 1, 2] = -4.99, -0.5  # ball 2 of sim 1 hits the bottom wall
    pos[2, :, 3] = [4.5, -4.5]  # far from the others: strong springs exceed the clip
    edges = init.edges.copy()
    edges[2] = 1 - np.eye(5, dtype=np.int64)
    return InitialState(pos, vel, edges)


@pytest.mark.parametrize("strength", [0.1, 20.0])
def test_vectorised_equals_loop_reference(strength):
    cfg = SpringsConfig(n_steps=2000, interaction_strength=strength)
    init = wall_and_clip_state()
    if strength > 1:  # the clip really is active at the start
        assert np.abs(springs_force(init.edges, strength)(init.positions)).max() > 100
    fast = integrate_springs(init, cfg, chunk_size=3)
    slow = integrate_springs_loop(init, cfg)
    np.testing.assert_allclose(fast.positions, slow.positions, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.velocities, slow.velocities, rtol=0, atol=1e-9)
    assert np.abs(fast.positions).max() <= cfg.box_size
    assert (fast.velocities[0, 0, 0, 0] < 0) and (fast.velocities[1, 0, 1, 2] > 0)  # bounced


def test_energy_is_conserved_without_walls_and_clipping():
    errors = []
    for dt, n_steps, every in [(0.001, 5000, 100), (0.0005, 10_000, 200)]:
        cfg = SpringsConfig(
            box_size=None, max_force=None, dt=dt, n_steps=n_steps, sample_every=every
        )
        traj = simulate_springs(50, np.random.default_rng(4), cfg)
        energy = springs_energy(traj.positions, traj.velocities, traj.edges, 0.1)  # (S, T)
        errors.append((np.abs(energy - energy[:, :1]) / energy[:, :1]).max())
    assert errors[0] < 1e-3
    # symplectic Euler with staggered velocities: the bounded error shrinks linearly with dt
    assert errors[1] < 0.6 * errors[0]


def test_energy_check_catches_wrong_physics():
    cfg = SpringsConfig(box_size=None, max_force=None, interaction_strength=-0.1)  # anti-springs
    traj = simulate_springs(20, np.random.default_rng(4), cfg)
    energy = springs_energy(traj.positions, traj.velocities, traj.edges, 0.1)
    assert (np.abs(energy - energy[:, :1]) / energy[:, :1]).max() > 1e-2


def test_bad_settings_raise_input_error():
    with pytest.raises(InputError, match="multiple of sample_every"):
        SpringsConfig(n_steps=150)
    with pytest.raises(InputError, match="no frame"):
        SpringsConfig(n_steps=100)
    with pytest.raises(InputError, match="edge_prob"):
        SpringsConfig(edge_prob=1.5)
