import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.analysis import body_part_summary, lead_follow, string_hubs, string_segments
from duetgraph.analysis.strings import interval_p_string, prior_gap, runs_to_mask, threshold_runs

EDGES = [("A:right_wrist", "B:left_shoulder"), ("B:left_shoulder", "A:right_wrist")]


def loop_segments(p, high, low, min_duration, start, end):
    """Slow reference: walk each edge through time with an on/off state."""
    out = []
    for e in range(p.shape[1]):
        w = 0
        while w < p.shape[0]:
            if p[w, e] >= low:
                k = w
                while k < p.shape[0] and p[k, e] >= low:
                    k += 1
                run = p[w:k, e]
                if run.max() >= high and end[k - 1] - start[w] >= min_duration:
                    out.append((e, w, k - 1, run.mean(), run.max()))
                w = k
            else:
                w += 1
    return sorted(out, key=lambda s: (start[s[1]], s[0]))


def test_segment_timing_and_confidence(make_posterior):
    p = np.array([[0.1, 0.1, 0.9, 0.95, 0.85, 0.1], [0.9, 0.1, 0.1, 0.1, 0.1, 0.81]]).T
    posterior = make_posterior(p, EDGES, window=1.0, stride=0.5)
    segs = string_segments(posterior, threshold=0.8)
    assert [(s.edge, s.first_window, s.last_window) for s in segs] == [
        (1, 0, 0),
        (0, 2, 4),
        (1, 5, 5),
    ]
    middle = segs[1]
    assert (middle.start, middle.end) == (1.0, 3.0)  # windows 2..4 cover [1.0, 2.0 + 1.0)
    assert middle.mean_p == pytest.approx(0.9, abs=1e-6)
    assert middle.max_p == pytest.approx(0.95, abs=1e-6)
    assert (middle.sender, middle.receiver) == (posterior.senders[0], posterior.receivers[0])


def test_hysteresis_bridges_dips_and_min_duration_drops_blips(make_posterior):
    p = np.array([[0.85, 0.75, 0.85, 0.5, 0.9, 0.72]]).T
    posterior = make_posterior(p, EDGES[:1])
    assert len(string_segments(posterior, 0.8)) == 3
    bridged = string_segments(posterior, 0.8, low_threshold=0.7)
    assert [(s.first_window, s.last_window) for s in bridged] == [(0, 2), (4, 5)]
    assert [s.duration for s in string_segments(posterior, 0.8, 0.7, min_duration=3.0)] == [3.0]
    with pytest.raises(InputError, match="hysteresis"):
        string_segments(posterior, 0.8, low_threshold=0.9)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("low", "min_duration"), [(None, 0.0), (0.6, 0.0), (0.5, 2.5)])
def test_vectorised_segments_match_a_loop(make_posterior, seed, low, min_duration):
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=(40, 7)) ** 0.5
    edges = [
        (f"A:{j}", f"B:{k}")
        for j, k in zip(
            ["head", "pelvis", "left_wrist", "right_wrist", "neck", "spine", "thorax"],
            ["head", "pelvis", "left_knee", "right_knee", "neck", "spine", "thorax"],
            strict=True,
        )
    ]
    posterior = make_posterior(p, edges, window=2.0, stride=1.0)
    p32 = posterior.p_string.astype(np.float64)
    want = loop_segments(
        p32,
        0.8,
        0.8 if low is None else low,
        min_duration,
        posterior.window_start,
        posterior.window_end,
    )
    got = string_segments(posterior, 0.8, low, min_duration)
    assert [(s.edge, s.first_window, s.last_window) for s in got] == [w[:3] for w in want]
    np.testing.assert_allclose([s.mean_p for s in got], [w[3] for w in want], rtol=1e-6)
    np.testing.assert_allclose([s.max_p for s in got], [w[4] for w in want], rtol=1e-6)
    col, first, stop = threshold_runs(p32, 0.8, low)
    mask = runs_to_mask(p32.shape, col, first, stop)
    if low is None:
        np.testing.assert_array_equal(mask, p32 >= 0.8)
    else:
        assert mask[p32 >= 0.8].all() and not mask[p32 < low].any()


def test_interval_probability_averages_windows_centred_inside(make_posterior):
    # Windows of 2 s every 1 s: centres at 1, 2, 3, 4 s; they cover [0, 5).
    p = np.array([[0.2, 0.4, 0.9, 1.0]]).T
    posterior = make_posterior(p, EDGES[:1], window=2.0, stride=1.0)
    starts = np.array([0.0, 1.0, 2.5, 0.2, 6.0])
    ends = np.array([2.5, 2.0, 4.5, 0.5, 7.0])
    got = interval_p_string(posterior, starts, ends)[:, 0]
    np.testing.assert_allclose(got[:3], [(0.2 + 0.4) / 2, 0.2, (0.9 + 1.0) / 2], atol=1e-6)
    assert got[3] == pytest.approx(0.2, abs=1e-6)  # no centre inside: nearest window (centre 1 s)
    assert np.isnan(got[4])  # no window overlaps 6-7 s


def test_hubs_rank_joints_by_their_strong_strings(make_posterior):
    edges = [
        ("A:right_wrist", "B:head"),
        ("A:right_wrist", "B:pelvis"),
        ("A:right_wrist", "B:left_knee"),
        ("A:left_wrist", "B:head"),
        ("A:head", "B:pelvis"),
    ]
    p = np.array([[0.9, 0.85, 0.95, 0.9, 0.5], [0.9, 0.1, 0.95, 0.1, 0.79]])
    hubs_a, hubs_b = string_hubs(make_posterior(p, edges), threshold=0.8)
    assert [h.name for h in hubs_a] == ["A right wrist", "A left wrist"]  # A head is never strong
    top = hubs_a[0]
    assert (top.n_strong, top.n_partners) == (5, 3)
    assert top.p_sum == pytest.approx(0.9 + 0.85 + 0.95 + 0.9 + 0.95, abs=1e-5)
    assert [h.name for h in hubs_b] == ["B head", "B left knee", "B pelvis"]
    assert [h.n_strong for h in hubs_b] == [3, 2, 1]
    assert {h.dancer for h in hubs_b} == {1}


def test_lead_follow_compares_both_directions(make_posterior):
    edges = [*EDGES, ("A:pelvis", "B:pelvis")]
    p = np.array(
        [
            [0.9, 0.2, 0.9],  # A's wrist leads B's shoulder
            [0.1, 0.95, 0.9],  # B's shoulder leads A's wrist
            [0.85, 0.82, 0.9],  # both ways: mutual
            [0.5, 0.4, 0.9],  # neither strong
        ]
    )
    lead = lead_follow(make_posterior(p, edges), threshold=0.8, margin=0.1)
    assert lead.n_pairs == 1  # the pelvis edge has no reverse edge
    assert lead.leader[:, 0].tolist() == [0, 1, -1, -1]
    assert lead.counts() == {"a_leads": 1, "b_leads": 1, "mutual": 1}
    undirected = lead_follow(make_posterior(p[:, [0, 2]], [EDGES[0], edges[2]]))
    assert undirected.n_pairs == 0 and undirected.leader.shape == (4, 0)


def test_body_part_summary_uses_skeleton_groups(make_posterior):
    edges = [
        ("A:right_wrist", "B:left_shoulder"),
        ("A:right_elbow", "B:left_elbow"),
        ("B:pelvis", "A:spine"),
    ]
    p = np.array([[0.9, 0.95, 0.85], [0.9, 0.1, 0.1]])
    links = body_part_summary(make_posterior(p, edges), threshold=0.8)
    got = [
        (l.sender_dancer, l.sender_part, l.receiver_dancer, l.receiver_part, l.n_strong)
        for l in links
    ]
    assert got == [(0, "right_arm", 1, "left_arm", 3), (1, "torso", 0, "torso", 1)]
    assert links[0].p_sum == pytest.approx(0.9 + 0.95 + 0.9, abs=1e-5)


def test_prior_gap_flags_a_collapsed_posterior(make_posterior):
    collapsed = make_posterior(np.full((3, 2), 0.6), EDGES, prior=(0.4, 0.6))
    assert prior_gap(collapsed) == pytest.approx(0.0, abs=1e-6)
    informative = make_posterior(np.array([[0.99, 0.01]] * 3), EDGES, prior=(0.4, 0.6))
    assert prior_gap(informative) > 0.3
    assert prior_gap(make_posterior(np.full((3, 2), 0.6), EDGES)) is None
