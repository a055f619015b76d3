import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from duetgraph.errors import InputError, OutputError
from duetgraph.viz import style
from duetgraph.viz.raster import FrameStyle
from duetgraph.viz.video import VideoConfig, render_video

SMALL = FrameStyle(width=320, height=180)


def _decode(path):
    """(meta, frames (N, H, W, 3) uint8) of a video file, decoded by ffmpeg."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    return meta, np.stack(frames)


def test_mp4_decodes_with_the_expected_frames_size_and_strings(
    duet, make_one_string, color_near, tmp_path
):
    path = tmp_path / "duet.mp4"
    info = render_video(duet, path, make_one_string(duet, 0.99), VideoConfig(frame_style=SMALL))
    assert info.n_frames == 40 and info.fps == 10.0 and not info.reduced
    meta, frames = _decode(path)
    assert meta["size"] == (320, 180) and meta["fps"] == pytest.approx(10.0)
    assert meta["codec"].startswith("h264") and "yuv420p" in meta["pix_fmt"]
    assert frames.shape == (40, 180, 320, 3)
    assert color_near(frames[15], style.STRING_COLOR, tol=50).sum() > 20  # survives H.264
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary file was renamed


def test_mp4_at_a_reduced_rate_has_fewer_frames(duet, tmp_path):
    path = tmp_path / "half.mp4"
    info = render_video(duet, path, config=VideoConfig(fps=5.0, frame_style=SMALL))
    assert info.reduced and info.n_frames == 20
    assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 20


def test_gif_opens_with_the_expected_frames(duet, make_one_string, tmp_path):
    path = tmp_path / "duet.gif"
    config = VideoConfig(format="gif", frame_style=SMALL, start=1.0, end=3.0)
    info = render_video(duet, path, make_one_string(duet, 0.9), config)
    with Image.open(path) as gif:
        assert gif.n_frames == info.n_frames == 20 and gif.size == (320, 180)
        assert gif.info["duration"] == 100  # 10 fps
        gif.seek(5)
        rgb = np.asarray(gif.convert("RGB"))
    assert (np.abs(rgb.astype(int) - style.DANCER_COLORS[0]).max(-1) < 30).sum() > 50


def test_long_gif_is_refused_before_rendering(duet, tmp_path):
    config = VideoConfig(format="gif", frame_style=SMALL, max_gif_frames=10)
    with pytest.raises(InputError, match="--video mp4"):
        render_video(duet, tmp_path / "long.gif", config=config)
    assert not list(tmp_path.iterdir())


def test_existing_video_is_kept_without_overwrite(duet, tmp_path):
    path = tmp_path / "duet.mp4"
    path.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="--overwrite"):
        render_video(duet, path, config=VideoConfig(frame_style=SMALL))
    assert path.read_bytes() == b"keep me"
    render_video(duet, path, config=VideoConfig(frame_style=SMALL), overwrite=True)
    assert path.stat().st_size > 1000


def test_bad_format_is_an_input_error():
    with pytest.raises(InputError, match="mp4, gif"):
        VideoConfig(format="avi")


def test_ffmpeg_failure_is_an_output_error_and_leaves_nothing(duet, tmp_path):
    config = VideoConfig(frame_style=SMALL, preset="no-such-preset")
    with pytest.raises(OutputError, match="ffmpeg failed"):
        render_video(duet, tmp_path / "duet.mp4", config=config)
    assert not list(tmp_path.iterdir())
