import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.sim.kuramoto import (
    KURAMOTO_FEATURES,
    KuramotoConfig,
    KuramotoInitial,
    integrate_kuramoto,
    integrate_kuramoto_loop,
    sample_kuramoto_initial,
    simulate_kuramoto,
)


def test_shapes_frame_counts_and_feature_layout():
    traj = simulate_kuramoto(3, np.random.default_rng(0))
    assert traj.features.shape == (3, 49, len(KURAMOTO_FEATURES), 5)  # (S, T, F, n)
    assert traj.phases.shape == (3, 49, 5) and traj.edges.shape == (3, 5, 5)
    omega = KURAMOTO_FEATURES.index("omega")
    sin = KURAMOTO_FEATURES.index("sin_theta")
    np.testing.assert_array_equal(traj.features[:, :, sin], np.sin(traj.phases))
    np.testing.assert_array_equal(
        traj.features[:, :, omega], np.broadcast_to(traj.frequencies[:, None], (3, 49, 5))
    )
    test = simulate_kuramoto(2, np.random.default_rng(0), KuramotoConfig(n_steps=1000))
    assert test.features.shape == (2, 99, 3, 5)


def test_graphs_are_symmetric_and_frequencies_in_range():
    init = sample_kuramoto_initial(2000, np.random.default_rng(1))
    np.testing.assert_array_equal(init.edges, init.edges.transpose(0, 2, 1))
    assert not init.edges[:, np.arange(5), np.arange(5)].any()
    assert init.edges[:, 0, 1].mean() == pytest.approx(0.5, abs=0.04)
    assert init.frequencies.min() >= 1.0 and init.frequencies.max() < 10.0


def test_uncoupled_oscillators_turn_at_their_natural_frequency():
    cfg = KuramotoConfig(edge_prob=0.0)
    traj = simulate_kuramoto(4, np.random.default_rng(2), cfg)
    t = cfg.dt * cfg.sample_every * np.arange(1, cfg.n_frames + 1)  # frame times
    theta0 = traj.phases[:, :1] - traj.frequencies[:, None] * t[0]
    np.testing.assert_allclose(traj.phases, theta0 + traj.frequencies[:, None] * t[None, :, None])
    np.testing.assert_allclose(
        traj.features[:, :, 0], np.broadcast_to(traj.frequencies[:, None], (4, 49, 5))
    )


def test_coupling_pulls_equal_oscillators_into_phase():
    edges = np.array([[[0, 1], [1, 0]], [[0, 0], [0, 0]]])
    init = KuramotoInitial(np.array([[0.0, 1.0]] * 2), np.full((2, 2), 5.0), edges)
    traj = integrate_kuramoto(init, KuramotoConfig(n_balls=2))
    gap = traj.phases[:, -1, 1] - traj.phases[:, -1, 0]
    assert abs(gap[0]) < 0.1  # coupled: attracted to the same phase
    assert gap[1] == pytest.approx(1.0)  # uncoupled: the gap stays


def test_vectorised_equals_loop_reference():
    init = sample_kuramoto_initial(5, np.random.default_rng(3))
    cfg = KuramotoConfig(coupling=3.0)
    fast = integrate_kuramoto(init, cfg, chunk_size=2)
    slow = integrate_kuramoto_loop(init, cfg)
    np.testing.assert_allclose(fast.phases, slow.phases, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.features, slow.features, rtol=0, atol=1e-9)


def test_same_seed_same_result_and_different_seeds_differ():
    a = simulate_kuramoto(3, np.random.default_rng(4))
    b = simulate_kuramoto(3, np.random.default_rng(4), chunk_size=1)
    c = simulate_kuramoto(3, np.random.default_rng(5))
    np.testing.assert_array_equal(a.features, b.features)
    assert not np.allclose(a.features, c.features)


def test_bad_settings_raise_input_error():
    with pytest.raises(InputError, match="freq_min"):
        KuramotoConfig(freq_min=3.0, freq_max=2.0)
    with pytest.raises(InputError, match="multiple"):
        KuramotoConfig(n_steps=505)
