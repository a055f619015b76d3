import numpy as np
import pytest

from duetgraph.io.alphapose import read_alphapose, write_alphapose
from duetgraph.io.axes import camera_to_zup
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.sim.faults import (
    FaultConfig,
    make_example_alphapose,
    make_faulty_alphapose,
)


@pytest.fixture(scope="module")
def duet():
    return simulate_duet(DuetSimConfig(duration_s=400 / 30.0), np.random.default_rng(0))[0]


def test_fault_fractions_are_exact_and_exclusive(duet):
    fa = make_faulty_alphapose(duet, FaultConfig(), np.random.default_rng(1))
    for mask in (fa.dropped, fa.single, fa.extra, fa.swapped):
        assert mask.sum() == 20  # 5 % of 400
    assert not (fa.dropped & fa.single).any() and not (fa.extra & (fa.dropped | fa.single)).any()
    assert not fa.dropped[[0, -1]].any()
    per_frame = np.bincount(fa.frame, minlength=400)
    np.testing.assert_array_equal(per_frame, 2 - 2 * fa.dropped - fa.single + fa.extra)
    assert len(fa.records) == per_frame.sum()
    assert (fa.dancer == -1).sum() == fa.extra.sum()


def test_faults_come_in_runs(duet):
    fa = make_faulty_alphapose(duet, FaultConfig(run_length=5.0), np.random.default_rng(2))
    starts = fa.dropped & ~np.concatenate([[False], fa.dropped[:-1]])
    assert starts.sum() < fa.dropped.sum()  # at least one run longer than a frame


def test_swapped_frames_list_b_first_and_bystanders_score_lower(duet):
    fa = make_faulty_alphapose(duet, FaultConfig(), np.random.default_rng(3))
    score = np.array([r["score"] for r in fa.records])
    for t in range(400):
        rows = np.flatnonzero(fa.frame == t)
        people = fa.dancer[rows][fa.dancer[rows] >= 0]
        if len(people) == 2:
            assert list(people) == ([1, 0] if fa.swapped[t] else [0, 1])
        if fa.extra[t]:
            assert score[rows][fa.dancer[rows] < 0].max() < score[rows][fa.dancer[rows] >= 0].min()
        assert [fa.records[r]["idx"] for r in rows] == list(range(len(rows)))


def test_truth_is_what_the_reader_reports(duet, tmp_path):
    fa = make_faulty_alphapose(duet, FaultConfig(), np.random.default_rng(4))
    det = read_alphapose(write_alphapose(fa.records, tmp_path / "a.json"))
    assert det.n_frames == 400 and not det.pelvis_centred
    people = fa.dancer >= 0
    np.testing.assert_array_equal(
        det.joints[people], fa.positions[fa.frame[people], fa.dancer[people]]
    )
    # Only a translation separates the truth from the input duet (the camera's position).
    shift = duet.positions - fa.positions
    np.testing.assert_allclose(
        shift, shift[:1, :1, :1].repeat(400, 0).repeat(2, 1).repeat(29, 2), atol=1e-5
    )


def test_keypoints_lie_in_their_boxes_and_jitter_has_its_size(duet):
    fa = make_faulty_alphapose(duet, FaultConfig(jitter_m=0.02), np.random.default_rng(5))
    kp = np.array([r["keypoints"] for r in fa.records]).reshape(len(fa.records), -1, 3)
    box = np.array([r["box"] for r in fa.records])
    assert (kp[..., 0] >= box[:, None, 0]).all() and (
        kp[..., 0] <= (box[:, 0] + box[:, 2])[:, None]
    ).all()
    assert (kp[..., 1] >= box[:, None, 1]).all() and (
        kp[..., 1] <= (box[:, 1] + box[:, 3])[:, None]
    ).all()
    people = fa.dancer >= 0
    xyz = np.array([r["pred_xyz_jts"] for r in fa.records])[people]
    noise = camera_to_zup(xyz) - fa.positions[fa.frame[people], fa.dancer[people]]
    assert 0.018 < noise.std() < 0.022


def test_pelvis_centred_output_has_zero_pelvis(duet):
    fa = make_faulty_alphapose(duet, FaultConfig(pelvis_centred=True), np.random.default_rng(6))
    xyz = np.array([r["pred_xyz_jts"] for r in fa.records])
    assert np.abs(xyz[:, 0]).max() == 0.0 and np.abs(xyz[:, 1:]).max() > 0.1
    assert np.abs(fa.positions[:, :, 0]).max() == 0.0


def test_same_seed_same_records(duet):
    a = make_faulty_alphapose(duet, FaultConfig(jitter_m=0.01), np.random.default_rng(7))
    b = make_faulty_alphapose(duet, FaultConfig(jitter_m=0.01), np.random.default_rng(7))
    assert a.records == b.records


def test_bad_config_raises():
    with pytest.raises(ValueError):
        FaultConfig(drop_fraction=0.5, single_fraction=0.5)
    with pytest.raises(ValueError):
        FaultConfig(run_length=0.5)


def test_example_file_is_readable_and_not_overwritten(tmp_path):
    path = make_example_alphapose(tmp_path / "raw.json", seed=1, n_frames=120)
    det = read_alphapose(path)
    assert det.n_frames == 120 and det.detection_histogram()["1"] == 6
    with pytest.raises(Exception, match="--overwrite"):
        make_example_alphapose(path, seed=1, n_frames=120)
    first = path.read_bytes()
    make_example_alphapose(path, seed=1, n_frames=120, overwrite=True)
    assert path.read_bytes() == first
