"""What is shown at each output frame: which duet frame, at what time, which strings how strongly.

Shared by the video and the viewer so that both show the same strings at the same moment.

- A `FramePlan` picks the duet frames an animation shows. At a reduced output fps, output frame
  k shows the duet frame nearest to time start + k / fps (no interpolation).
- `frame_p_string` gives each shown frame the P(string) of chosen edges: the mean P(string) of
  the windows that cover the frame's time (window w covers [window_start, window_end)); NaN
  where no window covers it (nothing was inferred there).
- `active_strings` lists a frame's strings at or above the threshold, strongest first.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FramePlan:
    """The duet frames an animation shows.

    Args:
        source_frame: (F,) int64 index into the duet's frames.
        times: (F,) float64 seconds from the duet's first frame.
        fps: output frames per second.
        source_fps: the duet's frames per second.
    """

    source_frame: np.ndarray
    times: np.ndarray
    fps: float
    source_fps: float

    @property
    def n_frames(self) -> int:
        return int(self.source_frame.shape[0])

    @property
    def reduced(self) -> bool:
        """True when the output shows fewer frames per second than the duet has."""
        return self.fps < self.source_fps - 1e-9


def plan_frames(
    n_frames: int,
    fps: float,
    fps_out: float | None = None,
    start: float | None = None,
    end: float | None = None,
) -> FramePlan:
    """Choose the frames of an animation of [start, end) seconds at `fps_out`.

    Args:
        n_frames, fps: the duet's frame count and rate.
        fps_out: output rate; None or >= fps: every duet frame in the span.
        start, end: seconds from the duet's first frame; None: its first frame / its end.

    Raises:
        InputError: a non-positive fps_out or an empty span.
    """
    duration = n_frames / fps
    t0 = 0.0 if start is None else float(start)
    t1 = duration if end is None else min(float(end), duration)
    if fps_out is not None and not fps_out > 0:
        raise InputError(f"video fps {fps_out} must be positive (e.g. --fps-video 10).")
    if not (0.0 <= t0 < t1):
        raise InputError(
            f"time span {t0:g}-{t1:g} s is empty or outside the duet (0-{duration:g} s); "
            "check --start and --end."
        )
    if fps_out is None or fps_out >= fps:
        first, stop = math.ceil(t0 * fps - 1e-9), math.ceil(t1 * fps - 1e-9)
        frames = np.arange(first, min(stop, n_frames), dtype=np.int64)
        return FramePlan(frames, frames / fps, float(fps), float(fps))
    count = max(1, math.ceil((t1 - t0) * fps_out - 1e-9))
    times = t0 + np.arange(count) / fps_out  # (F,)
    frames = np.clip(np.rint(times * fps), 0, n_frames - 1).astype(np.int64)
    return FramePlan(frames, times, float(fps_out), float(fps))


def shown_edges(
    posterior: StringPosterior, min_p: float, max_edges: int | None = None
) -> np.ndarray:
    """Edges whose P(string) reaches `min_p` in some window, highest peak first.

    Args:
        posterior: W windows, E edges.
        min_p: the lowest P(string) that will ever be drawn.
        max_edges: keep at most this many (the highest peaks); None: all.

    Returns:
        (E',) int64 edge indices.
    """
    if posterior.n_windows == 0 or posterior.n_edges == 0:
        return np.zeros(0, dtype=np.int64)
    peak = posterior.p_string.max(axis=0)  # (E,)
    edges = np.nonzero(peak >= min_p)[0]
    edges = edges[np.argsort(-peak[edges], kind="stable")]
    if max_edges is not None and edges.size > max_edges:
        log.info(
            "%d edges reach P(string) >= %.2f; showing the %d with the highest peak.",
            edges.size,
            min_p,
            max_edges,
        )
        edges = edges[:max_edges]
    return edges.astype(np.int64)


def frame_p_string(posterior: StringPosterior, times: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """P(string) of `edges` at each time: the mean over the windows covering it.

    Args:
        posterior: W windows, E edges.
        times: (F,) seconds, non-decreasing.
        edges: (E',) edge indices.

    Returns:
        (F, E') float32; NaN at times no window covers.
    """
    times = np.asarray(times, dtype=np.float64)
    if np.any(np.diff(times) < 0):
        raise ValueError("frame_p_string: times must be non-decreasing")
    p = posterior.p_string[:, edges].astype(np.float64)  # (W, E')
    n_times = times.shape[0]
    # Window w covers the times with index i0[w] <= i < i1[w]; add its P over that range with a
    # difference array (one +p at i0, one -p at i1) and a running sum along time.
    i0 = np.searchsorted(times, posterior.window_start, side="left")  # (W,)
    i1 = np.searchsorted(times, posterior.window_end, side="left")  # (W,)
    total = np.zeros((n_times + 1, p.shape[1]))
    count = np.zeros(n_times + 1)
    np.add.at(total, i0, p)
    np.add.at(total, i1, -p)
    np.add.at(count, i0, 1.0)
    np.add.at(count, i1, -1.0)
    total = np.cumsum(total, axis=0)[:-1]  # (F, E')
    count = np.rint(np.cumsum(count)[:-1])  # (F,)
    out = np.full(total.shape, np.nan, dtype=np.float32)
    covered = count > 0
    out[covered] = np.clip(total[covered] / count[covered, None], 0.0, 1.0)
    return out


def active_strings(p_row: np.ndarray, threshold: float) -> np.ndarray:
    """Columns of one frame's P(string) row at or above `threshold`, strongest first.

    Args:
        p_row: (E',) P(string), NaN allowed (never active).

    Returns:
        (A,) int64 column indices into `p_row`.
    """
    on = np.nonzero(np.nan_to_num(p_row, nan=-1.0) >= threshold)[0]
    return on[np.argsort(-p_row[on], kind="stable")]


def string_opacity(p: np.ndarray, threshold: float, floor: float = 0.35) -> np.ndarray:
    """Opacity in [0, 1] of a string of probability `p`: 0 below `threshold`, then linear from
    `floor` at the threshold to 1 at P = 1 (so a string just over the threshold is visible).

    Args:
        p: (...) P(string), NaN allowed (opacity 0).
    """
    p = np.nan_to_num(np.asarray(p, dtype=np.float64), nan=-1.0)
    span = max(1.0 - threshold, 1e-9)
    alpha = floor + (1.0 - floor) * np.clip((p - threshold) / span, 0.0, 1.0)
    return np.where(p >= threshold, alpha, 0.0)
