"""A fixed perspective camera computed in numpy: world metres (z up) → image pixels.

The camera orbits a target point: it sits `distance` metres away in the direction given by
`azimuth_deg` (counter-clockwise from world +x, seen from above) and `elevation_deg` (above the
floor plane), and looks at the target. Image axes: x right, y **down**, origin at the top-left
pixel corner. The viewer's JavaScript uses the same formulas (see `viewer.html`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from duetgraph.errors import InputError


@dataclass(frozen=True)
class Camera:
    """Pinhole camera looking at `target` from a point on a sphere around it.

    Args:
        target: (x, y, z) metres, the point the camera looks at.
        distance: metres from the target to the camera, > 0.
        azimuth_deg: direction of the camera seen from the target, degrees counter-clockwise
            from world +x (−90 = from the audience side, world −y).
        elevation_deg: degrees above the floor plane, in (−90, 90).
        focal: focal length in pixels.
        center: (cx, cy) pixel where the optical axis meets the image.
    """

    target: tuple[float, float, float]
    distance: float
    azimuth_deg: float
    elevation_deg: float
    focal: float
    center: tuple[float, float]

    def __post_init__(self) -> None:
        if not self.distance > 0 or not self.focal > 0:
            raise InputError("camera: distance and focal length must be positive.")
        if not -90.0 < self.elevation_deg < 90.0:
            raise InputError(
                f"camera: elevation {self.elevation_deg} must lie strictly between -90 and 90 "
                "degrees."
            )

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Camera position (3,) and rotation (3, 3) whose rows are right, up, forward (world)."""
        az, el = math.radians(self.azimuth_deg), math.radians(self.elevation_deg)
        back = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
        eye = np.asarray(self.target, dtype=np.float64) + self.distance * back
        forward = -back
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)  # elevation is never ±90°, so forward is not vertical
        up = np.cross(right, forward)
        return eye, np.stack([right, up, forward])

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project world points to pixels.

        Args:
            points: (..., 3) metres, world axes (z up).

        Returns:
            xy: (..., 2) float64 pixels (x right, y down).
            depth: (...,) metres along the optical axis (> 0 in front of the camera).
        """
        eye, rot = self.basis()
        cam = (np.asarray(points, dtype=np.float64) - eye) @ rot.T  # (..., 3) right, up, forward
        depth = cam[..., 2]
        safe = np.maximum(depth, 1e-6)  # points behind the camera are not expected (see fit)
        x = self.center[0] + self.focal * cam[..., 0] / safe
        y = self.center[1] - self.focal * cam[..., 1] / safe  # image y grows downwards
        return np.stack([x, y], axis=-1), depth


def scene_bounds(positions: np.ndarray, floor_z: float) -> tuple[np.ndarray, np.ndarray]:
    """Robust box around all joints: per axis the 0.5th..99.5th percentile, z from the floor.

    Args:
        positions: (T, 2, J, 3) metres.
        floor_z: floor height in metres.

    Returns:
        lo, hi: (3,) metres, hi > lo on every axis.
    """
    flat = positions.reshape(-1, 3)
    if flat.shape[0] > 200_000:  # percentiles of a strided subset are as good and much cheaper
        flat = flat[:: flat.shape[0] // 200_000 + 1]
    lo = np.percentile(flat, 0.5, axis=0)
    hi = np.percentile(flat, 99.5, axis=0)
    lo[2] = min(lo[2], floor_z)
    hi = np.maximum(hi, lo + 0.5)  # a degenerate (static, flat) scene still gets a box
    return lo, hi


def fit_camera(
    lo: np.ndarray,
    hi: np.ndarray,
    width: int,
    height: int,
    azimuth_deg: float,
    elevation_deg: float,
    margin: float = 0.06,
    distance_factor: float = 3.0,
) -> Camera:
    """The camera at the given angles that shows the box [lo, hi] filling the image.

    The camera stands `distance_factor` times the box's half-diagonal away from its centre (so the
    box is in front of it); the focal length and centre are then chosen so that the box's eight
    corners fit the image with `margin` (fraction of each side) to spare, centred.

    Args:
        lo, hi: (3,) metres, opposite corners of the box.
        width, height: image size in pixels.
    """
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    centre = 0.5 * (lo + hi)
    radius = 0.5 * float(np.linalg.norm(hi - lo))
    target = (float(centre[0]), float(centre[1]), float(centre[2]))
    unit = Camera(target, distance_factor * radius, azimuth_deg, elevation_deg, 1.0, (0, 0))
    corners = np.stack(np.meshgrid(*zip(lo, hi, strict=True), indexing="ij"), -1).reshape(-1, 3)
    xy, _ = unit.project(corners)  # (8, 2) with focal 1: normalised image coordinates
    xy[:, 1] = -xy[:, 1]  # back to y up for the extent
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    focal = min(width * (1 - 2 * margin) / (x1 - x0), height * (1 - 2 * margin) / (y1 - y0))
    center = (
        float(width / 2 - focal * (x0 + x1) / 2),
        float(height / 2 + focal * (y0 + y1) / 2),
    )
    focal = float(focal)
    return Camera(target, unit.distance, azimuth_deg, elevation_deg, focal, center)
