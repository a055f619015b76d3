"""From a video to per-frame 3D detections of the people in it.

    det = extract_video("duet.mp4", ExtractConfig(fps=15))
    write_detections(det, "detections.json")       # AlphaPose format: `duetgraph clean` reads it
    duet, report = clean_detections(det)            # or clean straight away

For each sampled frame, MediaPipe's pose landmarker (`estimator.PoseEstimator`) finds the
people, each with 33 landmarks in pixels and in metres (hip-centred). `camera.solve_translation`
places every pose in the scene from where its landmarks appear (pinhole camera, focal length
the video width unless given), the landmarks are mapped onto the output skeleton
(`landmarks.map_landmarks`, H36M-17 by default) and converted once from camera axes to z-up.
The result is `Detections` like any pose extractor's: identities, gaps and jitter are the
cleaning pipeline's job.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duetgraph import __version__
from duetgraph.errors import InputError
from duetgraph.extract.camera import project, solve_translation
from duetgraph.extract.estimator import PoseEstimator, load_mediapipe
from duetgraph.extract.landmarks import RECIPES, map_landmarks
from duetgraph.extract.video import open_video
from duetgraph.io.alphapose import alphapose_records, write_alphapose
from duetgraph.io.axes import camera_to_zup, zup_to_camera
from duetgraph.io.detections import Detections

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
"""Called after each frame with (frames done, frames expected or None)."""


@dataclass(frozen=True)
class ExtractConfig:
    """How to extract poses from a video. Each field maps onto one `duetgraph extract` flag.

    Args:
        fps: frames per second to sample (None: the video's own rate, at most 30).
        skeleton: output skeleton ("h36m17"; see `landmarks.RECIPES`).
        max_people: people kept per frame (2 for a duet; more lets the cleaning pick the two
            that continue the tracks).
        focal_length: camera focal length in video pixels (None: the video width, ~53° field
            of view). Depths scale with it; positions across the image hardly depend on it.
        max_size: frames whose long side exceeds this many pixels are shrunk before pose
            estimation (the models see 224-256 pixel crops anyway); None keeps full size.
        min_detection_confidence: person detector threshold (0..1).
        min_presence_confidence: landmark presence threshold (0..1).
        second_pass: when fewer than two people are found, paint them out and search again.
    """

    fps: float | None = None
    skeleton: str = "h36m17"
    max_people: int = 2
    focal_length: float | None = None
    max_size: int | None = 1280
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    second_pass: bool = True

    def __post_init__(self) -> None:
        if self.fps is not None and not (math.isfinite(self.fps) and self.fps > 0):
            raise InputError(f"--fps {self.fps} is not a positive frame rate; give e.g. --fps 10.")
        if self.skeleton.lower().replace("-", "").replace("_", "") not in RECIPES:
            raise InputError(
                f"--skeleton {self.skeleton!r} cannot be extracted from video; use one of "
                f"{', '.join(RECIPES)}."
            )
        if self.max_people < 1:
            raise InputError(f"--max-people {self.max_people} must be at least 1 (2 for a duet).")
        if self.focal_length is not None and not (self.focal_length > 0):
            raise InputError(f"--focal-length {self.focal_length} must be positive (pixels).")
        if self.max_size is not None and self.max_size < 64:
            raise InputError(f"--max-size {self.max_size} is too small; use at least 64 pixels.")
        for name in ("min_detection_confidence", "min_presence_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                flag = "--" + name.replace("_", "-")
                raise InputError(f"{flag} {value} must lie in [0, 1].")


def extract_video(
    path: str | os.PathLike,
    config: ExtractConfig | None = None,
    progress: Progress | None = None,
) -> Detections:
    """Find the people in every sampled frame of a video and give each 3D joints in the scene.

    Args:
        path: the video (anything ffmpeg reads: .mp4, .mov, .avi, .mkv, .webm, ...).
        config: extraction settings (default `ExtractConfig()`).
        progress: called after each frame with (frames done, frames expected or None).

    Returns:
        Detections: joints (M, J, 3) float32 metres z-up (the camera at the origin looking
        along +y, so z = 0 is the camera's height, not the floor), score (M,) (mean landmark
        presence), box (M, 4) and keypoints_2d (M, J, 3) (u, v, visibility) in video pixels,
        track (M,) = rank within the frame (best score first), n_frames = frames sampled (frames without anyone included),
        fps = the sampling rate, and one provenance entry describing the extraction.

    Raises:
        InputError: unreadable or empty video, bad settings, or nobody found in any frame.
        MissingExtraError: mediapipe (the video extra) is not installed.
    """
    config = config or ExtractConfig()
    path = Path(path)
    load_mediapipe()  # a missing extra is reported before the video is opened
    info, frames = open_video(path, config.fps, config.max_size)
    scale = info.pixel_scale  # video pixels per frame pixel
    focal_video = float(config.focal_length or info.size[0])
    focal = focal_video / scale  # in frame pixels
    principal = (info.frame_size[0] / 2.0, info.frame_size[1] / 2.0)

    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("frame", "pixels", "vis", "world", "pres")}
    n_second = 0
    n_frames = 0
    t0 = time.perf_counter()
    with (
        contextlib.closing(frames),
        PoseEstimator(
            config.max_people,
            config.min_detection_confidence,
            config.min_presence_confidence,
            config.second_pass,
        ) as estimator,
    ):
        estimator_version = estimator.version
        for frame in frames:
            poses = estimator.detect(frame)
            rows["frame"].append(np.full(poses.n_people, n_frames, dtype=np.int64))
            rows["pixels"].append(poses.pixels)
            rows["vis"].append(poses.visibility)
            rows["pres"].append(poses.presence)
            rows["world"].append(poses.world)
            n_second += int(poses.second_pass.sum())
            n_frames += 1
            if progress is not None:
                progress(n_frames, info.expected_frames)
    seconds = time.perf_counter() - t0
    frame_of = np.concatenate(rows["frame"])
    if len(frame_of) == 0:
        raise InputError(
            f"{path}: no person was found in any of its {n_frames} frames sampled at "
            f"{info.fps:g} fps; check that the video shows the dancers, whole and not tiny."
        )
    pixels = np.concatenate(rows["pixels"])  # (M, 33, 2) frame pixels
    vis = np.concatenate(rows["vis"])  # (M, 33)
    world = np.concatenate(rows["world"])  # (M, 33, 3) metres, camera axes, hip-centred
    score = np.concatenate(rows["pres"]).mean(axis=1).astype(np.float32)

    shift = solve_translation(world, pixels, vis, focal, principal)  # (M, 3)
    placed = world + shift[:, None, :].astype(np.float32)  # (M, 33, 3) camera axes, metres
    seen = vis > 0.5
    error = np.linalg.norm(project(placed, focal, principal) - pixels, axis=-1) * scale  # (M, 33)
    reprojection = round(float(np.median(error[seen])), 3) if seen.any() else None

    # The one conversion into the canonical frame: camera (x right, y down, z forward) → z up,
    # (x, y, z) → (x, z, −y).
    joints = camera_to_zup(map_landmarks(placed, config.skeleton))  # (M, J, 3) metres
    keypoints = np.concatenate(
        [
            map_landmarks(pixels * scale, config.skeleton),
            map_landmarks(vis, config.skeleton)[..., None],
        ],
        axis=-1,
    )  # (M, J, 3): (u, v) video pixels and visibility
    box = _boxes(pixels * scale, info.size)
    rank = _rank_within_frame(frame_of)
    counts = np.bincount(frame_of, minlength=n_frames)
    hist = [int((counts == k).sum()) for k in (0, 1, 2)] + [int((counts >= 3).sum())]
    if hist[2] + hist[3] == 0:
        log.warning(
            "%s: at most one person was found in each frame; a duet needs both dancers in view.",
            path,
        )
    log.debug(
        "%s: %d frames in %.1f s (%.1f frames/s); people per frame 0: %d, 1: %d, 2: %d, 3+: %d",
        path, n_frames, seconds, n_frames / max(seconds, 1e-9), *hist,
    )  # fmt: skip
    return Detections(
        frame=frame_of,
        joints=joints.astype(np.float32),
        score=score,
        n_frames=n_frames,
        fps=info.fps,
        skeleton=config.skeleton.lower().replace("-", "").replace("_", ""),
        box=box,
        keypoints_2d=keypoints.astype(np.float32),
        track=rank,
        pelvis_centred=False,
        frame_names=tuple(f"{k}.jpg" for k in range(n_frames)),
        source=str(path),
        provenance=(
            {
                "step": "extract_video",
                "source": str(path),
                "estimator": f"mediapipe {estimator_version} PoseLandmarker "
                "(pose_detection + pose_landmark_full from its wheel)",
                "duetgraph": __version__,
                "video_size_px": list(info.size),
                "frame_size_px": list(info.frame_size),
                "source_fps": info.source_fps,
                "fps": info.fps,
                "n_frames": n_frames,
                "n_detections": len(frame_of),
                "frames_with_0_1_2_3plus": hist,
                "second_pass_detections": n_second,
                "focal_length_px": focal_video,
                "focal_given": config.focal_length is not None,
                "principal_point_px": [info.size[0] / 2.0, info.size[1] / 2.0],
                "median_reprojection_px": reprojection,  # visible landmarks, video pixels
                "max_people": config.max_people,
                "skeleton": config.skeleton,
                "axes": "camera (x right, y down, z forward) -> z up: (x, z, -y)",
            },
        ),
    )


def _boxes(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(M, 4) float32 [x, y, w, h]: extent of the landmarks (M, 33, 2), clipped to the image."""
    lo = np.clip(pixels.min(axis=1), 0, size)
    hi = np.clip(pixels.max(axis=1), 0, size)
    return np.concatenate([lo, hi - lo], axis=1).astype(np.float32)


def _rank_within_frame(frame: np.ndarray) -> np.ndarray:
    """(M,) int64 position of each row among the rows of its frame (rows sorted by frame)."""
    starts = np.searchsorted(frame, frame, side="left")
    return (np.arange(len(frame)) - starts).astype(np.int64)


def write_detections(det: Detections, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write detections as AlphaPose-format JSON (`pred_xyz_jts` in camera axes, metres).

    One object per person per frame with `image_id` "<frame>.jpg", `keypoints` (J × (u, v,
    visibility) video pixels), `score`, `box`, `idx` (rank in the frame) and `pred_xyz_jts`.
    `duetgraph clean` reads it back (pass the frame rate and skeleton: AlphaPose's format
    stores neither). Frames in which nobody was found have no object; leading ones shift frame
    numbering when read back (the reader starts at the first image number it sees).
    """
    records = alphapose_records(
        [f"{f}.jpg" for f in det.frame.tolist()],
        zup_to_camera(det.joints),  # z up → camera axes, the format's convention
        det.score,
        box=det.box,
        keypoints_2d=det.keypoints_2d,
        idx=det.track,
    )
    return write_alphapose(records, path, overwrite=overwrite)
