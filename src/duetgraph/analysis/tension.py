"""Tension of a string: whether its two ends move apart (tension), together (release) or keep
their distance (steady), per frame, per window and per string segment.
"""

from __future__ import annotations

import numpy as np

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.analysis.scene import DEAD_BAND, interval_frames, interval_sums
from duetgraph.analysis.strings import StringSegments
from duetgraph.duet import Duet

TENSION, STEADY, RELEASE = 1, 0, -1
TENSION_NAMES = {TENSION: "tension", STEADY: "steady", RELEASE: "release"}


def interval_majority(
    labels: np.ndarray, f0: np.ndarray, f1: np.ndarray, columns: np.ndarray | None = None
) -> np.ndarray:
    """Most frequent tension label per interval; ties give steady.

    Args:
        labels: (T, E) int in {-1, 0, 1}.
        f0, f1: (M,) frame bounds.
        columns: optional (M,) column of `labels` to use for each interval.

    Returns:
        (M, E) int8, or (M,) with `columns`.
    """
    counts = {v: interval_sums(labels == v, f0, f1, columns) for v in (RELEASE, STEADY, TENSION)}
    out = np.zeros(counts[STEADY].shape, dtype=np.int8)
    out[(counts[TENSION] > counts[RELEASE]) & (counts[TENSION] > counts[STEADY])] = TENSION
    out[(counts[RELEASE] > counts[TENSION]) & (counts[RELEASE] > counts[STEADY])] = RELEASE
    return out


def pair_distance_rate(
    duet: Duet, dancer_a: np.ndarray, joint_a: np.ndarray, dancer_b: np.ndarray, joint_b: np.ndarray
) -> np.ndarray:
    """d/dt |p_b − p_a| for E joint pairs, m/s (central differences; 0 for a one-frame duet).

    Args:
        dancer_a, joint_a, dancer_b, joint_b: (E,) int, one end (dancer, joint) per pair.

    Returns:
        (T, E) float32; > 0 means the two joints move apart.
    """
    pos = duet.positions  # float32 keeps (T, E, 3) gathers small
    gap = np.linalg.norm(pos[:, dancer_b, joint_b] - pos[:, dancer_a, joint_a], axis=-1)  # (T, E)
    if duet.n_frames < 2:
        return np.zeros_like(gap)
    return np.gradient(gap, 1.0 / duet.fps, axis=0)


def tension_labels(rate: np.ndarray, dead_band: float = DEAD_BAND) -> np.ndarray:
    """+1 tension (rate > dead_band), −1 release (rate < −dead_band), 0 steady; int8, same shape."""
    return np.where(rate > dead_band, TENSION, np.where(rate < -dead_band, RELEASE, STEADY)).astype(
        np.int8
    )


def string_tension(
    duet: Duet,
    posterior: StringPosterior,
    edges: np.ndarray | None = None,
    dead_band: float = DEAD_BAND,
) -> np.ndarray:
    """Per-frame tension labels of strings' joint pairs (both directions share one pair).

    Args:
        edges: (E',) edge indices; default all edges.

    Returns:
        (T, E') int8: +1 tension (moving apart), −1 release (moving toward), 0 steady.
    """
    edges = np.arange(posterior.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    ends = np.sort(np.stack([posterior.senders[edges], posterior.receivers[edges]], 1), axis=1)
    pairs, inverse = np.unique(ends.reshape(-1, 2), axis=0, return_inverse=True)  # (U, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    rate = pair_distance_rate(
        duet, posterior.node_dancer[a], posterior.node_joint[a],
        posterior.node_dancer[b], posterior.node_joint[b],
    )  # fmt: skip
    return tension_labels(rate, dead_band)[:, inverse.ravel()]


def window_tension(
    duet: Duet,
    posterior: StringPosterior,
    edges: np.ndarray | None = None,
    dead_band: float = DEAD_BAND,
) -> np.ndarray:
    """(W, E') majority tension label of each edge in each window (frames in [start, end))."""
    f0, f1 = interval_frames(posterior.window_start, posterior.window_end, duet.fps, duet.n_frames)
    return interval_majority(string_tension(duet, posterior, edges, dead_band), f0, f1)


def segment_tension(
    duet: Duet, posterior: StringPosterior, segments: StringSegments, dead_band: float = DEAD_BAND
) -> np.ndarray:
    """(S,) majority tension label over each segment's frames, for its own edge."""
    edges, column = np.unique(segments.edge, return_inverse=True)
    labels = string_tension(duet, posterior, edges, dead_band)  # (T, U)
    f0, f1 = interval_frames(segments.start, segments.end, duet.fps, duet.n_frames)
    return interval_majority(labels, f0, f1, column.ravel())
