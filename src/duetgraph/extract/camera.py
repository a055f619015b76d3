"""Placing a hip-centred 3D pose in the scene from where it appears in the image.

MediaPipe's world landmarks are metres in camera axes (x right, y down, z away from the camera)
but centred on the person's hips, so every dancer stands at the origin. Its image landmarks say
where the same points appear in pixels. With a pinhole camera (focal length f pixels, principal
point (cx, cy) at the image centre, square pixels, no distortion) a landmark X_j + t projects to

    u_j = cx + f (X_j + t_x) / (Z_j + t_z),   v_j = cy + f (Y_j + t_y) / (Z_j + t_z).

Multiplying out gives two equations per landmark that are linear in the translation t:

    t_x − a_j t_z = a_j Z_j − X_j,   t_y − b_j t_z = b_j Z_j − Y_j,   a_j = (u_j − cx) / f,
                                                                       b_j = (v_j − cy) / f,

solved here by weighted least squares (weights: the landmarks' visibilities), all poses at once.
Lateral placement hardly depends on f; depth t_z scales with it. Without a known camera, f is the
image width (a ~53° horizontal field of view), the usual guess for video of unknown intrinsics.
"""

from __future__ import annotations

import numpy as np

_MIN_WEIGHT = 0.05  # hidden landmarks still count a little, so a pose is never unconstrained
_MIN_DEPTH = 0.5  # metres: a solution closer than this (or behind the camera) is not trusted


def solve_translation(
    points: np.ndarray,
    pixels: np.ndarray,
    weight: np.ndarray,
    focal_length: float,
    principal_point: tuple[float, float],
) -> np.ndarray:
    """Translation putting each hip-centred pose where its landmarks appear in the image.

    Args:
        points: (M, L, 3) metres, camera axes, each pose centred on its hips.
        pixels: (M, L, 2) image positions (u, v) of the same landmarks, pixels.
        weight: (M, L) confidence of each landmark (visibility), clipped to [0.05, 1].
        focal_length: pixels.
        principal_point: (cx, cy) pixels.

    Returns:
        (M, 3) float64 translation t in metres (camera axes): the pose's landmarks are
        points + t. Poses whose least-squares depth is below 0.5 m (an implausible fit) fall
        back to a weak-perspective estimate: depth = f × (3D spread / 2D spread).
    """
    points = np.asarray(points, dtype=np.float64)
    m = points.shape[0]
    if m == 0:
        return np.zeros((0, 3))
    cx, cy = principal_point
    a = (pixels[..., 0].astype(np.float64) - cx) / focal_length  # (M, L)
    b = (pixels[..., 1].astype(np.float64) - cy) / focal_length
    w = np.clip(weight, _MIN_WEIGHT, 1.0).astype(np.float64)  # (M, L)
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    # Rows of the design matrix: x-equations [1, 0, −a], y-equations [0, 1, −b]. Normal equations
    # N t = r with N = Σ w (row rowᵀ) and r = Σ w row rhs, summed over landmarks.
    sw, swa, swb = w.sum(1), (w * a).sum(1), (w * b).sum(1)
    normal = np.zeros((m, 3, 3))
    normal[:, 0, 0] = sw
    normal[:, 1, 1] = sw
    normal[:, 0, 2] = normal[:, 2, 0] = -swa
    normal[:, 1, 2] = normal[:, 2, 1] = -swb
    normal[:, 2, 2] = (w * (a * a + b * b)).sum(1)
    rx, ry = a * z - x, b * z - y  # (M, L) right-hand sides
    rhs = np.stack(
        [(w * rx).sum(1), (w * ry).sum(1), -(w * (a * rx + b * ry)).sum(1)], axis=1
    )  # (M, 3)
    normal += 1e-9 * np.eye(3)  # keeps a degenerate pose (all landmarks on one pixel) solvable
    t = np.linalg.solve(normal, rhs[..., None])[..., 0]  # (M, 3)
    bad = ~(t[:, 2] >= _MIN_DEPTH)
    if bad.any():
        t[bad] = _weak_perspective(points[bad], pixels[bad], w[bad], focal_length, (cx, cy))
    return t


def _weak_perspective(points, pixels, w, focal_length, principal_point) -> np.ndarray:
    """(K, 3) translation from the ratio of 2D to 3D spread (every point at one depth)."""
    cx, cy = principal_point
    wn = w / w.sum(1, keepdims=True)  # (K, L)
    mean_px = (wn[..., None] * pixels).sum(1)  # (K, 2)
    mean_3d = (wn[..., None] * points).sum(1)  # (K, 3)
    spread_px = np.sqrt((wn * ((pixels - mean_px[:, None]) ** 2).sum(-1)).sum(1))
    spread_3d = np.sqrt((wn * ((points[..., :2] - mean_3d[:, None, :2]) ** 2).sum(-1)).sum(1))
    scale = np.maximum(spread_px, 1e-6) / np.maximum(spread_3d, 1e-6)  # pixels per metre
    depth = np.maximum(focal_length / scale, _MIN_DEPTH)
    centre = np.stack(
        [(mean_px[:, 0] - cx) / scale, (mean_px[:, 1] - cy) / scale, depth], axis=1
    )  # where the mean point stands
    return centre - mean_3d


def project(
    points: np.ndarray, focal_length: float, principal_point: tuple[float, float]
) -> np.ndarray:
    """Pinhole projection of camera-axes points.

    Args:
        points: (..., 3) metres, camera axes (x right, y down, z away), z > 0.

    Returns:
        (..., 2) float64 pixels (u, v).
    """
    points = np.asarray(points, dtype=np.float64)
    z = points[..., 2:3]
    return focal_length * points[..., :2] / z + np.asarray(principal_point, dtype=np.float64)
