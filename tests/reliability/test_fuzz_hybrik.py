"""Hostile HybrIK pickles (read with trust_pickle=True): `read_hybrik` fails only cleanly.

Dicts with the right keys holding wrong shapes, types, NaN/inf or huge values, frame names that
repeat, disagree between the dancers or are not strings, other pickled objects, and truncated
files. Untrusted pickles are refused before anything is unpickled.
"""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import strategies as st

from duetgraph.clean import clean_duet
from duetgraph.duet import Duet
from duetgraph.io.hybrik import read_hybrik
from duetgraph.io.read import read_input

from .fuzzing import FILE_STEMS, Scratch, call_reader, fuzz_pair

WRONG = st.sampled_from([None, "text", 3, 2.5, [], [[1, 2]], {"a": 1}, ["x", "y"], b"bytes",
                         np.zeros((2, 2), dtype=object), np.array(["a", "b"]), float("nan")])  # fmt: skip
HOSTILITIES = ["shape", "wrong type", "nan", "huge", "names", "not a dict", "missing key",
               "truncate", "lengths", "untrusted", "one file"]  # fmt: skip


@st.composite
def hybrik_pickle(draw, rng, n, hostility):
    xyz = rng.normal(size=(n, 29, 3)) * 0.3
    transl = rng.normal(size=(n, 3)) + [0, 0, 5]
    names = [f"frames/{i:06d}.jpg" for i in range(draw(st.sampled_from([0, 3])), 3 + n)][:n]
    d = {"pred_xyz_29": xyz, "transl": transl, "img_path": names, "pred_betas": np.zeros((n, 10))}
    if hostility == "shape":
        key = draw(st.sampled_from(["pred_xyz_29", "transl"]))
        d[key] = rng.normal(size=draw(st.sampled_from([(n, 24, 3), (n,), (), (0, 29, 3), (n, 4)])))
    elif hostility == "wrong type":
        d[draw(st.sampled_from(["pred_xyz_29", "transl", "img_path"]))] = draw(WRONG)
    elif hostility == "nan":
        d["pred_xyz_29"].flat[int(rng.integers(d["pred_xyz_29"].size))] = np.nan
    elif hostility == "huge":
        d["transl"] = d["transl"] * draw(st.sampled_from([1e30, 1e300, -1e40]))
    elif hostility == "names":
        d["img_path"] = draw(st.sampled_from([
            ["same.jpg"] * n, [f"帧{i}.png" for i in range(n)], list(range(n)),
            [f"{i}.jpg" for i in range(n)][::-1], [None] * n, np.array([f"{i}" for i in range(n)]),
        ]))  # fmt: skip
    elif hostility == "not a dict":
        return draw(st.sampled_from([[1, 2], "x", None, (xyz, transl), {1, 2}, {1: 2, "a": 3}]))
    elif hostility == "missing key":
        d.pop(draw(st.sampled_from(["pred_xyz_29", "transl", "img_path"])))
    return d


@st.composite
def hybrik_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hostility = draw(st.sampled_from(["none"] * 6 + HOSTILITIES))
    n = draw(st.sampled_from([1, 2, 6]))
    n_b = n + 3 if hostility == "lengths" else n
    target = draw(st.integers(0, 1))
    payloads = [
        draw(hybrik_pickle(rng, k, hostility if i == target else "none"))
        for i, k in enumerate((n, n_b))
    ]
    blobs = [pickle.dumps(p) for p in payloads]
    if hostility == "truncate":
        blobs[target] = blobs[target][: draw(st.integers(0, len(blobs[target]) - 1))]
    return {
        "stems": [draw(FILE_STEMS), draw(FILE_STEMS)],
        "blobs": blobs,
        "trust": hostility != "untrusted",
        "n_files": 1 if hostility == "one file" else 2,
        "dispatch": draw(st.booleans()),
    }


def check_hybrik(case) -> None:
    with Scratch() as tmp:
        paths = []
        for i, (stem, blob) in enumerate(zip(case["stems"], case["blobs"], strict=True)):
            paths.append(tmp / f"{i}-{stem}.pk")
            paths[-1].write_bytes(blob)
        paths = paths[: case["n_files"]]
        if case["dispatch"]:
            duet = call_reader(read_input, paths, trust_pickle=case["trust"])
        else:
            duet = call_reader(read_hybrik, paths, trust_pickle=case["trust"])
        if not case["trust"]:
            assert duet is None
        if duet is None:
            return
        assert isinstance(duet, Duet) and np.isfinite(duet.positions).all()
        assert duet.positions.shape[1:] == (2, 29, 3)
        call_reader(clean_duet, duet)


test_hybrik_hostile, test_hybrik_hostile_slow = fuzz_pair(
    "hybrik+clean", hybrik_cases(), check_hybrik
)
