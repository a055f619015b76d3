"""HybrIK `demo_video.py --save-pk` output: one pickle per dancer.

Each pickle is a dict of stacked per-frame arrays; we use `pred_xyz_29 (N, 29, 3)`, the joints
centred on the pelvis in units of the 3D box size (2.2 m), `transl (N, 3)`, the pelvis position
in metres, both in camera axes, and `img_path (N,)` to align frames. World joints are
`pred_xyz_29 · 2.2 + transl`.

The two files are aligned by the base names of `img_path` when both have them (the demo skips
frames where it finds nobody, so indices alone can disagree), else by index; only frames present
in both are kept and the counts are recorded in the provenance. Pickles can run code while they
load, so nothing is unpickled unless the caller says the files are trusted.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.duet import Duet, one_line
from duetgraph.errors import InputError
from duetgraph.io.arrays import build_duet, check_input_file, resolve_fps, to_zup

log = logging.getLogger(__name__)

BOX_SIZE_M = 2.2  # HybrIK's BBOX_3D_SHAPE (2200 mm): pred_xyz_29 is in units of this size


def load_hybrik_pickle(path: str | os.PathLike, trust_pickle: bool = False) -> dict[str, Any]:
    """The dict stored in one HybrIK pickle, checked for the arrays we need.

    Raises:
        InputError: `trust_pickle` is False, or the file is not a HybrIK result.
    """
    path = Path(path)
    check_input_file(path)
    if not trust_pickle:
        raise InputError(
            f"{path}: HybrIK results are Python pickles, which can run code when loaded; pass "
            "--trust-pickle (trust_pickle=True) only if you made the file or trust its source."
        )
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)  # the caller vouched for this file (trust_pickle=True)
    except Exception as exc:  # unpickling can raise nearly anything
        raise InputError(
            f"{path}: cannot be unpickled ({type(exc).__name__}: {one_line(exc)}); is it a HybrIK "
            ".pk file?"
        ) from None
    if not isinstance(data, dict) or "pred_xyz_29" not in data or "transl" not in data:
        keys = sorted(map(str, data))[:8] if isinstance(data, dict) else type(data).__name__
        raise InputError(
            f"{path}: is not a HybrIK result (need 'pred_xyz_29' and 'transl', found {keys}); "
            "write it with demo_video.py --save-pk."
        )
    xyz, transl = (_numbers(path, data, key) for key in ("pred_xyz_29", "transl"))
    if xyz.ndim != 3 or xyz.shape[1:] != (29, 3):
        raise InputError(f"{path}: pred_xyz_29 has shape {xyz.shape}, expected (frames, 29, 3).")
    if transl.shape != (len(xyz), 3):
        raise InputError(
            f"{path}: transl has shape {transl.shape}, expected ({len(xyz)}, 3) to match "
            "pred_xyz_29."
        )
    if len(xyz) == 0:
        raise InputError(f"{path}: holds zero frames; run HybrIK on a clip where it finds someone.")
    names = data.get("img_path")
    if names is not None:
        names = [os.path.basename(str(n)) for n in np.asarray(names).reshape(-1)]
        if len(names) != len(xyz) or len(set(names)) != len(names):
            log.warning("%s: img_path does not name each frame once; aligning by index", path)
            names = None
    return {"pred_xyz_29": xyz, "transl": transl, "img_path": names}


def _numbers(path: Path, data: dict[str, Any], key: str) -> np.ndarray:
    """`data[key]` as a float64 array, or InputError if it is not an array of numbers."""
    try:
        return np.asarray(data[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{path}: {key} is a {type(data[key]).__name__} that does not hold numbers; "
            "write the file with HybrIK's demo_video.py --save-pk."
        ) from None


def _frame_number(name: str) -> int | None:
    """The last integer in a frame's file name ('clip-000123.png' → 123), if any."""
    numbers = re.findall(r"\d+", name)
    return int(numbers[-1]) if numbers else None


def align_frames(
    names_a: list[str] | None, names_b: list[str] | None, n_a: int, n_b: int
) -> tuple[np.ndarray, np.ndarray, str, list[str] | None]:
    """Row indices into A and B of the frames both files hold, in A's order, and the frame names.

    Returns:
        (rows_a, rows_b, how, names): rows as int arrays, "img_path" or "index", the kept names.
    """
    if names_a is not None and names_b is not None:
        row_b = {n: i for i, n in enumerate(names_b)}
        rows = [(i, row_b[n]) for i, n in enumerate(names_a) if n in row_b]
        rows_a = np.array([a for a, _ in rows], dtype=np.int64)
        rows_b = np.array([b for _, b in rows], dtype=np.int64)
        return rows_a, rows_b, "img_path", [names_a[i] for i in rows_a]
    n = min(n_a, n_b)
    return np.arange(n), np.arange(n), "index", None


def read_hybrik(
    paths: tuple[str | os.PathLike, str | os.PathLike],
    *,
    trust_pickle: bool = False,
    fps: float | None = None,
    skeleton: str | None = None,
) -> Duet:
    """Read two HybrIK `--save-pk` pickles (dancer A, dancer B) into a Duet.

    Args:
        paths: the two files; their names (without suffix) become the dancer labels.
        trust_pickle: must be True: pickles can run code when loaded.
        fps: frames per second of the video (not stored by HybrIK; 30 assumed with a warning).
        skeleton: "smpl29" (the default) or None; HybrIK always gives 29 joints.

    Returns:
        A Duet with positions (T, 2, 29, 3) float32 in metres, z up, over the frames both files hold.

    Raises:
        InputError: untrusted or unreadable pickle, wrong arrays, or no frame in common.
    """
    if len(paths) != 2:
        raise InputError(f"HybrIK input needs two .pk files, one per dancer; got {len(paths)}.")
    path_a, path_b = Path(paths[0]), Path(paths[1])
    where = f"{path_a} + {path_b}"
    a = load_hybrik_pickle(path_a, trust_pickle)
    b = load_hybrik_pickle(path_b, trust_pickle)
    n_a, n_b = len(a["pred_xyz_29"]), len(b["pred_xyz_29"])
    rows_a, rows_b, how, names = align_frames(a["img_path"], b["img_path"], n_a, n_b)
    if len(rows_a) == 0:
        raise InputError(
            f"{where}: the two files share no frame (by img_path); give the results of the same video."
        )
    if len(rows_a) < max(n_a, n_b):
        log.warning(
            "%s: %d and %d frames, %d in common; keeping the common frames",
            where,
            n_a,
            n_b,
            len(rows_a),
        )
    n_gaps = 0
    if names is not None:
        numbers = [_frame_number(n) for n in names]
        if None not in numbers:
            n_gaps = int((np.diff(numbers) > 1).sum())
            if n_gaps:
                log.warning(
                    "%s: %d gaps in the common frames (frames neither file has)", where, n_gaps
                )

    # Pelvis-centred joints in units of the 2.2 m box, plus the pelvis translation in metres.
    world_a = a["pred_xyz_29"][rows_a] * BOX_SIZE_M + a["transl"][rows_a, None]  # (T, 29, 3)
    world_b = b["pred_xyz_29"][rows_b] * BOX_SIZE_M + b["transl"][rows_b, None]
    positions = np.stack([world_a, world_b], axis=1)  # (T, 2, 29, 3), camera axes
    # Camera axes (x right, y down, z forward) → z-up: (x, y, z) → (x, z, −y).
    positions = to_zup(positions, "camera", where)
    fps, fps_source = resolve_fps(fps, where)
    dancers = (path_a.stem, path_b.stem) if path_a.stem != path_b.stem else ("A", "B")
    return build_duet(
        positions,
        where=where,
        fps=fps,
        skeleton=skeleton or "smpl29",
        dancers=dancers,
        read_info={
            "source": where,
            "sources": [str(path_a), str(path_b)],
            "format": "hybrik",
            "aligned_by": how,
            "n_frames_in": [n_a, n_b],
            "n_frames_dropped": [n_a - len(rows_a), n_b - len(rows_b)],
            "n_gaps": n_gaps,
            "fps_source": fps_source,
        },
    )
