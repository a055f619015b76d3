"""Writing BVH: one file per dancer, joint rotations solved from joint positions.

A BVH file stores a skeleton at rest (joint tree and bone offsets) and, per frame, the root's
translation and every joint's rotation; joint positions follow by forward kinematics. We only
have positions, so the rest pose and the rotations are solved here (numpy, vectorised over
frames; joints are visited parents first).

**Hierarchy.** The duet's skeleton: joint names and parents as in `duetgraph.skeleton`, in
depth-first order (children by index). The root has six channels (X/Y/Z position, then the
rotation channels), every other joint three rotation channels; a joint without children gets an
`End Site` along its incoming bone (half that bone's length, at least 1 cm).

**Rest pose and rotations** are solved in `duetgraph.io.bvh_solve`: median bone lengths along
the dancer's average heading-free bone directions; per joint, Kabsch over its children where two
or more fix a full frame (pelvis, spine3), else the smallest swing from the parent's frame with
**zero twist relative to the parent** (twist about a one-child bone changes no joint position,
so positions cannot tell it); leaves turn with their parent.

**Units and axes.** Canonical metres, z up (DESIGN.md §2) → BVH centimetres (default; or metres)
and y up (default: (x, y, z)_zup → (x, z, −y)_yup, as `io.axes.zup_to_yup`) or z up (unchanged).
Euler angles in degrees, intrinsic, in the order the channels list them (default ZXY:
R = Rz·Rx·Ry, the reader's convention), unwrapped over time so that no channel jumps by 360°.
Frame Time = 1 / fps.
"""

from __future__ import annotations

import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duetgraph.atomic import atomic_path, check_writable
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.io.bvh_solve import (
    bone_lengths,
    children_of,
    depth_first,
    end_sites,
    euler_degrees,
    forward_kinematics,
    rest_offsets,
    solve_rotations,
)
from duetgraph.skeleton import Skeleton, get_skeleton

log = logging.getLogger(__name__)

UNITS = {"cm": 100.0, "m": 1.0}  # BVH units per metre
UP_AXES = {"y": 1, "z": 2}  # index of the vertical axis in the written file


@dataclass(frozen=True)
class BvhWriteConfig:
    """How BVH files are written.

    Args:
        up: vertical axis of the file, "y" (BVH's usual, Blender's importer default) or "z".
        units: "cm" (BVH's usual) or "m".
        euler_order: rotation channel order, three distinct letters of XYZ (intrinsic).
        decimals: digits after the point in the MOTION table (5: 1e-5 cm, 1e-5 degrees).
    """

    up: str = "y"
    units: str = "cm"
    euler_order: str = "ZXY"
    decimals: int = 5

    def __post_init__(self) -> None:
        if self.up not in UP_AXES:
            raise InputError(f"BVH up axis {self.up!r} is unknown; use --up y or --up z.")
        if self.units not in UNITS:
            raise InputError(f"BVH units {self.units!r} are unknown; use cm or m.")
        if sorted(self.euler_order) != ["X", "Y", "Z"]:
            raise InputError(
                f"Euler order {self.euler_order!r} must name X, Y and Z once each, e.g. ZXY."
            )
        if not 1 <= self.decimals <= 12:
            raise InputError(f"BVH decimals {self.decimals} must be within 1..12.")

    @property
    def scale(self) -> float:
        """BVH units per metre."""
        return UNITS[self.units]


@dataclass(frozen=True)
class BvhMotion:
    """One dancer as BVH: rest skeleton plus per-frame root position and joint rotations.

    Args:
        names: (J,) joint names, in the skeleton's index order.
        parents: (J,) parent index per joint, -1 for the root.
        offsets: (J, 3) float64 rest offset of each joint from its parent, file units and axes;
            the root's is zero.
        end_sites: (J, 3) float64 End Site offset of each leaf joint (zero for other joints).
        root_position: (T, 3) float64 root position per frame, file units and axes.
        rotations: (T, J, 3, 3) float64 local rotation of each joint (relative to its parent).
        frame_time: seconds per frame.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    end_sites: np.ndarray
    root_position: np.ndarray
    rotations: np.ndarray
    frame_time: float

    @property
    def n_frames(self) -> int:
        return self.root_position.shape[0]

    def positions(self) -> np.ndarray:
        """(T, J, 3) world joint positions by forward kinematics, file units and axes."""
        return forward_kinematics(self.root_position, self.rotations, self.parents, self.offsets)


@dataclass(frozen=True)
class BvhFit:
    """How closely a written BVH reproduces one dancer's input positions (metres).

    Args:
        path: the file written.
        max_error_m, mean_error_m: joint position error of the BVH's forward kinematics
            against the input, over all frames and joints.
        bone_spread_m: the largest range (max − min over frames) of any bone's length in the
            input; 0 for rigid bones, where the BVH is exact.
    """

    path: Path
    max_error_m: float
    mean_error_m: float
    bone_spread_m: float


# ---------------------------------------------------------------------- from positions to text
def to_file_axes(positions: np.ndarray, config: BvhWriteConfig) -> np.ndarray:
    """(..., 3) canonical metres, z up → file units and axes, float64.

    y up is (x, y, z) → (x, z, −y) (as `io.axes.zup_to_yup`, kept in float64 here).
    """
    x, y, z = np.moveaxis(np.asarray(positions, dtype=np.float64), -1, 0)
    xyz = np.stack([x, z, -y], axis=-1) if config.up == "y" else np.stack([x, y, z], axis=-1)
    return xyz * config.scale


def from_file_axes(xyz: np.ndarray, config: BvhWriteConfig) -> np.ndarray:
    """Inverse of `to_file_axes`: file units and axes → canonical metres, z up, float64."""
    x, y, z = np.moveaxis(np.asarray(xyz, dtype=np.float64) / config.scale, -1, 0)
    return np.stack([x, -z, y], axis=-1) if config.up == "y" else np.stack([x, y, z], axis=-1)


def dancer_motion(
    positions: np.ndarray,
    skeleton: str | Skeleton,
    fps: float,
    config: BvhWriteConfig | None = None,
) -> BvhMotion:
    """Solve one dancer's BVH motion from canonical joint positions.

    Args:
        positions: (T, J, 3) metres, z up (one dancer of a Duet).
        skeleton: skeleton name or definition with J joints.
        fps: frames per second (> 0).
        config: axes, units and Euler order of the file.

    Returns:
        A BvhMotion in the file's units and axes.
    """
    config = config or BvhWriteConfig()
    skel = get_skeleton(skeleton)
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[1:] != (skel.n_joints, 3):
        raise InputError(
            f"BVH export: positions have shape {positions.shape}, expected (frames, "
            f"{skel.n_joints}, 3) for skeleton {skel.name}."
        )
    xyz = to_file_axes(positions, config)
    offsets = rest_offsets(xyz, skel, UP_AXES[config.up])
    rotations, root_position = solve_rotations(xyz, skel.parents, offsets)
    return BvhMotion(
        names=skel.joint_names,
        parents=skel.parents,
        offsets=offsets,
        end_sites=end_sites(offsets, skel.parents, config.scale),
        root_position=root_position,
        rotations=rotations,
        frame_time=1.0 / float(fps),
    )


def bvh_text(motion: BvhMotion, config: BvhWriteConfig | None = None) -> str:
    """The BVH file of `motion`: HIERARCHY (depth first) then MOTION, one line per frame."""
    config = config or BvhWriteConfig()
    rot_channels = " ".join(f"{axis}rotation" for axis in config.euler_order)
    children = children_of(motion.parents)
    num = f"{{:.{config.decimals}f}}"
    lines = ["HIERARCHY"]

    def add(j: int, depth: int) -> None:
        pad = "\t" * depth
        is_root = motion.parents[j] < 0
        lines.append(f"{pad}{'ROOT' if is_root else 'JOINT'} {motion.names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {' '.join(num.format(v) for v in motion.offsets[j])}")
        if is_root:
            lines.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition {rot_channels}")
        else:
            lines.append(f"{pad}\tCHANNELS 3 {rot_channels}")
        for k in children[j]:
            add(k, depth + 1)
        if not children[j]:
            site = " ".join(num.format(v) for v in motion.end_sites[j])
            lines.extend(
                [f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {site}", f"{pad}\t}}"]
            )
        lines.append(f"{pad}}}")

    add(motion.parents.index(-1), 0)
    order = depth_first(motion.parents)
    angles = euler_degrees(motion.rotations[:, order], config.euler_order)  # (T, J, 3)
    table = np.concatenate([motion.root_position, angles.reshape(motion.n_frames, -1)], axis=1)
    table = np.where(np.abs(table) < 0.5 * 10.0**-config.decimals, 0.0, table)  # no "-0.00000"
    buf = io.StringIO()
    np.savetxt(buf, table, fmt=f"%.{config.decimals}f", delimiter=" ")
    lines += ["MOTION", f"Frames: {motion.n_frames}", f"Frame Time: {motion.frame_time:.10g}"]
    return "\n".join(lines) + "\n" + buf.getvalue()


def write_bvh(
    motion: BvhMotion,
    path: str | os.PathLike,
    config: BvhWriteConfig | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `motion` as a BVH file atomically; refuses to replace a file unless `overwrite`."""
    text = bvh_text(motion, config)
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


# ---------------------------------------------------------------------- a whole duet
def dancer_file_names(dancers: tuple[str, str]) -> tuple[str, str]:
    """File names "<label>.bvh" for the two dancers (odd characters become "_"; never equal).

    Blender's importer names each armature after its file, so these are also the armature names.
    """
    stems = [
        re.sub(r"[^A-Za-z0-9_.-]+", "_", d).strip("._") or f"dancer{i + 1}"
        for i, d in enumerate(dancers)
    ]
    if stems[0].lower() == stems[1].lower():
        stems = [f"{stems[0]}_A", f"{stems[1]}_B"]
    return f"{stems[0]}.bvh", f"{stems[1]}.bvh"


def duet_bvh_paths(duet: Duet, folder: str | os.PathLike) -> tuple[Path, Path]:
    """Where `write_duet_bvh` writes the two dancers' files."""
    a, b = dancer_file_names(duet.dancers)
    return Path(folder) / a, Path(folder) / b


def write_duet_bvh(
    duet: Duet,
    folder: str | os.PathLike,
    config: BvhWriteConfig | None = None,
    overwrite: bool = False,
) -> tuple[BvhFit, BvhFit]:
    """Write one BVH file per dancer into `folder` (see `duet_bvh_paths`) and measure the fit.

    Both paths are checked before anything is written; each file is written atomically.

    Returns:
        One BvhFit per dancer (A, B), errors in metres.

    Raises:
        OutputError: a file exists without `overwrite`, or the folder cannot be written.
    """
    config = config or BvhWriteConfig()
    paths = duet_bvh_paths(duet, folder)
    for path in paths:
        check_writable(path, overwrite)
    parents = duet.skeleton_def.parents
    fits = []
    for person, path in enumerate(paths):
        observed = duet.positions[:, person].astype(np.float64)  # (T, J, 3) metres z up
        motion = dancer_motion(observed, duet.skeleton, duet.fps, config)
        write_bvh(motion, path, config, overwrite)
        error = np.linalg.norm(from_file_axes(motion.positions(), config) - observed, axis=-1)
        lengths = bone_lengths(observed, parents)
        fit = BvhFit(
            path=path,
            max_error_m=float(error.max()),
            mean_error_m=float(error.mean()),
            bone_spread_m=float((lengths.max(0) - lengths.min(0)).max()),
        )
        log.debug(
            "%s: BVH fit max %.2f cm, mean %.2f cm (bone lengths vary by up to %.2f cm)",
            path,
            100 * fit.max_error_m,
            100 * fit.mean_error_m,
            100 * fit.bone_spread_m,
        )
        fits.append(fit)
    return fits[0], fits[1]
