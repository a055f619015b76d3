import numpy as np
import pytest

from duetgraph.analysis import scene, string_segments
from duetgraph.analysis.scene import (
    RELEASE,
    STEADY,
    TENSION,
    clock_hour,
    contact_phrase,
    interval_frames,
    interval_majority,
    pair_distance_rate,
    scene_facts,
    tension_labels,
)
from duetgraph.skeleton import get_skeleton

ONE_SECOND = (np.array([0.0]), np.array([1.0]))


def test_figure_facing_the_audience_has_its_right_hip_stage_right(figure):
    skel = get_skeleton("h36m17")
    body = figure("h36m17", (0.0, 0.0), (0.0, -1.0))
    assert body[skel.index("right_hip"), 0] < 0 < body[skel.index("left_hip"), 0]


@pytest.mark.parametrize("skeleton", ["h36m17", "smpl29", "coco17"])
@pytest.mark.parametrize(
    ("facing", "hour"),
    [
        ((0.0, -1.0), 12),  # toward the audience
        ((-1.0, 0.0), 3),  # the dancer's right when facing front
        ((0.0, 1.0), 6),  # upstage
        ((1.0, 0.0), 9),
        ((-np.sin(np.radians(60)), -np.cos(np.radians(60))), 2),  # 60° clockwise from 12
        ((np.sin(np.radians(30)), -np.cos(np.radians(30))), 11),
    ],
)
def test_facing_on_the_clock_face(figure, make_duet, skeleton, facing, hour):
    body = figure(skeleton, (0.3, -0.2), facing)[None].repeat(5, axis=0)
    other = figure(skeleton, (2.0, 0.0), (0.0, -1.0))[None].repeat(5, axis=0)
    facts = scene_facts(make_duet(body, other, skeleton=skeleton), *ONE_SECOND)
    assert facts.facing_hour[0].tolist() == [hour, 12]
    assert facts.facing_deg[0, 0] == pytest.approx((hour % 12) * 30, abs=1e-4)


def test_a_custom_front_rotates_the_clock(figure, make_duet):
    body = figure("h36m17", (0, 0), (1.0, 0.0))[None].repeat(3, axis=0)
    duet = make_duet(body, body + [3, 0, 0])
    assert scene_facts(duet, *ONE_SECOND).facing_hour[0, 0] == 9
    assert scene_facts(duet, *ONE_SECOND, front=(1.0, 0.0)).facing_hour[0, 0] == 12


def test_a_turn_within_a_moment_makes_facing_unclear(figure, make_duet):
    turning = [
        figure("h36m17", (0, 0), (np.cos(a), np.sin(a)))
        for a in np.linspace(0, 2 * np.pi, 30, endpoint=False)
    ]
    still = [figure("h36m17", (1, 0), (0, -1))] * 30
    facts = scene_facts(make_duet(turning, still), *ONE_SECOND)
    assert facts.facing_hour[0].tolist() == [0, 12]
    assert np.isnan(facts.facing_deg[0, 0])


def test_distance_is_pelvis_to_pelvis(face_to_face, make_duet):
    a, b = face_to_face(10)
    facts = scene_facts(make_duet(a, b), *ONE_SECOND)
    assert facts.distance[0] == pytest.approx(0.8)
    assert facts.facing_hour[0].tolist() == [9, 3]
    coco = face_to_face(10, skeleton="coco17")  # no pelvis joint: mid-hips
    assert scene_facts(make_duet(*coco, skeleton="coco17"), *ONE_SECOND).distance[
        0
    ] == pytest.approx(0.8)


def test_right_hands_touching_only_when_they_touch(face_to_face, make_duet):
    a, b = face_to_face(60, skeleton="smpl29")
    skel = get_skeleton("smpl29")
    hand = skel.indices(["right_wrist", "right_thumb", "right_middle"])
    a[20:40, hand] = [0.0, 0.0, 1.1]  # a handshake in the middle, 0.66-1.33 s
    b[20:40, hand] = [0.02, 0.01, 1.1]
    duet = make_duet(a, b, skeleton="smpl29")
    facts = scene_facts(duet, np.array([0.0, 0.5, 1.0, 1.5]), np.array([0.5, 1.0, 1.5, 2.0]))
    assert facts.contacts_at(0) == [] and facts.contacts_at(3) == []
    brief = scene_facts(duet, np.array([0.0]), np.array([0.8]))  # touching in 4 of 24 frames
    assert brief.contacts_at(0) == [] and brief.contact_fraction.max() == pytest.approx(4 / 24)
    assert facts.contacts_at(1) == [("right hand", "right hand")]
    assert facts.contacts_at(2) == [("right hand", "right hand")]
    assert facts.contact_fraction[
        1, facts.contact_pairs.index(("right hand", "right hand"))
    ] == pytest.approx(10 / 15)
    assert contact_phrase("right hand", "right hand") == "right hands in contact"
    assert contact_phrase("left foot", "head", ("Ana", "Ben")) == "Ana left foot touches Ben head"


def test_hands_a_hand_apart_are_not_in_contact(face_to_face, make_duet):
    a, b = face_to_face(10)
    skel = get_skeleton("h36m17")
    a[:, skel.index("right_wrist")] = [0.0, 0.0, 1.1]
    b[:, skel.index("right_wrist")] = [0.12, 0.0, 1.1]
    assert scene_facts(make_duet(a, b), *ONE_SECOND).contact.sum() == 0


@pytest.mark.parametrize("skeleton", ["h36m17", "smpl29"])
def test_levels_are_relative_to_leg_length(figure, make_duet, skeleton):
    poses = {"stand": 2, "kneel": 1, "sit": 0}
    for pose_a, want_a in poses.items():
        a = [figure(skeleton, (0, 0), (1, 0), pose=pose_a)] * 10
        b = [figure(skeleton, (1, 0), (-1, 0), pose="sit")] * 10  # low for the whole clip
        facts = scene_facts(make_duet(a, b, skeleton=skeleton), *ONE_SECOND)
        assert facts.level[0].tolist() == [want_a, 0], pose_a


def test_interval_frames_cover_each_frame_once():
    f0, f1 = interval_frames(np.arange(0, 3, 0.5), np.arange(0.5, 3.5, 0.5), fps=10, n_frames=30)
    assert f0.tolist() == [0, 5, 10, 15, 20, 25] and f1.tolist() == [5, 10, 15, 20, 25, 30]
    f0, f1 = interval_frames([2.9, 5.0], [2.95, 6.0], fps=10, n_frames=30)
    assert f0.tolist() == [29, 29] and f1.tolist() == [30, 30]  # short or late: nearest frame
    f0, f1 = interval_frames([0.21], [0.5], fps=10, n_frames=30)
    assert (f0[0], f1[0]) == (3, 5)  # frames at 0.3 and 0.4 s


def test_joint_pair_moving_apart_then_together(face_to_face, make_duet):
    a, b = face_to_face(60)
    wrist = get_skeleton("h36m17").index("right_wrist")
    shoulder = get_skeleton("h36m17").index("left_shoulder")
    out = np.concatenate([np.linspace(0, 0.6, 30), np.linspace(0.6, 0, 30)])  # 0.6 m in 1 s, back
    a[:, wrist, 0] -= out  # A faces +x: its wrist moves back, away from B
    duet = make_duet(a, b)
    rate = pair_distance_rate(
        duet, np.array([0]), np.array([wrist]), np.array([1]), np.array([shoulder])
    )
    labels = tension_labels(rate)
    assert (labels[2:28, 0] == TENSION).all() and (labels[32:58, 0] == RELEASE).all()
    f0, f1 = interval_frames(np.array([0.0, 1.0]), np.array([1.0, 2.0]), duet.fps, duet.n_frames)
    assert interval_majority(labels, f0, f1)[:, 0].tolist() == [TENSION, RELEASE]
    slow = tension_labels(rate * 0.05)  # about 0.03 m/s: inside the dead band
    assert (slow == STEADY).all()


def test_majority_ties_are_steady():
    labels = np.array([[TENSION], [TENSION], [RELEASE], [RELEASE], [STEADY]])
    assert interval_majority(labels, np.array([0, 0]), np.array([4, 5]))[:, 0].tolist() == [
        STEADY,
        STEADY,
    ]
    assert interval_majority(labels, np.array([0]), np.array([3]))[0, 0] == TENSION


def test_clock_hour_rounds_to_the_nearest_hour():
    assert clock_hour(np.array([0.0, 14.9, 15.1, 345.1, 359.0, np.nan])).tolist() == [
        12,
        12,
        1,
        12,
        12,
        0,
    ]
    assert scene.LEVEL_NAMES == ("low", "middle", "high")


def test_string_tension_per_window_and_segment(face_to_face, make_duet, make_posterior):
    a, b = face_to_face(90)
    wrist = get_skeleton("h36m17").index("right_wrist")
    a[:, wrist, 0] -= np.concatenate([np.linspace(0, 0.6, 45), np.linspace(0.6, 0, 45)])
    duet = make_duet(a, b)
    edges = [
        ("A:right_wrist", "B:left_shoulder"),
        ("B:left_shoulder", "A:right_wrist"),
        ("A:pelvis", "B:pelvis"),
    ]
    p = np.array([[0.9, 0.9, 0.9], [0.9, 0.1, 0.9], [0.1, 0.9, 0.9]])  # windows 0-1, 1-2, 2-3 s
    posterior = make_posterior(p, edges, window=1.0)
    per_frame = scene.string_tension(duet, posterior)
    assert per_frame.shape == (90, 3)
    np.testing.assert_array_equal(per_frame[:, 0], per_frame[:, 1])  # both directions, one pair
    assert (per_frame[:, 2] == STEADY).all()
    assert scene.window_tension(duet, posterior).tolist() == [
        [TENSION, TENSION, STEADY],
        [STEADY, STEADY, STEADY],  # 1-1.5 s apart, 1.5-2 s together: a tie
        [RELEASE, RELEASE, STEADY],
    ]
    segments = string_segments(posterior)
    assert [(s.edge, s.start, s.end) for s in segments] == [
        (0, 0.0, 2.0),
        (1, 0.0, 1.0),
        (2, 0.0, 3.0),
        (1, 2.0, 3.0),
    ]
    assert scene.segment_tension(duet, posterior, segments).tolist() == [
        TENSION,
        TENSION,
        STEADY,
        RELEASE,
    ]


def test_moments_cover_the_duet_in_steps():
    starts, ends = scene.moments(2.5, 1.0)
    assert starts.tolist() == [0.0, 1.0, 2.0] and ends.tolist() == [1.0, 2.0, 2.5]
    assert scene.moments(3.0, 1.0)[0].tolist() == [0.0, 1.0, 2.0]
