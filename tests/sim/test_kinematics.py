import numpy as np
import pytest

from duetgraph.sim.kinematics import (
    FOOT_JOINTS,
    aim_joint,
    bone_lengths,
    descendants,
    euler_to_matrix,
    forward_kinematics,
    ground,
    rest_offsets,
    rotation_between,
    two_bone_ik,
)
from duetgraph.sim.motion import joint_ranges, simulate_dancer, simulate_joint_angles, smooth_signal
from duetgraph.skeleton import SMPL29

I = SMPL29.index


def rest_pose(height_m=1.7, heading=0.0):
    identity = np.broadcast_to(np.eye(3), (1, SMPL29.n_joints, 3, 3))
    return forward_kinematics(
        rest_offsets(height_m), identity, np.zeros((1, 2)), np.array([heading])
    )[0]


def test_rest_pose_stands_upright_facing_x_with_left_on_plus_y():
    pose = rest_pose()
    assert pose[I("head"), 2] == pytest.approx(1.70, abs=0.01)
    assert pose[FOOT_JOINTS, 2].min() == pytest.approx(0.025, abs=0.01)
    assert pose[I("head"), 2] > pose[I("neck"), 2] > pose[I("pelvis"), 2] > pose[I("left_knee"), 2]
    for name in ("hip", "shoulder", "wrist", "ankle", "bigtoe"):
        assert pose[I("left_" + name), 1] > 0.05 and pose[I("right_" + name), 1] < -0.05
        np.testing.assert_allclose(pose[I("left_" + name)] * [1, -1, 1], pose[I("right_" + name)])
    assert pose[I("left_bigtoe"), 0] > pose[I("left_ankle"), 0] + 0.1  # toes point forward


def test_heading_turns_the_body_about_z_and_height_scales_it():
    facing_y = rest_pose(heading=np.pi / 2)
    assert facing_y[I("left_bigtoe"), 1] > facing_y[I("left_ankle"), 1] + 0.1
    assert facing_y[I("left_hip"), 0] < -0.05  # left is now -x
    assert rest_pose(height_m=1.5)[I("head"), 2] == pytest.approx(1.5, abs=0.01)


def test_euler_matrices_are_rotations_composed_x_then_y_then_z():
    rng = np.random.default_rng(0)
    angles = rng.uniform(-3, 3, size=(50, 3))
    r = euler_to_matrix(angles)
    np.testing.assert_allclose(
        r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.det(r), 1.0)
    zero = np.zeros(50)
    rx = euler_to_matrix(np.stack([angles[:, 0], zero, zero], -1))
    ry = euler_to_matrix(np.stack([zero, angles[:, 1], zero], -1))
    rz = euler_to_matrix(np.stack([zero, zero, angles[:, 2]], -1))
    np.testing.assert_allclose(r, rz @ ry @ rx, atol=1e-12)
    # positive y swings a hanging bone backward (knee flexion), positive x swings it to +y
    assert (euler_to_matrix(np.array([0.0, 0.5, 0.0])) @ [0, 0, -1])[0] < 0
    assert (euler_to_matrix(np.array([0.5, 0.0, 0.0])) @ [0, 0, -1])[1] > 0


def test_forward_kinematics_keeps_every_bone_at_its_rest_length():
    rng = np.random.default_rng(1)
    rot = euler_to_matrix(rng.uniform(-2, 2, size=(20, SMPL29.n_joints, 3)))
    pos = forward_kinematics(rest_offsets(), rot, rng.normal(size=(20, 2)), rng.uniform(-3, 3, 20))
    rest = np.linalg.norm(rest_offsets()[1:], axis=-1)
    np.testing.assert_allclose(
        bone_lengths(pos), np.broadcast_to(rest, (20, SMPL29.n_joints - 1)), atol=1e-12
    )


def test_ground_puts_the_lowest_foot_joint_at_the_clearance():
    pos = rest_pose()[None] + np.array([[[0, 0, 0.3]], [[0, 0, -0.2]]])
    out = ground(pos, clearance_m=0.01)
    np.testing.assert_allclose(out[:, FOOT_JOINTS, 2].min(axis=1), 0.01)
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(pos))


def test_descendants_follow_the_tree():
    assert SMPL29.indices(
        ["left_shoulder", "left_elbow", "left_wrist", "left_thumb", "left_middle"]
    ) == list(descendants(I("left_shoulder")))
    assert len(descendants(0)) == SMPL29.n_joints
    assert list(descendants(I("head"))) == [I("head")]


@pytest.mark.parametrize(
    "b", [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.3, -0.2, 0.9]]
)
def test_rotation_between_turns_a_onto_b(b):
    a = np.array([[1.0, 0.0, 0.0]])
    b = np.array([b])
    r = rotation_between(a, b)
    np.testing.assert_allclose(r[0] @ a[0], b[0] / np.linalg.norm(b[0]), atol=1e-12)
    np.testing.assert_allclose(r[0] @ r[0].T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r[0]) == pytest.approx(1.0)


def random_poses(n=200, seed=2):
    rng = np.random.default_rng(seed)
    angles = simulate_joint_angles(n, 30.0, rng)
    return forward_kinematics(
        rest_offsets(), euler_to_matrix(angles), np.zeros((n, 2)), np.zeros(n)
    )


def test_two_bone_ik_reaches_reachable_targets_and_keeps_bones():
    pos = random_poses()
    wrist, shoulder = I("left_wrist"), I("left_shoulder")
    rng = np.random.default_rng(3)
    direction = rng.normal(size=(len(pos), 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    target = pos[:, shoulder] + rng.uniform(0.15, 0.45, size=(len(pos), 1)) * direction
    out = two_bone_ik(pos, wrist, target, pole_memory=0.5)
    np.testing.assert_allclose(out[:, wrist], target, atol=1e-6)
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(pos), atol=1e-9)
    untouched = np.setdiff1d(np.arange(SMPL29.n_joints), descendants(I("left_elbow")))
    np.testing.assert_array_equal(out[:, untouched], pos[:, untouched])


def test_two_bone_ik_is_the_identity_for_the_current_end_and_stretches_toward_far_targets():
    pos = random_poses()
    wrist, shoulder = I("right_wrist"), I("right_shoulder")
    np.testing.assert_allclose(two_bone_ik(pos, wrist, pos[:, wrist]), pos, atol=1e-9)
    far = pos[:, shoulder] + [0.0, -5.0, 0.0]
    out = two_bone_ik(pos, wrist, far)
    reach = np.linalg.norm(out[:, wrist] - out[:, shoulder], axis=1)
    limb = bone_lengths(pos)[0, I("right_elbow") - 1] + bone_lengths(pos)[0, wrist - 1]
    np.testing.assert_allclose(reach, limb, atol=1e-3)
    np.testing.assert_allclose(out[:, wrist, 1] - out[:, shoulder, 1], -limb, atol=1e-2)


def test_two_bone_ik_keeps_the_knee_bending_backward():
    pos = random_poses()
    ankle, hip = I("left_ankle"), I("left_hip")
    target = pos[:, hip] + [0.1, 0.0, -0.6]  # straight below, a little forward: knee must bend
    out = two_bone_ik(pos, ankle, target)
    knee = out[:, I("left_knee")]
    line = out[:, ankle] - out[:, hip]
    # the knee stands forward of the hip-ankle line (the shin folds backward)
    assert (np.cross(line, knee - out[:, hip])[:, 1] < 0).all()


def test_aim_joint_points_the_bone_at_the_target():
    pos = random_poses()
    elbow, shoulder = I("left_elbow"), I("left_shoulder")
    target = pos[:, shoulder] + [0.0, 0.0, 1.0]
    out = aim_joint(pos, elbow, target)
    direction = out[:, elbow] - out[:, shoulder]
    np.testing.assert_allclose(
        direction / np.linalg.norm(direction, axis=1, keepdims=True),
        np.broadcast_to([0, 0, 1.0], direction.shape),
        atol=1e-9,
    )
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(pos), atol=1e-9)


def test_smooth_signal_stays_in_range_and_is_smooth():
    s = smooth_signal(3000, 30.0, 8, np.random.default_rng(4), max_hz=0.5)
    assert s.shape == (3000, 8)
    assert np.abs(s).max() < 1 and s.std(axis=0).min() > 0.3  # spread over the range
    # at most 0.5 Hz: a frame-to-frame step is far below the signal's spread
    assert np.abs(np.diff(s, axis=0)).max() < 0.2


def test_joint_angles_stay_in_range_and_hinges_bend_one_way():
    angles = simulate_joint_angles(1000, 30.0, np.random.default_rng(5), amplitude=1.0)
    lo, hi = joint_ranges()
    assert (angles >= lo - 1e-12).all() and (angles <= hi + 1e-12).all()
    for side in ("left", "right"):
        assert (angles[:, I(f"{side}_knee"), 1] > 0).all()  # knees fold backward
        assert (angles[:, I(f"{side}_elbow"), 1] < 0).all()  # elbows fold forward
    assert np.ptp(angles[:, I("left_shoulder")], axis=0).max() > 1.5  # arms really move


def test_a_simulated_dancer_keeps_its_bones_and_its_feet_on_the_floor():
    pos = simulate_dancer(900, 30.0, np.random.default_rng(6), (0.0, 0.0), 0.0, height_m=1.8)
    lengths = bone_lengths(pos)
    assert np.ptp(lengths, axis=0).max() < 1e-9
    np.testing.assert_allclose(pos[:, FOOT_JOINTS, 2].min(axis=1), 0.025)
    assert pos[..., 2].min() > -1e-9
    wrist_travel = np.ptp(pos[:, I("right_wrist")], axis=0)
    assert wrist_travel.min() > 0.4  # the wrists reach, in every direction
