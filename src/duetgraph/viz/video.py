"""Video of a duet with its strings: MP4 (H.264 through ffmpeg) or animated GIF (pillow).

Frames come from `raster.FrameRenderer` (pillow drawing over a numpy perspective projection).
MP4: raw RGB frames are piped to the ffmpeg binary shipped with imageio-ffmpeg, encoded with
libx264 as yuv420p (plays everywhere). GIF: every frame is mapped to one fixed 256-colour palette
made of the video's own colours and their blends (no flicker between frames); pillow holds all
GIF frames in memory, so GIFs are capped at `max_gif_frames`.

Both are written to a temporary file next to the destination and renamed into place when done
(`duetgraph.atomic.atomic_path`). At a reduced fps each output frame shows the nearest duet
frame; the caption and the log say so.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.atomic import atomic_path
from duetgraph.duet import Duet
from duetgraph.errors import InputError, OutputError
from duetgraph.viz import style
from duetgraph.viz.raster import FrameRenderer, FrameStyle
from duetgraph.viz.timeline import plan_frames

log = logging.getLogger(__name__)

VIDEO_FORMATS = ("mp4", "gif")
GIF_DEFAULT_FPS = 10.0  # GIF frame delays are whole centiseconds; 10 fps is exact

Progress = Callable[[int, int], None]  # (frames done, frames in all)


@dataclass(frozen=True)
class VideoConfig:
    """What to encode.

    Args:
        format: "mp4" or "gif".
        fps: output frames per second; None: the duet's own for MP4, at most 10 for GIF. Lower
            than the duet's: fewer frames, each the nearest duet frame (faster, smaller).
        start, end: seconds of the duet to show; None: from its start / to its end.
        frame_style: size, threshold and view of the frames.
        crf: H.264 constant rate factor (lower = better quality, bigger file; 18-28 is usual).
        preset: libx264 speed preset.
        threads: ffmpeg encoder threads; 0 lets ffmpeg choose.
        max_gif_frames: refuse longer GIFs (pillow keeps every GIF frame in memory).
    """

    format: str = "mp4"
    fps: float | None = None
    start: float | None = None
    end: float | None = None
    frame_style: FrameStyle = field(default_factory=FrameStyle)
    crf: int = 21
    preset: str = "veryfast"
    threads: int = 0
    max_gif_frames: int = 1500

    def __post_init__(self) -> None:
        if self.format not in VIDEO_FORMATS:
            raise InputError(f"video format {self.format!r} must be one of: mp4, gif.")
        if self.fps is not None and not self.fps > 0:
            raise InputError(f"video fps {self.fps} must be positive (e.g. --fps-video 10).")
        if not 0 <= self.crf <= 51:
            raise InputError(f"crf {self.crf} must be in 0..51 (23 is ffmpeg's default).")


@dataclass(frozen=True)
class VideoInfo:
    """What `render_video` wrote: file, frame count, rates, size and seconds it took."""

    path: Path
    format: str
    n_frames: int
    fps: float
    source_fps: float
    width: int
    height: int
    seconds: float

    @property
    def reduced(self) -> bool:
        return self.fps < self.source_fps - 1e-9

    @property
    def duration(self) -> float:
        """Seconds of video."""
        return self.n_frames / self.fps


def render_video(
    duet: Duet,
    path: str | os.PathLike,
    posterior: StringPosterior | None = None,
    config: VideoConfig | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> VideoInfo:
    """Render the duet (and its strings, if given) to an MP4 or GIF file, atomically.

    Args:
        duet: T frames of (2, J, 3) metres.
        path: output file; its suffix does not choose the format, `config.format` does.
        posterior: strings over the same duet, or None to show the dancers only.
        config: format, fps, span, look; defaults if None.
        overwrite: replace an existing file.
        progress: called as progress(done, total) after each frame.

    Raises:
        InputError: bad settings (span, fps, size), or a GIF longer than `max_gif_frames`.
        OutputError: the file exists (without overwrite), or ffmpeg failed.
    """
    cfg = config or VideoConfig()
    fps = cfg.fps
    if fps is None and cfg.format == "gif":
        fps = min(duet.fps, GIF_DEFAULT_FPS)
    plan = plan_frames(duet.n_frames, duet.fps, fps, cfg.start, cfg.end)
    if cfg.format == "gif" and plan.n_frames > cfg.max_gif_frames:
        raise InputError(
            f"{path}: a GIF of {plan.n_frames} frames is over the limit of {cfg.max_gif_frames} "
            "(pillow keeps every frame in memory); use --video mp4, a lower --fps-video, or a "
            "shorter --start/--end span."
        )
    if plan.reduced:
        log.info(
            "rendering at %g fps instead of the duet's %g fps: each video frame shows the "
            "nearest duet frame.",
            plan.fps,
            plan.source_fps,
        )
    began = time.perf_counter()
    renderer = FrameRenderer(duet, posterior, plan, cfg.frame_style)
    with atomic_path(path, overwrite) as tmp:
        if cfg.format == "mp4":
            _write_mp4(renderer, tmp, cfg, progress)
        else:
            _write_gif(renderer, tmp, progress)
    st = cfg.frame_style
    info = VideoInfo(
        Path(path),
        cfg.format,
        plan.n_frames,
        plan.fps,
        plan.source_fps,
        st.width,
        st.height,
        time.perf_counter() - began,
    )
    log.debug(
        "wrote %s: %d frames at %g fps (%.1f s of video) in %.1f s",
        path,
        info.n_frames,
        info.fps,
        info.duration,
        info.seconds,
    )
    return info


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped with imageio-ffmpeg.

    Raises:
        OutputError: imageio-ffmpeg or its binary is missing.
    """
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise OutputError(
            f"cannot find ffmpeg for MP4 output ({exc}); run `pip install imageio-ffmpeg` or use "
            "--video gif."
        ) from None


def _write_mp4(
    renderer: FrameRenderer, tmp: Path, cfg: VideoConfig, progress: Progress | None
) -> None:
    """Pipe raw RGB frames into ffmpeg (libx264, yuv420p) writing `tmp`."""
    st, plan = cfg.frame_style, renderer.plan
    rate = Fraction(plan.fps).limit_denominator(1001)
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel", "error",
        "-y",  # the temporary file exists already (atomic_path made it)
        "-f", "rawvideo",
        "-pix_fmt", "rgb24",
        "-s", f"{st.width}x{st.height}",
        "-framerate", f"{rate.numerator}/{rate.denominator}",
        "-i", "-",
        "-an",
        "-c:v", "libx264",
        "-preset", cfg.preset,
        "-crf", str(cfg.crf),
        "-pix_fmt", "yuv420p",
        "-threads", str(cfg.threads),
        "-movflags", "+faststart",
        "-f", "mp4",
        str(tmp),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errors)
        try:
            for k in range(plan.n_frames):
                proc.stdin.write(renderer.render(k).tobytes())
                if progress is not None:
                    progress(k + 1, plan.n_frames)
            proc.stdin.close()
            code = proc.wait()
        except BrokenPipeError:
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if code != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise OutputError(
                f"{tmp.name}: ffmpeg failed with status {code} ({' / '.join(tail) or 'no message'})."
            )


def gif_palette() -> Image.Image:
    """A "P" image whose 256-colour palette holds the video's colours and their blends.

    Ramps from the background to each foreground colour (anti-aliased edges, translucent
    strings and caption box), and from each dancer's colour to the string colour (strings over
    bodies).
    """
    bg = np.array(style.BACKGROUND, dtype=np.float64)
    ramps = [
        (bg, style.DANCER_COLORS[0], 40),
        (bg, style.DANCER_COLORS[1], 40),
        (bg, style.STRING_COLOR, 40),
        (bg, style.TEXT_COLOR, 40),
        (bg, style.GRID_COLOR, 12),
        (bg, style.SHADOW_COLOR, 8),
        (style.DANCER_COLORS[0], style.STRING_COLOR, 20),
        (style.DANCER_COLORS[1], style.STRING_COLOR, 20),
        (style.GRID_COLOR, style.STRING_COLOR, 20),
        (style.SHADOW_COLOR, style.STRING_COLOR, 16),
    ]
    colors = [
        np.asarray(a, dtype=np.float64) + t * (np.asarray(b) - np.asarray(a))
        for a, b, n in ramps
        for t in np.linspace(0.0, 1.0, n)
    ]
    table = np.rint(np.array(colors[:256])).astype(np.uint8)  # (<=256, 3)
    table = np.vstack([table, np.repeat(table[:1], 256 - table.shape[0], axis=0)])
    pal = Image.new("P", (1, 1))
    pal.putpalette(table.ravel().tolist())
    return pal


def _write_gif(renderer: FrameRenderer, tmp: Path, progress: Progress | None) -> None:
    """Quantise every frame to `gif_palette()` and save an endlessly looping GIF."""
    plan, palette = renderer.plan, gif_palette()
    frames = []
    for k in range(plan.n_frames):
        frames.append(renderer.render(k).quantize(palette=palette, dither=Image.Dither.NONE))
        if progress is not None:
            progress(k + 1, plan.n_frames)
    delay_ms = 10 * max(2, round(100 / plan.fps))  # whole centiseconds; browsers clamp < 20 ms
    frames[0].save(
        tmp,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=delay_ms,
        loop=0,
        optimize=False,
        disposal=1,
    )
