"""Long-form CSV: one row per frame, dancer and joint.

The header names the columns `frame,dancer,joint,x,y,z` (any order, any case), optionally with a
`confidence` column; other columns are ignored. `frame` is an integer (frames may start at any
number but must be consecutive), `dancer` is a label (two distinct labels, dancer A is the first
to appear) or 0/1, `joint` is a joint name of a known skeleton or a 0-based index.

Gaps are not filled here: every (frame, dancer, joint) must have exactly one row with finite
x, y, z, otherwise reading stops with a message naming the first missing, repeated or
non-numeric row, because a reader that guessed would hide a broken export. Fill gaps in the tool
that made the file, or interpolate them before reading.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path

import numpy as np

from duetgraph.atomic import atomic_path
from duetgraph.duet import Duet, one_line
from duetgraph.errors import InputError
from duetgraph.io.arrays import (
    AXES,
    build_duet,
    check_input_file,
    known_skeleton,
    resolve_fps,
    to_zup,
)
from duetgraph.skeleton import SKELETONS, get_skeleton

COLUMNS = ("frame", "dancer", "joint", "x", "y", "z")


def _first_bad_line(text: str, header: list[str], where: str) -> InputError | None:
    """The error for the first line with a wrong field count or a non-number (slow; errors only)."""
    numeric = [header.index(c) for c in ("frame", "x", "y", "z", "confidence") if c in header]
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if line == 1 or not row:
            continue
        if len(row) < len(header):
            return InputError(
                f"{where}: line {line} has {len(row)} fields but the header has {len(header)}; "
                "fix that row."
            )
        for i in numeric:
            try:
                float(row[i])
            except ValueError:
                return InputError(
                    f"{where}: line {line} has {header[i]} = {row[i]!r}, not a number; fix or "
                    "fill that row."
                )
    return None


def _load_columns(text: str, header: list[str], where: str) -> tuple[np.ndarray, np.ndarray]:
    """Numbers (M, 4 or 5: frame, x, y, z [, confidence]) float64 and labels (M, 2: dancer, joint).

    Uses numpy's C parser (two passes over the text), about 1 s per million rows.
    """
    numeric = [header.index(c) for c in ("frame", "x", "y", "z", "confidence") if c in header]
    labels = [header.index("dancer"), header.index("joint")]
    options = dict(delimiter=",", skiprows=1, quotechar='"', comments=None, ndmin=2)
    try:
        with warnings.catch_warnings():  # "input contained no data": reported below, in words
            warnings.simplefilter("ignore", UserWarning)
            numbers = np.loadtxt(io.StringIO(text), usecols=numeric, dtype=np.float64, **options)
            names = np.loadtxt(io.StringIO(text), usecols=labels, dtype=str, **options)
    except ValueError as exc:
        raise (
            _first_bad_line(text, header, where)
            or InputError(f"{where}: cannot be parsed as CSV ({one_line(exc)}); fix the file.")
        ) from None
    return numbers, names


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(M,) int64 code of each label and the distinct labels in order of first appearance.

    A dict over the few distinct labels is ~10× faster than np.unique's sort of a million strings.
    """
    items = values.tolist()
    labels = list(dict.fromkeys(items))
    code = {label: i for i, label in enumerate(labels)}
    return np.fromiter(map(code.__getitem__, items), dtype=np.int64, count=len(items)), labels


def _dancer_index(values: np.ndarray, where: str) -> tuple[np.ndarray, tuple[str, str]]:
    """(M,) int64 dancer index 0/1 and the two labels; dancer A is the label that appears first."""
    codes, labels = _codes(values)
    if len(labels) != 2:
        shown = ", ".join(repr(x) for x in labels[:5])
        raise InputError(
            f"{where}: the dancer column holds {len(labels)} distinct label(s) ({shown}); "
            "duetgraph needs exactly two dancers."
        )
    if sorted(labels) == ["0", "1"]:  # numbered dancers: 0 is A whatever comes first
        return np.array([int(x) for x in labels])[codes], ("A", "B")
    return codes, (labels[0], labels[1])


def _joint_index(
    values: np.ndarray, skeleton: str | None, where: str
) -> tuple[np.ndarray, int, str | None]:
    """(M,) int64 joint index, the joint count and the skeleton (None if given by index only)."""
    codes, labels = _codes(values)
    names = [label.strip().lower() for label in labels]
    if all(n.isdigit() for n in names):
        numbers = [int(n) for n in names]
        if max(numbers) >= len(numbers):  # every index 0..J-1 must appear (one row per joint)
            raise InputError(
                f"{where}: joint index {max(numbers)} but only {len(numbers)} distinct joints; "
                "number the joints 0, 1, ..., J-1 (or use joint names)."
            )
        index = np.array(numbers, dtype=np.int64)[codes]
        return index, len(numbers), skeleton
    if skeleton is not None:
        candidates = [known_skeleton(skeleton, where)]
    else:
        # The smallest known skeleton that has every joint name of the file.
        candidates = sorted(SKELETONS.values(), key=lambda s: s.n_joints)
    file_names = set(names)
    for skel in candidates:
        if file_names <= set(skel.joint_names):
            return (
                np.array([skel.joint_names.index(n) for n in names])[codes],
                skel.n_joints,
                skel.name,
            )
    best = min(candidates, key=lambda s: len(file_names - set(s.joint_names)))
    unknown = sorted(file_names - set(best.joint_names))
    raise InputError(
        f"{where}: joint names {unknown[:5]} are not in skeleton {best.name} (closest match); "
        "use the names of one skeleton, 0-based joint indices, or pass --skeleton."
    )


def read_csv(
    path: str | os.PathLike,
    *,
    axes: str = "zup",
    scale: float = 1.0,
    fps: float | None = None,
    skeleton: str | None = None,
) -> Duet:
    """Read a long-form CSV (`frame,dancer,joint,x,y,z` [,confidence]) into a Duet.

    Args:
        path: the file.
        axes: axes of x, y, z: "zup" (default), "camera" or "yup".
        scale: metres per unit of x, y, z.
        fps: frames per second (the CSV has none; 30 is assumed with a warning if not given).
        skeleton: skeleton name; inferred from joint names or the joint count if not given.

    Returns:
        A Duet with positions (T, 2, J, 3) float32 in metres, z up; frames renumbered from 0.

    Raises:
        InputError: naming the file and the first bad, missing or repeated row.
    """
    path = Path(path)
    where = str(path)
    check_input_file(path)
    if axes not in AXES:
        raise InputError(f"{where}: unknown axes {axes!r}; use one of {', '.join(AXES)}.")
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"{where}: scale is {scale}; give metres per unit, e.g. 0.01 for cm.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{where}: is not UTF-8 text; export the CSV as UTF-8.") from None
    first_line = text.split("\n", 1)[0]
    header = [cell.strip().lower() for cell in next(csv.reader([first_line]), [])]
    if not any(header):
        raise InputError(f"{where}: has no header; the first line must be {','.join(COLUMNS)}.")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{where}: the header {first_line.strip()!r} lacks column(s) {','.join(missing)}; "
            f"the first line must name {','.join(COLUMNS)}."
        )
    numbers, names = _load_columns(text, header, where)
    if len(numbers) == 0:
        raise InputError(f"{where}: has a header but no rows; export at least one frame.")

    # Frames: consecutive integers, renumbered from 0.
    frame_f = numbers[:, 0]
    if not (np.abs(frame_f) < 2**53).all():  # NaN, inf or beyond exact integers in float64
        bad = frame_f[np.argmax(~(np.abs(frame_f) < 2**53))]
        raise InputError(
            f"{where}: frame {bad:g} is not a usable frame number; number frames 0, 1, 2, ..."
        )
    if (frame_f != np.round(frame_f)).any():
        bad = frame_f[np.argmax(frame_f != np.round(frame_f))]
        raise InputError(f"{where}: frame {bad} is not an integer; number frames 0, 1, 2, ...")
    frame = frame_f.astype(np.int64)
    frames = np.unique(frame)
    if len(frames) != frames[-1] - frames[0] + 1:
        gap = int(frames[np.argmax(np.diff(frames) > 1)]) + 1
        raise InputError(
            f"{where}: frame {gap} has no rows (frames must be consecutive); fill the gap first."
        )
    frame -= frames[0]
    dancer, dancers = _dancer_index(names[:, 0], where)
    joint, n_joints, skeleton = _joint_index(names[:, 1], skeleton, where)
    xyz = numbers[:, 1:4]  # (M, 3)

    # Every (frame, dancer, joint) exactly once: count rows per cell of the (T, 2, J) grid.
    n_frames = len(frames)
    cell = (frame * 2 + dancer) * n_joints + joint  # (M,) flat index into (T, 2, J)
    counts = np.bincount(cell, minlength=n_frames * 2 * n_joints)
    if (counts != 1).any():
        c = int(np.argmax(counts != 1))
        t, rest = divmod(c, 2 * n_joints)
        p, j = divmod(rest, n_joints)
        what = "has no row" if counts[c] == 0 else f"has {counts[c]} rows"
        name = get_skeleton(skeleton).joint_names[j] if skeleton else str(j)
        n_missing = int((counts == 0).sum())
        raise InputError(
            f"{where}: frame {t + frames[0]}, dancer {dancers[p]}, joint {name} {what} "
            f"({n_missing} cells missing in all); give each frame, dancer and joint exactly one row."
        )
    positions = np.empty((n_frames * 2 * n_joints, 3), dtype=np.float64)
    positions[cell] = xyz
    # (T·2·J, 3) → (T, 2, J, 3); the file's axes are converted to z-up here, once.
    positions = to_zup(positions.reshape(n_frames, 2, n_joints, 3) * scale, axes, where)

    confidence = None
    if "confidence" in header:
        conf = np.empty(n_frames * 2 * n_joints, dtype=np.float64)
        conf[cell] = numbers[:, 4]
        confidence = conf.reshape(n_frames, 2, n_joints)
    fps, fps_source = resolve_fps(fps, where)
    return build_duet(
        positions,
        where=where,
        fps=fps,
        skeleton=skeleton,
        dancers=dancers,
        confidence=confidence,
        read_info={
            "source": where,
            "format": "csv",
            "axes": axes,
            "scale": float(scale),
            "n_rows": len(numbers),
            "first_frame": int(frames[0]),
            "fps_source": fps_source,
        },
    )


def _csv_field(text: str) -> str:
    """`text` quoted for CSV if it holds a comma, quote or line break."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(duet: Duet, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a Duet as long-form CSV (metres, z up, joint names, frames from 0), atomically.

    The confidence column is written when the duet has one; fps and provenance are not kept.
    """
    t = duet.n_frames
    names = duet.skeleton_def.joint_names
    header = list(COLUMNS) + (["confidence"] if duet.confidence is not None else [])
    dancers = [_csv_field(d).replace("%", "%%") for d in duet.dancers]
    names = [n.replace("%", "%%") for n in names]
    values = duet.positions.reshape(-1, 3).astype(np.float64)  # (T·2·J, 3)
    row = ",%.6f,%.6f,%.6f"
    if duet.confidence is not None:
        values = np.concatenate([values, duet.confidence.reshape(-1, 1)], axis=1)
        row += ",%.6f"
    # One %-format over all rows (fast): frame, then dancer, then joint, as in reshape(-1, 3).
    template = "\n".join(f"{f},{d},{n}{row}" for f in range(t) for d in dancers for n in names)
    body = template % tuple(values.ravel().tolist())
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(",".join(header) + "\n" + body + "\n", encoding="utf-8")
    return Path(path)
