"""Per-frame person detections before cleaning, as flat arrays.

A pose extractor gives zero, one, two or more people per frame, in no reliable order. `Detections`
keeps every detection as one row of flat arrays (M rows), already converted to metres and z-up,
with the frame index it belongs to. Cleaning (`duetgraph.clean`) turns it into a two-dancer `Duet`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from duetgraph.errors import InputError


@dataclass(frozen=True)
class Detections:
    """All detections of a clip, one row per detected person.

    Args:
        frame: (M,) int64, frame index 0..n_frames-1 of each detection, non-decreasing.
        joints: (M, J, 3) float32, metres, z up.
        score: (M,) float32, person score (higher is better).
        n_frames: number of frames of the clip (frames with no detection included).
        fps: frames per second.
        skeleton: skeleton name of `joints`.
        box: optional (M, 4) float32 image box [x, y, w, h] in pixels.
        keypoints_2d: optional (M, J, 3) float32 image (u, v, s) per joint.
        track: optional (M,) int64 track id from the extractor, -1 where unknown.
        pelvis_centred: True if every pose had its root at the origin (placement lost).
        frame_names: optional frame names (e.g. image file names) per frame index.
        source: the file the detections were read from.
        provenance: steps so far (the reader's entry).
    """

    frame: np.ndarray
    joints: np.ndarray
    score: np.ndarray
    n_frames: int
    fps: float
    skeleton: str
    box: np.ndarray | None = None
    keypoints_2d: np.ndarray | None = None
    track: np.ndarray | None = None
    pelvis_centred: bool = False
    frame_names: tuple[str, ...] | None = None
    source: str = "unknown"
    provenance: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        m = len(self.frame)
        if self.joints.ndim != 3 or self.joints.shape[0] != m or self.joints.shape[2] != 3:
            raise InputError(f"{self.source}: detections have joints of shape {self.joints.shape}.")
        if self.score.shape != (m,):
            raise InputError(f"{self.source}: expected one score per detection.")
        if m and (np.diff(self.frame) < 0).any():
            raise InputError(f"{self.source}: detections must be sorted by frame.")
        if m and (self.frame.min() < 0 or self.frame.max() >= self.n_frames):
            raise InputError(
                f"{self.source}: a detection lies outside frames 0..{self.n_frames - 1}."
            )

    @property
    def n_detections(self) -> int:
        return len(self.frame)

    @property
    def n_joints(self) -> int:
        return self.joints.shape[1]

    def counts_per_frame(self) -> np.ndarray:
        """(n_frames,) int64 number of detections in each frame."""
        return np.bincount(self.frame, minlength=self.n_frames)

    def detection_histogram(self) -> dict[str, int]:
        """How many frames have 0, 1, 2 and 3+ detections."""
        c = self.counts_per_frame()
        return {
            "0": int((c == 0).sum()),
            "1": int((c == 1).sum()),
            "2": int((c == 2).sum()),
            "3+": int((c >= 3).sum()),
        }
