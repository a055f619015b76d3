"""Plain NumPy arrays in and out, and the checks every reader shares.

Two array layouts are read:

- "standard": `(T, 2, J, 3)`, frames × dancers × joints × xyz (what `write_array` writes);
- "interleaved": `(2T, J, 3)` whose rows alternate between the dancers (`[0::2]` dancer A,
  `[1::2]` dancer B), the layout of the reference implementation's published sample. It is never
  guessed: the caller asks for it with `layout="interleaved"`.

Axes are named, not guessed either: "zup" (already canonical, the default for standard arrays),
"camera" (pose-extractor axes x right, y down, z forward; the default for interleaved arrays) or
"yup" (animation tools). `build_duet` is the one place where readers turn a checked
`(T, 2, J, 3)` array into a `Duet`, so every reader names the file in the same messages.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.atomic import atomic_path
from duetgraph.duet import NUMPY_READ_ERRORS, Duet, check_numpy_sizes, one_line
from duetgraph.errors import InputError
from duetgraph.io.axes import camera_to_zup, yup_to_zup
from duetgraph.skeleton import SKELETONS, Skeleton, get_skeleton, skeleton_for_joint_count

log = logging.getLogger(__name__)

LAYOUTS = ("standard", "interleaved")
AXES = ("zup", "camera", "yup")
DEFAULT_FPS = 30.0  # pose extractors run on video, which is usually 30 fps


# ---------------------------------------------------------------------- shared checks
def check_input_file(path: Path) -> None:
    """Raise InputError unless `path` is an existing, non-empty file."""
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path.")
    if not path.is_file():
        raise InputError(f"{path}: is not a file; give the path of a file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; re-export it from its source.")


def to_zup(xyz: np.ndarray, axes: str, where: str) -> np.ndarray:
    """Convert (..., 3) coordinates given in `axes` ("zup", "camera", "yup") to canonical z-up."""
    if axes == "zup":
        with np.errstate(over="ignore"):  # beyond float32 becomes inf: build_duet names it
            return np.asarray(xyz, dtype=np.float32)
    if axes == "camera":
        # Camera axes (x right, y down, z forward) → z-up: (x, y, z) → (x, z, −y).
        return camera_to_zup(xyz)
    if axes == "yup":
        # y-up animation axes → z-up: (x, y, z) → (x, −z, y).
        return yup_to_zup(xyz)
    raise InputError(f"{where}: unknown axes {axes!r}; use one of {', '.join(AXES)}.")


def known_skeleton(skeleton: str, where: str) -> Skeleton:
    """The skeleton named `skeleton`, or InputError naming `where` and the known names."""
    try:
        return get_skeleton(skeleton)
    except KeyError:
        raise InputError(
            f"{where}: unknown skeleton {skeleton!r}; use one of {', '.join(SKELETONS)}."
        ) from None


def resolve_skeleton(n_joints: int, skeleton: str | None, where: str) -> str:
    """Name of the skeleton for `n_joints` joints: `skeleton` if given (checked), else inferred."""
    if skeleton is not None:
        skel = known_skeleton(skeleton, where)
        if skel.n_joints != n_joints:
            raise InputError(
                f"{where}: skeleton {skel.name} has {skel.n_joints} joints but the file has "
                f"{n_joints} per dancer; pass the matching --skeleton or leave it out."
            )
        return skel.name
    skel = skeleton_for_joint_count(n_joints)
    if skel is None:
        known = ", ".join(f"{s.name} ({s.n_joints})" for s in SKELETONS.values())
        raise InputError(
            f"{where}: {n_joints} joints per dancer match no known skeleton ({known}); "
            "pass --skeleton or export one of these."
        )
    return skel.name


def resolve_fps(fps: float | None, where: str, file_fps: float | None = None) -> tuple[float, str]:
    """The frame rate to use and where it came from ("option", "file" or "default")."""
    if fps is not None:
        if not (np.isfinite(fps) and fps > 0):
            raise InputError(
                f"{where}: fps is {fps}; it must be a positive number (e.g. --fps 30)."
            )
        if file_fps is not None and abs(file_fps - fps) > 1e-3 * fps:
            log.warning("%s: the file says %.6g fps; using %.6g fps as asked", where, file_fps, fps)
        return float(fps), "option"
    if file_fps is not None:
        return float(file_fps), "file"
    log.warning("%s: the file has no frame rate; assuming %g fps (pass --fps)", where, DEFAULT_FPS)
    return DEFAULT_FPS, "default"


def build_duet(
    positions: np.ndarray,
    *,
    where: str,
    fps: float,
    skeleton: str | None,
    dancers: tuple[str, str] = ("A", "B"),
    confidence: np.ndarray | None = None,
    read_info: dict[str, Any],
) -> Duet:
    """Check a canonical array and wrap it in a Duet whose provenance starts with one read step.

    Args:
        positions: (T, 2, J, 3) metres, z up (already converted).
        where: the file(s) to name in messages.
        fps: frames per second.
        skeleton: skeleton name with J joints, or None to infer it from J.
        dancers: labels of dancer A and B.
        confidence: optional (T, 2, J).
        read_info: the read step's entries (must hold "source" and "format").
    """
    positions = np.asarray(positions)
    if positions.ndim != 4 or positions.shape[1] != 2 or positions.shape[3] != 3:
        raise InputError(
            f"{where}: positions have shape {positions.shape}, expected (frames, 2, joints, 3)."
        )
    if positions.shape[0] == 0:
        raise InputError(f"{where}: holds zero frames; export at least one frame.")
    finite = np.isfinite(positions)
    if not finite.all():
        t, p, j, _ = np.argwhere(~finite)[0]
        n_bad = int((~finite.all(axis=-1)).sum())
        raise InputError(
            f"{where}: {n_bad} joint positions are NaN or infinite (first at frame {t}, dancer "
            f"{dancers[p]}, joint {j}); fill the gaps before reading (e.g. interpolate them)."
        )
    skeleton = resolve_skeleton(positions.shape[2], skeleton, where)
    step = {
        "step": "read",
        **read_info,
        "n_frames": int(positions.shape[0]),
        "n_joints": int(positions.shape[2]),
    }
    try:
        return Duet(
            positions.astype(np.float32, copy=False),
            fps=fps,
            skeleton=skeleton,
            dancers=dancers,
            confidence=confidence,
            provenance=(step,),
        )
    except InputError as exc:  # anything left that Duet checks: name the file, not "duet"
        message = str(exc).removeprefix("duet: ")
        raise InputError(f"{where}: {message}") from None


# ---------------------------------------------------------------------- arrays
def load_array(path: Path) -> np.ndarray:
    """The single array of a `.npy`, or of a `.npz` (its only array, or the one named positions)."""
    check_input_file(path)
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):  # .npy header or .npz (zip)
        raise InputError(
            f"{path}: cannot be read as a NumPy file (no .npy/.npz header); save it with "
            "numpy.save or numpy.savez."
        )
    check_numpy_sizes(path)
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise InputError(
                f"{path}: holds Python objects, not numbers; save a numeric array "
                "(numpy.save with a float array)."
            ) from None
        raise InputError(f"{path}: cannot be read as a NumPy file ({one_line(exc)}).") from None
    except NUMPY_READ_ERRORS as exc:
        raise InputError(
            f"{path}: cannot be read as a NumPy file ({one_line(exc)}); is it truncated?"
        ) from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            keys = list(data.keys())
            if "positions" in keys:
                key = "positions"
            elif len(keys) == 1:
                key = keys[0]
            else:
                raise InputError(
                    f"{path}: holds arrays {keys} and none is named 'positions'; save one array "
                    "or name it positions."
                )
            try:
                array = data[key]
            except ValueError as exc:
                if "pickle" not in str(exc):
                    raise InputError(
                        f"{path}: array {key!r} cannot be read ({one_line(exc)}); is it truncated?"
                    ) from None
                raise InputError(
                    f"{path}: array {key!r} holds Python objects, not numbers; save a numeric array."
                ) from None
            except NUMPY_READ_ERRORS as exc:
                raise InputError(
                    f"{path}: array {key!r} cannot be read ({one_line(exc)}); is it truncated?"
                ) from None
    else:
        array = data
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise InputError(
            f"{path}: the array has dtype {array.dtype}; save real numbers (float32 or float64)."
        )
    return array


def read_array(
    path: str | os.PathLike,
    *,
    layout: str = "standard",
    axes: str | None = None,
    scale: float = 1.0,
    fps: float | None = None,
    skeleton: str | None = None,
) -> Duet:
    """Read a plain `.npy`/`.npz` array of both dancers' joints.

    Args:
        path: the file.
        layout: "standard" for (T, 2, J, 3) or "interleaved" for (2T, J, 3) with rows alternating
            dancer A, dancer B.
        axes: axes of the stored coordinates: "zup", "camera" or "yup"; default "zup" for the
            standard layout and "camera" for the interleaved one (extractor output).
        scale: metres per stored unit (0.01 for centimetres, 0.001 for millimetres).
        fps: frames per second (arrays carry none; 30 is assumed with a warning if not given).
        skeleton: skeleton name; inferred from the joint count if not given.

    Returns:
        A Duet with positions (T, 2, J, 3) float32 in metres, z up.

    Raises:
        InputError: missing/empty/unreadable file, wrong shape, non-finite values, bad options.
    """
    path = Path(path)
    where = str(path)
    if layout not in LAYOUTS:
        raise InputError(f"{where}: unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}.")
    if axes is None:
        axes = "camera" if layout == "interleaved" else "zup"
    if axes not in AXES:
        raise InputError(f"{where}: unknown axes {axes!r}; use one of {', '.join(AXES)}.")
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"{where}: scale is {scale}; give metres per unit, e.g. 0.01 for cm.")
    array = load_array(path)

    if layout == "interleaved":
        if array.ndim != 3 or array.shape[2] != 3:
            raise InputError(
                f"{where}: has shape {array.shape}, but the interleaved layout is (2 × frames, "
                "joints, 3); check --layout."
            )
        if array.shape[0] % 2:
            raise InputError(
                f"{where}: has {array.shape[0]} rows, an odd number, so the rows cannot alternate "
                "between two dancers; check the file or --layout."
            )
        # (2T, J, 3) → (T, 2, J, 3): row 2t is dancer A at frame t, row 2t+1 dancer B.
        positions = array.reshape(array.shape[0] // 2, 2, array.shape[1], 3)
    else:
        if array.ndim == 3 and array.shape[2] == 3:
            raise InputError(
                f"{where}: has shape {array.shape} (rows × joints × 3), not (frames, 2, joints, 3); "
                "if its rows alternate between the dancers pass --layout interleaved."
            )
        if array.ndim != 4 or array.shape[3] != 3:
            raise InputError(
                f"{where}: has shape {array.shape}; expected (frames, 2, joints, 3) for both "
                "dancers' 3D joints."
            )
        if array.shape[1] != 2:
            raise InputError(
                f"{where}: holds {array.shape[1]} dancer(s) per frame; duetgraph needs exactly two "
                "(shape (frames, 2, joints, 3))."
            )
        positions = array

    # The stored axes are converted to z-up here, once; scale makes metres.
    positions = to_zup(positions.astype(np.float64) * scale, axes, where)
    fps, fps_source = resolve_fps(fps, where)
    return build_duet(
        positions,
        where=where,
        fps=fps,
        skeleton=skeleton,
        read_info={
            "source": where,
            "format": "array",
            "layout": layout,
            "axes": axes,
            "scale": float(scale),
            "fps_source": fps_source,
        },
    )


def write_array(duet: Duet, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write `duet.positions` as a plain (T, 2, J, 3) float32 `.npy` (metres, z up), atomically.

    Only the array is kept: fps, skeleton, dancers and provenance are not (use `.npz` for those).
    """
    with atomic_path(path, overwrite) as tmp, open(tmp, "wb") as f:
        np.save(f, duet.positions)
    return Path(path)
