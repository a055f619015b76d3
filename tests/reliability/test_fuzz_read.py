"""`read_input` dispatch on hostile paths and bytes: any suffix, format, file count and option.

Random bytes (or a valid file of another format) under any suffix, folders and missing files,
zero to three paths, mismatched suffixes and every reader option in and out of range.
"""

from __future__ import annotations

import io
import json

import numpy as np
from hypothesis import strategies as st

from duetgraph.clean import clean_detections, clean_duet
from duetgraph.duet import Duet
from duetgraph.io.detections import Detections
from duetgraph.io.read import FORMATS, read_input

from .fuzzing import FILE_STEMS, Scratch, call_reader, fuzz_pair

SUFFIXES = [".json", ".npy", ".npz", ".csv", ".bvh", ".pk", ".pkl", ".txt", "", ".NPZ", ".Json"]


def _valid_bytes(kind: str, rng) -> bytes:
    """A small valid file of `kind`, to be read under the wrong suffix or format."""
    positions = rng.normal(size=(3, 2, 24, 3)).astype(np.float32)
    if kind == "npy":
        buf = io.BytesIO()
        np.save(buf, positions)
        return buf.getvalue()
    if kind == "duet":
        buf = io.BytesIO()
        meta = {"format": "duetgraph.duet", "version": 1, "fps": 30.0, "skeleton": "smpl24",
                "dancers": ["A", "B"], "provenance": []}  # fmt: skip
        np.savez(buf, positions=positions, metadata=np.array(json.dumps(meta)))
        return buf.getvalue()
    if kind == "json":
        objs = [{"image_id": f"{f}.jpg", "pred_xyz_jts": rng.normal(size=(24, 3)).tolist()}
                for f in range(3) for _ in range(2)]  # fmt: skip
        return json.dumps(objs).encode()
    return b"frame,dancer,joint,x,y,z\n0,A,0,1,2,3\n"


@st.composite
def read_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_paths = draw(st.sampled_from([1, 1, 1, 2, 2, 0, 3]))
    files = []
    for _ in range(n_paths):
        kind = draw(st.sampled_from(["bytes", "npy", "duet", "json", "csv", "folder", "missing"]))
        data = draw(st.binary(max_size=64)) if kind == "bytes" else None
        files.append((draw(FILE_STEMS), draw(st.sampled_from(SUFFIXES)), kind, data))
    return {
        "files": files,
        "seed": int(rng.integers(2**31)),
        "format": draw(st.sampled_from([None, None, None, *FORMATS, "nope"])),
        "fps": draw(st.sampled_from([None, None, 30.0, 0.0, -5.0])),
        "skeleton": draw(st.sampled_from([None, None, "smpl24", "bogus"])),
        "layout": draw(st.sampled_from(["standard", "standard", "interleaved", "diagonal"])),
        "axes": draw(st.sampled_from([None, None, "camera", "zup", "nope"])),
        "scale": draw(st.sampled_from([None, None, 0.01, 0.0])),
        "trust_pickle": draw(st.booleans()),
    }


def check_read(case) -> None:
    rng = np.random.default_rng(case["seed"])
    with Scratch() as tmp:
        paths = []
        for i, (stem, suffix, kind, data) in enumerate(case["files"]):
            path = tmp / f"{i}{stem}{suffix}"
            if kind == "folder":
                path.mkdir()
            elif kind == "bytes":
                path.write_bytes(data)
            elif kind != "missing":
                path.write_bytes(_valid_bytes(kind, rng))
            paths.append(path)
        options = {k: case[k] for k in ("format", "fps", "skeleton", "layout", "axes", "scale")}
        data = call_reader(read_input, paths, trust_pickle=case["trust_pickle"], **options)
        if data is None:
            return
        if isinstance(data, Detections):
            call_reader(clean_detections, data)
        else:
            assert isinstance(data, Duet) and np.isfinite(data.positions).all()
            call_reader(clean_duet, data)


test_read_dispatch_hostile, test_read_dispatch_hostile_slow = fuzz_pair(
    "read_input dispatch", read_cases(), check_read, fast=400
)
