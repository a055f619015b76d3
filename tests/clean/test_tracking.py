import numpy as np
import pytest

from duetgraph.clean.tracking import (
    choose_init_frame,
    fill_assignment,
    frame_offsets,
    pose_distance,
    prune_by_score,
    track_reference,
    track_two,
)

J = 5


def pose(x, y=0.0):
    """A small (J, 3) pose standing at (x, y)."""
    p = np.zeros((J, 3), dtype=np.float32)
    p[:, 0], p[:, 1], p[:, 2] = x, y, np.linspace(0.0, 1.6, J)
    return p


def build(frames):
    """frames: list of lists of (x, score) → joints (M, J, 3), offsets, score."""
    joints, score, frame = [], [], []
    for t, people in enumerate(frames):
        for x, s in people:
            joints.append(pose(x))
            score.append(s)
            frame.append(t)
    frame = np.array(frame, dtype=np.int64)
    return np.array(joints), frame_offsets(frame, len(frames)), np.array(score, np.float32)


def test_pose_distance_sums_joint_distances():
    assert pose_distance(pose(0.0), pose(0.5)) == pytest.approx(J * 0.5)


def test_prune_by_score_keeps_two_highest_and_breaks_ties_by_file_order():
    frame = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    score = np.array([1.0, 3.0, 2.0, 5.0, 1.0, 2.0, 2.0, 2.0, 9.0])
    keep = prune_by_score(frame, score, 3)
    np.testing.assert_array_equal(keep, [0, 1, 1, 1, 1, 1, 0, 0, 1])


def test_swapped_order_is_fixed_and_counted():
    # A stands at 0, B at 2; the detector lists them in either order.
    joints, offsets, score = build([[(0, 1), (2, 1)], [(2.1, 1), (0.1, 1)], [(0.2, 1), (2.2, 1)]])
    tracks = track_two(joints, offsets, score)
    np.testing.assert_array_equal(tracks.assign, [[0, 1], [3, 2], [4, 5]])
    np.testing.assert_array_equal(tracks.crossed, [False, True, False])
    assert tracks.n_swaps_fixed == 1 and tracks.n_swap_runs(np.diff(offsets)) == 1


def test_single_detection_goes_to_the_closer_dancer():
    joints, offsets, score = build([[(0, 1), (2, 1)], [(1.9, 1)], [(0.05, 1)], [(0.1, 1), (2, 1)]])
    tracks = track_two(joints, offsets, score)
    np.testing.assert_array_equal(tracks.assign, [[0, 1], [-1, 2], [3, -1], [4, 5]])


def test_continuity_keeps_the_pair_that_continues_the_tracks():
    # Frame 1: a bystander at 5 with the best score, plus A and B.
    joints, offsets, score = build([[(0, 1), (2, 1)], [(5, 9), (2.1, 1), (0.1, 2)]])
    tracks = track_two(joints, offsets, score)
    np.testing.assert_array_equal(tracks.assign[1], [4, 3])
    assert tracks.n_dropped == 1 and tracks.crossed[1]


def test_continuity_resolves_both_dancers_wanting_the_same_detection():
    # Both dancers' nearest detection is the one at 1.0; the best pair gives it to one of them.
    joints, offsets, score = build([[(0, 1), (2, 1)], [(1.0, 1), (-0.5, 1), (4.0, 1)]])
    tracks = track_two(joints, offsets, score)
    # A→-0.5, B→1.0 costs 0.5+1.0 = 1.5 · J; A→1.0, B→4.0 costs 1+2 = 3 · J.
    np.testing.assert_array_equal(tracks.assign[1], [3, 2])


def test_tracking_starts_at_first_two_and_runs_backward():
    joints, offsets, score = build([[(2.05, 1)], [], [(0, 1), (2, 1)], [(0, 1), (2, 1)]])
    tracks = track_two(joints, offsets, score)
    assert tracks.init_frame == 2
    np.testing.assert_array_equal(tracks.assign[0], [-1, 0])


def test_init_falls_back_to_top_scores_when_no_frame_has_exactly_two():
    joints, offsets, score = build([[(0, 1), (9, 0.1), (2, 3)], [(0, 1), (2, 1), (9, 0.1)]])
    assert choose_init_frame(offsets, score) == (0, 0, 2)
    tracks = track_two(joints, offsets, score)
    np.testing.assert_array_equal(tracks.assign, [[0, 2], [3, 4]])
    assert tracks.n_dropped == 2


def test_no_frame_with_two_detections_raises():
    joints, offsets, score = build([[(0, 1)], [(1, 1)]])
    with pytest.raises(ValueError):
        track_two(joints, offsets, score)


def test_fill_assignment_copies_previous_and_leading_takes_first():
    assign = np.array([[-1, 4], [-1, -1], [7, 8], [-1, 9], [-1, -1]])
    filled, missing = fill_assignment(assign)
    np.testing.assert_array_equal(filled, [[7, 4], [7, 4], [7, 8], [7, 9], [7, 9]])
    assert missing.sum() == 6


def random_detections(rng, n_frames=400, n_joints=J):
    """Chaotic detections: 0-4 people per frame, random poses near two moving dancers."""
    t = np.arange(n_frames) / 30.0
    centres = np.stack([np.sin(t), 2 + np.cos(0.7 * t)], axis=1)  # (T, 2) x of A and B
    joints, frame, score = [], [], []
    for f in range(n_frames):
        n = int(rng.choice([0, 1, 2, 2, 2, 3, 4]))
        if f == 5:
            n = 2
        for _ in range(n):
            x = centres[f, rng.integers(2)] if rng.random() < 0.8 else rng.uniform(-3, 5)
            joints.append(pose(x) + rng.normal(0, 0.05, size=(n_joints, 3)).astype(np.float32))
            frame.append(f)
            score.append(rng.random())
    frame = np.array(frame, dtype=np.int64)
    return (
        np.array(joints, dtype=np.float32),
        frame_offsets(frame, n_frames),
        np.array(score, np.float32),
    )


@pytest.mark.parametrize("seed", range(5))
def test_fast_tracker_matches_the_per_frame_reference(seed):
    joints, offsets, score = random_detections(np.random.default_rng(seed))
    fast = track_two(joints, offsets, score)
    slow = track_reference(joints, offsets, score)
    np.testing.assert_array_equal(fast.assign, slow.assign)
    np.testing.assert_array_equal(fast.crossed, slow.crossed)
    assert (fast.init_frame, fast.n_dropped) == (slow.init_frame, slow.n_dropped)
    counts = np.diff(offsets)
    assert fast.n_dropped == int(np.clip(counts - 2, 0, None).sum())
