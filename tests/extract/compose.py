"""A two-person video made from real photographs that ship inside PyPI packages.

Eileen Collins (`skimage.data.astronaut()`, NASA, public domain) and Grace Hopper (matplotlib's
`sample_data/grace_hopper.jpg`, US Navy, public domain) are pasted onto a plain background and
moved along known paths, then encoded with the ffmpeg that imageio-ffmpeg ships. The truth is
where each photograph lies in every frame. Used by tests/extract and bench/bench_extract.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

BACKGROUND = (90, 100, 110)


@dataclass(frozen=True)
class Composition:
    """What was filmed.

    Args:
        path: the video file.
        size: (width, height) pixels.
        fps: frames per second.
        rects: (T, 2, 4) float64 [x, y, w, h] of each photo per frame, pixels; person 0 is the
            astronaut (left half of the frame), person 1 Grace Hopper (right half).
    """

    path: Path
    size: tuple[int, int]
    fps: float
    rects: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.rects)


def photos():
    """The two photographs as PIL images: (astronaut 512 × 512, Grace Hopper 512 × 600)."""
    import matplotlib
    from PIL import Image
    from skimage import data

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return Image.fromarray(data.astronaut()), Image.open(hopper).convert("RGB")


def frames(size: tuple[int, int], n_frames: int):
    """Yield (frame (H, W, 3) uint8, rects (2, 4)) for a duet moving on two loops.

    The astronaut circles on the left and grows and shrinks by ±8 % (as if stepping towards
    and away from the camera); Grace Hopper sways on the right in the opposite phase.
    """
    from PIL import Image

    width, height = size
    k = height / 720.0  # photo sizes are set for 720p and scale with the frame
    astro, hopper = photos()
    for t in range(n_frames):
        phase = 2 * np.pi * t / n_frames
        grow = 1.0 + 0.08 * np.sin(phase)
        a_side = round(430 * k * grow)
        a_xy = (round((70 + 110 * np.sin(phase)) * k), round((260 + 30 * np.cos(phase)) * k))
        h_w, h_h = round(320 * k), round(375 * k)
        h_xy = (round((860 - 110 * np.sin(phase)) * k), round(height - h_h - 15 * k))
        canvas = Image.new("RGB", size, BACKGROUND)
        canvas.paste(astro.resize((a_side, a_side), Image.BILINEAR), a_xy)
        canvas.paste(hopper.resize((h_w, h_h), Image.BILINEAR), h_xy)
        rects = np.array([[*a_xy, a_side, a_side], [*h_xy, h_w, h_h]], dtype=np.float64)
        yield np.asarray(canvas), rects


def write_duet_video(
    path: Path, size: tuple[int, int] = (640, 360), n_frames: int = 24, fps: float = 24.0
) -> Composition:
    """Encode the moving duet as H.264 MP4 at `path` and return what was filmed."""
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(path), size, fps=fps, quality=8, macro_block_size=2, ffmpeg_log_level="error"
    )
    writer.send(None)  # start ffmpeg
    all_rects = []
    try:
        for frame, rects in frames(size, n_frames):
            writer.send(np.ascontiguousarray(frame))
            all_rects.append(rects)
    finally:
        writer.close()
    return Composition(Path(path), size, float(fps), np.stack(all_rects))
