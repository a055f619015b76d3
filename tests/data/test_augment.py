import math

import numpy as np
import pytest
import torch

from duetgraph.data.augment import (
    expand_rotations,
    random_rotation,
    rotate_about_z,
    rotate_features,
)
from duetgraph.data.windows import frame_features


def trajectories(batch=3, n_frames=6, n_nodes=4, seed=0):
    """(B, T, N, 3) positions and their (B, T, N, 6) features."""
    pos = np.random.default_rng(seed).normal(size=(batch, n_frames, n_nodes, 3)).astype(np.float32)
    return pos, np.stack([frame_features(p) for p in pos])


def test_quarter_turn_is_counter_clockwise_about_z():
    np.testing.assert_allclose(
        rotate_about_z(np.array([1.0, 0.0, 2.0]), math.pi / 2), [0, 1, 2], atol=1e-12
    )


def test_rotation_keeps_distances_heights_and_moves_the_centre_nowhere():
    pos, feats = trajectories()
    centre = np.array([[1.0, 2.0, 9.0], [0.0, 0.0, 0.0], [-3.0, 0.5, 1.0]], dtype=np.float32)
    rng = np.random.default_rng(1)
    rotated, angles = random_rotation(feats, rng, centre)
    assert rotated.shape == feats.shape and rotated.dtype == np.float32
    assert np.all(angles > 0) and np.ptp(angles) > 0
    p = rotated[..., :3]
    dist = lambda q: np.linalg.norm(q[:, :, :, None] - q[:, :, None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(dist(p), dist(pos), atol=1e-5)
    np.testing.assert_array_equal(p[..., 2], pos[..., 2])
    np.testing.assert_array_equal(rotated[..., 5], feats[..., 5])
    # Distance to the vertical axis through the centre is kept: it is the rotation axis.
    radius = lambda q: np.linalg.norm(q[..., :2] - centre[:, None, None, :2], axis=-1)  # noqa: E731
    np.testing.assert_allclose(radius(p), radius(pos), atol=1e-5)
    assert not np.allclose(p, pos, atol=1e-2)


def test_velocities_rotate_consistently_with_positions():
    pos, feats = trajectories()
    angles = np.array([0.3, 2.0, -1.0])
    centre = np.array([0.5, -0.5, 0.0])
    rotated = rotate_features(feats, angles, centre)
    # Rotating the trajectory and then taking backward differences gives the same features
    # (except the duet's first frame, whose velocity is 0 either way).
    recomputed = np.stack([frame_features(p) for p in rotated[..., :3]])
    np.testing.assert_allclose(recomputed, rotated, atol=1e-5)


def test_torch_and_numpy_agree_and_generators_are_reproducible():
    _, feats = trajectories()
    angles = np.array([0.1, 0.2, 0.3])
    centre = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.0], [4.0, 4.0, 4.0]], dtype=np.float32)
    np.testing.assert_allclose(
        rotate_features(torch.from_numpy(feats), torch.from_numpy(angles), centre).numpy(),
        rotate_features(feats, angles, centre),
        atol=1e-5,
    )
    a = random_rotation(torch.from_numpy(feats), torch.Generator().manual_seed(4))[1]
    b = random_rotation(torch.from_numpy(feats), torch.Generator().manual_seed(4))[1]
    assert torch.equal(a, b)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_expansion_gives_k_copies_copy_major(kind):
    _, feats = trajectories()
    x = torch.from_numpy(feats) if kind == "torch" else feats
    out, angles = expand_rotations(x, 4)
    out, angles = np.asarray(out), np.asarray(angles)
    assert out.shape == (12,) + feats.shape[1:]
    np.testing.assert_allclose(angles, np.repeat([0, 0.5, 1.0, 1.5], 3) * math.pi)
    np.testing.assert_allclose(out[:3], feats, atol=1e-6)  # copy 0 is the original
    np.testing.assert_allclose(out[6:9, ..., :2], -feats[..., :2], atol=1e-5)  # half turn
    random_out, random_angles = expand_rotations(feats, 2, np.random.default_rng(0))
    assert len(set(np.round(random_angles, 6))) == 2
