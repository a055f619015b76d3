"""The linear Granger baseline of bench/bench_string_information.py finds a lagged follower."""

import importlib.util
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_string_information.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_string_information", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def smooth_walk(rng, n, dims=3):
    steps = rng.normal(size=(n, dims))
    kernel = np.hanning(15)
    smooth = np.stack([np.convolve(steps[:, d], kernel, mode="same") for d in range(dims)], 1)
    return np.cumsum(smooth, axis=0) * 0.01


def two_dancers(seed, n=3000, lag=2):
    """Nodes 0, 1 (dancer A: root, leader) and 2, 3 (dancer B: root, follower of node 1)."""
    rng = np.random.default_rng(seed)
    pos = np.stack([smooth_walk(rng, n) for _ in range(4)], axis=1)  # (T, 4, 3)
    pos[lag:, 3] = 0.9 * pos[:-lag, 1] + 0.1 * pos[lag:, 3]
    return pos


def test_lagged_follower_scores_high_and_the_reverse_does_not():
    bench = load_bench()
    dancer = np.array([0, 0, 1, 1])
    edges = np.array([[0, 2], [0, 3], [1, 2], [1, 3], [2, 0], [2, 1], [3, 0], [3, 1]])
    scores = bench.pair_scores(
        two_dancers(0), [two_dancers(1), two_dancers(2)], edges, dancer, [0, 2], hist=6, horizon=2
    )
    assert scores.shape == (2, len(edges))
    mean = scores.mean(axis=0)
    follow = 3  # node 1 -> node 3
    assert mean[follow] > 0.3
    others = np.delete(mean, follow)
    assert others.max() < 0.05, others
