"""Axis and unit conversions into the canonical frame (metres, right-handed, z up).

Pose extractors report camera axes: x right, y down, z away from the camera. The canonical frame
keeps x, uses depth as the horizontal y axis and flips image-down into world-up:
(x, y, z)_cam → (x, z, −y). Both frames are right-handed, so no mirroring happens.
"""

from __future__ import annotations

import numpy as np


def camera_to_zup(xyz: np.ndarray) -> np.ndarray:
    """Convert camera axes (x right, y down, z forward) to z-up: (x, y, z) → (x, z, −y).

    Args:
        xyz: (..., 3) array in camera axes.

    Returns:
        (..., 3) float32 array in the canonical z-up frame, same units.
    """
    with np.errstate(over="ignore"):  # beyond float32 becomes inf; readers check finiteness
        xyz = np.asarray(xyz, dtype=np.float32)
    return np.stack([xyz[..., 0], xyz[..., 2], -xyz[..., 1]], axis=-1)


def yup_to_zup(xyz: np.ndarray) -> np.ndarray:
    """Convert y-up right-handed axes (BVH, most animation tools) to z-up: (x, y, z) → (x, −z, y)."""
    with np.errstate(over="ignore"):  # beyond float32 becomes inf; readers check finiteness
        xyz = np.asarray(xyz, dtype=np.float32)
    return np.stack([xyz[..., 0], -xyz[..., 2], xyz[..., 1]], axis=-1)


def zup_to_yup(xyz: np.ndarray) -> np.ndarray:
    """Inverse of `yup_to_zup`: (x, y, z) → (x, z, −y)."""
    with np.errstate(over="ignore"):  # beyond float32 becomes inf; readers check finiteness
        xyz = np.asarray(xyz, dtype=np.float32)
    return np.stack([xyz[..., 0], xyz[..., 2], -xyz[..., 1]], axis=-1)


def zup_to_camera(xyz: np.ndarray) -> np.ndarray:
    """Inverse of `camera_to_zup`: z-up (x, y, z) → camera axes (x, −z, y) (x right, y down, z forward).

    Used where camera geometry is needed again (writing AlphaPose-format files, projecting to the
    image for placement recovery).
    """
    with np.errstate(over="ignore"):  # beyond float32 becomes inf; readers check finiteness
        xyz = np.asarray(xyz, dtype=np.float32)
    return np.stack([xyz[..., 0], -xyz[..., 2], xyz[..., 1]], axis=-1)
