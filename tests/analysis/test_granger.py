"""The linear Granger baseline finds a lagged follower and nothing else."""

import numpy as np
import pytest

from duetgraph.analysis.granger import linear_granger_scores, scores_as_posterior
from duetgraph.analysis.recovery import recover_planted

DANCER = np.array([0, 0, 1, 1])
EDGES = np.array([[0, 2], [0, 3], [1, 2], [1, 3], [2, 0], [2, 1], [3, 0], [3, 1]])
FOLLOW = 3  # node 1 (dancer 0) -> node 3 (dancer 1)


def smooth_walk(rng, n, dims=3):
    steps = rng.normal(size=(n, dims))
    kernel = np.hanning(15)
    smooth = np.stack([np.convolve(steps[:, d], kernel, mode="same") for d in range(dims)], 1)
    return np.cumsum(smooth, axis=0) * 0.01


def two_dancers(seed, n=3000, lag=2):
    """Nodes 0, 1 (dancer 0: root, leader) and 2, 3 (dancer 1: root, follower of node 1)."""
    rng = np.random.default_rng(seed)
    pos = np.stack([smooth_walk(rng, n) for _ in range(4)], axis=1)  # (T, 4, 3)
    pos[lag:, 3] = 0.9 * pos[:-lag, 1] + 0.1 * pos[lag:, 3]
    return pos


@pytest.mark.parametrize("own", ["dancer", "joint"])
def test_lagged_follower_scores_high_and_nothing_else_does(own):
    scores = linear_granger_scores(
        two_dancers(0), [two_dancers(1), two_dancers(2)], EDGES, DANCER, [0, 2], 6, 2, own
    )
    assert scores.shape == (2, len(EDGES))
    mean = scores.mean(axis=0)
    assert mean[FOLLOW] > 0.3
    assert np.delete(mean, FOLLOW).max() < 0.05


def test_scores_rank_the_follower_first_when_scored_like_a_posterior():
    class String:
        a_joint, b_joint, spans = "left_wrist", "right_wrist", None

    scores = linear_granger_scores(two_dancers(0), [two_dancers(1)], EDGES, DANCER, [0, 2], 6, 2)
    joints = np.array([0, 20, 0, 21])  # smpl29: pelvis, left_wrist, pelvis, right_wrist
    names = ("A:pelvis", "A:left_wrist", "B:pelvis", "B:right_wrist")
    posterior = scores_as_posterior(
        scores[0], EDGES, names, DANCER, joints, "smpl29", ("A", "B"), 300.0
    )
    assert posterior.p_string.shape == (1, len(EDGES))
    assert posterior.p_string.min() >= 0 and posterior.p_string.max() <= 1
    rec = recover_planted(posterior, [String()])
    assert rec.auroc == 1.0 and rec.precision_at_k == 1.0


def test_bad_arguments_are_named():
    pos = two_dancers(0, n=100)
    with pytest.raises(ValueError, match="own must be one of"):
        linear_granger_scores(pos, [pos], EDGES, DANCER, [0, 2], own="body")
    with pytest.raises(ValueError, match="too few"):
        linear_granger_scores(pos, [pos[:5]], EDGES, DANCER, [0, 2], history=8, horizon=3)
    with pytest.raises(ValueError, match=">= 1"):
        linear_granger_scores(pos, [pos], EDGES, DANCER, [0, 2], history=0)
