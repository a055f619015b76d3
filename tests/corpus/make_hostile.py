"""Write the hostile-input corpus: small damaged files and the exact message each must produce.

    python tests/corpus/make_hostile.py            # rewrites tests/corpus/hostile/
    python tests/corpus/make_hostile.py OUT_DIR    # writes elsewhere (the test compares)

Deterministic: fixed seeds, fixed JSON formatting and zip timestamps, so running it again gives
byte-identical files. `hostile/manifest.json` maps each case to the command run on it (from
inside `hostile/`, so messages name the bare file) and what the user must see: the exit status
and the one `error: ...` line on stderr (failures), or a line of stdout (inputs that must work).
`tests/reliability/test_corpus.py` checks both.
"""

from __future__ import annotations

import io
import json
import pickle
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "hostile"
_STAMP = (1980, 1, 1, 0, 0, 0)  # fixed zip member times: the same bytes on every run


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _pose(rng, n_joints: int = 29, x: float = 0.0) -> list[list[float]]:
    """One pose in camera axes (metres), rounded so the JSON text is short and stable."""
    xyz = rng.normal(size=(n_joints, 3)) * 0.3 + [x, 0.0, 4.0]
    return np.round(xyz, 4).tolist()


def _alphapose(frames: list[list[float]], n_joints: int = 29, ids=None, seed: int = 0) -> list:
    """AlphaPose 3D objects: frames[t] lists the x position of each person in frame t."""
    rng = _rng(seed)
    objects = []
    for t, people in enumerate(frames):
        for i, x in enumerate(people):
            objects.append(
                {
                    "image_id": ids[t] if ids else f"{t}.jpg",
                    "category_id": 1,
                    "score": round(2.0 - 0.1 * i, 3),
                    "idx": i,
                    "pred_xyz_jts": _pose(rng, n_joints, x),
                }
            )
    return objects


def _nan_alphapose() -> bytes:
    """Two frames of two people; the second person's joint 3 has y = NaN (JSON's NaN token)."""
    objects = _alphapose(TWO * 2)
    objects[1]["pred_xyz_jts"][3][1] = float("nan")
    return _json(objects)


def _json(value, **kw) -> bytes:
    return json.dumps(value, separators=(",", ":"), **kw).encode()


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def _npz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_STAMP), data)
    return buf.getvalue()


def _positions(t: int = 4, j: int = 24, seed: int = 0) -> np.ndarray:
    return (_rng(seed).normal(size=(t, 2, j, 3)) * 0.3).astype(np.float32)


def _duet_npz(meta: dict, positions: np.ndarray | None = None) -> bytes:
    positions = _positions() if positions is None else positions
    return _npz({"positions": _npy(positions), "metadata": _npy(np.array(json.dumps(meta)))})


DUET_META = {"format": "duetgraph.duet", "version": 1, "fps": 30.0, "skeleton": "smpl24",
             "dancers": ["A", "B"], "provenance": []}  # fmt: skip


def _bomb() -> bytes:
    """A .npy header claiming 10^12 frames, followed by 64 bytes."""
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1, dtype=np.float32))
    header["shape"] = (10**12, 2, 29, 3)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + b"\x00" * 64


def _csv(rows: list[str]) -> bytes:
    return ("frame,dancer,joint,x,y,z\n" + "\n".join(rows) + "\n").encode()


def _csv_rows(t: int = 2, j: int = 17, dancers=("A", "B")) -> list[str]:
    return [f"{f},{d},{k},0.{k},1.{f},2.0" for f in range(t) for d in dancers for k in range(j)]


def _bvh(n_frames: int = 2, declared: int | None = None) -> bytes:
    """A one-joint BVH (which maps onto no skeleton) with `declared` frames in its header."""
    lines = ["HIERARCHY", "ROOT Hips", "{", "  OFFSET 0 0 0",
             "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation",
             "  End Site", "  {", "    OFFSET 0 10 0", "  }", "}", "MOTION",
             f"Frames: {n_frames if declared is None else declared}", "Frame Time: 0.033333"]  # fmt: skip
    lines += ["0 90 0 0 0 0"] * n_frames
    return ("\n".join(lines) + "\n").encode()


# name → (bytes, command and flags, expected). Expected is {"exit": status, "stderr": line} for
# failures and {"exit": 0, "stdout": line} for inputs that must work. Files are read from hostile/.
Case = tuple[Callable[[], bytes], list[str], dict]
TWO = [[0.0, 1.5]]
CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- AlphaPose JSON → clean
    "empty.json": (lambda: b"", ["clean"], {
        "exit": 2, "stderr": "error: empty.json: the file is empty; re-export it from its source."}),
    "whitespace.json": (lambda: b" \n\t\n", ["clean"], {
        "exit": 2, "stderr": "error: whitespace.json: is empty; AlphaPose may have crashed while writing it, so run it again."}),
    "truncated.json": (lambda: _json(_alphapose(TWO * 3))[:700], ["clean"], {
        "exit": 2, "stderr": "error: truncated.json: is not valid JSON (Expecting ',' delimiter at line 1, column 701); pass AlphaPose's output unchanged or re-run AlphaPose if it was cut short."}),
    "not_a_list.json": (lambda: _json({"results": _alphapose(TWO)}), ["clean"], {
        "exit": 2, "stderr": "error: not_a_list.json: the top level is a JSON object, not a list of detections; give the alphapose-results.json that AlphaPose writes (one object per person per frame)."}),
    "empty_list.json": (lambda: b"[]", ["clean"], {
        "exit": 2, "stderr": "error: empty_list.json: contains no detections (an empty list); check that AlphaPose found people in the video."}),
    "joints_are_text.json": (lambda: _json([{**_alphapose(TWO)[0], "pred_xyz_jts": "none"}]), ["clean"], {
        "exit": 2, "stderr": "error: joints_are_text.json: pred_xyz_jts of object 0 (image_id '0.jpg') is not numbers, which AlphaPose never writes; re-export the file or remove that object."}),
    "two_d_only.json": (lambda: _json([{k: v for k, v in o.items() if k != "pred_xyz_jts"} for o in _alphapose(TWO)]), ["clean"], {
        "exit": 2, "stderr": "error: two_d_only.json: object 0 (image_id '0.jpg') has no 'pred_xyz_jts'; this looks like 2D AlphaPose output; run AlphaPose in 3D (HybrIK) mode."}),
    "nan_joints.json": (_nan_alphapose, ["clean"], {
        "exit": 2, "stderr": "error: nan_joints.json: pred_xyz_jts of object 1 (image_id '0.jpg') contains NaN or infinity; remove that object or re-run AlphaPose."}),
    "one_dancer_throughout.json": (lambda: _json(_alphapose([[0.0]] * 5)), ["clean"], {
        "exit": 2, "stderr": "error: one_dancer_throughout.json: no frame has two detections (at most 1); cleaning needs at least one frame showing both dancers to start their tracks, so check that the video shows a duet."}),
    "eighteen_joints.json": (lambda: _json(_alphapose(TWO, n_joints=18)), ["clean"], {
        "exit": 2, "stderr": "error: eighteen_joints.json: pred_xyz_jts has 18 joints per person; AlphaPose 3D (HybrIK) writes 24 or 29 and duetgraph extract 17, so pass --skeleton if this is another model's output."}),
    "huge_frame_gap.json": (lambda: _json(_alphapose(TWO * 2, ids=["0.jpg", "1000000000.jpg"])), ["clean"], {
        "exit": 2, "stderr": "error: huge_frame_gap.json: image_id '0.jpg' and '1000000000.jpg' are 1000000000 frames apart but only 2 images have detections; AlphaPose numbers the frames of one video consecutively, so check that the file holds a single clip."}),
    "deep_nesting.json": (lambda: b"[" * 20_000 + b"]" * 20_000, ["clean"], {
        "exit": 2, "stderr": "error: deep_nesting.json: cannot be parsed as JSON (nested too deeply), which AlphaPose never writes; pass AlphaPose's output unchanged."}),
    "image_id_object.json": (lambda: _json([{**_alphapose(TWO)[0], "image_id": {"frame": 0}}]), ["clean"], {
        "exit": 2, "stderr": "error: image_id_object.json: image_id of object 0 is a JSON object, not the image file name (e.g. \"12.jpg\"); give AlphaPose's output unchanged."}),
    "utf16.json": (lambda: json.dumps(_alphapose(TWO)).encode("utf-16"), ["clean"], {
        "exit": 2, "stderr": "error: utf16.json: is UTF-16 text; save it as UTF-8 (AlphaPose writes UTF-8)."}),
    # inputs that must work: unsorted frames, repeated image ids, huge track ids, unicode names
    "unsorted_frames.json": (lambda: _json(_alphapose(TWO * 4)[::-1]), ["clean"], {
        "exit": 0, "stdout": "  result               4 frames at 30 fps"}),
    "same_image_id_twice.json": (lambda: _json(_alphapose(TWO * 3, ids=["0.jpg", "0.jpg", "1.jpg"])), ["clean"], {
        "exit": 0, "stdout": "  detections per frame 0: 0  1: 0  2: 1  3+: 1"}),
    "huge_track_id.json": (lambda: _json([{**o, "idx": 2**70} for o in _alphapose(TWO * 2)]), ["clean"], {
        "exit": 0, "stdout": "  result               2 frames at 30 fps"}),
    "双人舞 dança.json": (lambda: _json(_alphapose(TWO * 2)), ["clean"], {
        "exit": 0, "stdout": "cleaned 双人舞 dança.json"}),
    "one_frame.json": (lambda: _json(_alphapose(TWO)), ["clean"], {
        "exit": 0, "stdout": "  result               1 frame at 30 fps"}),
    # ---------------------------------------------------------------- arrays → info
    "truncated.npy": (lambda: _npy(_positions())[:300], ["info"], {"exit": 2, "stderr": "error: truncated.npy: the header declares shape (4, 2, 24, 3) (2304 bytes) but the file holds 172 bytes of data; it is truncated or damaged, so write it again."}),
    "python_objects.npy": (lambda: _npy(np.array([{"x": 1}], dtype=object)), ["info"], {"exit": 2, "stderr": "error: python_objects.npy: holds Python objects, not numbers; save a numeric array (numpy.save with a float array)."}),
    "three_dancers.npy": (lambda: _npy(np.zeros((4, 3, 24, 3), np.float32)), ["info"], {"exit": 2, "stderr": "error: three_dancers.npy: holds 3 dancer(s) per frame; duetgraph needs exactly two (shape (frames, 2, joints, 3))."}),
    "nan.npy": (lambda: _npy(np.where(np.arange(4)[:, None, None, None] == 2, np.nan, _positions())), ["info"], {"exit": 2, "stderr": "error: nan.npy: 48 joint positions are NaN or infinite (first at frame 2, dancer A, joint 0); fill the gaps before reading (e.g. interpolate them)."}),
    "zero_frames.npy": (lambda: _npy(np.zeros((0, 2, 24, 3), np.float32)), ["info"], {"exit": 2, "stderr": "error: zero_frames.npy: holds zero frames; export at least one frame."}),
    "complex.npy": (lambda: _npy(_positions().astype(np.complex64)), ["info"], {"exit": 2, "stderr": "error: complex.npy: the array has dtype complex64; save real numbers (float32 or float64)."}),
    "huge_declared_shape.npy": (_bomb, ["info"], {"exit": 2, "stderr": "error: huge_declared_shape.npy: the header declares shape (1000000000000, 2, 29, 3) (696000000000000 bytes) but the file holds 64 bytes of data; it is truncated or damaged, so write it again."}),
    "huge_declared_shape.npz": (lambda: _npz({"positions": _bomb()}), ["info"], {"exit": 2, "stderr": "error: huge_declared_shape.npz: array 'positions.npy' declares shape (1000000000000, 2, 29, 3) (696000000000000 bytes) but the file holds 64 bytes of data; it is truncated or damaged, so write it again."}),
    "truncated.npz": (lambda: _duet_npz(DUET_META)[:-40], ["info"], {"exit": 2, "stderr": "error: truncated.npz: cannot be read as a NumPy file (File is not a zip file); is it truncated?"}),
    "many_arrays.npz": (lambda: _npz({"a": _npy(_positions()), "b": _npy(_positions())}), ["info"], {"exit": 2, "stderr": "error: many_arrays.npz: holds arrays ['a', 'b'] and none is named 'positions'; save one array or name it positions."}),
    "duet_fps_text.npz": (lambda: _duet_npz({**DUET_META, "fps": "thirty"}), ["info"], {"exit": 2, "stderr": "error: duet_fps_text.npz: metadata fps is 'thirty', not a number; the file is damaged, so write it again."}),
    "duet_from_future.npz": (lambda: _duet_npz({**DUET_META, "version": 99}), ["info"], {"exit": 2, "stderr": "error: duet_from_future.npz: written by a newer duetgraph (format 99); upgrade."}),
    "duet_wrong_skeleton.npz": (lambda: _duet_npz({**DUET_META, "skeleton": "smpl29"}), ["info"], {"exit": 2, "stderr": "error: duet_wrong_skeleton.npz: skeleton smpl29 has 29 joints but the data has 24; pass the matching --skeleton."}),
    "one_frame.npy": (lambda: _npy(_positions(t=1)), ["info"], {"exit": 0, "stdout": "frames      1"}),
    # ---------------------------------------------------------------- CSV → info
    "missing_row.csv": (lambda: _csv(_csv_rows()[:-1]), ["info"], {"exit": 2, "stderr": "error: missing_row.csv: frame 1, dancer B, joint 16 has no row (1 cells missing in all); give each frame, dancer and joint exactly one row."}),
    "not_a_number.csv": (lambda: _csv([r.replace("2.0", "two", 1) if i == 5 else r for i, r in enumerate(_csv_rows())]), ["info"], {"exit": 2, "stderr": "error: not_a_number.csv: line 7 has z = 'two', not a number; fix or fill that row."}),
    "huge_joint_index.csv": (lambda: _csv(_csv_rows()[:-1] + ["1,B,99999999999,0,0,0"]), ["info"], {"exit": 2, "stderr": "error: huge_joint_index.csv: joint index 99999999999 but only 18 distinct joints; number the joints 0, 1, ..., J-1 (or use joint names)."}),
    "header_only.csv": (lambda: _csv([]), ["info"], {"exit": 2, "stderr": "error: header_only.csv: has a header but no rows; export at least one frame."}),
    "three_dancers.csv": (lambda: _csv(_csv_rows(dancers=("A", "B", "C"))), ["info"], {"exit": 2, "stderr": "error: three_dancers.csv: the dancer column holds 3 distinct label(s) ('A', 'B', 'C'); duetgraph needs exactly two dancers."}),
    "overflow.csv": (lambda: _csv([r.replace("2.0", "1e400", 1) if i == 3 else r for i, r in enumerate(_csv_rows())]), ["info"], {"exit": 2, "stderr": "error: overflow.csv: 1 joint positions are NaN or infinite (first at frame 0, dancer A, joint 3); fill the gaps before reading (e.g. interpolate them)."}),
    # ---------------------------------------------------------------- HybrIK, other suffixes
    "untrusted_a.pk": (lambda: pickle.dumps({"pred_xyz_29": np.zeros((2, 29, 3))}, protocol=4), ["info", "untrusted_b.pk"], {"exit": 2, "stderr": "error: untrusted_a.pk: HybrIK results are Python pickles, which can run code when loaded; pass --trust-pickle (trust_pickle=True) only if you made the file or trust its source."}),
    "untrusted_b.pk": (lambda: pickle.dumps({"pred_xyz_29": np.zeros((2, 29, 3))}, protocol=4), [], {}),
    "not_hybrik_a.pk": (lambda: pickle.dumps([1, 2, 3], protocol=4), ["info", "not_hybrik_b.pk", "--trust-pickle"], {"exit": 2, "stderr": "error: not_hybrik_a.pk: is not a HybrIK result (need 'pred_xyz_29' and 'transl', found list); write it with demo_video.py --save-pk."}),
    "not_hybrik_b.pk": (lambda: pickle.dumps([1, 2, 3], protocol=4), [], {}),
    "one_joint_a.bvh": (_bvh, ["info", "one_joint_b.bvh"], {"exit": 2, "stderr": "error: one_joint_a.bvh: its 1 joints do not map onto a known skeleton (closest, h36m17, lacks right_hip, right_knee, right_ankle, left_hip, left_knee, left_ankle, spine, thorax ...); rename the joints to one skeleton's names or convert the file to CSV."}),
    "one_joint_b.bvh": (_bvh, [], {}),
    "notes.txt": (lambda: b"frame,dancer,joint,x,y,z\n", ["info"], {"exit": 2, "stderr": "error: notes.txt: unknown suffix '.txt'; use one of .json, .npy, .npz, .csv, .bvh, .pk, .pkl or name the format with --format-in (alphapose, duet, array, csv, bvh, hybrik)."}),
}  # fmt: skip


def build(out: Path) -> dict[str, dict]:
    """Write every case into `out` and `out/manifest.json`; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, (make, argv, expected) in CASES.items():
        (out / name).write_bytes(make())
        if argv:
            manifest[name] = {"command": argv[0], "args": argv[1:], **expected}
    text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return manifest


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    build(target)
    print(f"wrote {len(CASES)} files and manifest.json into {target}")
