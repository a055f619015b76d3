"""Hostile `.npy`/`.npz` arrays and duet files: `read_array`, `read_input`, `Duet.load`, `clean`.

Arrays of any shape (including zero frames and one frame) and dtype (bool, complex, object,
strings, structured, datetime), NaN/inf and huge or negative values, several arrays per `.npz`,
duet files with broken metadata, and truncated or bit-flipped files.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from hypothesis import strategies as st

from duetgraph.clean import CleanConfig, clean_duet
from duetgraph.duet import Duet
from duetgraph.io.arrays import read_array
from duetgraph.io.read import read_input

from .fuzzing import FILE_STEMS, Scratch, call_reader, fuzz_pair

DTYPES = ["float32", "float64", "float16", "int64", "uint8", "bool", "complex64", "object", "U3",
          "datetime64[s]", "f4,f4"]  # fmt: skip


HOSTILITIES = ["shape", "dtype", "nan", "scale", "truncate", "flip", "garbage", "empty",
               "options", "many arrays", "metadata"]  # fmt: skip


@st.composite
def array_cases(draw):
    """A valid array file, then at most one hostility (so that half the cases read)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hostility = draw(st.sampled_from(["none"] * 8 + HOSTILITIES))
    t = draw(st.sampled_from([1, 1, 2, 5, 40]))
    j = draw(st.sampled_from([29, 24, 17]))
    container = draw(st.sampled_from(["npy", "npz", "npz named", "duet"]))
    layout = draw(st.sampled_from(["standard", "standard", "interleaved"]))
    if container == "duet":
        layout = "standard"
    shape = (t, 2, j, 3) if layout == "standard" else (2 * t, j, 3)
    if hostility == "shape":
        shape = draw(
            st.sampled_from(
                [(0, 2, j, 3), (2 * t + 1, j, 3), (t, 3, j, 3), (t, 2, j, 2), (t, 2, 5, 3)]
            )
            | st.lists(st.integers(0, 4), max_size=5).map(tuple)
        )
    dtype = draw(st.sampled_from(["float32", "float64", "int16"]))
    if hostility == "dtype":
        dtype = draw(st.sampled_from(DTYPES))
    scale = 1.0
    if hostility == "scale":
        scale = draw(st.sampled_from([-1.0, 1e-40, 1e6, 1e30, 1e39, 1e300]))
    values = rng.normal(size=shape) * scale
    if values.size and hostility == "nan":
        values.flat[int(rng.integers(values.size))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    if dtype == "object":
        array = np.empty(shape, dtype=object)
    elif dtype == "f4,f4":
        array = np.zeros(shape, dtype="f4,f4")
    elif dtype.startswith("datetime"):
        array = np.zeros(shape, dtype=dtype)
    else:
        with np.errstate(all="ignore"):
            array = values.astype(dtype)
    if hostility == "many arrays":
        container = "npz many"
    options = {"axes": None, "scale": None, "fps": None, "skeleton": None}
    if hostility == "options":
        key = draw(st.sampled_from(sorted(options)))
        options[key] = draw(
            {
                "axes": st.sampled_from(["zup", "camera", "yup", "sideways"]),
                "scale": st.sampled_from([0.01, 0.0, -1.0, float("nan"), float("inf")]),
                "fps": st.sampled_from([25.0, 0.0, -1.0, float("inf"), float("nan")]),
                "skeleton": st.sampled_from(["smpl29", "smpl24", "coco17", "bogus", ""]),
            }[key]
        )
    return {
        "stem": draw(FILE_STEMS),
        "array": array,
        "container": container,
        "meta": draw(META)
        if hostility == "metadata"
        else {**GOOD_META, "skeleton": _SKELETON.get(j, "smpl29")},
        "corrupt": hostility if hostility in ("truncate", "flip", "garbage", "empty") else "none",
        "cut": draw(st.floats(0, 1)),
        "layout": layout,
        **options,
        "config": CleanConfig(
            keep_fraction=draw(st.sampled_from([0.25, 1.0, 1e-9])),
            target_fps=draw(st.sampled_from([None, None, 10.0, 45.0, 1000.0])),
        ),
    }


_SKELETON = {29: "smpl29", 24: "smpl24", 17: "h36m17"}


# Duet metadata: the real thing, damaged in one field, or arbitrary JSON.
GOOD_META = {
    "format": "duetgraph.duet",
    "version": 1,
    "fps": 30.0,
    "skeleton": "smpl29",
    "dancers": ["A", "B"],
    "provenance": [{"step": "read", "source": "x"}],
}
META_VALUES = st.none() | st.booleans() | st.integers(-5, 2**70) | st.floats() | st.text(max_size=5) | st.lists(st.text(max_size=3), max_size=3) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)  # fmt: skip
META = st.one_of(
    st.just(GOOD_META),
    st.builds(lambda k, v: {**GOOD_META, k: v}, st.sampled_from(sorted(GOOD_META)), META_VALUES),
    st.builds(lambda k: {x: y for x, y in GOOD_META.items() if x != k}, st.sampled_from(sorted(GOOD_META))),
    META_VALUES,
)  # fmt: skip


def _write(case, path) -> None:
    array = case["array"]
    buf = io.BytesIO()
    kind = case["container"]
    if kind == "npy":
        np.save(buf, array, allow_pickle=True)
    elif kind == "npz":
        np.savez(buf, array)
    elif kind == "npz named":
        np.savez(buf, positions=array)
    elif kind == "npz many":
        np.savez(buf, a=array, b=np.zeros(2))
    else:
        meta = json.dumps(case["meta"], allow_nan=True)
        np.savez(buf, positions=array, metadata=np.array(meta))
    data = buf.getvalue()
    cut = int(case["cut"] * len(data))
    if case["corrupt"] == "truncate":
        data = data[:cut]
    elif case["corrupt"] == "flip" and data:
        k = min(cut, len(data) - 1)
        data = data[:k] + bytes([data[k] ^ 0xFF]) + data[k + 1 :]
    elif case["corrupt"] == "garbage":
        data = data[:6] + b"\x00garbage\xff" * 3
    elif case["corrupt"] == "empty":
        data = b""
    path.write_bytes(data)


def check_array(case) -> None:
    with Scratch() as tmp:
        suffix = ".npy" if case["container"] == "npy" else ".npz"
        path = tmp / f"{case['stem']}{suffix}"
        _write(case, path)
        before = path.read_bytes()
        where = str(path)
        options = dict(fps=case["fps"], skeleton=case["skeleton"])
        results = []
        if case["container"] == "duet":
            results.append(call_reader(Duet.load, path, where=where))
            results.append(call_reader(read_input, path, **options, where=where))
        else:
            kw = dict(layout=case["layout"], axes=case["axes"], **options)
            results.append(
                call_reader(read_array, path, scale=case["scale"] or 1.0, **kw, where=where)
            )
            results.append(call_reader(read_input, path, scale=case["scale"], **kw, where=where))
        assert path.read_bytes() == before  # inputs are only ever read
        for duet in results:
            if duet is None:
                continue
            assert isinstance(duet, Duet)
            assert duet.positions.ndim == 4 and duet.positions.shape[1::2] == (2, 3)
            assert duet.n_frames >= 1 and np.isfinite(duet.positions).all()
            assert duet.positions.dtype == np.float32 and duet.fps > 0
            cleaned = call_reader(clean_duet, duet, case["config"])
            if cleaned is not None:
                assert np.isfinite(cleaned[0].positions).all()


test_array_hostile, test_array_hostile_slow = fuzz_pair(
    "arrays+duet+clean", array_cases(), check_array, fast=400
)


def test_npz_bomb_member_is_refused_without_reading_it():
    """A .npz whose member claims a huge array is refused cleanly (no MemoryError traceback)."""
    with Scratch() as tmp:
        path = tmp / "bomb.npz"
        header = np.lib.format.header_data_from_array_1_0(np.zeros(1, dtype=np.float32))
        header["shape"] = (10**12, 2, 29, 3)
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, header)
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("positions.npy", buf.getvalue() + b"\x00" * 64)
        assert call_reader(read_array, path, where=str(path)) is None
        assert call_reader(read_input, path, where=str(path)) is None
