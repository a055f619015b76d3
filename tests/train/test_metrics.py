import itertools
import math

import numpy as np
import pytest
import torch

from duetgraph.analysis.recovery import auroc
from duetgraph.train.metrics import (
    best_permutation_accuracy,
    confusion_matrix,
    constant_velocity_baseline,
    edge_accuracy,
    per_step_mse,
    static_baseline,
)


def auroc_reference(scores, labels):
    """Slow definition: P(positive outranks negative), ties count half."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_edge_accuracy_by_hand():
    pred = np.array([[0, 1, 1, 0], [1, 1, 0, 0]])
    truth = np.array([[0, 1, 0, 0], [1, 0, 0, 1]])
    assert edge_accuracy(pred, truth) == 5 / 8


def test_best_permutation_recovers_swapped_labels():
    truth = np.array([[0, 1, 1, 0, 1]])
    pred = 1 - truth  # every type named the other way round
    assert edge_accuracy(pred, truth) == 0.0
    acc, mapping = best_permutation_accuracy(pred, truth, 2)
    assert acc == 1.0 and mapping == (1, 0)


def test_best_permutation_three_types_by_hand():
    # predicted 2 always means truth 0, predicted 0 means truth 1 (3 of 4 times), predicted 1
    # means truth 2. Best mapping 0→1, 1→2, 2→0: correct 3 + 2 + 3 = 8 of 10.
    pred = np.array([2, 2, 2, 0, 0, 0, 0, 1, 1, 1])
    truth = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 0])
    acc, mapping = best_permutation_accuracy(pred, truth, 3)
    assert mapping == (1, 2, 0)
    assert acc == pytest.approx(8 / 10)
    # and it is the maximum over all relabellings, computed the slow way
    slow = max(np.mean(np.array(p)[pred] == truth) for p in itertools.permutations(range(3)))
    assert acc == pytest.approx(slow)


def test_identity_wins_ties_and_confusion_counts():
    pred = np.array([0, 1, 0, 1])
    truth = np.array([0, 0, 1, 1])
    acc, mapping = best_permutation_accuracy(pred, truth, 2)
    assert (acc, mapping) == (0.5, (0, 1))
    assert confusion_matrix(pred, truth, 2).tolist() == [[1, 1], [1, 1]]


def test_auroc_by_hand():
    assert auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert auroc([0.5, 0.5, 0.5], [0, 1, 1]) == 0.5
    assert auroc([0.1, 0.9], [0, 1]) == 1.0
    assert auroc([0.9, 0.1], [0, 1]) == 0.0
    assert math.isnan(auroc([0.3, 0.2], [1, 1]))


@pytest.mark.parametrize("seed", range(5))
def test_auroc_matches_slow_reference_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 300
    scores = rng.integers(0, 12, n) / 11.0  # many ties
    labels = rng.random(n) < 0.4
    assert auroc(scores, labels) == pytest.approx(auroc_reference(scores, labels), abs=1e-12)
    assert auroc(torch.tensor(scores), torch.tensor(labels)) == pytest.approx(
        auroc_reference(scores, labels), abs=1e-12
    )


def constant_velocity_toy(B=3, T=30, N=4, D=2, seed=0):
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=(B, 1, N, D))
    v = rng.normal(size=(B, 1, N, D)) * 0.1
    t = np.arange(T)[None, :, None, None]
    pos = x0 + t * v
    vel = np.broadcast_to(v, pos.shape)
    return np.concatenate([pos, vel], axis=-1)  # (B, T, N, 2D)


def test_constant_velocity_baseline_is_exact_on_uniform_motion():
    x = constant_velocity_toy()
    start, H = 5, 20
    truth = x[:, start + 1 : start + 1 + H]
    cv = per_step_mse(constant_velocity_baseline(x, start, H, n_dims=2), truth)
    static = per_step_mse(static_baseline(x, start, H), truth)
    assert cv.shape == (H,)
    assert np.all(cv < 1e-24)
    # repeating the last frame is wrong by k·v after k steps: error grows quadratically
    assert np.all(static[:, None] > 0) and static[-1] == pytest.approx(static[0] * H**2)


def test_static_baseline_is_exact_at_rest():
    x = np.repeat(np.random.default_rng(1).normal(size=(2, 1, 3, 4)), 10, axis=1)
    assert per_step_mse(static_baseline(x, 3, 5), x[:, 4:9]).max() == 0.0


def test_constant_velocity_needs_two_frames():
    with pytest.raises(ValueError):
        constant_velocity_baseline(constant_velocity_toy(), 0, 3, n_dims=2)
