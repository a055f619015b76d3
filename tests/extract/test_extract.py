"""Extraction on a real two-person video (needs the video extra and scikit-image's photos).

The video is made here from two photographs that ship in PyPI wheels (see compose.py): the
astronaut circles on the left, Grace Hopper sways on the right, 24 frames of 640 × 360 at 24 fps.
"""

import json

import numpy as np
import pytest

pytest.importorskip("mediapipe", reason="needs the video extra: pip install 'duetgraph[video]'")
pytest.importorskip("skimage", reason="the test photographs come from scikit-image")

from duetgraph.clean import clean_detections  # noqa: E402
from duetgraph.cli import main  # noqa: E402
from duetgraph.duet import Duet  # noqa: E402
from duetgraph.errors import InputError  # noqa: E402
from duetgraph.extract import ExtractConfig, extract_video  # noqa: E402
from duetgraph.extract.camera import project  # noqa: E402
from duetgraph.io.alphapose import read_alphapose  # noqa: E402
from duetgraph.io.axes import zup_to_camera  # noqa: E402
from duetgraph.skeleton import H36M17  # noqa: E402

from .compose import write_duet_video  # noqa: E402

# Tolerances of the 3D joints' projection against the estimator's own 2D joints (visible ones),
# at 640 × 360. MediaPipe's metric 3D pose comes from another head of the network than its 2D
# landmarks and disagrees with them by about a tenth of a torso; measured: median 11.9 px,
# 90th percentile 24.4 px.
MEDIAN_PX = 15.0
P90_PX = 30.0
UPPER = [H36M17.index(j) for j in ("thorax", "neck", "head")]


@pytest.fixture(scope="module")
def filmed(tmp_path_factory):
    return write_duet_video(tmp_path_factory.mktemp("extract") / "duet.mp4")


@pytest.fixture(scope="module")
def det(filmed):
    return extract_video(filmed.path)


def _owner(det, filmed):
    """(M,) index of the photo each detection's head, neck and thorax project into (-1: none)."""
    prov = det.provenance[0]
    uv = project(zup_to_camera(det.joints), prov["focal_length_px"], prov["principal_point_px"])
    rects = filmed.rects[det.frame]  # (M, 2, 4)
    pts = uv[:, None, UPPER]  # (M, 1, 3, 2)
    lo, size = rects[:, :, None, :2], rects[:, :, None, 2:]
    inside = ((pts >= lo) & (pts <= lo + size)).all(axis=(-1, -2))  # (M, 2)
    return np.where(inside.sum(1) == 1, inside.argmax(1), -1), uv


def test_both_people_are_found_in_every_frame(det, filmed):
    assert det.n_frames == filmed.n_frames
    assert det.fps == filmed.fps
    np.testing.assert_array_equal(det.counts_per_frame(), 2)
    assert det.skeleton == "h36m17" and det.joints.shape == (2 * filmed.n_frames, 17, 3)
    assert not det.pelvis_centred


def test_joints_land_on_the_people(det, filmed):
    """Each detection's head, neck and thorax project into one photo, one detection per photo."""
    owner, uv = _owner(det, filmed)
    assert (owner >= 0).all()
    for f in range(det.n_frames):
        assert sorted(owner[det.frame == f]) == [0, 1]
    # ... and near the estimator's own 2D joints.
    err = np.linalg.norm(uv - det.keypoints_2d[..., :2], axis=-1)
    seen = det.keypoints_2d[..., 2] > 0.5
    assert np.median(err[seen]) < MEDIAN_PX
    assert np.percentile(err[seen], 90) < P90_PX
    assert det.provenance[0]["median_reprojection_px"] < MEDIAN_PX


def test_the_scene_is_plausible(det, filmed):
    """Metres, z up, in front of the camera; the astronaut's depth follows her photo's size."""
    owner, _ = _owner(det, filmed)
    head_above_pelvis = det.joints[:, H36M17.index("head"), 2] - det.joints[:, 0, 2]
    assert ((head_above_pelvis > 0.3) & (head_above_pelvis < 1.0)).all()
    assert (det.joints[..., 1] > 0.5).all()  # y is depth: everyone in front of the camera
    astro = owner == 0
    depth = det.joints[astro, 0, 1]
    size = filmed.rects[det.frame[astro], 0, 2]
    # Bigger on screen = closer: per-frame depths before any smoothing (measured r = 0.90).
    assert np.corrcoef(depth, 1.0 / size)[0, 1] > 0.8


def test_identities_stay_stable_through_cleaning(det, filmed, tmp_path):
    duet, report = clean_detections(det)
    assert duet.positions.shape == (filmed.n_frames, 2, 17, 3)
    assert report.frames_filled == 0
    duet.save(tmp_path / "duet.npz")  # the extraction's provenance travels with the duet
    assert Duet.load(tmp_path / "duet.npz").provenance[0]["step"] == "extract_video"
    head_x = duet.positions[:, :, H36M17.index("head"), 0]  # (T, 2) metres, x to the right
    photo_x = filmed.rects[:, :, 0] + filmed.rects[:, :, 2] / 2  # (T, 2) pixels
    # Each dancer follows one photo in every frame: the sides never swap and the motion matches.
    side = np.sign(head_x[:, 0] - head_x[:, 1])
    assert (side == side[0]).all()
    match = [0, 1] if side[0] < 0 else [1, 0]  # the astronaut is the left photo
    for dancer in range(2):
        r = np.corrcoef(head_x[:, dancer], photo_x[:, match[dancer]])[0, 1]
        assert r > 0.95, (dancer, r)


def test_cli_writes_what_clean_reads(det, filmed, tmp_path, capsys):
    """extract → AlphaPose JSON → clean, sampling every second frame."""
    out = tmp_path / "detections.json"
    assert main(["extract", str(filmed.path), "-o", str(out), "--fps", "12", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "people per frame 0: 0  1: 0  2: 12  3+: 0" in text
    assert "next: duetgraph clean" in text
    objs = json.loads(out.read_text())
    assert len(objs) == 24 and len(objs[0]["pred_xyz_jts"]) == 17
    back = read_alphapose(out, fps=12.0, skeleton="h36m17")
    assert back.n_frames == 12 and back.fps == 12.0
    # The 12 fps frames are frames 0, 2, 4, ... of the 24 fps run: identical poses.
    even = np.isin(det.frame, np.arange(0, 24, 2))
    np.testing.assert_allclose(back.joints, det.joints[even], atol=1e-5)
    np.testing.assert_allclose(back.keypoints_2d, det.keypoints_2d[even], atol=1e-3)
    npz = tmp_path / "duet.npz"
    assert main(["clean", str(out), "-o", str(npz), "--skeleton", "h36m17", "--fps", "12"]) == 0
    duet = Duet.load(npz)
    assert duet.positions.shape == (12, 2, 17, 3) and duet.fps == 12.0
    assert main(["extract", str(filmed.path), "-o", str(out), "--no-progress"]) == 2  # exists


def test_the_bundle_reproduces_mediapipes_own_single_person_solution(filmed):
    """The .task bundle built from the wheel's files (with our normalisation metadata) gives the
    landmarks of MediaPipe's legacy solution, which runs the same files through its own graphs;
    a wrong input normalisation would move every landmark."""
    import mediapipe as mp

    from duetgraph.extract.estimator import PoseEstimator
    from duetgraph.extract.video import open_video

    _, frames = open_video(filmed.path)
    frame = next(iter(frames))
    right = np.ascontiguousarray(frame[:, 320:])  # Grace Hopper alone
    with PoseEstimator(max_people=1, second_pass=False) as estimator:
        ours = estimator.detect(right)
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as legacy:
        theirs = legacy.process(right)
    h, w = right.shape[:2]
    px = np.array([(lm.x * w, lm.y * h) for lm in theirs.pose_landmarks.landmark])
    world = np.array([(lm.x, lm.y, lm.z) for lm in theirs.pose_world_landmarks.landmark])
    assert ours.n_people == 1
    diff = np.linalg.norm(ours.pixels[0] - px, axis=-1)  # (33,) pixels
    # Most landmarks agree to a thousandth of a pixel; the legacy graph refines a few (shoulders,
    # an elbow) from the heatmap a little differently: measured up to 3.4 px.
    assert np.median(diff) < 0.05 and diff.max() < 5.0
    assert np.abs(ours.world[0] - world).max() < 0.01  # metres


def test_a_video_without_people_is_one_sentence(tmp_path):
    import imageio_ffmpeg

    path = tmp_path / "empty_stage.mp4"
    w = imageio_ffmpeg.write_frames(str(path), (160, 96), fps=10, macro_block_size=2,
                                    ffmpeg_log_level="error")  # fmt: skip
    w.send(None)
    for k in range(5):
        w.send(np.full((96, 160, 3), 60 + 20 * k, dtype=np.uint8))
    w.close()
    with pytest.raises(InputError, match="no person was found in any of its 5 frames") as err:
        extract_video(path, ExtractConfig())
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_analyze_runs_the_whole_journey_from_a_video(tmp_path, capsys):
    """analyze VIDEO: extraction, cleaning, training, inference and the report in one folder."""
    video = write_duet_video(tmp_path / "duet.mp4", n_frames=192, fps=8.0).path  # 24 s
    out = tmp_path / "out"
    fast = ["--joints", "pelvis,left_wrist,right_wrist", "--surrogates", "19"]
    args = ["analyze", str(video), "-o", str(out), *fast]
    assert main(args + ["--video", "none", "--no-progress"]) == 0
    for name in ("detections.json", "duet.npz", "strings.npz", "report.md", "viewer.html"):
        assert (out / name).is_file(), name
    duet = Duet.load(out / "duet.npz")
    assert duet.skeleton == "h36m17" and duet.positions.shape[1:] == (2, 17, 3)
    assert "everything is in" in capsys.readouterr().out
