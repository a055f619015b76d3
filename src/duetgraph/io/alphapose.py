"""AlphaPose (HybrIK 3D mode) JSON: read into `Detections`, write from arrays.

AlphaPose writes one JSON list with one object per detected person per frame (DESIGN.md §4):
`image_id` (image file name, e.g. "12.jpg"), `category_id`, `keypoints` (J × (u, v, s) pixels; s is
1 − heatmap max, not a confidence), `score`, `box` ([x, y, w, h] pixels), `idx` (detection order,
a track id with pose tracking, or a list like [0.0]) and `pred_xyz_jts` (J × 3 metres, camera
axes, pelvis-centred in stock output).

Frame order comes from the number in each image file name, never from list position. The file is
read a block of text at a time and parsed object by object (`duetgraph.io.json_stream`), and the
objects are converted to numpy in chunks, so neither the text nor the Python object tree of a
long clip is ever held whole: a 2-hour clip (~1.5 GB of JSON) reads in bounded memory.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from duetgraph.atomic import write_text_atomic
from duetgraph.errors import InputError
from duetgraph.io.axes import camera_to_zup
from duetgraph.io.detections import Detections
from duetgraph.io.json_stream import EmptyDocument, JsonSyntaxError, NotAList, iter_json_list
from duetgraph.skeleton import Skeleton, get_skeleton, skeleton_for_joint_count

log = logging.getLogger(__name__)

_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
_CHUNK = 4096  # objects converted to numpy at a time: bounds the Python objects alive at once
# Image numbers may leave gaps (frames where nobody was found), but a span beyond this many frames
# and 10 × the number of images is refused (e.g. "0.jpg" and "1000000000.jpg" in one file).
_MAX_EMPTY_SPAN = 100_000


def read_alphapose(
    path: str | os.PathLike,
    fps: float = 30.0,
    skeleton: str | Skeleton | None = None,
) -> Detections:
    """Read AlphaPose 3D JSON into per-frame detections in metres, z up.

    Args:
        path: the `alphapose-results.json` file (never modified).
        fps: frames per second of the video (AlphaPose does not record it).
        skeleton: skeleton of `pred_xyz_jts`; default from the joint count (24 → smpl24,
            29 → smpl29).

    Returns:
        Detections with joints (M, J, 3) float32 metres z-up, score (M,), box (M, 4),
        keypoints_2d (M, J, 3) when every object has J keypoints, track (M,) from `idx`, and
        frame indices 0..n_frames-1 where frame = image number − first image number (frames
        in between without any detection count as frames with zero detections).

    Raises:
        InputError: missing, empty or non-JSON file, wrong structure, wrong joint count,
            NaN/infinity, no detections, or a non-positive fps.
    """
    path = Path(path)
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"{path}: fps is {fps}; give a positive frame rate (e.g. --fps 30).")
    chunks = [(start, _convert_chunk(path, objs, start)) for start, objs in _chunks(path)]
    if not chunks:
        raise InputError(
            f"{path}: contains no detections (an empty list); check that AlphaPose found "
            "people in the video."
        )
    # One field at a time, each chunk's part released once joined (image ids last: messages
    # name them), so the parts and the whole of only one field are alive at once.
    keys = sorted(chunks[0][1], key=lambda k: k == "image_id")
    cols = {}
    for key in keys:
        cols[key] = _concat(path, chunks, key)
        for _, c in chunks:
            c[key] = None
    del chunks
    joints_cam = cols["joints"]
    m, n_joints = joints_cam.shape[:2]
    skel = _resolve_skeleton(path, n_joints, skeleton)
    _check_finite(path, cols)

    frame, names, order_rule, first_number = _frame_indices(path, cols["image_id"])
    n_frames = len(names)
    order = np.argsort(frame, kind="stable")  # by frame; file order kept within a frame

    # The one conversion into the canonical frame: camera (x right, y down, z forward) → z up.
    joints = camera_to_zup(joints_cam[order])
    pelvis_centred = bool(np.all(joints_cam[:, 0, :] == 0.0))
    if pelvis_centred:
        log.warning(
            "%s: every pose is centred on the pelvis (stock AlphaPose output): where the dancers "
            "stand relative to each other is lost; --recover-placement rebuilds it from the "
            "image boxes.",
            path,
        )
    keypoints = cols["keypoints"]
    if keypoints is not None and keypoints.shape[1] != n_joints:
        log.debug(
            "%s: %d 2D keypoints per object vs %d joints; 2D keypoints not kept.",
            path,
            keypoints.shape[1],
            n_joints,
        )
        keypoints = None
    hist = np.bincount(np.bincount(frame, minlength=n_frames), minlength=4)
    return Detections(
        frame=frame[order].astype(np.int64),
        joints=joints,
        score=cols["score"][order],
        n_frames=n_frames,
        fps=float(fps),
        skeleton=skel.name,
        box=None if cols["box"] is None else cols["box"][order],
        keypoints_2d=None if keypoints is None else keypoints[order],
        track=cols["idx"][order],
        pelvis_centred=pelvis_centred,
        frame_names=names,
        source=str(path),
        provenance=(
            {
                "step": "read_alphapose",
                "source": str(path),
                "n_detections": int(m),
                "n_frames": int(n_frames),
                "frame_order": order_rule,
                "first_image_number": first_number,
                "frames_with_0_1_2_3plus": [
                    int(hist[0]),
                    int(hist[1]),
                    int(hist[2]),
                    int(hist[3:].sum()),
                ],
                "pelvis_centred": pelvis_centred,
                "axes": "camera (x right, y down, z forward) -> z up: (x, z, -y)",
            },
        ),
    )


def alphapose_records(
    image_ids: Sequence[str],
    joints_cam: np.ndarray,
    score: np.ndarray,
    box: np.ndarray | None = None,
    keypoints_2d: np.ndarray | None = None,
    idx: Sequence[int] | np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Build AlphaPose-format objects (JSON-able dicts) from arrays, one per detection.

    Args:
        image_ids: (M,) image file names, e.g. "12.jpg".
        joints_cam: (M, J, 3) metres in **camera axes** (x right, y down, z forward).
        score: (M,) person scores.
        box: optional (M, 4) [x, y, w, h] pixels.
        keypoints_2d: optional (M, J, 3) (u, v, s) pixels.
        idx: optional (M,) detection order within each frame (default 0).
    """
    m = len(image_ids)
    joints = np.asarray(joints_cam, dtype=np.float32).astype(np.float64).tolist()
    scores = np.asarray(score, dtype=np.float32).astype(np.float64).tolist()
    boxes = None if box is None else np.asarray(box, np.float32).astype(np.float64).tolist()
    kps = (
        None
        if keypoints_2d is None
        else np.asarray(keypoints_2d, np.float32).reshape(m, -1).astype(np.float64).tolist()
    )
    idxs = [0] * m if idx is None else [int(i) for i in idx]
    records = []
    for i in range(m):
        rec: dict[str, Any] = {"image_id": str(image_ids[i]), "category_id": 1}
        if kps is not None:
            rec["keypoints"] = kps[i]
        rec["score"] = scores[i]
        if boxes is not None:
            rec["box"] = boxes[i]
        rec["idx"] = idxs[i]
        rec["pred_xyz_jts"] = joints[i]
        records.append(rec)
    return records


def write_alphapose(
    records: list[dict[str, Any]], path: str | os.PathLike, overwrite: bool = False
) -> Path:
    """Write AlphaPose-format objects as one JSON list, atomically (no NaN allowed)."""
    try:
        text = json.dumps(records, allow_nan=False)
    except ValueError as exc:
        raise InputError(
            f"{path}: cannot write NaN or infinity to AlphaPose JSON ({exc})."
        ) from None
    return write_text_atomic(path, text, overwrite)


# ---------------------------------------------------------------------------------- parsing


def _open_text(path: Path) -> TextIO:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the alphapose-results.json file inside it.")
    try:
        return open(path, encoding="utf-8-sig")  # tolerate a byte-order mark
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}).") from None


def _not_text(path: Path) -> InputError:
    with open(path, "rb") as f:
        if f.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return InputError(f"{path}: is UTF-16 text; save it as UTF-8 (AlphaPose writes UTF-8).")
    return InputError(
        f"{path}: is not a text file; give AlphaPose's JSON output (alphapose-results.json)."
    )


def _not_json(path: Path, exc: JsonSyntaxError) -> InputError:
    return InputError(
        f"{path}: is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
        "pass AlphaPose's output unchanged or re-run AlphaPose if it was cut short."
    )


def _unparsable(path: Path, exc: Exception) -> InputError:
    """Valid JSON syntax that Python's parser refuses: nesting too deep, an integer too long."""
    reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
    return InputError(
        f"{path}: cannot be parsed as JSON ({reason}), which AlphaPose never writes; pass "
        "AlphaPose's output unchanged."
    )


def _chunks(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(index of the first object, objects) in chunks of `_CHUNK`, read a block at a time.

    Raises:
        InputError: not UTF-8 text, empty, invalid JSON, or not a list.
    """
    chunk: list[Any] = []
    start = 0
    with _open_text(path) as f:
        try:
            for obj in iter_json_list(f):
                chunk.append(obj)
                if len(chunk) == _CHUNK:
                    yield start, chunk
                    start += len(chunk)
                    chunk = []
        except UnicodeDecodeError:
            raise _not_text(path) from None
        except EmptyDocument:
            raise InputError(
                f"{path}: is empty; AlphaPose may have crashed while writing it, so run it again."
            ) from None
        except NotAList as exc:
            raise InputError(
                f"{path}: the top level is a JSON {_json_type(exc.value)}, not a list of "
                "detections; give the alphapose-results.json that AlphaPose writes (one object "
                "per person per frame)."
            ) from None
        except JsonSyntaxError as exc:
            raise _not_json(path, exc) from None
        except (RecursionError, ValueError) as exc:
            raise _unparsable(path, exc) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror}).") from None
    if chunk:
        yield start, chunk


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _where(objs: list[Any], k: int, start: int) -> str:
    obj = objs[k]
    name = obj.get("image_id") if isinstance(obj, dict) else None
    return f"object {start + k}" + (f" (image_id {name!r})" if name is not None else "")


def _convert_chunk(path: Path, objs: list[Any], start: int) -> dict[str, Any]:
    """Turn a chunk of AlphaPose objects into arrays; raise naming the first bad object."""
    for k, obj in enumerate(objs):
        if not isinstance(obj, dict):
            raise InputError(
                f"{path}: {_where(objs, k, start)} is a JSON {_json_type(obj)}, not an object; "
                "give the list of per-person objects that AlphaPose writes."
            )
        for key in ("image_id", "pred_xyz_jts"):
            if key not in obj:
                hint = (
                    "this looks like 2D AlphaPose output; run AlphaPose in 3D (HybrIK) mode"
                    if key == "pred_xyz_jts"
                    else "every object needs the image file name it came from"
                )
                raise InputError(f"{path}: {_where(objs, k, start)} has no {key!r}; {hint}.")
        image_id = obj["image_id"]
        if isinstance(image_id, bool) or not isinstance(image_id, (str, int)):
            raise InputError(
                f"{path}: image_id of object {start + k} is a JSON {_json_type(image_id)}, not "
                'the image file name (e.g. "12.jpg"); give AlphaPose\'s output unchanged.'
            )
    out: dict[str, Any] = {
        "joints": _array_of(path, objs, start, "pred_xyz_jts", _triples),
        "image_id": [str(obj["image_id"]) for obj in objs],
        "score": _array_of(path, objs, start, "score", _scalars, default=1.0),
        "idx": np.array([_track_id(obj.get("idx")) for obj in objs], dtype=np.int64),
        "box": None,
        "keypoints": None,
    }
    if all("box" in obj for obj in objs):
        out["box"] = _array_of(path, objs, start, "box", _box)
    if all("keypoints" in obj for obj in objs):
        try:
            out["keypoints"] = _array_of(path, objs, start, "keypoints", _triples)
        except InputError:
            log.debug("%s: keypoints of varying length; 2D keypoints not kept.", path)
    return out


def _triples(a: np.ndarray) -> np.ndarray | None:
    """(M, J, 3) from nested (M, J, 3) or flat (M, 3J) values; None if neither."""
    if a.ndim == 3 and a.shape[2] == 3:
        return a
    if a.ndim == 2 and a.shape[1] % 3 == 0 and a.shape[1] > 0:
        return a.reshape(len(a), -1, 3)
    return None


def _scalars(a: np.ndarray) -> np.ndarray | None:
    return a if a.ndim == 1 else None


def _box(a: np.ndarray) -> np.ndarray | None:
    return a if a.ndim == 2 and a.shape[1] == 4 else None


def _shape_of(value: Any) -> tuple[int, ...] | None:
    try:
        return np.array(value, dtype=np.float64).shape
    except (ValueError, TypeError):
        return None


def _array_of(path: Path, objs: list[Any], start: int, key: str, shape_fn, default=None):
    """Bulk-convert one field of every object to float32; name the culprit on failure."""
    values = [obj.get(key, default) for obj in objs]
    try:
        arr = shape_fn(np.array(values, dtype=np.float64))
    except (ValueError, TypeError):
        arr = None
    if arr is not None:
        with np.errstate(over="ignore"):  # beyond float32 becomes inf: `_check_finite` names it
            return arr.astype(np.float32)
    ref = _shape_of(values[0])
    culprit = next((k for k, v in enumerate(values) if ref is None or _shape_of(v) != ref), 0)
    shape = "not numbers" if _shape_of(values[culprit]) is None else f"shaped {list(ref)}"
    if culprit:
        shape = f"shaped unlike the first object's {list(ref)}"
    raise InputError(
        f"{path}: {key} of {_where(objs, culprit, start)} is {shape}, which AlphaPose never "
        "writes; re-export the file or remove that object."
    )


def _concat(path: Path, chunks: list[tuple[int, dict[str, Any]]], key: str) -> Any:
    """Join one field over chunks; None if some chunk lacks it or (keypoints) shapes differ."""
    parts = [c[key] for _, c in chunks]
    if any(p is None for p in parts):
        return None
    if key == "image_id":
        return [x for p in parts for x in p]
    for (start, c), p in zip(chunks, parts, strict=True):
        if p.shape[1:] != parts[0].shape[1:]:
            if key == "keypoints":
                return None
            raise InputError(
                f"{path}: {key} of object {start} (image_id {c['image_id'][0]!r}) has shape "
                f"{list(p.shape[1:])} but the first object's has {list(parts[0].shape[1:])}; "
                "every person must have the same joints."
            )
    return np.concatenate(parts)


def _track_id(idx: Any) -> int:
    """AlphaPose `idx`: an int, a float, or a one-element list like [0.0]; -1 if unusable."""
    if isinstance(idx, list):
        idx = idx[0] if len(idx) == 1 else None
    if isinstance(idx, bool) or not isinstance(idx, (int, float)):
        return -1
    # Python ints are unbounded and floats may be NaN: only what fits an int64 is a track id.
    if isinstance(idx, float) and not np.isfinite(idx):
        return -1
    return int(idx) if -(2**63) <= idx < 2**63 else -1


def _resolve_skeleton(path: Path, n_joints: int, skeleton: str | Skeleton | None) -> Skeleton:
    if skeleton is None:
        # 24/29: AlphaPose 3D (HybrIK); 17: H36M, as `duetgraph extract` writes.
        skel = skeleton_for_joint_count(n_joints) if n_joints in (17, 24, 29) else None
        if skel is None:
            raise InputError(
                f"{path}: pred_xyz_jts has {n_joints} joints per person; AlphaPose 3D (HybrIK) "
                "writes 24 or 29 and duetgraph extract 17, so pass --skeleton if this is another "
                "model's output."
            )
        return skel
    try:
        skel = get_skeleton(skeleton)
    except KeyError as exc:
        raise InputError(f"{path}: {exc.args[0]}") from None
    if skel.n_joints != n_joints:
        raise InputError(
            f"{path}: pred_xyz_jts has {n_joints} joints per person but skeleton {skel.name} has "
            f"{skel.n_joints}; pass the matching --skeleton (or none to choose by joint count)."
        )
    return skel


def _check_finite(path: Path, cols: dict[str, Any]) -> None:
    for key, field in (
        ("joints", "pred_xyz_jts"),
        ("score", "score"),
        ("box", "box"),
        ("keypoints", "keypoints"),
    ):
        arr = cols.get(key)
        if arr is None:
            continue
        bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
        if bad.any():
            k = int(np.argmax(bad))
            raise InputError(
                f"{path}: {field} of object {k} (image_id {cols['image_id'][k]!r}) contains NaN "
                "or infinity; remove that object or re-run AlphaPose."
            )


def _natural_key(name: str) -> list[Any]:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in re.split(r"(\d+)", name)]


def _frame_indices(
    path: Path, image_ids: list[str]
) -> tuple[np.ndarray, tuple[str, ...], str, int | None]:
    """Frame index per object from its image file name.

    The frame number is the last run of digits in the file stem ("frames/000012.png" → 12); the
    frame index is that number minus the first number, so missing numbers become frames with no
    detection. If some name has no number, or two names share one, names are sorted naturally and
    numbered consecutively instead. Numbers spanning far more frames than there are images
    (`_MAX_EMPTY_SPAN`) are refused: they mean several clips in one file or broken names, and
    would otherwise make millions of empty frames.

    Returns:
        (M,) int64 frame per object, per-frame names ("" where no object named it), the rule
        used ("image number" or "natural sort"), and the first image number (None if sorted).
    """
    unique, inverse = np.unique(np.array(image_ids, dtype=str), return_inverse=True)
    names = unique.tolist()  # plain str (np.str_ would show as np.str_('...') in messages)
    numbers = []
    for name in names:
        stem = name.replace("\\", "/").rsplit("/", 1)[-1]
        stem = stem.rsplit(".", 1)[0] if "." in stem else stem
        match = _LAST_NUMBER.search(stem)
        numbers.append(int(match.group(1)) if match else None)
    if None not in numbers and len(set(numbers)) == len(numbers):
        first = min(numbers)  # Python ints: a 30-digit frame number must not overflow int64
        span = max(numbers) - first + 1
        if span > max(_MAX_EMPTY_SPAN, 10 * len(names)):
            lo, hi = names[numbers.index(first)], names[numbers.index(max(numbers))]
            raise InputError(
                f"{path}: image_id {lo!r} and {hi!r} are {span - 1} frames apart but only "
                f"{len(names)} images have detections; AlphaPose numbers the frames of one "
                "video consecutively, so check that the file holds a single clip."
            )
        frame_of_name = np.array([n - first for n in numbers], dtype=np.int64)
        per_frame = [""] * span
        for name, f in zip(names, frame_of_name.tolist(), strict=True):
            per_frame[f] = name
        return frame_of_name[inverse.ravel()], tuple(per_frame), "image number", first
    ranked = sorted(range(len(names)), key=lambda k: _natural_key(names[k]))
    frame_of_name = np.empty(len(names), dtype=np.int64)
    frame_of_name[ranked] = np.arange(len(names))
    log.warning(
        "%s: image names without distinct frame numbers; frames ordered by natural sort of the "
        "names.",
        path,
    )
    return (
        frame_of_name[inverse.ravel()],
        tuple(names[k] for k in ranked),
        "natural sort",
        None,
    )
