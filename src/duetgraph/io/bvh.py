"""BVH motion capture: one file per dancer, parsed by the `bvhio` library.

`bvhio` parses the hierarchy (joint names, offsets, channels); the MOTION table is read with
numpy and forward kinematics runs over all frames at once, checked against bvhio's own per-frame
poses in the tests. BVH units become metres (centimetres by default) and BVH's y-up axes z-up.

BVH joint sets are arbitrary, so a file is read only when its joints map onto one of our
skeletons by name: case, underscores, spaces and namespace prefixes ("mixamorig:") are ignored,
"L_"/"R_" stand for left/right, "Hips" may name the pelvis and, for smpl24, SMPL's own names
"Head", "L_Hand", "R_Hand" stand for joints 15, 22, 23 (which HybrIK, and we, call jaw,
left_thumb, right_thumb). Extra joints (fingers, end sites) are dropped. A file that does not map
is refused with the list of missing joints; rename its joints, or convert it to CSV with joint
names of one skeleton.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import bvhio
import numpy as np

from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.io.arrays import build_duet, check_input_file, known_skeleton, resolve_fps, to_zup
from duetgraph.skeleton import SKELETONS, Skeleton

# Other names of our joints, per skeleton (normalised: lower case, letters and digits only).
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "smpl29": {"pelvis": ("hips",)},
    "smpl24": {
        "pelvis": ("hips",),
        "jaw": ("head",),
        "left_thumb": ("lefthand",),
        "right_thumb": ("righthand",),
    },
    "h36m17": {"pelvis": ("hips",)},
}


def _keys(bvh_name: str) -> set[str]:
    """Normalised names a BVH joint may stand for: 'mixamorig:L_Hip' → {'lhip', 'lefthip'}."""
    key = re.sub(r"[^a-z0-9]", "", bvh_name.rsplit(":", 1)[-1].lower())
    keys = {key}
    if key.startswith("l"):
        keys.add("left" + key[1:])
    if key.startswith("r"):
        keys.add("right" + key[1:])
    return keys


def _match(bvh_names: list[str], skeleton: Skeleton) -> tuple[list[int], list[str]]:
    """BVH joint index for each joint of `skeleton` (first exact, then alias) and the missing ones."""
    keys = [_keys(n) for n in bvh_names]
    aliases = _ALIASES.get(skeleton.name, {})
    index, missing = [], []
    for joint in skeleton.joint_names:
        wanted = [joint.replace("_", "")] + list(aliases.get(joint, ()))
        found = next(
            (b for w in wanted for b, k in enumerate(keys) if w in k and b not in index), None
        )
        if found is None:
            missing.append(joint)
        else:
            index.append(found)
    return index, missing


def map_joints(bvh_names: list[str], skeleton: str | None, where: str) -> tuple[str, list[int]]:
    """The skeleton the BVH joints map onto and, per skeleton joint, its BVH joint index.

    Raises:
        InputError: no (or not the given) skeleton has all its joints in the file.
    """
    if skeleton is not None:
        candidates = [known_skeleton(skeleton, where)]
    else:  # the richest skeleton that fits wins
        candidates = sorted(SKELETONS.values(), key=lambda s: -s.n_joints)
    closest = None
    for skel in candidates:
        index, missing = _match(bvh_names, skel)
        if not missing:
            return skel.name, index
        if closest is None or len(missing) < len(closest[1]):
            closest = (skel.name, missing)
    name, missing = closest
    raise InputError(
        f"{where}: its {len(bvh_names)} joints do not map onto a known skeleton (closest, {name}, "
        f"lacks {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}); rename the joints "
        "to one skeleton's names or convert the file to CSV."
    )


_CHANNELS = {f"{axis}{kind}" for axis in "XYZ" for kind in ("position", "rotation")}
_MOTION = re.compile(r"^[ \t]*MOTION[ \t]*\r?$", re.MULTILINE)
_MOTION_HEADER = re.compile(
    r"\s*Frames:[ \t]*(\S+)[ \t]*\r?\n[ \t]*Frame Time:[ \t]*(\S+)[ \t]*\r?\n"
)


def _read_motion(path: Path) -> tuple[np.ndarray, float]:
    """The MOTION table (T, C) float64 and the frame time, after checking the file's layout.

    The checks also keep bvhio safe: it loops forever when asked to read past the end of a file.
    """
    where = str(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.lstrip().startswith("HIERARCHY"):
        raise InputError(f"{where}: does not start with HIERARCHY, so it is not a BVH file.")
    motion = _MOTION.search(text)
    if motion is None:
        raise InputError(f"{where}: has no MOTION section; the file is truncated or not BVH.")
    hierarchy = text[: motion.start()].split()
    if hierarchy.count("{") != hierarchy.count("}"):
        raise InputError(f"{where}: its HIERARCHY has unbalanced braces; the file is damaged.")
    header = _MOTION_HEADER.match(text, motion.end())
    if header is None:
        raise InputError(
            f"{where}: MOTION must be followed by 'Frames: N' and 'Frame Time: S'; fix the file."
        )
    try:
        n_frames, frame_time = int(header[1]), float(header[2])
    except ValueError:
        raise InputError(
            f"{where}: cannot read the frame count or frame time after MOTION; fix the file."
        ) from None
    if n_frames <= 0:
        raise InputError(f"{where}: holds zero frames; export at least one frame.")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise InputError(f"{where}: has Frame Time {frame_time}; it must be a positive number.")
    first_line = text.count("\n", 0, header.end()) + 1  # file line number of the first row
    rows = [
        (first_line + i, line.split())
        for i, line in enumerate(text[header.end() :].splitlines())
        if line.strip()
    ]
    if len(rows) < n_frames:
        raise InputError(
            f"{where}: declares {n_frames} frames but holds {len(rows)}; the file is truncated."
        )
    rows = rows[:n_frames]
    width = len(rows[0][1])
    for k, (line, tokens) in enumerate(rows):
        if len(tokens) != width:
            count = f"{len(tokens)} value" + ("s" if len(tokens) != 1 else "")
            raise InputError(
                f"{where}: MOTION row {k + 1} (line {line}) holds {count} but row 1 holds "
                f"{width}; the file is truncated or damaged, re-export it."
            )
    try:
        values = np.array([t for _, tokens in rows for t in tokens], dtype=np.float64)
    except ValueError:
        k, line, token = next(
            (k, line, t) for k, (line, tokens) in enumerate(rows) for t in tokens if not _number(t)
        )
        raise InputError(
            f"{where}: MOTION row {k + 1} (line {line}) holds {token!r}, which is not a number; "
            "fix or re-export the file."
        ) from None
    return values.reshape(n_frames, width), frame_time


def _number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _euler_to_matrix(degrees: np.ndarray, order: str) -> np.ndarray:
    """(T, k) angles in degrees about the k axes named in `order` (intrinsic, as BVH) → (T, 3, 3)."""
    rot = np.broadcast_to(np.eye(3), (len(degrees), 3, 3))
    for axis, angle in zip(order, np.radians(degrees).T, strict=True):
        c, s = np.cos(angle), np.sin(angle)
        one, zero = np.ones_like(c), np.zeros_like(c)
        rows = {
            "X": [[one, zero, zero], [zero, c, -s], [zero, s, c]],
            "Y": [[c, zero, s], [zero, one, zero], [-s, zero, c]],
            "Z": [[c, -s, zero], [s, c, zero], [zero, zero, one]],
        }[axis]
        # Intrinsic order: each rotation turns about the already turned axes (right-multiply).
        rot = rot @ np.stack([np.stack(r, -1) for r in rows], -2)
    return rot


def read_bvh_joints(path: str | os.PathLike) -> tuple[list[str], np.ndarray, float]:
    """World positions of every joint of one BVH file, in the file's own units and axes.

    bvhio parses the hierarchy (names, offsets, channels); the MOTION table is read with numpy
    and forward kinematics runs over all frames at once, several times faster than bvhio's
    per-frame keyframes (which the tests use as the reference).

    Returns:
        names: the J_b joint names in hierarchy order (end sites excluded);
        positions: (T, J_b, 3) float64 joint origins, BVH units, BVH axes (y up);
        frame_time: seconds per frame.
    """
    path = Path(path)
    check_input_file(path)
    values, frame_time = _read_motion(path)  # (T, C)
    try:
        bvh = bvhio.readAsBvh(str(path), loadKeyFrames=False)
    except (SyntaxError, ValueError, IndexError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise InputError(
            f"{path}: is not a valid BVH file ({reason}); fix or re-export it."
        ) from None
    joints = [joint for joint, _, _ in bvh.Root.layout()]  # depth first: the order of the channels
    for joint in joints:
        unknown = [c for c in joint.Channels if c not in _CHANNELS]
        if unknown:
            raise InputError(
                f"{path}: joint {joint.Name} has the unknown channel {unknown[0]!r}; BVH channels "
                "are Xposition, Yposition, Zposition, Xrotation, Yrotation and Zrotation."
            )
    n_channels = sum(len(j.Channels) for j in joints)
    if values.shape[1] != n_channels:
        raise InputError(
            f"{path}: motion lines hold {values.shape[1]} values but the hierarchy declares "
            f"{n_channels} channels; the file is damaged."
        )

    parent = {id(c): i for i, j in enumerate(joints) for c in j.Children}
    n_frames = len(values)
    world_rot = np.empty((n_frames, len(joints), 3, 3))
    world_pos = np.empty((n_frames, len(joints), 3))
    column = 0
    for i, joint in enumerate(joints):
        # Local pose per frame: the offset, replaced by position channels where present (as
        # bvhio does), and an Euler rotation in the order the rotation channels are listed.
        local_pos = np.tile(np.array(joint.Offset.to_tuple()), (n_frames, 1))  # (T, 3)
        rot_columns, rot_order = [], ""
        for channel in joint.Channels:
            if channel[1:] == "position":
                local_pos[:, "XYZ".index(channel[0])] = values[:, column]
            elif channel[1:] == "rotation":
                rot_columns.append(column)
                rot_order += channel[0]
            column += 1
        local_rot = _euler_to_matrix(values[:, rot_columns], rot_order)  # (T, 3, 3)
        p = parent.get(id(joint))
        if p is None:
            world_rot[:, i], world_pos[:, i] = local_rot, local_pos
        else:
            world_rot[:, i] = world_rot[:, p] @ local_rot
            world_pos[:, i] = world_pos[:, p] + np.einsum("tij,tj->ti", world_rot[:, p], local_pos)
    return [j.Name for j in joints], world_pos, float(frame_time)


def read_bvh(
    paths: tuple[str | os.PathLike, str | os.PathLike],
    *,
    scale: float = 0.01,
    fps: float | None = None,
    skeleton: str | None = None,
) -> Duet:
    """Read two BVH files (dancer A, dancer B) into a Duet.

    Args:
        paths: the two files; the file names (without suffix) become the dancer labels.
        scale: metres per BVH unit (0.01: centimetres, the usual unit; 1.0 for metres).
        fps: frames per second; default 1 / Frame Time of the files.
        skeleton: the skeleton to map joints onto; default the largest that maps.

    Returns:
        A Duet with positions (T, 2, J, 3) float32 in metres, z up.

    Raises:
        InputError: unreadable file, joints that map onto no skeleton, or files that disagree in
            frame count or frame time.
    """
    if len(paths) != 2:
        raise InputError(f"BVH input needs two files, one per dancer; got {len(paths)}.")
    path_a, path_b = Path(paths[0]), Path(paths[1])
    where = f"{path_a} + {path_b}"
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"{where}: scale is {scale}; give metres per BVH unit, e.g. 0.01 for cm.")
    names_a, pos_a, time_a = read_bvh_joints(path_a)
    names_b, pos_b, time_b = read_bvh_joints(path_b)
    skeleton, index_a = map_joints(names_a, skeleton, str(path_a))
    _, index_b = map_joints(names_b, skeleton, str(path_b))
    if len(pos_a) != len(pos_b):
        raise InputError(
            f"{where}: the files hold {len(pos_a)} and {len(pos_b)} frames; export both dancers "
            "over the same frames."
        )
    if abs(time_a - time_b) > 1e-6 * max(time_a, time_b):
        raise InputError(
            f"{where}: the files have frame times {time_a:g} s and {time_b:g} s; export both "
            "dancers at the same frame rate."
        )
    positions = np.stack([pos_a[:, index_a], pos_b[:, index_b]], axis=1)  # (T, 2, J, 3)
    # BVH units → metres, and BVH's y-up axes → z-up: (x, y, z) → (x, −z, y).
    positions = to_zup(positions * scale, "yup", where)
    fps, fps_source = resolve_fps(fps, where, file_fps=1.0 / time_a)
    dancers = (path_a.stem, path_b.stem) if path_a.stem != path_b.stem else ("A", "B")
    return build_duet(
        positions,
        where=where,
        fps=fps,
        skeleton=skeleton,
        dancers=dancers,
        read_info={
            "source": where,
            "sources": [str(path_a), str(path_b)],
            "format": "bvh",
            "scale": float(scale),
            "n_bvh_joints": [len(names_a), len(names_b)],
            "fps_source": fps_source,
        },
    )
