"""Hostile BVH pairs: `read_bvh` (via `read_input`) fails only cleanly, and never hangs.

A valid SMPL-24 BVH pair with at most one hostility in one file: truncation, a wrong frame count
or frame time, non-numeric, NaN or huge motion values, unbalanced braces, a missing MOTION
section, unknown channels, unmappable or unicode joint names, CRLF line ends or binary garbage.
Each case runs under a 10 s alarm: bvhio has looped forever on some damaged files.
"""

from __future__ import annotations

import contextlib
import signal

import numpy as np
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from duetgraph.clean import clean_duet
from duetgraph.duet import Duet
from duetgraph.io.bvh_write import BvhMotion, BvhWriteConfig
from duetgraph.io.bvh_write import bvh_text as write_bvh_text
from duetgraph.io.read import read_input
from duetgraph.skeleton import SMPL24

from .fuzzing import FILE_STEMS, Scratch, call_reader, fuzz_pair

HOSTILITIES = ["truncate", "frames", "frame time", "not a number", "nan", "huge", "braces",
               "no motion", "channels", "names", "binary", "short line", "empty"]  # fmt: skip


def bvh_text(rng, n_frames: int, names=SMPL24.joint_names, channel="Zrotation") -> str:
    """A valid SMPL24 BVH with random motion, written by duetgraph's own writer; `names` and
    `channel` (in place of Zrotation) let a case damage the hierarchy."""
    parents = tuple(SMPL24.parents)
    leaves = [j for j in range(24) if j not in parents]
    offsets = np.tile([0.0, 10.0, 0.0], (24, 1))
    offsets[parents.index(-1)] = 0.0
    end_sites = np.zeros((24, 3))
    end_sites[leaves] = [0.0, 5.0, 0.0]
    motion = BvhMotion(
        names=tuple(names),
        parents=parents,
        offsets=offsets,
        end_sites=end_sites,
        root_position=rng.normal(size=(n_frames, 3)) * 10,
        rotations=Rotation.random(n_frames * 24, rng=rng).as_matrix().reshape(n_frames, 24, 3, 3),
        frame_time=0.0333333,
    )
    text = write_bvh_text(motion, BvhWriteConfig(euler_order="ZXY", decimals=4))
    return text.replace("Zrotation", channel)


@st.composite
def bvh_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hostility = draw(st.sampled_from(["none"] * 5 + HOSTILITIES))
    n = draw(st.sampled_from([1, 2, 5]))
    names = list(SMPL24.joint_names)
    if hostility == "names":
        k = int(rng.integers(24))
        names[k] = draw(st.sampled_from(["", "tail", "左手", names[(k + 1) % 24], "a b"]))
    channel = "Wrotation" if hostility == "channels" else "Zrotation"
    texts = [bvh_text(rng, n), bvh_text(rng, n, names, channel)]
    t = texts[1]
    if hostility == "truncate":
        t = t[: draw(st.integers(0, len(t) - 1))]
    elif hostility == "frames":
        t = t.replace(
            f"Frames: {n}", f"Frames: {draw(st.sampled_from([0, -1, n + 1, 10**12, 'x']))}"
        )
    elif hostility == "frame time":
        t = t.replace("Frame Time: 0.0333333", f"Frame Time: {draw(st.sampled_from(['0', '-1', 'nan', 'inf', '1e-320', 'x']))}")  # fmt: skip
    elif hostility in ("not a number", "nan", "huge"):
        value = {"not a number": "abc", "nan": "nan", "huge": "1e308"}[hostility]
        head, _, motion = t.partition("Frame Time: 0.0333333\n")
        rows = motion.splitlines()
        k = int(rng.integers(len(rows)))
        cells = rows[k].split()
        cells[int(rng.integers(len(cells)))] = value
        rows[k] = " ".join(cells)
        t = head + "Frame Time: 0.0333333\n" + "\n".join(rows) + "\n"
    elif hostility == "braces":
        t = t.replace("}", "", 1) if draw(st.booleans()) else t.replace("{", "{ {", 1)
    elif hostility == "no motion":
        t = t.split("MOTION")[0]
    elif hostility == "short line":
        head, _, motion = t.partition("Frame Time: 0.0333333\n")
        rows = motion.splitlines()
        rows[-1] = " ".join(rows[-1].split()[:-1])
        t = head + "Frame Time: 0.0333333\n" + "\n".join(rows) + "\n"
    elif hostility == "empty":
        t = draw(st.sampled_from(["", "HIERARCHY", "HIERARCHY\nROOT x\n{\n}\nMOTION\n"]))
    data = t.encode("utf-8")
    if hostility == "binary":
        data = data[:40] + b"\xff\x00\xfe" + data[40:]
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    return {"stems": [draw(FILE_STEMS), draw(FILE_STEMS)], "data": [texts[0].encode(), data],
            "swap": draw(st.booleans())}  # fmt: skip


class Hang(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: int):
    def on_alarm(signum, frame):
        raise Hang(f"reading took more than {seconds} s (hang)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_bvh(case) -> None:
    with Scratch() as tmp:
        paths = []
        for i, (stem, data) in enumerate(zip(case["stems"], case["data"], strict=True)):
            paths.append(tmp / f"{i}-{stem}.bvh")
            paths[-1].write_bytes(data)
        if case["swap"]:
            paths = paths[::-1]
        with alarm(10):
            duet = call_reader(read_input, paths)
        if duet is None:
            return
        assert isinstance(duet, Duet) and np.isfinite(duet.positions).all()
        call_reader(clean_duet, duet)


test_bvh_hostile, test_bvh_hostile_slow = fuzz_pair("bvh+clean", bvh_cases(), check_bvh, fast=120)
