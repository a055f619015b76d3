"""Hostile detections straight into `clean_detections`: any counts per frame, extreme values.

Detections built as arrays (bypassing any file format): empty frames at the start and end, one
frame, a single dancer throughout, three or more people, identical poses (ties), huge, tiny or
negative coordinates up to float32's limit, degenerate boxes and keypoints, and every cleaning
option. The only allowed failure is a DuetgraphError; a result has every input frame.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from duetgraph.clean import CleanConfig, clean_detections
from duetgraph.io.detections import Detections

from .fuzzing import call_reader, fuzz_pair

F32_MAX = float(np.finfo(np.float32).max)


@st.composite
def detection_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    counts = np.array(draw(st.lists(st.integers(0, 5), min_size=1, max_size=12)))
    if draw(st.integers(0, 4)) == 0:
        counts = np.minimum(counts, 1)  # a single dancer throughout
    m = int(counts.sum())
    j = draw(st.sampled_from([29, 24, 17]))
    scale = draw(st.sampled_from([1.0] * 4 + [0.0, -1.0, 1e-38, 1e15, 1e30, F32_MAX / 4]))
    joints = rng.normal(size=(m, j, 3)) * scale
    if draw(st.booleans()):
        joints[:] = joints[:1] if m else joints  # every detection the same pose: all ties
    if scale > 1e30:
        joints = np.clip(joints, -F32_MAX, F32_MAX)
    frame = np.repeat(np.arange(len(counts)), counts)
    kind_2d = draw(st.sampled_from(["none", "box", "keypoints", "both", "degenerate"]))
    box = kp = None
    if kind_2d in ("box", "both", "degenerate"):
        box = rng.uniform(0, 1000, size=(m, 4))
        if kind_2d == "degenerate":
            box[:, 2:] = draw(st.sampled_from([0.0, -5.0, 1e30]))
    if kind_2d in ("keypoints", "both"):
        kp = rng.uniform(0, 1000, size=(m, j, 3))
        if draw(st.booleans()):
            kp[:, :, :2] = 500.0  # zero spread
    if draw(st.booleans()) and m:
        joints[:, 0, :] = 0.0
    pelvis_centred = bool(m and np.all(joints[:, 0, :] == 0.0))
    config = CleanConfig(
        prune=draw(st.sampled_from(["continuity", "score"])),
        keep_fraction=draw(st.sampled_from([0.25, 1.0, 1e-9])),
        smooth=draw(st.booleans()),
        target_fps=draw(st.sampled_from([None, None, 10.0, 1.0, 60.0, 29.97])),
        recover_placement=draw(st.booleans()),
        focal_length=draw(st.sampled_from([None, None, 1e-6, 1500.0, 1e12])),
        image_size=draw(st.sampled_from([None, None, (1.0, 1.0), (1920.0, 1080.0)])),
    )
    return {
        "det": Detections(
            frame=frame.astype(np.int64),
            joints=joints.astype(np.float32),
            score=rng.uniform(0, 3, size=m).astype(np.float32),
            n_frames=len(counts),
            fps=draw(st.sampled_from([30.0, 25.0, 1.0, 1000.0])),
            skeleton={29: "smpl29", 24: "smpl24", 17: "h36m17"}[j],
            box=None if box is None else box.astype(np.float32),
            keypoints_2d=None if kp is None else kp.astype(np.float32),
            pelvis_centred=pelvis_centred,
            source="fuzz.json",
        ),
        "config": config,
    }


def check_clean(case) -> None:
    det, config = case["det"], case["config"]
    result = call_reader(clean_detections, det, config, where="fuzz.json")
    if result is None:
        return
    duet, report = result
    assert np.isfinite(duet.positions).all()
    assert duet.positions.shape[1:] == (2, det.n_joints, 3)
    assert report.n_frames == det.n_frames
    if config.target_fps is None:
        assert duet.n_frames == det.n_frames
    assert report.frames_filled <= det.n_frames
    if det.n_frames == 1:
        assert report.swaps_fixed == 0


test_clean_hostile, test_clean_hostile_slow = fuzz_pair(
    "clean_detections", detection_cases(), check_clean, fast=300
)
