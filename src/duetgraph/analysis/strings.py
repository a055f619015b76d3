"""From edge posteriors to strings: on/off segments, hubs, lead and follow, body-part links.

Everything here reads only a `StringPosterior` (no positions) and is vectorised numpy. A string
is "strong" in window w when P(string) = 1 − P(type 0) >= `threshold` (default 0.8). Times are
seconds from the duet's first frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from duetgraph.analysis.posterior import STRING_THRESHOLD, StringPosterior
from duetgraph.errors import InputError
from duetgraph.skeleton import get_skeleton


# ---------------------------------------------------------------------- runs over time
def run_reduce(
    ufunc: np.ufunc, x: np.ndarray, column: np.ndarray, first: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """Reduce `x[first:stop, column]` with `ufunc` for every run at once.

    Args:
        ufunc: np.add, np.maximum, ...
        x: (M, C) values.
        column, first, stop: (R,) int runs, rows first..stop-1 of one column, first < stop.

    Returns:
        (R,) reduced values, float64.
    """
    n_rows = x.shape[0]
    flat = np.append(np.asarray(x, dtype=np.float64).T.ravel(), 0.0)  # (C*M + 1,), sentinel last
    bounds = np.stack([column * n_rows + first, column * n_rows + stop], axis=1).ravel()
    if bounds.size == 0:
        return np.zeros(0)
    return ufunc.reduceat(flat, bounds)[::2]


def threshold_runs(
    p: np.ndarray, threshold: float, low_threshold: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of consecutive rows where p >= threshold, found per column.

    With `low_threshold` (hysteresis) a run is a stretch of rows with p >= low_threshold that
    reaches p >= threshold at least once. NaN never counts as on.

    Args:
        p: (M, C) probabilities, rows in time order.
        threshold: level that switches a string on.
        low_threshold: level under which it switches off again (default: `threshold`).

    Returns:
        column, first, stop: (R,) int64 arrays; run r covers rows first[r]..stop[r]-1 of column
        column[r]. Ordered by column, then time.
    """
    low = threshold if low_threshold is None else low_threshold
    if low > threshold:
        raise InputError(
            f"low threshold {low} is above the threshold {threshold}; hysteresis needs low <= high."
        )
    p = np.asarray(p, dtype=np.float64)
    n_rows, n_cols = p.shape
    padded = np.zeros((n_cols, n_rows + 2), dtype=np.int8)
    padded[:, 1:-1] = (p >= low).T
    step = np.diff(padded, axis=1)  # (C, M+1): +1 where a run starts, -1 one past where it ends
    column, first = np.nonzero(step == 1)
    _, stop = np.nonzero(step == -1)  # row-major order pairs each stop with its start
    if low < threshold and column.size:
        keep = run_reduce(np.maximum, p, column, first, stop) >= threshold
        column, first, stop = column[keep], first[keep], stop[keep]
    return column, first, stop


def runs_to_mask(
    shape: tuple[int, int], column: np.ndarray, first: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """(M, C) bool mask that is True inside the runs given as by `threshold_runs`."""
    change = np.zeros((shape[1], shape[0] + 1), dtype=np.int32)  # (C, M+1)
    np.add.at(change, (column, first), 1)
    np.add.at(change, (column, stop), -1)
    return (np.cumsum(change, axis=1)[:, :-1] > 0).T


# ---------------------------------------------------------------------- segments
@dataclass(frozen=True)
class StringSegment:
    """One stretch of time during which one edge is a strong string (a row of `StringSegments`)."""

    edge: int
    sender: int
    receiver: int
    first_window: int
    last_window: int  # inclusive
    start: float
    end: float
    mean_p: float
    max_p: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StringSegments:
    """S segments as parallel arrays, ordered by start time, then edge.

    A segment starts at its first window's start and ends at its last window's end (seconds), so
    with overlapping windows it is as long as the windows that show it. `mean_p` / `max_p` are
    over its windows' P(string). Indexing or iterating gives `StringSegment` rows.

    Arrays (S,): edge, sender, receiver, first_window, last_window (inclusive) int64;
    start, end (seconds), mean_p, max_p float64.
    """

    edge: np.ndarray
    sender: np.ndarray
    receiver: np.ndarray
    first_window: np.ndarray
    last_window: np.ndarray
    start: np.ndarray
    end: np.ndarray
    mean_p: np.ndarray
    max_p: np.ndarray

    @property
    def duration(self) -> np.ndarray:
        """(S,) seconds."""
        return self.end - self.start

    @property
    def n_windows(self) -> np.ndarray:
        """(S,) windows per segment."""
        return self.last_window - self.first_window + 1

    def __len__(self) -> int:
        return self.edge.shape[0]

    def __getitem__(self, i: int) -> StringSegment:
        return StringSegment(
            *(
                int(getattr(self, f)[i])
                for f in ("edge", "sender", "receiver", "first_window", "last_window")
            ),
            *(float(getattr(self, f)[i]) for f in ("start", "end", "mean_p", "max_p")),
        )

    def __iter__(self) -> Iterator[StringSegment]:
        return (self[i] for i in range(len(self)))

    def select(self, mask: np.ndarray) -> StringSegments:
        """The segments where `mask` (S,) is True."""
        return StringSegments(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})


def string_segments(
    posterior: StringPosterior,
    threshold: float = STRING_THRESHOLD,
    low_threshold: float | None = None,
    min_duration: float = 0.0,
) -> StringSegments:
    """Merge consecutive windows (by index) where each edge's P(string) >= threshold.

    Args:
        posterior: W windows, E edges.
        threshold: P(string) that switches a string on.
        low_threshold: optional hysteresis level; a segment then lasts while P >= low_threshold.
        min_duration: drop segments shorter than this many seconds.

    Returns:
        Segments ordered by start time, then edge.
    """
    p = posterior.p_string  # (W, E)
    column, first, stop = threshold_runs(p, threshold, low_threshold)
    start = posterior.window_start[first]
    end = posterior.window_end[stop - 1]
    total = run_reduce(np.add, p, column, first, stop)
    peak = run_reduce(np.maximum, p, column, first, stop)
    keep = np.nonzero((end - start) >= min_duration)[0]
    keep = keep[np.lexsort((column[keep], start[keep]))]
    column, first, stop = column[keep], first[keep], stop[keep]
    return StringSegments(
        edge=column,
        sender=posterior.senders[column],
        receiver=posterior.receivers[column],
        first_window=first,
        last_window=stop - 1,
        start=start[keep],
        end=end[keep],
        mean_p=total[keep] / (stop - first),
        max_p=peak[keep],
    )


def interval_p_string(
    posterior: StringPosterior, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """P(string) per time interval, from the windows centred in it.

    Interval m takes the mean P(string) of the windows whose centre lies in [starts[m], ends[m]);
    an interval with no such centre takes the window whose centre is nearest to its own, provided
    some window overlaps it; an interval that no window overlaps gets NaN.

    Args:
        posterior: W windows, E edges.
        starts, ends: (M,) seconds.

    Returns:
        (M, E) float64.
    """
    starts = np.asarray(starts, dtype=np.float64)
    ends = np.asarray(ends, dtype=np.float64)
    p = posterior.p_string
    n_windows = p.shape[0]
    centre = 0.5 * (posterior.window_start + posterior.window_end)  # (W,)
    order = np.argsort(centre, kind="stable")
    centre = centre[order]
    p_sorted = np.vstack([p[order], np.zeros((2, p.shape[1]))])  # (W+2, E), sentinel rows last
    i0 = np.searchsorted(centre, starts, side="left")
    i1 = np.searchsorted(centre, ends, side="left")
    count = i1 - i0
    bounds = np.stack([i0, np.maximum(i1, i0 + 1)], axis=1).ravel()
    sums = np.add.reduceat(p_sorted, bounds, axis=0)[::2] if bounds.size else p_sorted[:0]
    out = sums / np.maximum(count, 1)[:, None]
    # Intervals with no window centre in them take the nearest window centre ...
    empty = np.nonzero(count == 0)[0]
    if empty.size and n_windows:
        mid = 0.5 * (starts[empty] + ends[empty])
        after = np.searchsorted(centre, mid)
        lo, hi = np.clip(after - 1, 0, n_windows - 1), np.clip(after, 0, n_windows - 1)
        nearest = np.where(np.abs(centre[lo] - mid) <= np.abs(centre[hi] - mid), lo, hi)
        out[empty] = p_sorted[nearest]
    # ... but only where some window overlaps the interval (start < interval end, end > start).
    n_before = np.searchsorted(posterior.window_start, ends, side="left")
    latest_end = np.maximum.accumulate(posterior.window_end)
    covered = n_before > 0
    covered[covered] = latest_end[n_before[covered] - 1] > starts[covered]
    out[~covered] = np.nan
    return out


# ---------------------------------------------------------------------- hubs
@dataclass(frozen=True)
class Hub:
    """A joint and how strongly it is tied to the other dancer.

    `n_strong`: strong (window, edge) pairs touching the joint, as sender or receiver.
    `p_sum`: their summed P(string). `n_partners`: distinct joints it is ever strongly tied to.
    """

    node: int
    name: str
    dancer: int
    joint: int
    n_strong: int
    p_sum: float
    n_partners: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def string_hubs(
    posterior: StringPosterior, threshold: float = STRING_THRESHOLD
) -> tuple[list[Hub], list[Hub]]:
    """Per dancer, the joints with strong strings, most summed P(string) first.

    Returns:
        (hubs of dancer A, hubs of dancer B); joints without any strong string are left out.
    """
    p = posterior.p_string  # (W, E)
    strong = p >= threshold
    n_edge = strong.sum(axis=0)  # (E,)
    p_edge = np.where(strong, p, 0.0).sum(axis=0, dtype=np.float64)  # (E,)
    n_nodes, snd, rcv = posterior.n_nodes, posterior.senders, posterior.receivers
    n_strong = np.bincount(snd, n_edge, n_nodes) + np.bincount(rcv, n_edge, n_nodes)
    p_sum = np.bincount(snd, p_edge, n_nodes) + np.bincount(rcv, p_edge, n_nodes)
    ever = n_edge > 0
    pairs = np.unique(
        np.concatenate([np.stack([snd[ever], rcv[ever]], 1), np.stack([rcv[ever], snd[ever]], 1)]),
        axis=0,
    )
    n_partners = (
        np.bincount(pairs[:, 0], minlength=n_nodes) if pairs.size else np.zeros(n_nodes, int)
    )
    hubs: tuple[list[Hub], list[Hub]] = ([], [])
    labels = posterior.node_labels()
    for node in np.lexsort((np.arange(n_nodes), -p_sum)):
        if n_strong[node] > 0:
            dancer = int(posterior.node_dancer[node])
            hubs[dancer].append(
                Hub(
                    node=int(node),
                    name=labels[node],
                    dancer=dancer,
                    joint=int(posterior.node_joint[node]),
                    n_strong=int(n_strong[node]),
                    p_sum=float(p_sum[node]),
                    n_partners=int(n_partners[node]),
                )
            )
    return hubs


# ---------------------------------------------------------------------- lead and follow
LEADER_NONE = -1


@dataclass(frozen=True)
class LeadFollow:
    """Who leads each joint pair (a of A, b of B) in each window.

    Arrays (P pairs, W windows):
        node_a, node_b: (P,) node of dancer A, node of dancer B.
        edge_ab, edge_ba: (P,) edge indices a→b and b→a.
        p_ab, p_ba: (W, P) P(string) of a→b and b→a.
        leader: (W, P) int8, 0 = A leads, 1 = B leads, -1 = no strong string or too close to call.
        threshold, margin: the settings `leader` was computed with.
    """

    node_a: np.ndarray
    node_b: np.ndarray
    edge_ab: np.ndarray
    edge_ba: np.ndarray
    p_ab: np.ndarray
    p_ba: np.ndarray
    leader: np.ndarray
    threshold: float
    margin: float

    @property
    def n_pairs(self) -> int:
        return self.node_a.shape[0]

    def counts(self) -> dict[str, int]:
        """Strong (window, pair) cells led by A, by B, or mutual (both ways within the margin)."""
        strong = np.maximum(self.p_ab, self.p_ba) >= self.threshold
        return {
            "a_leads": int((self.leader == 0).sum()),
            "b_leads": int((self.leader == 1).sum()),
            "mutual": int((strong & (self.leader == LEADER_NONE)).sum()),
        }


def lead_follow(
    posterior: StringPosterior, threshold: float = STRING_THRESHOLD, margin: float = 0.1
) -> LeadFollow:
    """Compare P(a→b) with P(b→a) for every joint pair that has edges both ways.

    The sender of a string is the joint whose motion predicts the receiver's, so the direction
    with the higher P(string) leads. A window counts as led when the stronger direction reaches
    `threshold` and beats the other by at least `margin`.

    Returns:
        LeadFollow; with undirected (one edge per pair) posteriors it has zero pairs.
    """
    snd, rcv, n = posterior.senders, posterior.receivers, max(posterior.n_nodes, 1)
    dancer = posterior.node_dancer
    forward = np.nonzero((dancer[snd] == 0) & (dancer[rcv] == 1))[0]  # edges A → B
    key = snd * n + rcv
    order = np.argsort(key, kind="stable")
    wanted = rcv[forward] * n + snd[forward]  # key of the reverse edge B → A
    pos = np.clip(np.searchsorted(key[order], wanted), 0, max(key.size - 1, 0))
    found = key[order][pos] == wanted if key.size else np.zeros(0, bool)
    edge_ab, edge_ba = forward[found], order[pos[found]]
    p = posterior.p_string
    p_ab, p_ba = p[:, edge_ab], p[:, edge_ba]
    strong = np.maximum(p_ab, p_ba) >= threshold
    diff = p_ab - p_ba
    leader = np.full(p_ab.shape, LEADER_NONE, dtype=np.int8)
    leader[strong & (diff >= margin)] = 0
    leader[strong & (diff <= -margin)] = 1
    return LeadFollow(
        snd[edge_ab], rcv[edge_ab], edge_ab, edge_ba, p_ab, p_ba, leader, threshold, margin
    )


# ---------------------------------------------------------------------- body parts
@dataclass(frozen=True)
class BodyPartLink:
    """Strong strings summed over one (sender dancer, body part) → (receiver dancer, body part)."""

    sender_dancer: int
    sender_part: str
    receiver_dancer: int
    receiver_part: str
    n_strong: int
    p_sum: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def body_part_summary(
    posterior: StringPosterior, threshold: float = STRING_THRESHOLD
) -> list[BodyPartLink]:
    """Aggregate strong (window, edge) strings by the body parts of their ends.

    Body parts are the skeleton's groups (head, torso, left/right arm, left/right leg).

    Returns:
        Links with at least one strong string, most summed P(string) first.
    """
    try:
        skeleton = get_skeleton(posterior.skeleton)
    except KeyError as exc:
        raise InputError(f"posterior: {exc.args[0]}") from None
    parts = list(skeleton.groups)
    joint_part = np.array([parts.index(skeleton.group_of(j)) for j in range(skeleton.n_joints)])
    node_code = posterior.node_dancer * len(parts) + joint_part[posterior.node_joint]  # (N,)
    n_codes = 2 * len(parts)
    p = posterior.p_string
    strong = p >= threshold
    edge_code = node_code[posterior.senders] * n_codes + node_code[posterior.receivers]  # (E,)
    n_strong = np.bincount(edge_code, strong.sum(axis=0), n_codes * n_codes)
    p_sum = np.bincount(
        edge_code, np.where(strong, p, 0.0).sum(axis=0, dtype=np.float64), n_codes * n_codes
    )
    links = []
    for code in np.lexsort((np.arange(n_codes * n_codes), -p_sum)):
        if n_strong[code] > 0:
            s, r = divmod(int(code), n_codes)
            links.append(
                BodyPartLink(
                    sender_dancer=s // len(parts),
                    sender_part=parts[s % len(parts)],
                    receiver_dancer=r // len(parts),
                    receiver_part=parts[r % len(parts)],
                    n_strong=int(n_strong[code]),
                    p_sum=float(p_sum[code]),
                )
            )
    return links


def prior_gap(posterior: StringPosterior) -> float | None:
    """Mean |posterior − prior| over windows, edges and types; None without a prior.

    A value near 0 means the encoder ignores its input (posterior collapse): the strings are
    the prior, not the dance.
    """
    if posterior.edge_prior is None or posterior.probs.size == 0:
        return None
    prior = np.asarray(posterior.edge_prior, dtype=np.float64)
    return float(np.abs(posterior.probs - prior).mean())
