"""Hostile AlphaPose JSON: `read_alphapose` and then `clean_detections` fail only cleanly.

Cases are near-valid AlphaPose documents (so that the deep code runs) with hostility drawn by
hypothesis: zero to many detections per frame, a single dancer throughout, one frame, duplicate
and unsorted image ids, names without numbers or with huge ones, unicode, wrong joint counts,
wrong types in any field, NaN/inf and huge or negative coordinates, truncated text, and arbitrary
JSON documents.
"""

from __future__ import annotations

import json

import numpy as np
from hypothesis import strategies as st

from duetgraph.clean import CleanConfig, clean_detections
from duetgraph.io.alphapose import read_alphapose
from duetgraph.io.detections import Detections
from duetgraph.io.read import read_input

from .fuzzing import FILE_STEMS, Scratch, call_reader, fuzz_pair

# JSON values of every type, for "wrong type" mutations and arbitrary documents.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = ["image_id", "category_id", "keypoints", "score", "box", "idx", "pred_xyz_jts"]
IMAGE_IDS = [
    "{n}.jpg",
    "frames/{n:06d}.png",
    "帧_{n}.jpg",
    "clip 2 take {n}.jpg",
    "same.jpg",  # every detection in one frame
    "noname.jpg",
    "{big}{n}.jpg",  # a number far beyond int64
    "-{n}.jpg",
    "img{n}",
]
HOSTILITIES = [
    "wrong type",
    "missing key",
    "nan",
    "truncated",
    "arbitrary",
    "wrapped",
    "binary",
    "bad fps",
    "bad skeleton",
    "empty",
    "deep",
    "long number",
]


@st.composite
def alphapose_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    counts = draw(st.lists(st.integers(0, 4), min_size=1, max_size=10))
    if draw(st.integers(0, 3)) == 0:  # a single dancer throughout
        counts = [min(c, 1) for c in counts]
    n_joints = draw(st.sampled_from([29, 29, 29, 24, 17, 1, 30]))
    scale = draw(st.sampled_from([1.0] * 6 + [-1.0, 1e-30, 1e6, 1e30, 1e39, 1e300]))
    id_format = draw(st.sampled_from(IMAGE_IDS))
    first = draw(st.sampled_from([0, 1, 7, 10**6]))
    gap = draw(st.sampled_from([1, 1, 1, 2, 1000]))
    pelvis_centred = draw(st.booleans())
    flat = draw(st.booleans())
    with_box, with_kp = draw(st.booleans()), draw(st.booleans())
    objects = []
    for f, c in enumerate(counts):
        n = first + f * gap
        for i in range(c):
            xyz = rng.normal(size=(n_joints, 3)) * 0.3 + [0.0, 0.0, 4.0]
            xyz += [rng.uniform(-2, 2), 0.0, 0.0]
            if pelvis_centred:
                xyz -= xyz[:1]
            xyz *= scale
            obj = {
                "image_id": id_format.format(n=n, big="9" * 25),
                "category_id": 1,
                "score": float(rng.uniform(0, 3)),
                "idx": draw(st.sampled_from([i, float(i), [float(i)], [], "x", None, 2**70])),
                "pred_xyz_jts": xyz.ravel().tolist() if flat else xyz.tolist(),
            }
            if with_box:
                obj["box"] = [float(v) for v in rng.uniform(0, 1000, 4)]
            if with_kp:
                obj["keypoints"] = rng.uniform(0, 1000, n_joints * 3).tolist()
            objects.append(obj)
    if draw(st.booleans()):  # unsorted frames
        rng.shuffle(objects)
    # At most one of these per case, so that half the cases read and reach the cleaning.
    hostility = draw(st.sampled_from(["none"] * 6 + HOSTILITIES))
    if objects and hostility in ("wrong type", "missing key", "nan"):
        k = int(rng.integers(len(objects)))
        key = draw(st.sampled_from(KEYS))
        if hostility == "wrong type":
            objects[k][key] = draw(JSON_VALUES)
        elif hostility == "missing key":
            objects[k].pop(key, None)
        else:
            value = draw(st.sampled_from([float("nan"), float("inf"), -float("inf")]))
            joints = np.array(objects[k]["pred_xyz_jts"], dtype=float)
            joints.flat[int(rng.integers(joints.size))] = value
            objects[k]["pred_xyz_jts"] = joints.tolist()
    text = json.dumps(objects)  # NaN/Infinity become JSON's non-standard tokens
    if hostility == "truncated":
        text = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    elif hostility == "arbitrary":
        text = json.dumps(draw(JSON_VALUES))
    elif hostility == "wrapped":
        text = json.dumps({"results": objects})
    elif hostility == "empty":
        text = draw(st.sampled_from(["[]", "", " ", "[", "null", "[{}]"]))
    elif hostility == "deep":
        depth = draw(st.sampled_from([10, 5000, 100_000]))
        text = "[" * depth + "]" * depth
    elif hostility == "long number":
        text = (
            text.replace("1,", "1" + "7" * 5000 + ",", 1)
            if "1," in text
            else "[" + "9" * 5000 + "]"
        )
    elif hostility == "binary":
        text = "\x00\x01\ufffe" + text
    prefix = draw(st.sampled_from(["", "", "\ufeff", " \n\t"]))
    fps, skeleton = 30.0, None
    if hostility == "bad fps":
        fps = draw(st.sampled_from([0.0, -30.0, float("nan"), float("inf"), 1e-300]))
    elif hostility == "bad skeleton":
        skeleton = draw(st.sampled_from(["smpl24", "smpl29", "nope", "", "h36m17"]))
    else:
        fps = draw(st.sampled_from([30.0, 25.0, 0.5, 240.0]))
    return {
        "stem": draw(FILE_STEMS),
        "text": prefix + text,
        "fps": fps,
        "skeleton": skeleton,
        "config": CleanConfig(
            prune=draw(st.sampled_from(["continuity", "score"])),
            keep_fraction=draw(st.sampled_from([0.25, 1.0, 1e-6])),
            smooth=draw(st.booleans()),
            target_fps=draw(st.sampled_from([None, 10.0, 7.0, 1000.0])),
            recover_placement=draw(st.integers(0, 3)) == 0,
        ),
        "dispatch": draw(st.booleans()),
    }


def check_alphapose(case) -> None:
    with Scratch() as tmp:
        path = tmp / f"{case['stem']}.json"
        path.write_text(case["text"], encoding="utf-8")
        before = path.read_bytes()
        where = str(path)
        if case["dispatch"]:
            det = call_reader(
                read_input, path, fps=case["fps"], skeleton=case["skeleton"], where=where
            )
        else:
            det = call_reader(
                read_alphapose, path, fps=case["fps"], skeleton=case["skeleton"], where=where
            )
        assert path.read_bytes() == before  # inputs are only ever read
        if det is None:
            return
        assert isinstance(det, Detections)
        assert det.n_frames >= 1 and det.n_detections >= 1
        assert np.isfinite(det.joints).all()
        result = call_reader(clean_detections, det, case["config"], where=where)
        if result is None:
            return
        duet, report = result
        assert duet.positions.shape[1:] == (2, det.n_joints, 3)
        assert np.isfinite(duet.positions).all()
        assert report.n_frames == det.n_frames
        if case["config"].target_fps is None:
            assert duet.n_frames == det.n_frames  # no frame is ever dropped


def _arbitrary_check(value) -> None:
    with Scratch() as tmp:
        path = tmp / "arbitrary.json"
        try:
            text = json.dumps(value)
        except (ValueError, RecursionError):
            return
        path.write_text(text, encoding="utf-8")
        call_reader(read_alphapose, path, where=str(path))


# A list of objects whose fields hold arbitrary JSON values.
RECORD_LISTS = (
    st.lists(st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=7), max_size=5)
    | JSON_VALUES
)

test_alphapose_hostile, test_alphapose_hostile_slow = fuzz_pair(
    "alphapose+clean", alphapose_cases(), check_alphapose, fast=200
)
test_alphapose_arbitrary_json, test_alphapose_arbitrary_json_slow = fuzz_pair(
    "alphapose arbitrary JSON", RECORD_LISTS, _arbitrary_check
)
