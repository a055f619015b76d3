"""Hostile long-form CSV: `read_csv` (and `read_input`, then `clean`) fail only cleanly.

A valid file (named or numbered joints and dancers, unicode labels, quoted fields, CRLF, a byte
order mark, unsorted rows) with at most one hostility: a missing, repeated or non-numeric row,
NaN/inf or overflowing numbers, huge joint indices or frame numbers, gaps, one or three dancers,
missing or extra columns, a header only, truncation, or binary garbage.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from duetgraph.clean import clean_duet
from duetgraph.duet import Duet
from duetgraph.io.csv_long import read_csv
from duetgraph.io.read import read_input
from duetgraph.skeleton import get_skeleton

from .fuzzing import FILE_STEMS, Scratch, call_reader, fuzz_pair

HOSTILITIES = ["drop row", "repeat row", "not a number", "nan", "overflow", "huge joint",
               "huge frame", "negative frame", "fractional frame", "gap", "one dancer",
               "three dancers", "drop column", "header only", "truncate", "binary",
               "unknown joint", "bad option"]  # fmt: skip


def _field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


@st.composite
def csv_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hostility = draw(st.sampled_from(["none"] * 8 + HOSTILITIES))
    t = draw(st.sampled_from([1, 2, 7]))
    skeleton = draw(st.sampled_from(["smpl29", "smpl24", "h36m17", "coco17"]))
    names = list(get_skeleton(skeleton).joint_names)
    if draw(st.booleans()):
        names = [str(i) for i in range(len(names))]
    dancers = draw(st.sampled_from([["A", "B"], ["0", "1"], ["1", "0"], ["Ana, left", 'Bo "B"'], ["ダンサー", "舞者"]]))  # fmt: skip
    first = draw(st.sampled_from([0, 1, 100]))
    header = ["frame", "dancer", "joint", "x", "y", "z"]
    if draw(st.booleans()):
        header.append("confidence")
    if draw(st.booleans()):
        header = [header[k] for k in rng.permutation(len(header))]
    if draw(st.booleans()):
        header = [h.upper() for h in header]
    rows = []
    for f in range(t):
        for d in dancers:
            for n in names:
                xyz = rng.normal(size=3)
                values = {
                    "frame": str(first + f), "dancer": _field(d), "joint": _field(n),
                    "x": repr(float(xyz[0])), "y": repr(float(xyz[1])), "z": repr(float(xyz[2])),
                    "confidence": repr(float(rng.uniform())),
                }  # fmt: skip
                rows.append(values)
    if draw(st.booleans()):
        rows = [rows[k] for k in rng.permutation(len(rows))]  # unsorted rows are fine
    k = int(rng.integers(len(rows)))
    if hostility == "drop row":
        rows.pop(k)
    elif hostility == "repeat row":
        rows.append(dict(rows[k]))
    elif hostility in ("not a number", "nan", "overflow"):
        column = draw(st.sampled_from(["frame", "x", "y", "z"]))
        rows[k][column] = {"not a number": "abc", "nan": draw(st.sampled_from(["nan", "inf", "-inf", "NaN"])), "overflow": "1e400"}[hostility]  # fmt: skip
    elif hostility == "huge joint":
        rows[k]["joint"] = draw(st.sampled_from(["99999999999", "-1", "1" + "0" * 30, "3.5"]))
    elif hostility == "huge frame":
        rows[k]["frame"] = draw(st.sampled_from(["99999999999", "1e18", "1e300", str(2**64)]))
    elif hostility == "negative frame":
        for r in rows:
            r["frame"] = str(int(r["frame"]) - 10**6)
    elif hostility == "fractional frame":
        rows[k]["frame"] = rows[k]["frame"] + ".5"
    elif hostility == "gap":
        for r in rows:
            if int(r["frame"]) > first:
                r["frame"] = str(int(r["frame"]) + 5)
    elif hostility == "one dancer":
        rows = [r for r in rows if r["dancer"] == _field(dancers[0])]
    elif hostility == "three dancers":
        rows.append({**rows[k], "dancer": "C"})
    elif hostility == "unknown joint":
        rows[k]["joint"] = "tail"
    elif hostility == "drop column":
        header.remove(draw(st.sampled_from([h for h in header])))
    lines = [",".join(header)] + [
        ",".join(r[h.lower()] for h in header) for r in ([] if hostility == "header only" else rows)
    ]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = draw(st.sampled_from(["", "\ufeff"])) + newline.join(lines) + newline
    if hostility == "truncate":
        text = text[: draw(st.integers(0, len(text) - 1))]
    data = text.encode("utf-8")
    if hostility == "binary":
        data = data[:20] + b"\xff\xfe\x00\x81" + data[20:]
    options = {"fps": None, "skeleton": None, "scale": None, "axes": None}
    if hostility == "bad option":
        key = draw(st.sampled_from(sorted(options)))
        options[key] = {"fps": -1.0, "skeleton": "smpl24" if skeleton != "smpl24" else "smpl29", "scale": 0.0, "axes": "sideways"}[key]  # fmt: skip
    return {"stem": draw(FILE_STEMS), "data": data, "dispatch": draw(st.booleans()), **options}


def check_csv(case) -> None:
    with Scratch() as tmp:
        path = tmp / f"{case['stem']}.csv"
        path.write_bytes(case["data"])
        options = {k: case[k] for k in ("fps", "skeleton", "scale", "axes")}
        if case["dispatch"]:
            duet = call_reader(read_input, path, **options, where=str(path))
        else:
            options = {k: v for k, v in options.items() if v is not None}
            duet = call_reader(read_csv, path, **options, where=str(path))
        assert path.read_bytes() == case["data"]
        if duet is None:
            return
        assert isinstance(duet, Duet) and np.isfinite(duet.positions).all()
        call_reader(clean_duet, duet)


test_csv_hostile, test_csv_hostile_slow = fuzz_pair("csv+clean", csv_cases(), check_csv, fast=300)
