"""The estimator's numpy parts and its optional import; no mediapipe needed."""

import sys

import numpy as np
import pytest

from duetgraph.cli import main
from duetgraph.errors import DuetgraphError
from duetgraph.extract.estimator import (
    FramePoses,
    MissingExtraError,
    drop_duplicates,
    load_mediapipe,
    paint_out,
    torso_size,
)


def _person(centre, size=100.0, rng=None):
    """(33, 2) pixels of a stick person: shoulders above hips, face above shoulders."""
    rng = rng or np.random.default_rng(0)
    p = rng.normal(scale=0.3 * size, size=(33, 2))
    p[[11, 12]] = [[-0.4 * size, -size], [0.4 * size, -size]]  # shoulders
    p[[23, 24]] = [[-0.3 * size, 0.0], [0.3 * size, 0.0]]  # hips
    p[0] = [0.0, -1.5 * size]  # nose
    p[[7, 8]] = [[-0.2 * size, -1.5 * size], [0.2 * size, -1.5 * size]]  # ears
    return (p + centre).astype(np.float32)


def _poses(pixels, score):
    p = len(pixels)
    presence = np.repeat(np.asarray(score, np.float32)[:, None], 33, axis=1)
    return FramePoses(
        pixels=np.asarray(pixels, np.float32),
        visibility=np.ones((p, 33), np.float32),
        presence=presence,
        world=np.zeros((p, 33, 3), np.float32),
        second_pass=np.zeros(p, bool),
    )


def test_duplicates_are_dropped_and_distinct_people_kept_best_first():
    a = _person((200, 300))
    b = _person((600, 300), rng=np.random.default_rng(1))
    a_again = a + 8.0  # the same person found twice, a few pixels apart
    kept = drop_duplicates(_poses([a_again, b, a], [0.6, 0.7, 0.9]))
    assert kept.n_people == 2
    np.testing.assert_array_equal(kept.pixels[0], a)  # best score first
    np.testing.assert_array_equal(kept.pixels[1], b)
    close = _person((200 + 80, 300))  # a second dancer almost a torso to the side: kept
    assert drop_duplicates(_poses([a, close], [0.9, 0.8])).n_people == 2


def test_torso_size_is_the_larger_of_width_and_height():
    np.testing.assert_allclose(torso_size(_person((0, 0), size=50.0)[None]), [50.0])


def test_paint_out_hides_the_person_and_leaves_the_rest():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 255, size=(480, 800, 3), dtype=np.uint8)
    a = _person((200, 300))
    painted = paint_out(frame, a[None])
    mean = frame.reshape(-1, 3).mean(axis=0).astype(int)
    for k in (0, 11, 12, 23, 24):  # on the body: the mean colour
        u, v = a[k].round().astype(int)
        np.testing.assert_array_equal(painted[v, u], mean)
    np.testing.assert_array_equal(painted[:, 500:], frame[:, 500:])  # far away: untouched
    assert painted.shape == frame.shape and painted.dtype == np.uint8
    assert frame.flags.writeable  # the input is not changed in place
    assert not np.array_equal(painted, frame)


def test_missing_extra_is_one_sentence_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe → ImportError
    with pytest.raises(MissingExtraError) as err:
        load_mediapipe()
    assert isinstance(err.value, DuetgraphError)
    assert "duetgraph extract needs the video extra" in str(err.value)
    assert "pip install 'duetgraph[video]'" in str(err.value)


def test_cli_reports_the_missing_extra_before_reading_the_video(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    video = tmp_path / "duet.mp4"
    video.write_bytes(b"not even a video")
    assert main(["extract", str(video), "-o", str(tmp_path / "d.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: duetgraph extract needs the video extra")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "d.json").exists()
