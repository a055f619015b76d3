"""Placement recovery for pelvis-centred poses (stock AlphaPose) from their 2D image evidence.

Stock AlphaPose + HybrIK output centres every 3D pose on its pelvis, which loses where the dancers
stand. Each detection also has 2D keypoints and a box in pixels, so a weak-perspective camera
gives the pose's position back:

- scale s (pixels per metre) = RMS spread of the 2D keypoints about their mean / RMS spread of
  the 3D joints' image-plane coordinates (camera x, y) about theirs; depth of the joints' mean
  point Z = f / s (f: focal length in pixels);
- that point sits at ((ū − cx) / s, (v̄ − cy) / s, Z) in camera axes; the pelvis (the pose's origin)
  is that point minus the pose's own mean joint.

Without keypoints, the box stands in: s = box diagonal / diagonal of the 3D joints' x-y extent,
and the box centre is matched to the extent's centre. A box reaches past the outer joints (hair,
hands, soles), so box-only depths come out too close by about the box's margin (10-20 % for a box
8 % wider than the joints on each side); lateral placement suffers less.

Assumptions: a pinhole camera with square pixels, no lens distortion, principal point (cx, cy) at
the image centre, the person small compared with their distance (weak perspective). AlphaPose does
not record the image size or the camera, so unless given, the image size is taken as the extent of
all boxes and keypoints (a lower bound; dancers who never reach the right or bottom edge shift
both dancers alike) and the focal length as the image width (a ~53° horizontal field of view, the
usual guess for video of unknown intrinsics). Lateral positions do not depend on f; depths scale
with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duetgraph.io.axes import camera_to_zup, zup_to_camera


@dataclass(frozen=True)
class PinholeGuess:
    """The camera placement recovery assumes.

    Args:
        focal_length: pixels.
        image_size: (width, height) pixels.
        focal_given / size_given: whether the user gave them (else estimated).
    """

    focal_length: float
    image_size: tuple[float, float]
    focal_given: bool
    size_given: bool

    @property
    def principal_point(self) -> tuple[float, float]:
        return self.image_size[0] / 2.0, self.image_size[1] / 2.0

    def describe(self) -> str:
        w, h = self.image_size
        return (
            f"focal length {self.focal_length:.0f} px ({'given' if self.focal_given else 'guessed'}), "
            f"image {w:.0f}x{h:.0f} px ({'given' if self.size_given else 'estimated from the boxes'})"
        )


def guess_camera(
    box: np.ndarray | None,
    keypoints_2d: np.ndarray | None,
    focal_length: float | None = None,
    image_size: tuple[float, float] | None = None,
) -> PinholeGuess:
    """The pinhole camera to assume: given values, else estimated from the 2D evidence.

    Args:
        box: (M, 4) [x, y, w, h] pixels or None.
        keypoints_2d: (M, J, 3) (u, v, s) pixels or None.
        focal_length: pixels, or None for the image width.
        image_size: (width, height) pixels, or None for the extent of all boxes and keypoints.
    """
    size_given = image_size is not None
    if image_size is None:
        right, bottom = [], []
        if box is not None:
            right.append(float((box[:, 0] + box[:, 2]).max()))
            bottom.append(float((box[:, 1] + box[:, 3]).max()))
        if keypoints_2d is not None:
            right.append(float(keypoints_2d[..., 0].max()))
            bottom.append(float(keypoints_2d[..., 1].max()))
        image_size = (max(right), max(bottom))
    width, height = float(image_size[0]), float(image_size[1])
    f = float(focal_length) if focal_length is not None else width
    return PinholeGuess(f, (width, height), focal_length is not None, size_given)


def estimate_root_translation(
    joints: np.ndarray,
    camera: PinholeGuess,
    keypoints_2d: np.ndarray | None = None,
    box: np.ndarray | None = None,
) -> np.ndarray:
    """Where each pelvis-centred pose stands, by weak perspective (see the module docstring).

    Args:
        joints: (M, J, 3) pelvis-centred poses, metres, z up.
        camera: the assumed pinhole camera.
        keypoints_2d: (M, J, 3) (u, v, s) pixels of the same joints, preferred when given.
        box: (M, 4) [x, y, w, h] pixels, used when keypoints are not given.

    Returns:
        (M, 3) float32 pelvis positions, metres, z up, camera-centred (add to `joints`). Rows
        whose 2D evidence is degenerate (zero spread) are NaN.
    """
    cam = zup_to_camera(joints).astype(np.float64)  # (M, J, 3) camera axes: x right, y down
    f = camera.focal_length
    cx, cy = camera.principal_point
    xy = cam[..., :2]
    with np.errstate(divide="ignore", invalid="ignore"):
        if keypoints_2d is not None:
            uv = keypoints_2d[..., :2].astype(np.float64)  # (M, J, 2)
            uv_mean, xy_mean = uv.mean(axis=1), xy.mean(axis=1)  # (M, 2)
            spread_2d = ((uv - uv_mean[:, None]) ** 2).sum(axis=(1, 2))
            spread_3d = ((xy - xy_mean[:, None]) ** 2).sum(axis=(1, 2))
            scale = np.sqrt(spread_2d / spread_3d)  # (M,) pixels per metre
            anchor_2d, anchor_3d = (
                uv_mean,
                np.concatenate([xy_mean, cam[..., 2].mean(axis=1, keepdims=True)], axis=1),
            )
        elif box is not None:
            lo, hi = xy.min(axis=1), xy.max(axis=1)  # (M, 2)
            box = box.astype(np.float64)
            scale = np.hypot(box[:, 2], box[:, 3]) / np.hypot(*(hi - lo).T)
            anchor_2d = box[:, :2] + box[:, 2:] / 2.0
            anchor_3d = np.concatenate([(lo + hi) / 2.0, cam[..., 2].mean(axis=1)[:, None]], 1)
        else:
            raise ValueError("placement recovery needs 2D keypoints or boxes")
        depth = f / scale  # (M,) depth of the anchor point
        anchor_cam = np.stack(
            [(anchor_2d[:, 0] - cx) / scale, (anchor_2d[:, 1] - cy) / scale, depth], axis=1
        )
    root_cam = anchor_cam - anchor_3d  # the pose origin (pelvis) in camera axes
    root_cam[~np.isfinite(root_cam).all(axis=1) | ~(scale > 0)] = np.nan
    # Back into the canonical frame: camera (x right, y down, z forward) → z up.
    return camera_to_zup(root_cam)
