"""Reading frames with the ffmpeg that imageio-ffmpeg ships (no video extra needed)."""

import logging

import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.extract.video import is_video, open_video


def _write(path, n_frames=30, fps=30.0, size=(96, 64)):
    """A clip whose frame k is grey level 8k (k readable back after lossy coding)."""
    import imageio_ffmpeg

    w = imageio_ffmpeg.write_frames(
        str(path), size, fps=fps, macro_block_size=2, quality=9, ffmpeg_log_level="error"
    )
    w.send(None)
    for k in range(n_frames):
        w.send(np.full((size[1], size[0], 3), 8 * k, dtype=np.uint8))
    w.close()
    return path


def _index(frame):
    return int(round(frame.mean() / 8))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("video") / "clip.mp4")


def test_reads_every_frame_at_the_video_rate(clip):
    info, frames = open_video(clip)
    got = [_index(f) for f in frames]
    assert info.fps == pytest.approx(30.0) and info.source_fps == pytest.approx(30.0)
    assert info.size == (96, 64) and info.frame_size == (96, 64)
    assert got == list(range(30))
    assert info.expected_frames == 30


@pytest.mark.parametrize("fps", [10.0, 12.0, 7.5])
def test_fps_samples_the_frame_on_screen_at_each_instant(clip, fps):
    """Sampled frame k is the video frame shown at time k / fps (the last one not after it)."""
    info, frames = open_video(clip, fps=fps)
    assert info.fps == fps
    expected = [int(np.floor(k * 30.0 / fps + 1e-9)) for k in range(int(np.ceil(30 * fps / 30.0)))]
    assert [_index(f) for f in frames] == expected


def test_fps_above_the_video_rate_is_lowered(clip, caplog):
    with caplog.at_level(logging.WARNING):
        info, frames = open_video(clip, fps=60.0)
    assert info.fps == pytest.approx(30.0)
    assert len(list(frames)) == 30
    assert "above the video's" in caplog.text


def test_large_frames_are_shrunk_and_the_scale_is_known(tmp_path):
    path = _write(tmp_path / "big.mp4", n_frames=3, size=(400, 200))
    info, frames = open_video(path, max_size=100)
    first = next(iter(frames))
    assert first.shape == (50, 100, 3) and first.dtype == np.uint8
    assert info.size == (400, 200) and info.frame_size == (100, 50)
    assert info.pixel_scale == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a video\n", "cannot be read as a video"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_get_one_sentence(tmp_path, content, message):
    path = tmp_path / "duet.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        info, frames = open_video(path)
        list(frames)
    text = str(err.value)
    assert str(path) in text and "\n" not in text and text.endswith(".")


def test_a_sound_file_has_no_video_stream(tmp_path):
    import subprocess

    import imageio_ffmpeg

    path = tmp_path / "music.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=duration=0.5", str(path)],
        check=True,
    )  # fmt: skip
    with pytest.raises(InputError, match=r"cannot be read as a video \(ffmpeg: no video stream\)"):
        open_video(path)


def test_missing_file_and_bad_fps(tmp_path, clip):
    with pytest.raises(InputError, match="no such file"):
        open_video(tmp_path / "nope.mp4")
    with pytest.raises(InputError, match="positive frame rate"):
        open_video(clip, fps=0.0)


def test_video_suffixes():
    assert is_video("a/Duet.MP4") and is_video("x.mov") and is_video("y.webm")
    assert not is_video("alphapose-results.json") and not is_video("duet.npz")
