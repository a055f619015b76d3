"""Changing the frame rate: exact subsampling when the ratio is whole, else linear interpolation.

The reference implementation kept every third frame of 30 fps video (10 fps). When the source fps
is a whole multiple of the target, `resample` does exactly that (frames 0, k, 2k, ...); otherwise it
interpolates linearly at times i / target_fps within the clip.
"""

from __future__ import annotations

import numpy as np


def resample(positions: np.ndarray, fps: float, target_fps: float) -> tuple[np.ndarray, str]:
    """Resample `positions` (T, ...) from `fps` to `target_fps` along axis 0.

    Returns:
        (positions (T', ...) float32, method) where method is "1 frame in k kept" or "linear".
    """
    if not (np.isfinite(target_fps) and target_fps > 0):
        raise ValueError(f"target fps must be positive, got {target_fps}")
    ratio = fps / target_fps
    step = int(round(ratio))
    if step >= 1 and abs(ratio - step) < 1e-6:
        return positions[::step].astype(np.float32), f"1 frame in {step} kept"
    n_frames = positions.shape[0]
    n_out = int(np.floor((n_frames - 1) * target_fps / fps + 1e-9)) + 1
    t = np.arange(n_out) * (fps / target_fps)  # source frame position of each output frame
    lo = np.minimum(np.floor(t).astype(np.int64), n_frames - 1)
    hi = np.minimum(lo + 1, n_frames - 1)
    w = (t - lo).reshape((-1,) + (1,) * (positions.ndim - 1))
    out = (1.0 - w) * positions[lo].astype(np.float64) + w * positions[hi].astype(np.float64)
    return out.astype(np.float32), "linear"
