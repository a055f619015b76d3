import numpy as np

from duetgraph.io.axes import camera_to_zup, yup_to_zup, zup_to_yup


def test_camera_down_becomes_world_down_and_handedness_is_kept():
    # A point below the camera centre (image y down) must end below the horizon (z < 0).
    assert camera_to_zup(np.array([0.0, 1.0, 0.0]))[2] == -1.0
    ex, ey, ez = (camera_to_zup(v) for v in np.eye(3))
    np.testing.assert_allclose(np.cross(ex, ey), ez)


def test_yup_round_trip():
    x = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    np.testing.assert_allclose(zup_to_yup(yup_to_zup(x)), x)
    assert yup_to_zup(np.array([0.0, 1.0, 0.0]))[2] == 1.0


def test_camera_round_trip():
    from duetgraph.io.axes import zup_to_camera

    x = np.random.default_rng(1).normal(size=(5, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(zup_to_camera(camera_to_zup(x)), x)
    np.testing.assert_array_equal(camera_to_zup(zup_to_camera(x)), x)
