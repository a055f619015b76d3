import numpy as np
import pytest

from duetgraph.analysis import scene, string_segments, tension
from duetgraph.analysis.scene import clock_hour, contact_phrase, interval_frames, scene_facts
from duetgraph.analysis.tension import (
    RELEASE,
    STEADY,
    TENSION,
    interval_majority,
    pair_distance_rate,
    tension_labels,
)
from duetgraph.duet import Duet
from duetgraph.sim.kinematics import euler_to_matrix, forward_kinematics, ground, rest_offsets
from duetgraph.skeleton import SMPL29, get_skeleton

ONE_SECOND = (np.array([0.0]), np.array([1.0]))
LOW, MIDDLE, HIGH = 0, 1, 2


def smpl_pose(heading: float = 0.0, **angles: tuple[float, float, float]) -> np.ndarray:
    """(J, 3) SMPL29 joints, grounded, from local joint angles in degrees about the body's
    x (forward), y (left) and z (up) axes; positive y pitch swings a hanging bone backward."""
    local = np.zeros((1, SMPL29.n_joints, 3))
    for name, xyz in angles.items():
        local[0, SMPL29.index(name)] = np.radians(xyz)
    pos = forward_kinematics(
        rest_offsets(), euler_to_matrix(local), np.zeros((1, 2)), np.array([heading])
    )
    return ground(pos)[0]


def lunge(front_hip: float, front_knee: float, heading: float = 0.0) -> np.ndarray:
    """Left foot forward, flat, its thigh `front_hip` degrees forward of vertical (90: horizontal)
    and its knee bent `front_knee` degrees; the right leg straight back, on its toes, swung back
    until both feet touch the floor."""

    def build(back: float) -> np.ndarray:
        return smpl_pose(
            heading,
            left_hip=(0, -front_hip, 0),
            left_knee=(0, front_knee, 0),
            left_ankle=(0, front_hip - front_knee, 0),  # front foot flat
            right_hip=(0, back, 0),
            right_ankle=(0, -back / 2, 0),  # back heel raised
        )

    toe_l, toe_r = SMPL29.index("left_bigtoe"), SMPL29.index("right_bigtoe")
    lo, hi = 0.0, 90.0
    for _ in range(40):  # bisect the back leg's swing: toes level
        back = (lo + hi) / 2
        pose = build(back)
        lo, hi = (lo, back) if pose[toe_r, 2] > pose[toe_l, 2] else (back, hi)
    return build(lo)


def squat(hip: float, knee: float) -> np.ndarray:
    """Both thighs `hip` degrees forward of vertical, knees bent `knee` degrees, feet flat,
    torso leaning forward."""
    legs = {}
    for side in ("left", "right"):
        legs |= {f"{side}_hip": (0, -hip, 0), f"{side}_knee": (0, knee, 0)}
        legs |= {f"{side}_ankle": (0, hip - knee, 0)}
    return smpl_pose(spine1=(0, 30, 0), **legs)


SIT = {
    f"{side}_{joint}": (0, -90, 0) for side in ("left", "right") for joint in ("hip", "shoulder")
}
POSES = {
    "standing": (smpl_pose, HIGH),
    # front thigh 25° below horizontal, knee bent 80°: pelvis 0.70 m (standing 0.97 m)
    "lunge": (lambda: lunge(65, 80), MIDDLE),
    "deep lunge": (lambda: lunge(90, 90), MIDDLE),  # front thigh horizontal
    "squat": (lambda: squat(100, 125), MIDDLE),  # pelvis at knee height
    "deep squat": (lambda: squat(115, 145), LOW),  # pelvis 10 cm below the knees
    "sitting": (lambda: smpl_pose(**SIT), LOW),  # legs straight forward, arms reaching forward
    "lying": (lambda: smpl_pose(pelvis=(0, -90, 0)), LOW),  # on the back
}


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


def _smpl_duet(frames_a: np.ndarray) -> Duet:
    """A holds `frames_a` (T, J, 3); B stands 1.5 m away (it shares the floor)."""
    frames_a = np.asarray(frames_a)
    b = smpl_pose(np.pi) + [1.5, 0.0, 0.0]
    positions = np.stack([frames_a, np.repeat(b[None], len(frames_a), axis=0)], axis=1)
    return Duet(positions, fps=30.0, skeleton="smpl29", dancers=("A", "B"))


@pytest.mark.parametrize("name", list(POSES))
def test_levels_of_hand_built_smpl29_poses(name):
    build, want = POSES[name]
    facts = scene_facts(_smpl_duet([build()] * 10), *ONE_SECOND)
    assert facts.level[0].tolist() == [want, HIGH], (name, facts.height_ratio[0, 0])
    if name == "standing":  # the ratio is relative to the standing pelvis height
        assert facts.height_ratio[0].tolist() == pytest.approx([1.0, 1.0], abs=0.05)


def test_a_lunge_toward_the_camera_is_not_high_when_its_legs_look_short():
    """Monocular extractors squash depth: bones pointing at the camera come out short. A dancer
    who stands for 1 s, then lunges toward the camera (world -y) for 2 s with every joint's depth
    offset from the pelvis halved, still lunges at middle level."""
    stand = smpl_pose(-np.pi / 2)
    lunging = lunge(65, 80, heading=-np.pi / 2)
    pelvis_y = lunging[0, 1]
    lunging[:, 1] = pelvis_y + 0.5 * (lunging[:, 1] - pelvis_y)  # depth squashed
    duet = _smpl_duet([stand] * 30 + [lunging] * 60)
    facts = scene_facts(duet, np.array([0.0, 1.0]), np.array([1.0, 3.0]))
    assert facts.level[:, 0].tolist() == [HIGH, MIDDLE], facts.height_ratio[:, 0]
    assert scene.leg_length(duet)[0] == pytest.approx(0.801, abs=0.002)  # the standing legs


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
    per_frame = tension.string_tension(duet, posterior)
    assert per_frame.shape == (90, 3)
    np.testing.assert_array_equal(per_frame[:, 0], per_frame[:, 1])  # both directions, one pair
    assert (per_frame[:, 2] == STEADY).all()
    assert tension.window_tension(duet, posterior).tolist() == [
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
    assert tension.segment_tension(duet, posterior, segments).tolist() == [
        TENSION,
        TENSION,
        STEADY,
        RELEASE,
    ]


def test_moments_cover_the_duet_in_steps():
    starts, ends = scene.moments(2.5, 1.0)
    assert starts.tolist() == [0.0, 1.0, 2.0] and ends.tolist() == [1.0, 2.0, 2.5]
    assert scene.moments(3.0, 1.0)[0].tolist() == [0.0, 1.0, 2.0]
