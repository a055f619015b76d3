"""Rest pose, forward kinematics and simple inverse kinematics of the SMPL29 skeleton (numpy only).

Frames and units: metres, right-handed, **z up**. A dancer's body frame has x forward (the way
the dancer faces), y to the dancer's left and z up; a dancer with heading h (radians about z)
faces (cos h, sin h, 0). Joint rotations are local: joint j's rotation turns the bones from j to
its children, relative to its parent's frame; at the rest pose every rotation is the identity, so
the rest offsets below are written in the body frame of a person standing upright, arms hanging.

Every operation here moves rigid parts only (rotations of whole sub-trees about a joint, or
translations of the whole body), so bone lengths are preserved exactly up to float rounding.
"""

from __future__ import annotations

import math

import numpy as np

from duetgraph.skeleton import SMPL29

PARENTS = np.array(SMPL29.parents)
"""(J,) parent index per SMPL29 joint, -1 for the pelvis; parents precede children."""

FOOT_JOINTS = SMPL29.indices(
    ["left_ankle", "right_ankle", "left_foot", "right_foot", "left_bigtoe", "right_bigtoe"]
)

# Rest offsets of each joint from its parent for a 1.70 m person, body frame (x forward, y left,
# z up), metres; right-side joints mirror the left (y -> -y). Standing: feet flat, arms hanging
# slightly away from the body. Pelvis 0.97 m above the floor; head top at 1.70 m.
_LEFT_OFFSETS = {
    "left_hip": (0.0, 0.09, -0.09),
    "left_knee": (0.01, 0.01, -0.41),
    "left_ankle": (-0.03, 0.0, -0.39),
    "left_foot": (0.12, 0.01, -0.055),
    "left_bigtoe": (0.05, 0.0, -0.0),
    "left_collar": (-0.02, 0.07, 0.12),
    "left_shoulder": (-0.01, 0.11, 0.03),
    "left_elbow": (0.0, 0.04, -0.27),
    "left_wrist": (0.02, 0.0, -0.25),
    "left_thumb": (0.04, 0.0, -0.05),
    "left_middle": (-0.02, 0.0, -0.06),
}
_CENTRE_OFFSETS = {
    "pelvis": (0.0, 0.0, 0.97),  # from the floor point under the body
    "spine1": (-0.01, 0.0, 0.11),
    "spine2": (0.01, 0.0, 0.13),
    "spine3": (0.0, 0.0, 0.06),
    "neck": (-0.02, 0.0, 0.22),
    "jaw": (0.03, 0.0, 0.08),
    "head": (0.0, 0.0, 0.13),  # head top (a mesh-vertex joint of HybrIK)
}
REST_HEIGHT_M = 1.70
"""Standing height (floor to head top) of the unscaled rest pose."""


def rest_offsets(height_m: float = REST_HEIGHT_M) -> np.ndarray:
    """(J, 3) offset of each SMPL29 joint from its parent in the body frame, metres.

    Row 0 (pelvis) is the pelvis position above the floor point under the body. All offsets
    scale with `height_m` (floor to head top of the upright rest pose).
    """
    offsets = np.zeros((SMPL29.n_joints, 3))
    for name, off in _CENTRE_OFFSETS.items():
        offsets[SMPL29.index(name)] = off
    for name, off in _LEFT_OFFSETS.items():
        offsets[SMPL29.index(name)] = off
        x, y, z = off
        offsets[SMPL29.index("right" + name[len("left") :])] = (x, -y, z)
    return offsets * (height_m / REST_HEIGHT_M)


def euler_to_matrix(angles: np.ndarray) -> np.ndarray:
    """Rotation matrices from angles about x, y, z (radians), applied in that order.

    R = Rz(a_z) @ Ry(a_y) @ Rx(a_x): in the body frame, a_x rolls about the forward axis
    (sideways: abduction, side bend), a_y pitches about the left axis (positive tilts an upward
    bone forward and swings a downward bone backward), a_z turns about the vertical axis.

    Args:
        angles: (..., 3) radians.

    Returns:
        (..., 3, 3) rotation matrices.
    """
    cx, cy, cz = np.cos(angles[..., 0]), np.cos(angles[..., 1]), np.cos(angles[..., 2])
    sx, sy, sz = np.sin(angles[..., 0]), np.sin(angles[..., 1]), np.sin(angles[..., 2])
    r = np.empty(angles.shape[:-1] + (3, 3))
    r[..., 0, 0] = cz * cy
    r[..., 0, 1] = cz * sy * sx - sz * cx
    r[..., 0, 2] = cz * sy * cx + sz * sx
    r[..., 1, 0] = sz * cy
    r[..., 1, 1] = sz * sy * sx + cz * cx
    r[..., 1, 2] = sz * sy * cx - cz * sx
    r[..., 2, 0] = -sy
    r[..., 2, 1] = cy * sx
    r[..., 2, 2] = cy * cx
    return r


def forward_kinematics(
    offsets: np.ndarray, local_rotations: np.ndarray, root_xy: np.ndarray, heading: np.ndarray
) -> np.ndarray:
    """Joint positions of one dancer from local joint rotations and a root placement.

    Args:
        offsets: (J, 3) rest offsets from `rest_offsets`, metres.
        local_rotations: (T, J, 3, 3) rotation of each joint relative to its parent's frame
            (row 0: the pelvis relative to the heading frame).
        root_xy: (T, 2) floor point under the body, metres.
        heading: (T,) facing direction, radians about z (0 faces +x).

    Returns:
        (T, J, 3) positions, metres, z up (not yet grounded: see `ground`).
    """
    n_frames, n_joints = local_rotations.shape[:2]
    heading_rot = euler_to_matrix(np.stack([0 * heading, 0 * heading, heading], axis=-1))
    global_rot = np.empty((n_frames, n_joints, 3, 3))
    pos = np.empty((n_frames, n_joints, 3))
    global_rot[:, 0] = heading_rot @ local_rotations[:, 0]
    pos[:, 0, :2] = root_xy
    pos[:, 0, 2] = 0.0
    pos[:, 0] += heading_rot @ offsets[0]
    for j in range(1, n_joints):  # parents precede children in SMPL29
        p = PARENTS[j]
        pos[:, j] = pos[:, p] + global_rot[:, p] @ offsets[j]
        global_rot[:, j] = global_rot[:, p] @ local_rotations[:, j]
    return pos


def ground(positions: np.ndarray, clearance_m: float = 0.025) -> np.ndarray:
    """Shift each frame vertically so that the lowest foot joint rests `clearance_m` above z=0.

    Args:
        positions: (T, J, 3) one dancer, metres.
        clearance_m: height of the lowest foot joint centre (joint centres sit above the sole;
            2.5 cm is the toes' height in the rest pose).

    Returns:
        (T, J, 3) shifted copy (a translation per frame: bone lengths unchanged).
    """
    lowest = positions[:, FOOT_JOINTS, 2].min(axis=1)  # (T,)
    out = positions.copy()
    out[..., 2] += (clearance_m - lowest)[:, None]
    return out


def bone_lengths(positions: np.ndarray) -> np.ndarray:
    """(..., J-1) length of each bone (child, parent) in joint order, for (..., J, 3) positions."""
    child = np.arange(1, len(PARENTS))
    return np.linalg.norm(positions[..., child, :] - positions[..., PARENTS[child], :], axis=-1)


def descendants(joint: int) -> np.ndarray:
    """Indices of `joint` and every joint below it in the SMPL29 tree, ascending."""
    inside = np.zeros(len(PARENTS), dtype=bool)
    inside[joint] = True
    for j in range(joint + 1, len(PARENTS)):  # parents precede children
        inside[j] = inside[PARENTS[j]]
    return np.flatnonzero(inside)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3, 3) smallest rotation turning the direction of a onto that of b, for (..., 3) inputs.

    Opposite directions (no unique smallest rotation) turn by pi about an axis perpendicular to a.
    """
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    opposite = (sin < 1e-9) & (cos < 0)
    if opposite.any():  # any axis perpendicular to a
        helper = np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
        axis = np.where(opposite[..., None], np.cross(a, helper), axis)
        sin = np.where(opposite, np.linalg.norm(axis, axis=-1), sin)
    k = axis / np.maximum(sin, 1e-12)[..., None]
    angle = np.arctan2(np.where(opposite, 0.0, sin), cos)
    kx = np.zeros(a.shape[:-1] + (3, 3))
    kx[..., 0, 1], kx[..., 0, 2] = -k[..., 2], k[..., 1]
    kx[..., 1, 0], kx[..., 1, 2] = k[..., 2], -k[..., 0]
    kx[..., 2, 0], kx[..., 2, 1] = -k[..., 1], k[..., 0]
    s, c = np.sin(angle)[..., None, None], np.cos(angle)[..., None, None]
    return np.eye(3) + s * kx + (1 - c) * (kx @ kx)


def rotate_subtree(
    positions: np.ndarray, joint: int, pivot: np.ndarray, rotation: np.ndarray
) -> np.ndarray:
    """Rotate `joint` and its descendants about `pivot` (in place; returns `positions`).

    Args:
        positions: (T, J, 3) one dancer.
        joint: first joint of the rigidly moved sub-tree.
        pivot: (T, 3) centre of rotation (normally the parent of `joint`).
        rotation: (T, 3, 3).
    """
    sub = descendants(joint)
    rel = positions[:, sub] - pivot[:, None]  # (T, n_sub, 3)
    positions[:, sub] = pivot[:, None] + np.einsum("tij,tnj->tni", rotation, rel)
    return positions


def aim_joint(positions: np.ndarray, joint: int, target: np.ndarray) -> np.ndarray:
    """Turn the bone (parent -> joint) toward `target`, carrying the joint's sub-tree along.

    The joint ends on the sphere of its bone length around its parent, as close as it gets to
    the target. Returns new (T, J, 3) positions.

    Args:
        positions: (T, J, 3) one dancer.
        joint: a non-root joint index.
        target: (T, 3) wanted position of `joint`.
    """
    out = positions.copy()
    parent = PARENTS[joint]
    pivot = out[:, parent]
    want = target - pivot
    ok = np.linalg.norm(want, axis=-1) > 1e-6  # a target on the pivot gives no direction
    want = np.where(ok[:, None], want, out[:, joint] - pivot)
    return rotate_subtree(out, joint, pivot, rotation_between(out[:, joint] - pivot, want))


def two_bone_ik(
    positions: np.ndarray, joint: int, target: np.ndarray, pole_memory: float = 0.0
) -> np.ndarray:
    """Place `joint` at `target` by turning its grandparent's and parent's bones (analytic IK).

    The chain is grandparent (fixed, e.g. shoulder) -> parent (e.g. elbow) -> joint (e.g.
    wrist). The limb bends toward its pole: the side the mid joint stands out on in the given
    pose, so elbows and knees keep bending the way they bent. A pole is only defined up to the
    top-target line, and for a target moving past the pose's pole direction it would spin
    about that line; with `pole_memory` > 0 the rows are taken as consecutive frames and each
    pole keeps that fraction of the previous frame's pole, which keeps the limb's motion smooth.
    Targets out of reach are clamped onto the reachable shell along the same direction (a fully
    stretched or folded limb). Returns new (T, J, 3) positions.

    Args:
        positions: (T, J, 3) one dancer.
        joint: end joint index (its parent and grandparent must exist).
        target: (T, 3) wanted position of `joint`.
        pole_memory: in [0, 1); 0 treats every row on its own.
    """
    out = positions.copy()
    mid = PARENTS[joint]
    top = PARENTS[mid]
    r, m, e = out[:, top], out[:, mid], out[:, joint]
    a = np.linalg.norm(m - r, axis=-1, keepdims=True)  # (T, 1) upper bone
    b = np.linalg.norm(e - m, axis=-1, keepdims=True)  # (T, 1) lower bone
    reach = target - r
    dist = np.linalg.norm(reach, axis=-1, keepdims=True)
    reach = np.where(dist > 1e-6, reach, e - r)  # a target on the top joint: keep the direction
    u = reach / np.linalg.norm(reach, axis=-1, keepdims=True)
    # The pose's pole: the mid joint's offset from its own top-end line (the bend direction).
    own_axis = (e - r) / np.linalg.norm(e - r, axis=-1, keepdims=True)
    own_pole = (m - r) - np.sum((m - r) * own_axis, axis=-1, keepdims=True) * own_axis
    pole = _perpendicular_units(own_pole, u)
    if pole_memory > 0:
        own_dir = own_pole / np.maximum(np.linalg.norm(own_pole, axis=-1, keepdims=True), 1e-12)
        pole = _remembered_poles(pole, own_dir, u, pole_memory)
    d = np.clip(dist, np.abs(a - b) + 1e-4, a + b - 1e-4)
    cos_top = np.clip((a**2 + d**2 - b**2) / (2 * a * d), -1.0, 1.0)
    new_mid = r + a * (cos_top * u + np.sqrt(1 - cos_top**2) * pole)
    new_end = r + d * u
    rotate_subtree(out, mid, r, rotation_between(m - r, new_mid - r))
    rotate_subtree(
        out, joint, new_mid, rotation_between(out[:, joint] - new_mid, new_end - new_mid)
    )
    return out


def _remembered_poles(
    pole: np.ndarray, own_dir: np.ndarray, axis: np.ndarray, memory: float
) -> np.ndarray:
    """(T, 3) poles, each `memory` of the previous one plus the rest of the pose's own direction,
    made perpendicular to that frame's unit `axis`; row 0 is `pole[0]`. Plain floats: a
    per-frame recursion on 3-vectors runs several times faster than with numpy calls."""
    out = pole.copy()
    px, py, pz = out[0]
    keep = 1.0 - memory
    own, axes = own_dir.tolist(), axis.tolist()
    for t in range(1, len(out)):
        (ox, oy, oz), (ax, ay, az) = own[t], axes[t]
        wx, wy, wz = memory * px + keep * ox, memory * py + keep * oy, memory * pz + keep * oz
        along = wx * ax + wy * ay + wz * az
        wx, wy, wz = wx - along * ax, wy - along * ay, wz - along * az
        norm = math.sqrt(wx * wx + wy * wy + wz * wz)
        if norm < 1e-6:  # the wish lies along the axis: take the vectorised fallback
            px, py, pz = _perpendicular_units(np.array([wx, wy, wz]), axis[t])
        else:
            px, py, pz = wx / norm, wy / norm, wz / norm
        out[t] = px, py, pz
    return out


def _perpendicular_units(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """(..., 3) unit part of v perpendicular to the unit `axis`; sideways where v is along it."""
    p = v - np.sum(v * axis, axis=-1, keepdims=True) * axis
    side = np.cross(axis, [0.0, 0.0, 1.0])
    side = np.where(
        np.linalg.norm(side, axis=-1, keepdims=True) < 1e-6, np.cross(axis, [1.0, 0.0, 0.0]), side
    )
    p = np.where(np.linalg.norm(p, axis=-1, keepdims=True) < 1e-6, side, p)
    return p / np.linalg.norm(p, axis=-1, keepdims=True)
