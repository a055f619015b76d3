import numpy as np
import pytest
import torch

from duetgraph import Duet, InputError
from duetgraph.data.joints import select_joints
from duetgraph.data.windows import (
    duet_windows,
    flatten_time,
    frame_features,
    sliding_windows,
    unflatten_time,
    window_starts,
)


def make_duet(n_frames=50, fps=10.0, seed=0):
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(scale=0.05, size=(n_frames, 2, 1, 3)), axis=0)
    body = rng.normal(scale=0.3, size=(1, 2, 29, 3)) + [0, 0, 1.0]
    return Duet((walk + body).astype(np.float32), fps=fps)


def test_features_are_position_then_backward_difference():
    pos = np.random.default_rng(1).normal(size=(20, 4, 3)).astype(np.float32)
    f = frame_features(pos)
    assert f.shape == (20, 4, 6) and f.dtype == np.float32
    np.testing.assert_array_equal(f[..., :3], pos)
    np.testing.assert_array_equal(f[0, :, 3:], 0.0)
    np.testing.assert_allclose(f[1:, :, 3:], pos[1:] - pos[:-1])
    # x_t = x_{t-1} + v_t holds (backward) ...
    np.testing.assert_allclose(f[1:, :, :3], f[:-1, :, :3] + f[1:, :, 3:], atol=1e-6)
    # ... but the forward-difference leak x_t = x_{t-1} + v_{t-1} does not.
    assert not np.allclose(f[2:, :, :3], f[1:-1, :, :3] + f[1:-1, :, 3:], atol=1e-3)


def test_target_frame_is_not_computable_from_the_previous_frame():
    pos = np.random.default_rng(2).normal(size=(10, 3, 3)).astype(np.float32)
    other = pos.copy()
    other[6] += 0.5  # same past, different frame 6
    f, g = frame_features(pos), frame_features(other)
    np.testing.assert_array_equal(f[:6], g[:6])  # every feature up to frame 5 agrees ...
    assert not np.allclose(f[6], g[6])  # ... yet frame 6 differs: no function of them gives it


def test_windows_are_views_with_times_and_the_first_velocity_looks_back():
    duet = make_duet(n_frames=50)
    sel = select_joints("smpl29", "pelvis,right_wrist")
    w = duet_windows(duet, sel, length=8, stride=3)
    assert w.n_windows == (50 - 8) // 3 + 1 == len(window_starts(50, 8, 3))
    assert w.features.shape == (w.n_windows, 8, 4, 6)
    assert w.positions.shape == (w.n_windows, 8, 4, 3)
    assert np.shares_memory(w.features, w.frames)  # strided view, no copy
    np.testing.assert_allclose(w.times, np.arange(0, 43, 3) / 10.0)
    wrist = duet.positions[:, 0, 21]
    np.testing.assert_array_equal(w.positions[2, :, 1], wrist[6:14])
    np.testing.assert_allclose(w.features[2, 0, 1, 3:], wrist[6] - wrist[5])  # frame before window
    np.testing.assert_array_equal(w.features[0, 0, :, 3:], 0.0)  # duet's first frame
    np.testing.assert_array_equal(w.take(np.array([4, 2])), w.features[[4, 2]])
    assert w.node_names == ("A:pelvis", "A:right_wrist", "B:pelvis", "B:right_wrist")


def test_sliding_windows_match_a_loop_for_any_starts():
    x = np.arange(30 * 2).reshape(30, 2)
    for starts in (np.array([0, 4, 8, 12]), np.array([3, 1, 20]), np.array([5])):
        got = sliding_windows(x, starts, 6)
        np.testing.assert_array_equal(got, np.stack([x[s : s + 6] for s in starts]))


def test_too_short_duets_are_rejected_with_numbers():
    with pytest.raises(InputError, match="5 frames.*needs 8"):
        duet_windows(make_duet(n_frames=5), select_joints("smpl29", "all"), length=8)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_flatten_time_matches_a_loop_and_inverts(kind):
    x = np.random.default_rng(3).normal(size=(2, 5, 4, 6)).astype(np.float32)
    ref = np.zeros((2, 4, 30), dtype=np.float32)
    for b in range(2):
        for n in range(4):
            for t in range(5):
                ref[b, n, t * 6 : (t + 1) * 6] = x[b, t, n]
    arr = torch.from_numpy(x) if kind == "torch" else x
    flat = flatten_time(arr)
    np.testing.assert_array_equal(np.asarray(flat), ref)
    np.testing.assert_array_equal(np.asarray(unflatten_time(flat, 5)), x)
    # The bug this guards against: a bare reshape mixes joints and time.
    assert not np.array_equal(x.reshape(2, 4, 30), ref)
