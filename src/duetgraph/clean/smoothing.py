"""Jitter removal: low-pass filtering along time with the DCT, as the paper did.

Each joint coordinate's trajectory (T samples) is transformed with the orthonormal DCT-II, the
lowest `keep_fraction` of the coefficients are kept and the rest zeroed, and the inverse transform
gives the smoothed trajectory. DCT coefficient k oscillates at k / (2T) cycles per frame, so keeping
the lowest fraction f passes frequencies below f · fps / 2 (f = 0.25 at 30 fps: 3.75 Hz). The DCT's
even extension avoids the jump a plain FFT would see between the clip's end and start; where the
motion is fast at the very first or last frame, a few frames there still ring a little (a 1 Hz
sine starting at full speed is off by ~8 % of its amplitude at frame 0, under 2 % after 10 frames).
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct, idct

_WORK_ELEMENTS = 1 << 21  # float64 values transformed at once (16 MB)


def n_kept_coefficients(n_frames: int, keep_fraction: float) -> int:
    """How many of the lowest DCT coefficients `dct_smooth` keeps: round(f · T), at least one."""
    return max(1, min(n_frames, int(round(keep_fraction * n_frames))))


def dct_smooth(positions: np.ndarray, keep_fraction: float = 0.25) -> np.ndarray:
    """Low-pass every coordinate of `positions` along time (axis 0) with the orthonormal DCT-II.

    Args:
        positions: (T, ...) float array (e.g. (T, 2, J, 3) metres).
        keep_fraction: fraction of the lowest coefficients kept, in (0, 1]; 1 changes nothing.

    Returns:
        (T, ...) float32 smoothed array (float64 inside, a group of columns at a time so that
        memory beyond the output stays ~50 MB for any T).
    """
    if not 0.0 < keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must be in (0, 1], got {keep_fraction}")
    n_frames = positions.shape[0]
    n_keep = n_kept_coefficients(n_frames, keep_fraction)
    flat = positions.reshape(n_frames, -1)  # (T, C): one column per coordinate
    out = np.empty(flat.shape, dtype=np.float32)
    # Columns in groups, so the float64 work arrays stay small whatever T is (~16 MB each).
    step = max(1, _WORK_ELEMENTS // max(n_frames, 1))
    for lo in range(0, flat.shape[1], step):
        coeffs = dct(flat[:, lo : lo + step].astype(np.float64), type=2, norm="ortho", axis=0)
        coeffs[n_keep:] = 0.0
        out[:, lo : lo + step] = idct(coeffs, type=2, norm="ortho", axis=0, overwrite_x=True)
    return out.reshape(positions.shape)


def cutoff_hz(n_frames: int, keep_fraction: float, fps: float) -> float:
    """Highest frequency (Hz) `dct_smooth` keeps: n_keep / (2 T) · fps."""
    return n_kept_coefficients(n_frames, keep_fraction) / (2 * n_frames) * fps
