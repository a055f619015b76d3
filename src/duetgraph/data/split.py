"""Time-ordered train/validation split of one duet's windows.

The duet is cut at frame c = round((1 − valid_fraction) · T): training windows lie entirely in
frames [0, c), validation windows start at frame c + gap or later. Windows that would straddle the
cut are dropped, so overlapping windows never put the same frame on both sides. The default gap of
one frame also keeps the frame that a validation window's first velocity looks back to
(start − 1) out of every training window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from duetgraph.errors import InputError


@dataclass(frozen=True)
class TimeSplit:
    """Indices of the training and validation windows.

    Args:
        train: (W_train,) int64 positions into the window starts, in time order.
        valid: (W_valid,) int64 positions into the window starts, in time order.
        cut_frame: first frame that no training window reaches (c).
        gap_frames: frames between the cut and the first frame a validation window may start on.
    """

    train: np.ndarray
    valid: np.ndarray
    cut_frame: int
    gap_frames: int


def split_windows(
    starts: np.ndarray,
    length: int,
    n_frames: int,
    valid_fraction: float = 0.15,
    gap_frames: int = 1,
    where: str = "duet",
    fps: float | None = None,
) -> TimeSplit:
    """Split windows in time: the first (1 − valid_fraction) of the duet trains, the rest validates.

    Args:
        starts: (W,) first frame of each window (from `window_starts`).
        length: frames per window, L.
        n_frames: frames in the duet, T.
        valid_fraction: share of the duet's frames held out at its end, in [0, 1).
            0 puts every window into training and returns an empty validation set.
        gap_frames: extra frames between the cut and the validation windows (≥ 0).
        where: how to name the duet in messages.
        fps: frames per second, only for seconds in messages.

    Raises:
        InputError: the duet is shorter than one window, or too short to give both splits at
            least one window; the message gives the numbers and the fix.
    """
    if not 0.0 <= valid_fraction < 1.0:
        raise InputError(
            f"validation fraction {valid_fraction} must be in [0, 1), e.g. 0.15 for an 85/15 split."
        )
    if gap_frames < 0:
        raise InputError(f"gap_frames must be >= 0, got {gap_frames}.")
    starts = np.asarray(starts, dtype=np.int64)
    seconds = f" ({n_frames / fps:.1f} s)" if fps else ""
    if n_frames < length or len(starts) == 0:
        raise InputError(
            f"{where}: the duet has {n_frames} frames{seconds}, shorter than one window of "
            f"{length} frames; use a shorter --window or a longer duet."
        )
    cut = _cut_frame(n_frames, valid_fraction)
    train = np.flatnonzero(starts + length <= cut)
    if valid_fraction == 0.0:
        return TimeSplit(np.arange(len(starts), dtype=np.int64), np.zeros(0, np.int64), n_frames, 0)
    valid = np.flatnonzero(starts >= cut + gap_frames)
    if len(train) == 0 or len(valid) == 0:
        stride = int(starts[1] - starts[0]) if len(starts) > 1 else 1
        need = minimum_frames(length, stride, valid_fraction, gap_frames)
        raise InputError(
            f"{where}: the duet has {n_frames} frames{seconds}; a time-ordered "
            f"{1 - valid_fraction:.0%}/{valid_fraction:.0%} split with {length}-frame windows, "
            f"stride {stride} and a {gap_frames}-frame gap gives {len(train)} training and "
            f"{len(valid)} validation windows; it needs at least {need} frames. Use a shorter "
            f"--window, another --valid-fraction, or a longer duet."
        )
    return TimeSplit(train.astype(np.int64), valid.astype(np.int64), cut, gap_frames)


def minimum_frames(length: int, stride: int, valid_fraction: float, gap_frames: int) -> int:
    """The fewest frames for which both splits get at least one window."""
    n = length
    while True:
        cut = _cut_frame(n, valid_fraction)
        first_valid = math.ceil((cut + gap_frames) / stride) * stride
        if cut >= length and first_valid + length <= n:
            return n
        n += 1


def _cut_frame(n_frames: int, valid_fraction: float) -> int:
    return int(round((1.0 - valid_fraction) * n_frames))
