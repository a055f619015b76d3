"""Solving a BVH skeleton from joint positions: rest pose and per-frame joint rotations.

Positions (T, J, 3) in any units and axes (the writer passes the file's); numpy, vectorised over
frames, joints visited parents first. Used by `duetgraph.io.bvh_write`.

**Rest pose.** Each bone's length is its **median** length over the dancer's frames. Its
direction is its mean direction over frames after turning each frame about the vertical so that
the dancer's left (the root's left_* minus right_* children, if any) points along +x: the rest
pose is the dancer's average posture, facing BVH's front (+z for y-up files, −y for z-up). The
children of one joint (e.g. hips and spine1 on the pelvis) are averaged together as one rigid
shape (one Procrustes step), so that a rigid group keeps its exact shape at rest.
The root's offset is zero; its position channels carry the absolute position.

**Rotations.** For each joint with children, given its parent's solved world rotation:

- two or more children whose rest offsets span a plane (SMPL pelvis and spine3): the rotation
  that best maps the rest offsets onto the observed bone vectors (Kabsch, least squares). This
  fixes the full frame, twist included.
- one child: the smallest rotation (swing only) that turns the rest bone, as carried by the
  parent, onto the observed bone. **Twist** about such a bone changes no joint position, so
  positions do not determine it; we choose zero twist relative to the parent. It shows only in
  how a mesh skinned to the bone would turn.
- no children: no rotation of its own (angles 0): it turns with its parent.

Bones are aimed from the *reconstructed* joint, not the observed one, so where the data's bone
lengths differ from the rest lengths each joint lands on the ray from its reconstructed parent
toward its observed position, and the errors of a chain do not add up sideways. With constant
bone lengths and rigid pelvis/spine3 triangles (our synthetic duets) the positions come back
exactly; otherwise the fit error is reported (`BvhFit`).

Euler angles: intrinsic, in degrees, in the order the BVH channels list them (ZXY: R = Rz·Rx·Ry,
the reader's convention), unwrapped over time so that no channel jumps by 360°.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.transform import Rotation

from duetgraph.skeleton import Skeleton

_EPS = 1e-9


# ---------------------------------------------------------------------- small rotation helpers
def _normalise(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """(..., 3) unit vectors; `fallback` (broadcastable) where the length is ~0."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n > _EPS, v / np.maximum(n, _EPS), fallback)


def _skew(v: np.ndarray) -> np.ndarray:
    """(..., 3) → (..., 3, 3) cross-product matrices, [v]× w = v × w."""
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    o = np.zeros_like(x)
    return np.stack(
        [np.stack([o, -z, y], -1), np.stack([z, o, -x], -1), np.stack([-y, x, o], -1)], -2
    )


def swing_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotations turning unit vector(s) `a` onto the direction(s) of `b`.

    Args:
        a: (3,) or (T, 3) unit vectors.
        b: (T, 3) target vectors (any length; where ~0 the rotation is the identity).

    Returns:
        (T, 3, 3) rotation matrices R with R a ∥ b, about the axis a × b (no twist about a or b);
        for opposite vectors, a half turn about an axis perpendicular to `a`.
    """
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), b.shape)
    b = _normalise(b, a)
    v = np.cross(a, b)  # (T, 3) axis · sin
    c = np.einsum("ti,ti->t", a, b)  # (T,) cos
    k = _skew(v)
    eye = np.broadcast_to(np.eye(3), k.shape)
    opposite = c < -1 + 1e-8
    denom = np.where(opposite, 1.0, 1.0 + c)[:, None, None]
    rot = eye + k + k @ k / denom  # Rodrigues with (1 − cos) / sin² = 1 / (1 + cos)
    if opposite.any():
        # Half turn about n ⊥ a: n from the basis vector least aligned with a.
        basis = np.eye(3)[np.argmin(np.abs(a[opposite]), axis=-1)]
        n = _normalise(np.cross(a[opposite], basis), basis)
        rot[opposite] = 2 * n[:, :, None] * n[:, None, :] - np.eye(3)
    return rot


def kabsch_rotation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotations R minimising Σ_c |R source_c − target_c|² per frame.

    Args:
        source: (C, 3) vectors at rest.
        target: (T, C, 3) observed vectors.

    Returns:
        (T, 3, 3) proper rotations (det +1).
    """
    h = np.einsum("ci,tcj->tij", source, target)  # (T, 3, 3) = Σ_c source_c target_cᵀ
    u, _, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, -1, -2)
    d = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))  # −1: a reflection, flip one axis
    d = np.where(d == 0, 1.0, d)
    v = v.copy()
    v[..., :, 2] *= d[:, None]
    return v @ np.swapaxes(u, -1, -2)


# ---------------------------------------------------------------------- skeleton order
def depth_first(parents: tuple[int, ...] | list[int]) -> list[int]:
    """Joint indices in BVH order: depth first from the root, children by index."""
    children = children_of(parents)
    order, stack = [], [parents.index(-1)]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(children[j]))
    return order


def children_of(parents: tuple[int, ...] | list[int]) -> list[list[int]]:
    """(J,) lists of each joint's children, by index."""
    out: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            out[p].append(j)
    return out


# ---------------------------------------------------------------------- rest pose
def bone_lengths(positions: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """(T, J) length of each joint's bone to its parent per frame (0 for the root)."""
    par = np.array([max(p, 0) for p in parents])
    return np.linalg.norm(positions - positions[:, par], axis=-1)


def _lateral(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray | None:
    """(T, 3) the dancer's right-to-left vector from left_*/right_* pairs, or None if there are none.

    Pairs among the root's children are preferred (pelvis: the hips), else all pairs.
    """
    names = skeleton.joint_names
    root = skeleton.parents.index(-1)
    for pool in ([j for j, p in enumerate(skeleton.parents) if p == root], range(len(names))):
        pairs = [
            (j, names.index("right_" + names[j][5:]))
            for j in pool
            if names[j].startswith("left_") and "right_" + names[j][5:] in names
        ]
        if pairs:
            left, right = zip(*pairs, strict=True)
            return positions[:, list(left)].sum(1) - positions[:, list(right)].sum(1)
    return None


def rest_offsets(positions: np.ndarray, skeleton: Skeleton, up: int) -> np.ndarray:
    """The rest pose: median bone lengths along the mean heading-free bone directions.

    Args:
        positions: (T, J, 3) one dancer's joints, file units and axes.
        skeleton: the joint tree.
        up: index of the vertical axis (1 for y up, 2 for z up).

    Returns:
        (J, 3) float64 offset of each joint from its parent (root: zero).
    """
    parents = skeleton.parents
    up_vec = np.eye(3)[up]
    par = np.array([max(p, 0) for p in parents])
    bones = positions - positions[:, par]  # (T, J, 3)
    lateral = _lateral(positions, skeleton)
    if lateral is not None:
        # Turn each frame about the vertical so that the dancer's left points along +x.
        flat = lateral - np.einsum("ti,i->t", lateral, up_vec)[:, None] * up_vec
        x_axis = np.eye(3)[0]
        angle = np.arctan2(np.cross(x_axis, flat) @ up_vec, flat @ x_axis)  # (T,)
        turn = Rotation.from_rotvec(-angle[:, None] * up_vec).as_matrix()  # (T, 3, 3)
        bones = np.einsum("tij,tkj->tki", turn, bones)
    mean_dir = _normalise(_normalise(bones, np.zeros(3)).mean(axis=0), up_vec)  # (J, 3)
    lengths = np.median(bone_lengths(positions, parents), axis=0)  # (J,)
    offsets = mean_dir * lengths[:, None]
    for kids in children_of(parents):
        if len(kids) >= 2:
            # Children of one joint (hips and spine1 on the pelvis) move as one rigid group:
            # average their configuration after turning each frame onto the first estimate
            # (one Procrustes step), so a rigid group keeps its exact shape at rest.
            turn = kabsch_rotation(offsets[kids], bones[:, kids])  # (T, 3, 3)
            aligned = np.einsum("tji,tcj->tci", turn, bones[:, kids]).mean(axis=0)  # (C, 3)
            offsets[kids] = _normalise(aligned, mean_dir[kids]) * lengths[kids, None]
    offsets[parents.index(-1)] = 0.0
    return offsets


def end_sites(offsets: np.ndarray, parents: tuple[int, ...], scale: float) -> np.ndarray:
    """(J, 3) End Site offsets: leaves continue their incoming bone by half its length (≥ 1 cm)."""
    out = np.zeros_like(offsets)
    children = children_of(parents)
    for j, kids in enumerate(children):
        if not kids:
            length = np.linalg.norm(offsets[j])
            direction = offsets[j] / length if length > _EPS else np.array([0.0, 1.0, 0.0])
            out[j] = direction * max(0.5 * length, 0.01 * scale)
    return out


# ---------------------------------------------------------------------- rotations
def solve_rotations(
    positions: np.ndarray, parents: tuple[int, ...], offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Local joint rotations that make the rest skeleton follow `positions` (see module doc).

    Args:
        positions: (T, J, 3) observed joints.
        parents: (J,) parent index per joint, -1 for the root.
        offsets: (J, 3) rest offsets, same units and axes as `positions`.

    Returns:
        rotations: (T, J, 3, 3) local rotation per joint (world = parent's world · local);
        root_position: (T, 3) the root's observed position.
    """
    positions = np.asarray(positions, dtype=np.float64)
    n_frames, n_joints, _ = positions.shape
    children = children_of(parents)
    root = parents.index(-1)
    eye = np.broadcast_to(np.eye(3), (n_frames, 3, 3))
    world = np.empty((n_frames, n_joints, 3, 3))
    local = np.empty((n_frames, n_joints, 3, 3))
    placed = np.empty((n_frames, n_joints, 3))  # reconstructed positions, parents first
    placed[:, root] = positions[:, root]
    for j in depth_first(parents):
        parent_world = eye if parents[j] < 0 else world[:, parents[j]]
        kids = children[j]
        rest = offsets[kids]  # (C, 3)
        seen = positions[:, kids] - placed[:, j, None]  # (T, C, 3) observed bones from here
        if not kids or not np.any(np.linalg.norm(rest, axis=-1) > _EPS):
            local[:, j] = eye
        elif (
            len(kids) >= 2 and np.linalg.svd(rest, compute_uv=False)[1] > 1e-3 * np.abs(rest).max()
        ):
            local[:, j] = np.swapaxes(parent_world, -1, -2) @ kabsch_rotation(rest, seen)
        else:  # one child (or children along one line): swing only, zero twist
            c = int(np.argmax(np.linalg.norm(rest, axis=-1)))
            in_parent = np.einsum("tji,tj->ti", parent_world, seen[:, c])  # parentᵀ · bone
            local[:, j] = swing_rotation(rest[c] / np.linalg.norm(rest[c]), in_parent)
        world[:, j] = parent_world @ local[:, j]
        for k in kids:
            placed[:, k] = placed[:, j] + world[:, j] @ offsets[k]
    return local, positions[:, root].copy()


def forward_kinematics(
    root_position: np.ndarray,
    rotations: np.ndarray,
    parents: tuple[int, ...],
    offsets: np.ndarray,
) -> np.ndarray:
    """(T, J, 3) world joint positions: root at `root_position`, joint = parent + parent_world·offset.

    Args:
        root_position: (T, 3).
        rotations: (T, J, 3, 3) local rotations.
        parents: (J,) parent per joint, -1 for the root.
        offsets: (J, 3) rest offsets (the root's is ignored: its position channels replace it).
    """
    n_frames, n_joints = rotations.shape[:2]
    world = np.empty_like(rotations)
    out = np.empty((n_frames, n_joints, 3))
    for j in depth_first(parents):
        p = parents[j]
        if p < 0:
            world[:, j], out[:, j] = rotations[:, j], root_position
        else:
            world[:, j] = world[:, p] @ rotations[:, j]
            out[:, j] = out[:, p] + world[:, p] @ offsets[j]
    return out


def euler_degrees(rotations: np.ndarray, order: str = "ZXY") -> np.ndarray:
    """(T, J, 3, 3) rotations → (T, J, 3) intrinsic Euler angles in degrees, in `order`.

    Every rotation has an exact triple (scipy; at gimbal lock, where the middle angle is ±90°,
    one of the two coupled angles is set to 0). Each channel is unwrapped along time (T), which
    keeps the rotation and removes ±360° jumps.
    """
    n_frames, n_joints = rotations.shape[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Gimbal lock detected": still exact
        angles = Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_euler(
            order.upper(), degrees=True
        )
    return np.unwrap(angles.reshape(n_frames, n_joints, 3), period=360.0, axis=0)
