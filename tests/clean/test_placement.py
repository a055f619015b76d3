import numpy as np
import pytest

from duetgraph.clean.placement import estimate_root_translation, guess_camera
from duetgraph.io.alphapose import read_alphapose, write_alphapose
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.sim.faults import FaultConfig, make_faulty_alphapose


def simulated(n_frames: int, rng: np.random.Generator):
    """A synthetic SMPL29 duet of `n_frames` at 30 fps (the planted-strings simulator)."""
    return simulate_duet(DuetSimConfig(duration_s=n_frames / 30.0), rng)[0]


NO_FAULTS = dict(drop_fraction=0, single_fraction=0, extra_fraction=0, swap_fraction=0)


@pytest.fixture(scope="module")
def centred(tmp_path_factory):
    """Stock-style (pelvis-centred) detections and the true pelvis positions (T, 2, 3)."""
    duet = simulated(240, np.random.default_rng(5))
    placed = make_faulty_alphapose(duet, FaultConfig(**NO_FAULTS), np.random.default_rng(1))
    stock = make_faulty_alphapose(
        duet, FaultConfig(pelvis_centred=True, **NO_FAULTS), np.random.default_rng(1)
    )
    path = write_alphapose(stock.records, tmp_path_factory.mktemp("p") / "stock.json")
    det = read_alphapose(path)
    assert det.pelvis_centred
    return det, placed.positions[:, :, 0]


def relative(root):
    r = root.reshape(-1, 2, 3)
    return r[:, 1] - r[:, 0]


def test_keypoints_with_the_true_camera_recover_the_pelvis(centred):
    det, pelvis = centred
    camera = guess_camera(det.box, det.keypoints_2d, focal_length=1500, image_size=(1920, 1080))
    root = estimate_root_translation(det.joints, camera, keypoints_2d=det.keypoints_2d)
    err = np.abs(root - pelvis.reshape(-1, 3)).mean(axis=0)  # x lateral, y depth, z height
    assert err[0] < 0.02 and err[1] < 0.08 and err[2] < 0.02
    assert np.abs(relative(root) - relative(pelvis)).mean() < 0.05


def test_guessed_camera_still_places_the_dancers_relative_to_each_other(centred):
    det, pelvis = centred
    camera = guess_camera(det.box, det.keypoints_2d)
    assert not camera.focal_given and camera.focal_length == camera.image_size[0]
    root = estimate_root_translation(det.joints, camera, keypoints_2d=det.keypoints_2d)
    true_rel = relative(pelvis)
    assert np.abs(relative(root) - true_rel).mean() < 0.15
    assert np.abs(np.linalg.norm(true_rel, axis=1)).mean() > 1.0  # the test means something


def test_boxes_alone_give_a_rougher_placement(centred):
    det, pelvis = centred
    camera = guess_camera(det.box, None, focal_length=1500, image_size=(1920, 1080))
    root = estimate_root_translation(det.joints, camera, box=det.box)
    assert np.abs(relative(root) - relative(pelvis))[:, 0].mean() < 0.3
    depth_ratio = root[:, 1].mean() / pelvis[..., 1].mean()
    assert 0.75 < depth_ratio < 0.95  # boxes are wider than the joints: estimates come closer


def test_needs_some_2d_evidence():
    camera = guess_camera(np.ones((1, 4)), None, 1000.0)
    with pytest.raises(ValueError):
        estimate_root_translation(np.zeros((1, 29, 3), np.float32), camera)
