import numpy as np
import pytest

from duetgraph.extract.camera import project, solve_translation


def _poses(rng, m=6, n=33):
    """Hip-centred bodies about 1.7 m tall, camera axes (y down)."""
    body = rng.normal(scale=[0.25, 0.45, 0.12], size=(m, n, 3))
    return body - body.mean(axis=1, keepdims=True)


def test_recovers_the_translation_that_made_the_image():
    rng = np.random.default_rng(0)
    points = _poses(rng)
    truth = np.column_stack(
        [rng.uniform(-2, 2, 6), rng.uniform(-0.5, 1.0, 6), rng.uniform(2, 9, 6)]
    )
    f, c = 1100.0, (640.0, 360.0)
    pixels = project(points + truth[:, None], f, c)
    weight = rng.uniform(0.0, 1.0, size=points.shape[:2])
    t = solve_translation(points, pixels, weight, f, c)
    np.testing.assert_allclose(t, truth, atol=1e-6)
    np.testing.assert_allclose(project(points + t[:, None], f, c), pixels, atol=1e-4)


def test_batched_solution_equals_one_pose_at_a_time_and_weights_matter():
    rng = np.random.default_rng(1)
    points = _poses(rng, m=5)
    truth = np.column_stack([rng.uniform(-1, 1, 5), np.zeros(5), rng.uniform(3, 6, 5)])
    f, c = 800.0, (320.0, 240.0)
    pixels = project(points + truth[:, None], f, c) + rng.normal(scale=3.0, size=(5, 33, 2))
    weight = rng.uniform(0.1, 1.0, size=(5, 33))
    batched = solve_translation(points, pixels, weight, f, c)
    single = np.concatenate(
        [
            solve_translation(points[i : i + 1], pixels[i : i + 1], weight[i : i + 1], f, c)
            for i in range(5)
        ]
    )
    np.testing.assert_allclose(batched, single, rtol=1e-12)
    # Corrupt one landmark badly: at weight 0 (clipped to 0.05) it moves the answer less.
    bad = pixels.copy()
    bad[:, 0] += 200.0
    low = weight.copy()
    low[:, 0] = 0.0
    high = weight.copy()
    high[:, 0] = 1.0
    err_low = np.abs(solve_translation(points, bad, low, f, c) - truth).max()
    err_high = np.abs(solve_translation(points, bad, high, f, c) - truth).max()
    assert err_low < err_high


def test_a_fit_behind_the_camera_falls_back_to_weak_perspective():
    """Pixels of the body turned upside down (x, y negated) are best explained by the body
    behind the camera (the projection flips it back); the fallback keeps it in front, at the
    depth its size says."""
    rng = np.random.default_rng(2)
    points = _poses(rng, m=1)
    f, c = 1000.0, (640.0, 360.0)
    pixels = project(points * [-1.0, -1.0, 1.0] + [0.3, 0.2, 4.0], f, c)
    t = solve_translation(points, pixels, np.ones((1, 33)), f, c)
    np.testing.assert_allclose(t[0], [0.3, 0.2, 4.0], atol=0.05)


def test_no_poses_gives_an_empty_answer():
    t = solve_translation(
        np.zeros((0, 33, 3)), np.zeros((0, 33, 2)), np.zeros((0, 33)), 1.0, (0, 0)
    )
    assert t.shape == (0, 3)


@pytest.mark.parametrize("f", [500.0, 2000.0])
def test_project_is_a_pinhole(f):
    uv = project(np.array([[1.0, -0.5, 4.0]]), f, (100.0, 50.0))
    np.testing.assert_allclose(uv, [[100.0 + f / 4, 50.0 - f / 8]])
