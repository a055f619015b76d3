"""The pose estimator: MediaPipe's PoseLandmarker, built from the model files inside its wheel.

`pip install 'duetgraph[video]'` installs mediapipe 0.10.21, whose wheel still ships BlazePose's
pose detector (`modules/pose_detection/pose_detection.tflite`) and its full landmark model
(`modules/pose_landmark/pose_landmark_full.tflite`); newer releases no longer ship them, and
nothing is ever downloaded here. MediaPipe's Tasks API (`PoseLandmarker`, which finds several
people per image) wants both models in one `.task` bundle with image-normalisation metadata; the
bundle is built here in memory from the shipped files (metadata written with MediaPipe's own
metadata writer: detector input in [−1, 1], landmark input in [0, 1], as the legacy graphs feed
them). Its landmarks match the legacy single-person solution's (`mp.solutions.pose`, which
feeds the same files through MediaPipe's own graphs): most to a thousandth of a pixel, a few
refined from the heatmap to within a few pixels, world landmarks to a millimetre (tests/extract).

Two dancers per frame: the landmarker is asked for up to `max_people` poses. Its detector misses
a person now and then when two are in view, so when fewer than two are found, the found people
are painted out (thick strokes along their limbs, in the frame's mean colour) and the frame is
searched again. Poses whose torso and face landmarks coincide with a better-scored pose are
dropped as duplicates. Each frame is processed on its own (IMAGE mode): results do not depend on
the frames before, and the cleaning pipeline links the dancers over time.

mediapipe is imported only when an estimator is created, so the core install never needs it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duetgraph.errors import DuetgraphError
from duetgraph.extract.landmarks import BODY_SEGMENTS, N_LANDMARKS

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'duetgraph[video]'"
_DETECTOR = ("modules", "pose_detection", "pose_detection.tflite")
_LANDMARKER = ("modules", "pose_landmark", "pose_landmark_full.tflite")
_DUPLICATE = 0.3  # poses closer than this × torso size (median over torso and face) are one
_PAINT_WIDTH = 0.35  # stroke width when painting a found person out, × torso size


class MissingExtraError(DuetgraphError):
    """An optional dependency group (extra) is not installed."""


@dataclass(frozen=True)
class FramePoses:
    """The people found in one frame, in the estimator's own terms.

    Args:
        pixels: (P, 33, 2) float32 landmark positions (u, v), pixels of the frame given.
        visibility: (P, 33) float32 probability that each landmark is visible (not occluded).
        presence: (P, 33) float32 probability that each landmark lies inside the image.
        world: (P, 33, 3) float32 metres, camera axes (x right, y down, z away), centred on the
            midpoint of the hips.
        second_pass: (P,) bool, True for people found after painting out the others.
    """

    pixels: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    second_pass: np.ndarray

    @property
    def n_people(self) -> int:
        return len(self.pixels)

    @property
    def score(self) -> np.ndarray:
        """(P,) person score: the mean landmark presence (0..1)."""
        return self.presence.mean(axis=1)


def load_mediapipe():
    """Import mediapipe, or raise MissingExtraError with the install command."""
    try:
        import mediapipe
        from mediapipe.tasks.python import vision  # noqa: F401  (the Tasks API must import)
    except ImportError as exc:
        raise MissingExtraError(
            f"duetgraph extract needs the video extra ({exc.name or 'mediapipe'} is missing): "
            f"{INSTALL_HINT}"
        ) from None
    return mediapipe


def model_bundle(mp) -> bytes:
    """A PoseLandmarker `.task` bundle (zip bytes) built from the model files in mediapipe's wheel.

    Raises:
        MissingExtraError: the installed mediapipe has no pose models on disk (a release newer
            than 0.10.21 that would download them).
    """
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    root = Path(mp.__file__).parent
    files = {}
    for name, parts, mean, std in (
        ("pose_detector.tflite", _DETECTOR, 127.5, 127.5),  # pixels → [−1, 1]
        ("pose_landmarks_detector.tflite", _LANDMARKER, 0.0, 255.0),  # pixels → [0, 1]
    ):
        path = root.joinpath(*parts)
        if not path.is_file():
            raise MissingExtraError(
                f"{path}: mediapipe {getattr(mp, '__version__', '?')} does not ship its pose "
                f"models; install the version the video extra pins: {INSTALL_HINT}"
            )
        writer = metadata_writer.MetadataWriter.create(bytearray(path.read_bytes()))
        writer.add_general_info(name.removesuffix(".tflite"))
        writer.add_image_input(norm_mean=[mean], norm_std=[std])
        files[name] = bytes(writer.populate()[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


class PoseEstimator:
    """Finds up to `max_people` people per RGB frame, with 2D and 3D landmarks.

    Args:
        max_people: poses asked of the landmarker per pass (2 for a duet; more lets the cleaning
            choose the two that continue the tracks).
        min_detection_confidence: person detector threshold (MediaPipe's default 0.5).
        min_presence_confidence: landmark presence threshold (MediaPipe's default 0.5).
        second_pass: search again with the found people painted out when fewer than two were
            found.
    """

    def __init__(
        self,
        max_people: int = 2,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        second_pass: bool = True,
    ) -> None:
        mp = load_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self.version = str(getattr(mp, "__version__", "?"))
        self.max_people = max_people
        self.second_pass = second_pass
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model_bundle(mp)),
            running_mode=vision.RunningMode.IMAGE,
            num_poses=max_people,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
        )
        self._stderr = _NativeStderr()
        with self._stderr:
            self._landmarker = vision.PoseLandmarker.create_from_options(options)

    def close(self) -> None:
        self._landmarker.close()
        self._stderr.release()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def detect(self, frame: np.ndarray) -> FramePoses:
        """The people in one frame.

        Args:
            frame: (H, W, 3) uint8 RGB.

        Returns:
            FramePoses with P ≤ max_people people (P may be 0).
        """
        poses = self._run(frame)
        if self.second_pass and 0 < poses.n_people < min(2, self.max_people):
            more = self._run(paint_out(frame, poses.pixels))
            more = FramePoses(**{**more.__dict__, "second_pass": np.ones(more.n_people, bool)})
            poses = _concat(poses, more)
        kept = drop_duplicates(poses)
        return _select(kept, np.arange(min(kept.n_people, self.max_people)))

    def _run(self, frame: np.ndarray) -> FramePoses:
        h, w = frame.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=frame)
        with self._stderr:
            result = self._landmarker.detect(image)
        p = len(result.pose_landmarks)
        if p == 0:
            return _empty()
        image_lm = np.array(
            [
                [(lm.x, lm.y, lm.visibility, lm.presence) for lm in pose]
                for pose in result.pose_landmarks
            ],
            dtype=np.float32,
        )  # (P, 33, 4), x and y normalised to the image
        world = np.array(
            [[(lm.x, lm.y, lm.z) for lm in pose] for pose in result.pose_world_landmarks],
            dtype=np.float32,
        )  # (P, 33, 3) metres
        return FramePoses(
            pixels=image_lm[..., :2] * np.array([w, h], dtype=np.float32),
            visibility=image_lm[..., 2],
            presence=image_lm[..., 3],
            world=world,
            second_pass=np.zeros(p, dtype=bool),
        )


def _empty() -> FramePoses:
    z = np.zeros
    return FramePoses(
        z((0, N_LANDMARKS, 2), np.float32),
        z((0, N_LANDMARKS), np.float32),
        z((0, N_LANDMARKS), np.float32),
        z((0, N_LANDMARKS, 3), np.float32),
        z(0, bool),
    )


def _concat(a: FramePoses, b: FramePoses) -> FramePoses:
    return FramePoses(
        **{k: np.concatenate([getattr(a, k), getattr(b, k)]) for k in a.__dataclass_fields__}
    )


def _select(poses: FramePoses, keep: np.ndarray) -> FramePoses:
    return FramePoses(**{k: getattr(poses, k)[keep] for k in poses.__dataclass_fields__})


def torso_size(pixels: np.ndarray) -> np.ndarray:
    """(P,) pixels: the larger of shoulder width and shoulder-midpoint-to-hip-midpoint distance.

    Args:
        pixels: (P, 33, 2) landmark pixels.
    """
    shoulders = pixels[:, [11, 12]]
    hips = pixels[:, [23, 24]]
    width = np.linalg.norm(shoulders[:, 0] - shoulders[:, 1], axis=-1)
    height = np.linalg.norm(shoulders.mean(1) - hips.mean(1), axis=-1)
    return np.maximum(np.maximum(width, height), 1.0)


def drop_duplicates(poses: FramePoses) -> FramePoses:
    """Keep, best score first, only poses that do not coincide with a kept one.

    Two poses coincide when the median distance between their nose, shoulders and hips is below
    0.3 × the larger torso size. Returns the kept poses, best score first.
    """
    if poses.n_people == 0:
        return poses
    order = np.argsort(-poses.score, kind="stable")
    core = poses.pixels[:, [0, 11, 12, 23, 24]]  # (P, 5, 2)
    dist = np.median(np.linalg.norm(core[:, None] - core[None], axis=-1), axis=-1)  # (P, P)
    size = torso_size(poses.pixels)
    close = dist < _DUPLICATE * np.maximum(size[:, None], size[None])
    kept: list[int] = []
    for i in order.tolist():
        if not any(close[i, k] for k in kept):
            kept.append(i)
    return _select(poses, np.array(kept, dtype=np.int64))


def paint_out(frame: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """A copy of `frame` with each person's body painted over in the frame's mean colour.

    Args:
        frame: (H, W, 3) uint8 RGB.
        pixels: (P, 33, 2) landmark pixels of the people to hide.

    Returns:
        (H, W, 3) uint8: strokes along the body segments and a disc over the head, each
        0.35 × the person's torso size wide, so the detector sees only the others.
    """
    from PIL import Image, ImageDraw

    colour = tuple(int(c) for c in frame.reshape(-1, 3).mean(axis=0))
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    for pts, size in zip(pixels.astype(np.float64), torso_size(pixels), strict=True):
        width = max(2, int(_PAINT_WIDTH * size))
        for i, j in BODY_SEGMENTS:
            draw.line([tuple(pts[i]), tuple(pts[j])], fill=colour, width=width)
        for u, v in pts:
            draw.ellipse([u - width / 2, v - width / 2, u + width / 2, v + width / 2], fill=colour)
        head = max(np.linalg.norm(pts[7] - pts[8]), width / 2)  # ear to ear
        u, v = pts[0]
        draw.ellipse([u - head, v - head, u + head, v + head], fill=colour)
    return np.asarray(image)


class _NativeStderr:
    """Routes file descriptor 2 into a temporary file while MediaPipe runs.

    MediaPipe's C++ core and TensorFlow Lite log start-up notes ("Created TensorFlow Lite XNNPACK
    delegate", absl warnings) straight to file descriptor 2, past Python's logging, where they
    would break the progress bar. They are collected and passed to this module's logger at DEBUG
    level (`duetgraph -v` shows them).
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._saved: int | None = None

    def __enter__(self) -> None:
        import sys

        with contextlib.suppress(AttributeError, ValueError):
            sys.stderr.flush()
        self._saved = os.dup(2)
        os.dup2(self._file.fileno(), 2)

    def __exit__(self, *exc) -> None:
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._saved = None
        fd = self._file.fileno()
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, 0, os.SEEK_SET)
            text = os.read(fd, size).decode("utf-8", "replace")
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            for line in text.splitlines():
                log.debug("mediapipe: %s", line)

    def release(self) -> None:
        self._file.close()
