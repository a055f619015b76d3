"""The cleaning pipeline on synthetic faulty AlphaPose output with known truth (the issue's
"Done means")."""

import numpy as np
import pytest

from duetgraph.clean import CleanConfig, clean_detections, clean_duet
from duetgraph.clean.tracking import pose_distance
from duetgraph.errors import InputError
from duetgraph.io.alphapose import read_alphapose, write_alphapose
from duetgraph.io.detections import Detections
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.sim.faults import FaultConfig, make_faulty_alphapose


def simulated(n_frames: int, rng: np.random.Generator):
    """A synthetic SMPL29 duet of `n_frames` at 30 fps (the planted-strings simulator)."""
    return simulate_duet(DuetSimConfig(duration_s=n_frames / 30.0), rng)[0]


N_FRAMES = 900
NO_FAULTS = dict(drop_fraction=0, single_fraction=0, extra_fraction=0, swap_fraction=0)


def faulty(tmp_path, seed, **config):
    """(faults with truth, detections read back from the written JSON)."""
    rng = np.random.default_rng(seed)
    duet = simulated(N_FRAMES, rng)
    fa = make_faulty_alphapose(duet, FaultConfig(**config), rng)
    det = read_alphapose(write_alphapose(fa.records, tmp_path / f"raw{seed}.json"))
    return fa, det


def label_map(fa, det, duet):
    """Which true dancer the cleaned dancer A is (0 or 1), read at the initial frame."""
    t0 = next(s["init_frame"] for s in duet.provenance if s["step"] == "track")
    d = pose_distance(duet.positions[t0, 0], fa.positions[t0])
    return int(np.argmin(d))


@pytest.fixture(scope="module")
def five_percent(tmp_path_factory):
    """Swaps, one-dancer frames, extras and drops at 5 % of frames each, 2 cm jitter."""
    fa, det = faulty(tmp_path_factory.mktemp("c"), seed=11, jitter_m=0.02)
    assert fa.swapped.sum() == fa.single.sum() == fa.extra.sum() == fa.dropped.sum() == 45
    return fa, det


def test_identities_are_correct_in_every_frame(five_percent):
    fa, det = five_percent
    duet, report = clean_detections(det, CleanConfig(smooth=False))
    a = label_map(fa, det, duet)
    truth = fa.positions[:, [a, 1 - a]]  # (T, 2, J, 3) in the cleaned dancers' order
    d_same = pose_distance(duet.positions, truth)  # (T, 2)
    d_other = pose_distance(duet.positions, truth[:, ::-1])
    assert (d_same < d_other).all()  # every frame, both dancers: 100 %
    # The detector order was wrong exactly in the swapped frames that show both dancers.
    both = ~fa.dropped & ~fa.single
    expected = fa.swapped[both].sum() if a == 0 else (~fa.swapped[both]).sum()
    assert report.swaps_fixed == expected > 0
    assert report.detections_dropped == fa.extra.sum()
    assert report.frames_by_count == {"0": 45, "1": 45, "2": 765, "3+": 45}


def test_filled_frames_equal_the_previous_clean_frame(five_percent):
    fa, det = five_percent
    duet, report = clean_detections(det, CleanConfig(smooth=False))
    pos = duet.positions
    a = label_map(fa, det, duet)
    dropped = np.flatnonzero(fa.dropped)
    np.testing.assert_array_equal(pos[dropped], pos[dropped - 1])
    missed_true = np.array([1 - det_dancer for det_dancer in _present_dancer(fa)])
    for t, who in zip(np.flatnonzero(fa.single), missed_true, strict=True):
        k = who if a == 0 else 1 - who  # cleaned index of the missed dancer
        if t == 0:  # a leading gap takes the first frame that shows the dancer
            source = next(u for u in range(N_FRAMES) if not (fa.single[u] or fa.dropped[u]))
            np.testing.assert_array_equal(pos[0, k], pos[source, k])
            continue
        np.testing.assert_array_equal(pos[t, k], pos[t - 1, k])
        assert not np.array_equal(pos[t, 1 - k], pos[t - 1, 1 - k])
    assert report.frames_filled == 90 and report.poses_filled == 2 * 45 + 45


def test_leading_gaps_take_the_first_frame_that_shows_the_dancer():
    x = [1.5, 0.0, 1.5, 0.0, 1.5]  # frame 0: B only; frame 1: nobody; frames 2-3: A and B
    joints = np.zeros((5, 17, 3), dtype=np.float32)
    joints[..., 0] = np.array(x)[:, None] + 0.01 * np.arange(5)[:, None]
    joints[..., 2] = np.linspace(0.0, 1.6, 17)
    det = Detections(np.array([0, 2, 2, 3, 3]), joints, np.ones(5, np.float32), 4, 30.0, "h36m17")
    duet, report = clean_detections(det, CleanConfig(smooth=False))
    pos = duet.positions
    np.testing.assert_array_equal(pos[0], joints[[1, 0]])  # A from frame 2, B observed
    np.testing.assert_array_equal(pos[1], joints[[1, 0]])  # A from frame 2, B from frame 0
    np.testing.assert_array_equal(pos[2], joints[[1, 2]])
    assert (report.frames_filled, report.poses_filled) == (2, 3)


def _present_dancer(fa):
    """The dancer detected in each one-dancer frame, in frame order."""
    single = fa.single[fa.frame] & (fa.dancer >= 0)
    return fa.dancer[single]


def test_untouched_frames_are_preserved_exactly_without_smoothing(five_percent):
    fa, det = five_percent
    duet, _ = clean_detections(det, CleanConfig(smooth=False))
    a = label_map(fa, det, duet)
    rows_of = {}  # (frame, true dancer) → detection row; rows follow the records' order
    for row, (t, who) in enumerate(zip(fa.frame.tolist(), fa.dancer.tolist(), strict=True)):
        rows_of[t, who] = row
    clean_frames = np.flatnonzero(~(fa.dropped | fa.single | fa.extra))
    assert len(clean_frames) == N_FRAMES - 135
    for t in clean_frames:
        for k in range(2):
            who = k if a == 0 else 1 - k
            np.testing.assert_array_equal(duet.positions[t, k], det.joints[rows_of[t, who]])


def test_smoothing_cuts_the_joint_error_on_jittered_input(tmp_path):
    fa, det = faulty(tmp_path, seed=4, jitter_m=0.02, **NO_FAULTS)
    raw, _ = clean_detections(det, CleanConfig(smooth=False))
    smooth, report = clean_detections(det, CleanConfig())
    a = label_map(fa, det, raw)
    truth = fa.positions[:, [a, 1 - a]]
    err_raw = np.linalg.norm(raw.positions - truth, axis=-1).mean()
    err_smooth = np.linalg.norm(smooth.positions - truth, axis=-1).mean()
    assert err_smooth <= 0.7 * err_raw  # at least 30 % lower
    assert "3.75 Hz" in report.smoothing


def test_score_and_continuity_pruning_differ_when_a_bystander_scores_higher():
    # Frame 1 has three people: a bystander 4 m away with the best score, A, then B.
    x = np.array([0.0, 1.5, 0.0, 1.5, 5.5])  # frame 0: A, B; frame 1: A, B moved 1 cm, bystander
    x[2:4] += 0.01
    joints = np.zeros((5, 17, 3), dtype=np.float32)
    joints[..., 0] = x[:, None]
    joints[..., 2] = np.linspace(0.0, 1.6, 17)
    joints = joints[[0, 1, 4, 2, 3]]  # file order in frame 1: bystander, A, B
    det = Detections(
        frame=np.array([0, 0, 1, 1, 1]),
        joints=joints,
        score=np.array([2.0, 2.0, 3.0, 2.5, 1.0], dtype=np.float32),
        n_frames=2,
        fps=30.0,
        skeleton="h36m17",
        source="three.json",
    )
    by_score, report_s = clean_detections(det, CleanConfig(prune="score", smooth=False))
    by_track, report_c = clean_detections(det, CleanConfig(prune="continuity", smooth=False))
    # Continuity keeps A (row 3) and B (row 4); the score rule keeps the bystander (row 2) and A.
    np.testing.assert_array_equal(by_track.positions[1], joints[[3, 4]])
    assert any(np.array_equal(p, joints[2]) for p in by_score.positions[1])
    assert report_s.detections_dropped == report_c.detections_dropped == 1
    assert report_s.prune == "score" and report_c.prune == "continuity"


def test_both_rules_agree_on_generated_faults(five_percent):
    fa, det = five_percent  # extras there score lower, so the paper's rule is right too
    by_score, _ = clean_detections(det, CleanConfig(prune="score", smooth=False))
    by_track, _ = clean_detections(det, CleanConfig(prune="continuity", smooth=False))
    np.testing.assert_array_equal(by_score.positions, by_track.positions)


def test_every_step_is_in_the_provenance(five_percent):
    _, det = five_percent
    duet, report = clean_detections(det, CleanConfig(target_fps=10.0))
    steps = [s["step"] for s in duet.provenance]
    assert steps == [
        "read_alphapose",
        "group_by_frame",
        "prune",
        "track",
        "fill_missing",
        "dct_smooth",
        "resample",
    ]
    assert duet.fps == 10.0 and duet.n_frames == N_FRAMES // 3
    assert duet.provenance[4]["frames_filled"] == report.frames_filled
    assert "frames read" in report.to_text() and "swaps fixed" in report.to_text()


def test_pelvis_centred_input_warns_and_recovers_placement(tmp_path):
    fa, det = faulty(tmp_path, seed=2, pelvis_centred=True, focal_length=1500.0)
    kept, report = clean_detections(det)
    assert report.placement_warning and "--recover-placement" in report.placement_warning
    assert np.abs(kept.positions[:, :, 0]).max() < 1e-6  # both pelvises stay at the origin
    config = CleanConfig(recover_placement=True, focal_length=1500.0, image_size=(1920, 1080))
    placed, report = clean_detections(det, config)
    assert report.placement_warning is None and "weak perspective" in report.placement
    placed_truth = make_faulty_alphapose(
        simulated(N_FRAMES, np.random.default_rng(2)),
        FaultConfig(**NO_FAULTS),
        np.random.default_rng(0),
    ).positions
    true_gap = placed_truth[:, 1, 0] - placed_truth[:, 0, 0]  # (T, 3) from A's pelvis to B's
    got_gap = placed.positions[:, 1, 0] - placed.positions[:, 0, 0]
    err = np.linalg.norm(got_gap - true_gap, axis=-1)
    err_swapped = np.linalg.norm(got_gap + true_gap, axis=-1)
    assert (err < err_swapped).all() or (err_swapped < err).all()  # one identity throughout
    assert np.minimum(err, err_swapped).mean() < 0.15  # weak perspective: ~10 % of 1.5 m


def test_input_without_a_two_dancer_frame_is_refused():
    joints = np.zeros((2, 17, 3), dtype=np.float32)
    det = Detections(
        np.array([0, 1]), joints, np.ones(2, np.float32), 2, 30.0, "h36m17", source="solo.json"
    )
    with pytest.raises(InputError, match="solo.json: no frame has two detections"):
        clean_detections(det)
    empty = Detections(
        np.zeros(0, np.int64),
        np.zeros((0, 17, 3), np.float32),
        np.zeros(0, np.float32),
        3,
        30.0,
        "h36m17",
        source="empty.json",
    )
    with pytest.raises(InputError, match="empty.json: contains no detections"):
        clean_detections(empty)


def test_clean_duet_only_smooths_and_resamples():
    duet = simulated(120, np.random.default_rng(0))
    out, report = clean_duet(duet, CleanConfig(target_fps=15.0))
    assert out.n_frames == 60 and out.fps == 15.0
    assert [s["step"] for s in out.provenance][-2:] == ["dct_smooth", "resample"]
    assert report.frames_by_count["2"] == 120 and report.frames_filled == 0
    same, _ = clean_duet(duet, CleanConfig(smooth=False))
    np.testing.assert_array_equal(same.positions, duet.positions)
    with pytest.raises(InputError, match="--recover-placement"):
        clean_duet(duet, CleanConfig(recover_placement=True))


@pytest.mark.parametrize(
    "kwargs, flag",
    [
        ({"prune": "best"}, "--prune"),
        ({"keep_fraction": 0.0}, "--keep-fraction"),
        ({"target_fps": -1.0}, "--target-fps"),
        ({"focal_length": 0.0}, "--focal-length"),
    ],
)
def test_bad_config_names_the_flag(kwargs, flag):
    with pytest.raises(InputError, match=flag):
        CleanConfig(**kwargs)
