import bvhio
import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.io.bvh import map_joints, read_bvh, read_bvh_joints
from duetgraph.skeleton import H36M17, SMPL24

ROOT_CHANNELS = ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"]
JOINT_CHANNELS = ["Zrotation", "Xrotation", "Yrotation"]


def smpl24_offsets(seed=0):
    """(24, 3) bone offsets in centimetres, y up; no joint sits on its parent."""
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-10.0, 10.0, size=(24, 3))
    offsets[:, 1] += np.sign(offsets[:, 1]) * 5.0
    offsets[0] = 0.0
    return offsets


def write_bvh(path, names, parents, offsets, motion, channels=None, frame_time=1 / 30, frames=None):
    """A small BVH writer for tests: joint j gets `channels[j]`, motion is (T, C) in file order."""
    if channels is None:
        channels = [ROOT_CHANNELS if p < 0 else JOINT_CHANNELS for p in parents]
    children = {j: [c for c, p in enumerate(parents) if p == j] for j in range(len(names))}
    lines = ["HIERARCHY"]

    def joint(j, depth):
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if parents[j] < 0 else 'JOINT'} {names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.6f}' for v in offsets[j])}")
        lines.append(f"{pad}  CHANNELS {len(channels[j])} {' '.join(channels[j])}")
        for c in children[j]:
            joint(c, depth + 1)
        if not children[j]:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 3 0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    joint(parents.index(-1), 0)
    motion = np.atleast_2d(motion)
    lines += ["MOTION", f"Frames: {len(motion) if frames is None else frames}"]
    lines.append(f"Frame Time: {frame_time:.8f}")
    lines += [" ".join(f"{v:.6f}" for v in row) for row in motion]
    path.write_text("\n".join(lines) + "\n")
    return path


def n_channels(parents):
    return 6 + 3 * (len(parents) - 1)


def rest_motion(n_frames, parents, root_cm=(0.0, 0.0, 0.0)):
    motion = np.zeros((n_frames, n_channels(parents)))
    motion[:, :3] = root_cm
    return motion


def smpl24_pair(tmp_path, motion_a=None, motion_b=None, names=SMPL24.joint_names, **kwargs):
    parents = list(SMPL24.parents)
    offsets = smpl24_offsets()
    a = write_bvh(
        tmp_path / "anna.bvh", names, parents, offsets,
        rest_motion(4, parents) if motion_a is None else motion_a, **kwargs,
    )  # fmt: skip
    b = write_bvh(
        tmp_path / "ben.bvh", names, parents, offsets,
        rest_motion(4, parents, (100.0, 0.0, 0.0)) if motion_b is None else motion_b, **kwargs,
    )  # fmt: skip
    return a, b


def chain_sum(offsets, parents, j):
    total = np.zeros(3)
    while j >= 0:
        total += offsets[j]
        j = parents[j]
    return total


def test_rest_pose_positions_in_metres_z_up(tmp_path):
    parents = list(SMPL24.parents)
    offsets = smpl24_offsets()
    a, b = smpl24_pair(tmp_path, motion_a=rest_motion(4, parents, (10.0, 90.0, 5.0)))
    duet = read_bvh((a, b))
    assert duet.skeleton == "smpl24" and duet.positions.shape == (4, 2, 24, 3)
    assert duet.dancers == ("anna", "ben") and duet.fps == pytest.approx(30.0, rel=1e-6)
    # Root at (10, 90, 5) cm y-up → (0.10, -0.05, 0.90) m z-up.
    np.testing.assert_allclose(duet.positions[:, 0, 0], [[0.10, -0.05, 0.90]] * 4, atol=1e-6)
    for j in (4, 15, 23):
        x, y, z = (chain_sum(offsets, parents, j) + [10.0, 90.0, 5.0]) / 100
        np.testing.assert_allclose(duet.positions[0, 0, j], [x, -z, y], atol=1e-6)
    step = duet.provenance[0]
    assert step["format"] == "bvh" and step["sources"] == [str(a), str(b)]
    assert step["fps_source"] == "file"


def test_a_quarter_turn_of_the_root_turns_every_bone(tmp_path):
    parents = list(SMPL24.parents)
    offsets = smpl24_offsets()
    motion = rest_motion(1, parents)
    motion[0, 5] = 90.0  # Yrotation of the root (its channels: X Y Z pos, Z X Y rot)
    a, b = smpl24_pair(tmp_path, motion_a=motion, motion_b=motion)
    duet = read_bvh((a, b), scale=1.0)
    ox, oy, oz = chain_sum(offsets, parents, 4)
    # Yaw +90° about y maps (x, y, z) → (z, y, −x) in y-up, i.e. (z, x, y) after y-up → z-up.
    np.testing.assert_allclose(duet.positions[0, 0, 4], [oz, ox, oy], atol=1e-5)


def test_forward_kinematics_matches_bvhio_per_frame_reference(tmp_path):
    parents = list(SMPL24.parents)
    channels = [ROOT_CHANNELS if p < 0 else JOINT_CHANNELS for p in parents]
    channels[4] = ["Xrotation", "Yrotation", "Zrotation"]  # another Euler order
    channels[7] = ["Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation"]
    n_values = sum(len(c) for c in channels)
    motion = np.random.default_rng(3).uniform(-60, 60, size=(5, n_values))
    path = write_bvh(
        tmp_path / "r.bvh", SMPL24.joint_names, parents, smpl24_offsets(), motion, channels
    )
    names, positions, frame_time = read_bvh_joints(path)
    assert sorted(names) == sorted(SMPL24.joint_names) and names[0] == "pelvis"
    assert frame_time == pytest.approx(1 / 30)
    root = bvhio.readAsHierarchy(str(path))
    for frame in range(5):
        root.loadPose(frame)
        reference = np.array([j.PositionWorld.to_tuple() for j, _, _ in root.layout()])
        np.testing.assert_allclose(positions[frame], reference, atol=1e-3)  # bvhio uses float32


def test_joint_names_map_by_normalised_names_and_aliases():
    smpl_official = [
        "Pelvis", "L_Hip", "R_Hip", "Spine1", "L_Knee", "R_Knee", "Spine2", "L_Ankle", "R_Ankle",
        "Spine3", "L_Foot", "R_Foot", "Neck", "L_Collar", "R_Collar", "Head", "L_Shoulder",
        "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist", "L_Hand", "R_Hand",
    ]  # fmt: skip
    name, index = map_joints(smpl_official, None, "x.bvh")
    assert name == "smpl24" and index == list(range(24))
    prefixed = ["mixamorig:" + n.upper() for n in reversed(H36M17.joint_names)] + ["LeftFinger"]
    prefixed[-2] = "mixamorig:Hips"  # reversed: the pelvis is last of the 17
    name, index = map_joints(prefixed, None, "x.bvh")
    assert name == "h36m17" and index == list(range(16, -1, -1))
    with pytest.raises(InputError, match="x.bvh: its 3 joints do not map .* lacks"):
        map_joints(["Hips", "Chest", "Head"], None, "x.bvh")
    with pytest.raises(
        InputError, match="closest, smpl29, lacks jaw, left_thumb, right_thumb, left_middle"
    ):
        map_joints(smpl_official, "smpl29", "x.bvh")


def test_extra_joints_are_dropped(tmp_path):
    names = list(SMPL24.joint_names) + ["left_index1"]
    parents = list(SMPL24.parents) + [20]
    offsets = np.vstack([smpl24_offsets(), [[3.0, 0.0, 0.0]]])
    motion = rest_motion(2, parents)
    a = write_bvh(tmp_path / "a.bvh", names, parents, offsets, motion)
    b = write_bvh(tmp_path / "b.bvh", names, parents, offsets, motion)
    duet = read_bvh((a, b))
    assert duet.skeleton == "smpl24" and duet.provenance[0]["n_bvh_joints"] == [25, 25]


def test_files_must_agree_on_frames_and_frame_time(tmp_path):
    parents = list(SMPL24.parents)
    a, _ = smpl24_pair(tmp_path)
    short = write_bvh(
        tmp_path / "short.bvh",
        SMPL24.joint_names,
        parents,
        smpl24_offsets(),
        rest_motion(3, parents),
    )
    with pytest.raises(InputError, match="4 and 3 frames"):
        read_bvh((a, short))
    slow = write_bvh(
        tmp_path / "slow.bvh",
        SMPL24.joint_names,
        parents,
        smpl24_offsets(),
        rest_motion(4, parents),
        frame_time=0.04,
    )
    with pytest.raises(InputError, match="frame times"):
        read_bvh((a, slow))
    with pytest.raises(InputError, match="two files"):
        read_bvh((a,))
    with pytest.raises(InputError, match="anna.bvh: .*closest, smpl29, lacks"):
        read_bvh((a, a), skeleton="smpl29")


def test_different_skeletons_in_the_two_files_are_refused(tmp_path):
    a, _ = smpl24_pair(tmp_path)
    parents = list(H36M17.parents)
    offsets = np.random.default_rng(0).uniform(5, 10, size=(17, 3))
    other = write_bvh(
        tmp_path / "h.bvh", H36M17.joint_names, parents, offsets, rest_motion(4, parents)
    )
    with pytest.raises(InputError, match="h.bvh: .* lacks"):
        read_bvh((a, other))


def _replace_value(text, row, token):
    """`text` with the first value of MOTION row `row` (1-based) replaced by `token`."""
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith("Frame Time")) + row
    lines[i] = token + " " + lines[i].split(" ", 1)[1]
    return "\n".join(lines)


def test_motion_errors_name_the_file_line(tmp_path):
    a, b = smpl24_pair(tmp_path)
    b.write_text(_replace_value(b.read_text(), row=3, token="x"))
    with pytest.raises(InputError) as info:
        read_bvh((a, b))
    line = int(str(info.value).split("(line ")[1].split(")")[0])
    assert b.read_text().split("\n")[line - 1].startswith("x ")


def test_crlf_line_endings_are_read(tmp_path):
    a, b = smpl24_pair(tmp_path)
    b.write_bytes(b.read_bytes().replace(b"\n", b"\r\n"))
    duet = read_bvh((a, b))
    (tmp_path / "lf").mkdir()
    reference = read_bvh(smpl24_pair(tmp_path / "lf"))
    np.testing.assert_array_equal(duet.positions, reference.positions)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda t: "", "empty"),
        (lambda t: "   \n\n", "not a BVH file"),
        (lambda t: "hello world\n", "not a BVH file"),
        (lambda t: t.split("MOTION")[0], "no MOTION"),
        (lambda t: t.rsplit("\n", 3)[0] + "\n", "declares 4 frames but holds 2"),
        (lambda t: t.replace("Frames: 4", "Frames: 0"), "zero frames"),
        (lambda t: t.replace("Frame Time", "Time"), "Frames: N"),
        (lambda t: t.replace("  }\n", "\n", 1), "unbalanced braces"),
        (
            lambda t: t.rstrip("\n").rsplit(" ", 1)[0] + "\n",
            r"MOTION row 4 \(line \d+\) holds 74 values but row 1 holds 75; the file is truncated",
        ),
        (lambda t: t[: t.rindex("\n", 0, len(t) - 1) + 12], "row 4 .* holds 1 value but row 1"),
        (lambda t: _replace_value(t, row=2, token="abc"), r"row 2 \(line \d+\) holds 'abc', which"),
        (lambda t: _replace_value(t, row=3, token="1.5.2"), "holds '1.5.2', which is not a number"),
        (
            lambda t: t.replace("Xrotation Yrotation\n", "Xrotation Wrotation\n", 1),
            "joint pelvis has the unknown channel 'Wrotation'",
        ),
        (
            lambda t: t.replace(
                "CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 2 Zrotation Xrotation", 1
            ),
            "hold 75 values but the hierarchy declares 74 channels",
        ),
        (lambda t: t.replace("OFFSET", "OFFSETS", 1), "not a valid BVH file"),
    ],
)
def test_damaged_files_are_refused_without_hanging(tmp_path, damage, message):
    a, b = smpl24_pair(tmp_path)
    b.write_text(damage(b.read_text()))
    with pytest.raises(InputError, match=message) as info:
        read_bvh((a, b))
    assert "ben.bvh" in str(info.value)


def test_nan_motion_and_missing_file(tmp_path):
    parents = list(SMPL24.parents)
    motion = rest_motion(4, parents)
    motion[2, 0] = np.nan
    a, b = smpl24_pair(tmp_path, motion_b=motion)
    with pytest.raises(InputError, match="NaN or infinite \\(first at frame 2, dancer ben"):
        read_bvh((a, b))
    with pytest.raises(InputError, match="no such file"):
        read_bvh((a, tmp_path / "missing.bvh"))


def test_reading_never_modifies_the_files(tmp_path):
    a, b = smpl24_pair(tmp_path)
    before = a.read_bytes(), b.read_bytes()
    read_bvh((a, b))
    assert (a.read_bytes(), b.read_bytes()) == before
