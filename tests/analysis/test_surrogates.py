"""The null and the error control, against synthetic score tables whose truth is known."""

import numpy as np
import pytest

from duetgraph.analysis.surrogates import (
    consecutive,
    empirical_p,
    fdr_reject,
    shift_maps,
    shuffle_maps,
    surrogate_maps,
    tail_p,
)


def test_shift_maps_keep_their_distance_from_zero():
    maps = shift_maps(500, 20, 50)
    assert len(maps) == 20
    for tau in maps:
        assert sorted(tau) == list(range(500))  # a permutation of the frames
        shift = tau[0]
        assert 50 <= shift <= 450
        assert (tau == (np.arange(500) + shift) % 500).all()


def test_shuffle_maps_move_every_block():
    rng = np.random.default_rng(0)
    for tau in shuffle_maps(1000, 30, 40, rng):
        assert sorted(tau) == list(range(1000))
        seams = np.flatnonzero(np.diff(tau) != 1) + 1
        starts = np.r_[0, seams]
        lengths = np.diff(np.r_[starts, 1000])
        assert lengths.min() >= 40
        assert not (tau[starts] == starts).any()  # no block stays in its place


def test_surrogate_maps_both_is_half_of_each():
    maps = surrogate_maps(1000, 10, 40, "both", np.random.default_rng(1))
    circular = [bool((np.diff(t) % 1000 == 1).all()) for t in maps]
    assert sum(circular) == 5
    with pytest.raises(ValueError):
        surrogate_maps(1000, 10, 40, "phase", np.random.default_rng(1))


def test_consecutive_marks_samples_across_a_seam():
    tau = (np.arange(100) + 30) % 100  # the seam is between receiver frames 69 and 70
    t = np.arange(3, 100)
    ok = consecutive(tau, t, history=4)
    bad = t[~ok]
    assert list(bad) == [70, 71, 72]  # their 4-frame sender history contains the jump 99 -> 0


def test_empirical_p_counts_the_score_itself():
    null = np.arange(1.0, 100.0)[:, None]  # 99 surrogates: 1..99
    p = empirical_p(np.array([100.0, 50.0, 0.0]), np.repeat(null, 3, axis=1))
    assert p == pytest.approx([1 / 100, 51 / 100, 1.0])


@pytest.mark.parametrize("family", ["gamma", "normal"])
def test_tail_p_is_uniform_under_the_null(family):
    rng = np.random.default_rng(2)
    n_tests, n_null = 4000, 99
    draw = (
        (lambda size: rng.gamma(3.0, 0.01, size))
        if family == "gamma"
        else (lambda size: rng.normal(0.0, 1.0, size))
    )
    scores, null = draw(n_tests), draw((n_null, n_tests))
    p = tail_p(scores, null, family)
    for level in (0.01, 0.05, 0.2):
        assert abs((p < level).mean() - level) < 0.25 * level + 0.005


def test_tail_p_reaches_below_the_empirical_resolution():
    rng = np.random.default_rng(3)
    null = rng.gamma(3.0, 0.01, (99, 1))
    p = tail_p(np.array([1.0]), null, "gamma")  # 30 null means beyond
    assert p[0] < 1e-6
    inside = tail_p(np.array([np.median(null)]), null, "gamma")
    assert inside[0] >= empirical_p(np.array([np.median(null)]), null)[0]


def test_fdr_controls_false_discoveries_on_a_table_with_known_truth():
    rng = np.random.default_rng(4)
    q, fdp, power = 0.05, [], []
    for _ in range(200):
        truth = np.zeros(1000, dtype=bool)
        truth[:40] = True
        p = rng.uniform(size=1000)
        p[truth] = rng.uniform(0, 1e-4, truth.sum())
        reject, adjusted = fdr_reject(p, q)
        fdp.append((reject & ~truth).sum() / max(reject.sum(), 1))
        power.append(reject[truth].mean())
        assert (adjusted >= p - 1e-15).all()
    assert np.mean(fdp) <= q  # BH: expected FDP <= q · (960 / 1000)
    assert np.mean(power) > 0.99


def test_fdr_matches_the_step_up_rule_by_hand():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    reject, _ = fdr_reject(p, 0.05)
    # k = largest i with p_(i) <= i/10 · 0.05: p_(2) = 0.008 <= 0.01, p_(3) = 0.039 > 0.015
    assert reject.tolist() == [True, True] + [False] * 8
    with pytest.raises(ValueError):
        fdr_reject(p, 0.0)
