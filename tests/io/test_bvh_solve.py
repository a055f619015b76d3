import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from duetgraph.io.bvh import _euler_to_matrix  # the reader's Euler convention
from duetgraph.io.bvh_solve import euler_degrees, kabsch_rotation, swing_rotation


def test_swing_rotation_matches_scipy_align_vectors_and_has_no_twist():
    rng = np.random.default_rng(1)
    a = rng.normal(size=3)
    a /= np.linalg.norm(a)
    b = rng.normal(size=(50, 3)) * rng.uniform(0.1, 3, size=(50, 1))
    b[0], b[1] = -2 * a, 3 * a  # opposite and parallel
    rot = swing_rotation(a, b)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-9)
    np.testing.assert_allclose(rot @ a, b / np.linalg.norm(b, axis=1, keepdims=True), atol=1e-9)
    for t in range(2, 50):  # loop reference: scipy's single-vector alignment is the minimal one
        ref, _ = Rotation.align_vectors(b[t][None], a[None])
        np.testing.assert_allclose(rot[t], ref.as_matrix(), atol=1e-8)
    # Swing only: the rotation axis is perpendicular to the rest bone (no twist about it).
    axes = Rotation.from_matrix(rot[2:]).as_rotvec()
    np.testing.assert_allclose(axes @ a, 0.0, atol=1e-8)
    np.testing.assert_allclose(swing_rotation(a, np.zeros((1, 3))), np.eye(3)[None], atol=1e-12)


def test_kabsch_recovers_rotations_and_never_reflects():
    rng = np.random.default_rng(2)
    source = rng.normal(size=(3, 3))
    truth = Rotation.random(40, random_state=3).as_matrix()
    target = np.einsum("tij,cj->tci", truth, source)
    np.testing.assert_allclose(kabsch_rotation(source, target), truth, atol=1e-9)
    mirrored = target * np.array([-1.0, 1.0, 1.0])  # a reflection is not a rotation
    rot = kabsch_rotation(source, mirrored)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-9)


def test_euler_angles_rebuild_every_rotation_in_the_readers_convention():
    rots = Rotation.random(300, random_state=4).as_matrix()
    gimbal = Rotation.from_euler("ZXY", [[30, 90, 10], [-70, -90, 45], [0, 90, 0]], degrees=True)
    rots = np.concatenate([rots, gimbal.as_matrix()])[:, None]  # (T, 1, 3, 3)
    for order in ("ZXY", "XYZ", "YZX"):
        angles = euler_degrees(rots, order)[:, 0]  # (T, 3)
        np.testing.assert_allclose(_euler_to_matrix(angles, order), rots[:, 0], atol=1e-9)


def test_euler_channels_are_unwrapped_over_time():
    turn = np.linspace(0, 3 * 360, 200)  # three turns about y, plus a tilt
    rots = Rotation.from_euler("ZXY", np.stack([turn * 0 + 20, turn * 0 + 10, turn], 1), True)
    angles = euler_degrees(rots.as_matrix()[:, None], "ZXY")[:, 0]
    assert np.abs(np.diff(angles, axis=0)).max() < 10.0
    assert angles[-1, 2] - angles[0, 2] == pytest.approx(3 * 360, abs=1e-6)
