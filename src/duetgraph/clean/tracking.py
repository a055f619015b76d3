"""Two-dancer tracking: from per-frame detections to one detection per dancer per frame.

Detections are grouped by frame as CSR offsets (rows `offsets[t]:offsets[t + 1]` belong to frame
t). Tracking starts at the first frame with exactly two detections (the first with two or more if
none has exactly two): its first detection in file order becomes dancer A, the second dancer B.
From there it runs forward to the last frame and backward to the first, each frame compared with
each dancer's last assigned pose ("the previous frame's pose"):

- one detection: it goes to the dancer whose last pose is closer; the other dancer stays missing
  (the gap filler copies its previous pose);
- two detections: the 2 × 2 assignment with the smaller summed distance (ties keep file order);
- three or more (rule "continuity"): the ordered pair (i for A, j for B), i ≠ j, with the smallest
  summed distance; the rest are dropped. Rule "score" prunes to the two highest scores first
  (`prune_by_score`), as the paper did.

Distance between two poses is the sum over joints of the Euclidean distance (metres); a pose
with infinite coordinates is infinitely far from every other (never NaN).

The loop is sequential (each frame depends on the previous assignment), so the distances it needs
are computed beforehand in bulk: for every frame, each detection against each detection of the
previous non-empty frame. Only when a dancer's last pose is older than that (after a one-detection
frame) is a distance computed inside the loop. `track_reference` is the plain per-frame numpy
version kept as the reference for tests and the benchmark.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

_PAIR_CHUNK = 8192  # pose pairs per bulk distance batch: bounds temporary memory (~6 MB at J=29)


@dataclass(frozen=True)
class Tracks:
    """Result of two-dancer tracking.

    Args:
        assign: (T, 2) int64, detection row of dancer A and B in each frame, -1 where missing.
        crossed: (T,) bool, frames with two or more detections whose first kept detection in file
            order went to dancer B (the detector's order would have swapped the dancers there).
        init_frame: the frame tracking started from.
        n_dropped: detections left out in frames with three or more (continuity rule).
    """

    assign: np.ndarray
    crossed: np.ndarray
    init_frame: int
    n_dropped: int

    @property
    def n_swaps_fixed(self) -> int:
        """Frames whose detector order was swapped relative to the tracked identities."""
        return int(self.crossed.sum())

    def n_swap_runs(self, counts: np.ndarray) -> int:
        """Runs of consecutive swapped frames among frames with two or more detections."""
        c = self.crossed[counts >= 2].astype(np.int8)
        return int((np.diff(c, prepend=0) == 1).sum())


def frame_offsets(frame: np.ndarray, n_frames: int) -> np.ndarray:
    """CSR offsets (n_frames + 1,) int64 of detections sorted by `frame` (M,)."""
    counts = np.bincount(frame, minlength=n_frames)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def prune_by_score(
    frame: np.ndarray, score: np.ndarray, n_frames: int, keep: int = 2
) -> np.ndarray:
    """(M,) bool mask keeping the `keep` highest-scoring detections of each frame (paper rule).

    Ties keep the earlier detection in file order. `frame` (M,) must be sorted.
    """
    m = len(frame)
    offsets = frame_offsets(frame, n_frames)
    order = np.lexsort((np.arange(m), -score.astype(np.float64), frame))
    rank = np.arange(m) - offsets[frame[order]]
    mask = np.zeros(m, dtype=bool)
    mask[order[rank < keep]] = True
    return mask


def pose_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum over joints of the Euclidean distance between poses (..., J, 3) → (...,) float64."""
    diff = a.astype(np.float64) - b.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.sqrt((diff * diff).sum(-1)).sum(-1)
    # inf - inf is NaN; a NaN distance would never compare as smallest, and the tracker's pair
    # search would find no pair: make it infinitely far instead.
    return np.where(np.isnan(d), np.inf, d)


def choose_init_frame(offsets: np.ndarray, score: np.ndarray) -> tuple[int, int, int]:
    """(frame, row of dancer A, row of dancer B) to start tracking from.

    The first frame with exactly two detections; else the first with more, keeping its two
    highest scores in file order. Raises ValueError if no frame has two detections.
    """
    counts = np.diff(offsets)
    exact = np.flatnonzero(counts == 2)
    if len(exact):
        t = int(exact[0])
        return t, int(offsets[t]), int(offsets[t] + 1)
    more = np.flatnonzero(counts > 2)
    if not len(more):
        raise ValueError("no frame has two or more detections")
    t = int(more[0])
    rows = np.arange(offsets[t], offsets[t + 1])
    top = np.sort(rows[np.argsort(-score[rows], kind="stable")[:2]])
    return t, int(top[0]), int(top[1])


def track_two(joints: np.ndarray, offsets: np.ndarray, score: np.ndarray) -> Tracks:
    """Assign detections to two dancers frame by frame (see the module docstring).

    Args:
        joints: (M, J, 3) poses in metres, sorted by frame.
        offsets: (T + 1,) CSR offsets from `frame_offsets`.
        score: (M,) detection scores (used only to start when no frame has exactly two).

    Returns:
        Tracks with assign (T, 2), crossed (T,), init frame and dropped count.
    """
    n_frames = len(offsets) - 1
    t0, row_a, row_b = choose_init_frame(offsets, score)
    assign = np.full((n_frames, 2), -1, dtype=np.int64)
    assign[t0] = (row_a, row_b)
    crossed = np.zeros(n_frames, dtype=bool)
    n_dropped = int(offsets[t0 + 1] - offsets[t0] - 2)
    forward = range(t0, n_frames)
    backward = range(t0, -1, -1)
    for frames in (forward, backward):
        n_dropped += _track_pass(
            joints, offsets, np.asarray(frames), (row_a, row_b), assign, crossed
        )
    return Tracks(assign, crossed, t0, n_dropped)


def _pair_distances(joints: np.ndarray, offsets: np.ndarray, seq: np.ndarray):
    """Distances between each detection of each frame and each of the previous non-empty frame.

    Args:
        seq: frames in visiting order, all non-empty, starting with the initial frame.

    Returns:
        (dist, base): dist is a flat float64 list; the distance between local detection i of
        seq[k] and local detection j of seq[k - 1] is dist[base[k] + i * n[k - 1] + j].
    """
    counts = np.diff(offsets)
    cur, prev = seq[1:], seq[:-1]
    n_cur, n_prev = counts[cur], counts[prev]
    n_pairs = n_cur * n_prev
    base = np.concatenate([[0, 0], np.cumsum(n_pairs)])[:-1]  # base[k] for seq[k], k ≥ 1
    total = int(n_pairs.sum())
    seg = np.repeat(np.arange(len(cur)), n_pairs)
    local = np.arange(total) - base[1:][seg]
    row_cur = offsets[cur][seg] + local // n_prev[seg]
    row_prev = offsets[prev][seg] + local % n_prev[seg]
    dist = np.empty(total, dtype=np.float64)
    for s in range(0, total, _PAIR_CHUNK):
        e = min(s + _PAIR_CHUNK, total)
        dist[s:e] = pose_distance(joints[row_cur[s:e]], joints[row_prev[s:e]])
    return dist.tolist(), base.tolist()


def _track_pass(joints, offsets, frames, init_rows, assign, crossed) -> int:
    """Track over `frames` (starting with the initial frame), filling `assign` and `crossed`.

    Returns the number of detections dropped in frames with three or more.
    """
    counts_all = np.diff(offsets)
    seq = frames[counts_all[frames] > 0]
    if len(seq) < 2:
        return 0
    dist, base = _pair_distances(joints, offsets, seq)
    seq_l = seq.tolist()
    counts = counts_all.tolist()
    starts = offsets.tolist()
    frame_of_row = np.repeat(np.arange(len(counts)), counts_all).tolist()
    ref = list(init_rows)  # last assigned row of dancer A and B
    n_dropped = 0
    for k in range(1, len(seq_l)):
        t, p = seq_l[k], seq_l[k - 1]
        n, s, n_p, s_p, b = counts[t], starts[t], counts[p], starts[p], base[k]
        d = []  # d[dancer][i]: distance of local detection i to the dancer's last pose
        for r in ref:
            if frame_of_row[r] == p:
                d.append([dist[b + i * n_p + (r - s_p)] for i in range(n)])
            else:  # the dancer's last pose is older than the previous non-empty frame
                d.append(pose_distance(joints[s : s + n], joints[r]).tolist())
        da, db = d
        if n == 1:
            dancer = 0 if da[0] <= db[0] else 1
            assign[t, dancer] = s
            ref[dancer] = s
            continue
        if n == 2:
            i, j = (0, 1) if da[0] + db[1] <= da[1] + db[0] else (1, 0)
        else:
            best = min(da[i] + db[j] for i in range(n) for j in range(n) if i != j)
            i, j = next(
                (i, j) for i in range(n) for j in range(n) if i != j and da[i] + db[j] == best
            )
            n_dropped += n - 2
        assign[t] = (s + i, s + j)
        crossed[t] = j < i
        ref = [s + i, s + j]
    return n_dropped


def track_reference(joints: np.ndarray, offsets: np.ndarray, score: np.ndarray) -> Tracks:
    """Plain per-frame numpy version of `track_two` (same result, much slower).

    Each frame computes the distances of its detections to both dancers' last poses with numpy
    and tries every ordered assignment. Kept as the reference for tests and the benchmark.
    """
    n_frames = len(offsets) - 1
    t0, row_a, row_b = choose_init_frame(offsets, score)
    assign = np.full((n_frames, 2), -1, dtype=np.int64)
    assign[t0] = (row_a, row_b)
    crossed = np.zeros(n_frames, dtype=bool)
    n_dropped = int(offsets[t0 + 1] - offsets[t0] - 2)
    for frames in (range(t0 + 1, n_frames), range(t0 - 1, -1, -1)):
        last = joints[[row_a, row_b]]  # (2, J, 3) last pose of A and B
        for t in frames:
            rows = np.arange(offsets[t], offsets[t + 1])
            if len(rows) == 0:
                continue
            d = pose_distance(joints[rows][:, None], last[None])  # (n, 2)
            if len(rows) == 1:
                dancer = int(np.argmin(d[0]))
                assign[t, dancer] = rows[0]
                last[dancer] = joints[rows[0]]
                continue
            pairs = list(itertools.permutations(range(len(rows)), 2))
            costs = [d[i, 0] + d[j, 1] for i, j in pairs]
            i, j = pairs[int(np.argmin(costs))]
            n_dropped += len(rows) - 2
            assign[t] = rows[[i, j]]
            crossed[t] = j < i
            last = joints[rows[[i, j]]]
    return Tracks(assign, crossed, t0, n_dropped)


def fill_assignment(assign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing rows (-1) with each dancer's previous row; leading gaps take the first one.

    Args:
        assign: (T, 2) int64 detection rows, -1 where missing; each dancer has one row ≥ 0.

    Returns:
        (filled (T, 2) int64 rows, missing (T, 2) bool — the slots that were filled).
    """
    missing = assign < 0
    t = np.arange(len(assign))[:, None]
    last_seen = np.maximum.accumulate(np.where(missing, -1, t), axis=0)  # (T, 2)
    first_seen = np.argmax(~missing, axis=0)  # (2,)
    src = np.where(last_seen < 0, first_seen[None, :], last_seen)
    filled = np.take_along_axis(assign, src, axis=0)
    return filled, missing
