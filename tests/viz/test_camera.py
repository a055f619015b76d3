import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.viz.camera import Camera, fit_camera, scene_bounds


def test_fitted_box_fills_the_image_and_stays_in_front():
    lo, hi = np.array([-1.0, -0.5, 0.0]), np.array([1.0, 0.5, 1.8])
    cam = fit_camera(lo, hi, 640, 360, azimuth_deg=-60, elevation_deg=20, margin=0.05)
    corners = np.stack(np.meshgrid(*zip(lo, hi, strict=True), indexing="ij"), -1).reshape(-1, 3)
    xy, depth = cam.project(corners)
    assert (depth > 0).all()
    assert xy[:, 0].min() >= 640 * 0.05 - 1e-6 and xy[:, 0].max() <= 640 * 0.95 + 1e-6
    assert xy[:, 1].min() >= 360 * 0.05 - 1e-6 and xy[:, 1].max() <= 360 * 0.95 + 1e-6
    # The box touches the margin on at least one axis (it fills the image).
    span = xy.max(axis=0) - xy.min(axis=0)
    assert np.isclose(span[0], 640 * 0.9) or np.isclose(span[1], 360 * 0.9)


def test_axes_point_the_expected_way_from_the_audience():
    cam = Camera((0.0, 0.0, 1.0), 5.0, azimuth_deg=-90.0, elevation_deg=0.0, focal=100.0,
                 center=(50.0, 50.0))  # fmt: skip
    xy, depth = cam.project(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 2.0]]))
    np.testing.assert_allclose(xy[0], [50.0, 50.0])  # the target is at the centre
    assert xy[1, 0] > 50.0  # world +x (stage left) is image right seen from -y
    assert xy[2, 1] < 50.0  # up is up (image y grows downwards)
    np.testing.assert_allclose(depth, 5.0)


def test_camera_rejects_a_vertical_view():
    with pytest.raises(InputError, match="elevation"):
        Camera((0.0, 0.0, 0.0), 5.0, 0.0, 90.0, 100.0, (0.0, 0.0))


def test_scene_bounds_reach_the_floor(duet):
    lo, hi = scene_bounds(duet.positions, floor_z=-0.1)
    assert lo[2] == -0.1 and (hi > lo).all()
