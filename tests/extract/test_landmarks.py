import numpy as np
import pytest

from duetgraph.extract.landmarks import MEDIAPIPE33, RECIPES, map_landmarks, mapping_matrix
from duetgraph.skeleton import H36M17


def test_every_joint_is_a_weighted_mean_of_landmarks():
    w = mapping_matrix("h36m17")
    assert w.shape == (17, 33)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert (w >= 0).all()
    assert set(RECIPES["h36m17"]) == set(H36M17.joint_names)


def test_sides_are_never_swapped():
    """A left (right) joint uses only left (right) landmarks; midline joints use both equally."""
    w = mapping_matrix("h36m17")
    for j, joint in enumerate(H36M17.joint_names):
        used = [MEDIAPIPE33[k] for k in np.flatnonzero(w[j])]
        for side in ("left_", "right_"):
            if joint.startswith(side):
                assert all(name.startswith(side) for name in used), (joint, used)
        if not joint.startswith(("left_", "right_")):
            left = w[j, [k for k, n in enumerate(MEDIAPIPE33) if n.startswith("left_")]].sum()
            right = w[j, [k for k, n in enumerate(MEDIAPIPE33) if n.startswith("right_")]].sum()
            assert left == pytest.approx(right), joint


def test_mapping_commutes_with_translation_and_keeps_direct_landmarks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, 33, 3)).astype(np.float32)
    shift = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(map_landmarks(x + shift), map_landmarks(x) + shift, atol=1e-5)
    j = map_landmarks(x)
    assert j.shape == (4, 5, 17, 3)
    np.testing.assert_array_equal(j[..., H36M17.index("left_wrist"), :], x[..., 15, :])
    np.testing.assert_allclose(j[..., 0, :], (x[..., 23, :] + x[..., 24, :]) / 2, atol=1e-6)


def test_scalar_values_map_too():
    vis = np.zeros((2, 33), dtype=np.float32)
    vis[:, MEDIAPIPE33.index("left_hip")] = 1.0
    out = map_landmarks(vis)
    assert out.shape == (2, 17)
    assert out[0, H36M17.index("pelvis")] == pytest.approx(0.5)
    assert out[0, H36M17.index("left_hip")] == 1.0 and out[0, H36M17.index("right_hip")] == 0.0


def test_unknown_skeleton_is_refused_by_name():
    with pytest.raises(KeyError, match="h36m17"):
        mapping_matrix("smpl29")
