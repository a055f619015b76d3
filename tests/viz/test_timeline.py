import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.viz.timeline import (
    active_strings,
    frame_p_string,
    plan_frames,
    shown_edges,
    string_opacity,
)


def test_plan_keeps_every_frame_at_the_duet_rate():
    plan = plan_frames(40, 10.0)
    assert plan.n_frames == 40 and not plan.reduced
    np.testing.assert_array_equal(plan.source_frame, np.arange(40))
    np.testing.assert_allclose(plan.times, np.arange(40) / 10.0)


def test_plan_at_a_reduced_rate_takes_the_nearest_frames_of_the_span():
    plan = plan_frames(300, 30.0, fps_out=10.0, start=2.0, end=5.0)
    assert plan.reduced and plan.n_frames == 30 and plan.fps == 10.0
    np.testing.assert_allclose(plan.times, 2.0 + np.arange(30) / 10.0)
    np.testing.assert_array_equal(plan.source_frame, 60 + 3 * np.arange(30))


@pytest.mark.parametrize("kw", [{"start": 5.0, "end": 5.0}, {"start": 99.0}, {"fps_out": 0.0}])
def test_plan_rejects_empty_spans_and_bad_rates(kw):
    with pytest.raises(InputError):
        plan_frames(40, 10.0, **kw)


def test_frame_p_is_the_mean_over_covering_windows(duet, make_posterior):
    rng = np.random.default_rng(1)
    post = make_posterior(duet, rng.uniform(size=(7, 18)), window=1.0, stride=0.5)
    times = np.arange(45) / 10.0  # runs past the last window's end (3.0 + 1.0 = 4.0 s)
    edges = np.array([0, 5, 17])
    got = frame_p_string(post, times, edges)
    for i, t in enumerate(times):  # loop reference
        cover = (post.window_start <= t) & (t < post.window_end)
        want = post.p_string[cover][:, edges].mean(axis=0) if cover.any() else np.nan
        np.testing.assert_allclose(got[i], want, atol=1e-6)
    assert np.isnan(got[-5:]).all() and not np.isnan(got[:40]).any()


def test_shown_edges_orders_by_peak_and_caps(duet, make_posterior):
    p = np.full((7, 18), 0.1)
    p[3, 4], p[0, 9], p[:, 2] = 0.9, 0.7, 0.6
    post = make_posterior(duet, p)
    np.testing.assert_array_equal(shown_edges(post, 0.5), [4, 9, 2])
    np.testing.assert_array_equal(shown_edges(post, 0.5, max_edges=2), [4, 9])
    assert shown_edges(post, 0.95).size == 0


def test_opacity_and_active_strings_follow_the_threshold():
    p = np.array([0.5, 0.8, 0.9, 1.0, np.nan])
    np.testing.assert_allclose(string_opacity(p, 0.8), [0.0, 0.35, 0.675, 1.0, 0.0])
    np.testing.assert_array_equal(active_strings(p, 0.8), [3, 2, 1])
