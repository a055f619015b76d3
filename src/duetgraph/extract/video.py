"""Reading video frames through the ffmpeg binary that imageio-ffmpeg ships (a core dependency).

ffmpeg decodes, applies the rotation a phone stored in the file, resamples the stream to a
constant frame rate (its `fps` filter picks, for each output instant k / fps, the frame shown at
that time, so variable-frame-rate phone videos come out evenly spaced) and shrinks frames whose
long side exceeds `max_size`. Frames arrive as raw RGB bytes and are viewed, not copied, as numpy
arrays.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duetgraph.errors import InputError
from duetgraph.io.arrays import check_input_file

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".gif")
"""File suffixes `duetgraph analyze` treats as videos to extract poses from."""


def is_video(path: str | Path) -> bool:
    """True if the file's suffix is a video suffix (the content is checked when read)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg reports about a video and how it will be sampled.

    Args:
        path: the video file.
        size: (width, height) of the video as shown (after rotation), pixels.
        frame_size: (width, height) of the frames handed out (after shrinking), pixels.
        source_fps: the stream's frame rate (0 if ffmpeg could not tell).
        fps: frames per second handed out.
        duration: seconds (0 if unknown).
        codec: ffmpeg's codec name.
    """

    path: Path
    size: tuple[int, int]
    frame_size: tuple[int, int]
    source_fps: float
    fps: float
    duration: float
    codec: str

    @property
    def expected_frames(self) -> int | None:
        """Frames to expect from duration × fps (None if the duration is unknown)."""
        return max(1, math.floor(self.duration * self.fps + 0.5)) if self.duration > 0 else None

    @property
    def pixel_scale(self) -> float:
        """Video pixels per frame pixel (> 1 when frames were shrunk)."""
        return max(self.size) / max(self.frame_size)


class _FfmpegSizeNote(logging.Filter):
    """Drops imageio-ffmpeg's warning that frames are smaller than the source: we asked for it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is different from the source frame size" not in record.getMessage()


def _unreadable(path: Path, detail: str) -> InputError:
    lines = [ln.strip() for ln in detail.splitlines() if ln.strip() and "===" not in ln]
    reason = lines[-1] if lines else "no video stream"
    if "Stream #" in detail and " Video: " not in detail:  # e.g. a sound recording
        reason = "no video stream"
    return InputError(
        f"{path}: cannot be read as a video (ffmpeg: {reason[:160]}); give a complete video "
        "file such as .mp4, .mov, .avi, .mkv or .webm."
    )


def open_video(
    path: str | Path, fps: float | None = None, max_size: int | None = 1280, max_fps: float = 30.0
) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """Open a video and return its description and an iterator over its sampled frames.

    Args:
        path: video file.
        fps: frames per second to sample (None: the video's own rate, at most `max_fps`);
            above the video's own rate it is lowered to that rate.
        max_size: frames with a longer side are shrunk to it (None: never).
        max_fps: cap of the default sampling rate.

    Returns:
        (info, frames): frames yields (H, W, 3) uint8 RGB arrays at `info.fps`, read-only views.

    Raises:
        InputError: missing or empty file, not a video, no frame rate and no `fps`, a
            non-positive `fps`, or ffmpeg failing mid-way (raised while iterating).
    """
    import imageio_ffmpeg

    path = Path(path)
    check_input_file(path)
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"{path}: --fps {fps} is not a positive frame rate; give e.g. --fps 10.")
    meta, probe = _open(imageio_ffmpeg, path, [])
    probe.close()
    source_fps = float(meta.get("fps") or 0.0)
    if fps is None:
        if source_fps <= 0:
            raise InputError(
                f"{path}: ffmpeg cannot tell the video's frame rate; pass --fps (e.g. --fps 30)."
            )
        fps = min(source_fps, max_fps)
    elif source_fps > 0 and fps > source_fps:
        log.warning(
            "%s: --fps %g is above the video's %g fps; sampling every frame instead.",
            path,
            fps,
            source_fps,
        )
        fps = source_fps
    shown = tuple(int(s) for s in meta["size"])  # after ffmpeg's automatic rotation
    filters = [f"fps=fps={fps!r}:round=up"]  # frame k: the one on screen at time k / fps
    frame_size = shown
    if max_size is not None and max(shown) > max_size:
        k = max_size / max(shown)
        frame_size = (max(2, round(shown[0] * k / 2) * 2), max(2, round(shown[1] * k / 2) * 2))
        filters.append(f"scale={frame_size[0]}:{frame_size[1]}:flags=area")
    info = VideoInfo(
        path=path,
        size=shown,
        frame_size=frame_size,
        source_fps=source_fps,
        fps=float(fps),
        duration=float(meta.get("duration") or 0.0),
        codec=str(meta.get("codec", "?")),
    )
    return info, _frames(imageio_ffmpeg, info, ["-vf", ",".join(filters)])


def _open(imageio_ffmpeg, path: Path, output_params: list[str]) -> tuple[dict, Iterator[bytes]]:
    """Start ffmpeg on `path`: (its metadata, the generator of raw frames); errors → InputError."""
    gen = imageio_ffmpeg.read_frames(str(path), output_params=output_params)
    try:
        with _quiet_size_note():
            meta = next(gen)  # starts ffmpeg and parses its header
    except IndexError:  # imageio-ffmpeg found no "Video:" stream line in ffmpeg's header
        gen.close()
        raise _unreadable(path, "no video stream") from None
    except (OSError, RuntimeError, StopIteration, ValueError, AttributeError) as exc:
        gen.close()
        raise _unreadable(path, str(exc)) from None
    return meta, gen


@contextlib.contextmanager
def _quiet_size_note():
    logger = logging.getLogger("imageio_ffmpeg")
    note = _FfmpegSizeNote()
    logger.addFilter(note)
    try:
        yield
    finally:
        logger.removeFilter(note)


def _frames(imageio_ffmpeg, info: VideoInfo, output_params: list[str]) -> Iterator[np.ndarray]:
    w, h = info.frame_size
    meta, gen = _open(imageio_ffmpeg, info.path, output_params)
    try:
        got = tuple(int(s) for s in meta["size"])
        if got != (w, h):  # pragma: no cover - ffmpeg honours the scale filter exactly
            raise InputError(f"{info.path}: ffmpeg gave {got} frames instead of {(w, h)}.")
        n = 0
        while True:
            try:
                raw = next(gen)
            except StopIteration:
                break
            except RuntimeError as exc:
                raise _unreadable(info.path, str(exc)) from None
            n += 1
            yield np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)
        if n == 0:
            raise InputError(f"{info.path}: holds no video frames; give a video that plays.")
    finally:
        gen.close()
