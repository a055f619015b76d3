"""Faulty AlphaPose output from a known duet: the cleaning pipeline's ground truth.

`make_faulty_alphapose` films a `Duet` with a pinhole camera and writes what AlphaPose + HybrIK
would report, with the faults real clips show, each at a controlled fraction of frames and in
runs (occlusions last several frames):

- dropped frames (nobody detected), one-dancer frames (one dancer missed), extra detections (a
  bystander with a lower score, listed anywhere in the frame), identity swaps (the file lists
  dancer B before A), Gaussian joint jitter, and optionally pelvis-centred poses (stock output).

It returns the JSON-able records together with the truth: which dancer each record is, and the
noise-free positions exactly as `read_alphapose` will report them. numpy only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.duet import Duet
from duetgraph.io.alphapose import alphapose_records, write_alphapose
from duetgraph.io.axes import camera_to_zup, zup_to_camera
from duetgraph.sim.duet import DuetSimConfig, simulate_duet


@dataclass(frozen=True)
class FaultConfig:
    """Which faults to inject and how the camera sees the duet.

    Args:
        drop_fraction: frames with no detection at all (never the first or last frame, so the
            reader still sees the whole clip).
        single_fraction: frames where one dancer is missed.
        extra_fraction: frames with a third detection (a bystander) scored lower than the dancers.
        swap_fraction: frames inside runs where the file lists dancer B before dancer A.
        run_length: mean length (frames) of each run of faulty frames.
        jitter_m: standard deviation of Gaussian noise on each 3D joint coordinate, metres.
        pelvis_centred: subtract the pelvis from every pose (stock AlphaPose output).
        image_size: (width, height) pixels.
        focal_length: pixels.
        camera_distance: metres from the camera to the duet's mean pelvis, along the view axis.
        camera_height: metres above the floor (z = 0); the camera looks horizontally along +y.
        first_image_number: number in the first image name ("0.jpg").
    """

    drop_fraction: float = 0.05
    single_fraction: float = 0.05
    extra_fraction: float = 0.05
    swap_fraction: float = 0.05
    run_length: float = 4.0
    jitter_m: float = 0.0
    pelvis_centred: bool = False
    image_size: tuple[int, int] = (1920, 1080)
    focal_length: float = 1500.0
    camera_distance: float = 6.0
    camera_height: float = 1.2
    first_image_number: int = 0

    def __post_init__(self) -> None:
        fractions = (self.drop_fraction, self.single_fraction, self.extra_fraction)
        if min(fractions + (self.swap_fraction,)) < 0 or sum(fractions) >= 1:
            raise ValueError("fault fractions must be >= 0 and drop+single+extra below 1")
        if self.run_length < 1:
            raise ValueError("run_length must be at least 1 frame")


@dataclass(frozen=True)
class FaultyAlphaPose:
    """AlphaPose-format records with the truth behind them.

    Args:
        records: JSON-able objects in file order (see `duetgraph.io.alphapose`).
        frame: (M,) frame index of each record (image number − first image number).
        dancer: (M,) 0 for dancer A, 1 for dancer B, -1 for a bystander.
        positions: (T, 2, J, 3) float32 noise-free truth as `read_alphapose` reports it (metres,
            z up, camera at the origin; pelvis-centred if the records are).
        dropped, single, extra, swapped: (T,) bool, frames given each fault.
        focal_length: pixels; image_size: (width, height) pixels.
    """

    records: list[dict[str, Any]]
    frame: np.ndarray
    dancer: np.ndarray
    positions: np.ndarray
    dropped: np.ndarray
    single: np.ndarray
    extra: np.ndarray
    swapped: np.ndarray
    focal_length: float
    image_size: tuple[int, int]


def make_faulty_alphapose(
    duet: Duet, config: FaultConfig, rng: np.random.Generator
) -> FaultyAlphaPose:
    """Film `duet` and report it as faulty AlphaPose output (see the module docstring).

    Args:
        duet: ground truth, positions (T, 2, J, 3) metres z-up.
        config: faults and camera.
        rng: the only source of randomness.
    """
    n_frames = duet.n_frames
    cam_world = _camera_position(duet.positions, config)
    # World z-up → camera axes (x right, y down, z forward): the camera looks along +y.
    cam = zup_to_camera(duet.positions.astype(np.float64) - cam_world)  # (T, 2, J, 3) float32
    if cam[..., 2].min() < 0.3:
        raise ValueError("the duet comes within 0.3 m of the camera; raise camera_distance")
    truth = cam - cam[:, :, :1] if config.pelvis_centred else cam

    used = np.zeros(n_frames, dtype=bool)
    used[[0, -1]] = True  # keep the first and last frame so the clip's length is visible
    dropped = _pick_runs(n_frames, config.drop_fraction, config.run_length, used, rng)
    used[[0, -1]] = False
    used |= dropped
    single = _pick_runs(n_frames, config.single_fraction, config.run_length, used, rng)
    used |= single
    extra = _pick_runs(n_frames, config.extra_fraction, config.run_length, used, rng)
    swapped = _pick_runs(
        n_frames, config.swap_fraction, config.run_length, np.zeros(n_frames, dtype=bool), rng
    )
    missed = _missed_dancer(single, rng)  # (T,) which dancer a one-dancer frame lacks

    # One row per reported person: (frame, who), who = 0/1 dancer or -1 bystander.
    frames, who = [], []
    for t in np.flatnonzero(~dropped).tolist():
        people = [1, 0] if swapped[t] else [0, 1]
        if single[t]:
            people.remove(int(missed[t]))
        if extra[t]:
            people.insert(int(rng.integers(len(people) + 1)), -1)
        frames += [t] * len(people)
        who += people
    frame = np.array(frames, dtype=np.int64)
    dancer = np.array(who, dtype=np.int64)
    m = len(frame)

    source = np.where(dancer < 0, rng.integers(2, size=m), dancer)
    joints = cam[frame, source].astype(np.float64)  # (M, J, 3)
    bystander = dancer < 0
    # A bystander copies a dancer's pose 2.5 m to the left or right and 1.5 m further away.
    offset_x = rng.choice([-2.5, 2.5], size=int(bystander.sum()))
    joints[bystander] += np.stack(
        [offset_x, np.zeros_like(offset_x), np.full_like(offset_x, 1.5)], 1
    )[:, None]
    joints += rng.normal(0.0, config.jitter_m, size=joints.shape) if config.jitter_m else 0.0
    keypoints, box = _project(joints, config, rng)
    if config.pelvis_centred:
        joints = joints - joints[:, :1]
    score = np.where(bystander, rng.uniform(1.2, 2.0, m), rng.uniform(2.4, 3.0, m))
    idx = np.arange(m) - np.searchsorted(frame, frame)  # order within the frame
    names = [f"{config.first_image_number + t}.jpg" for t in frame.tolist()]
    records = alphapose_records(names, joints, score, box, keypoints, idx)
    return FaultyAlphaPose(
        records=records,
        frame=frame,
        dancer=dancer,
        positions=camera_to_zup(truth),
        dropped=dropped,
        single=single,
        extra=extra,
        swapped=swapped,
        focal_length=config.focal_length,
        image_size=config.image_size,
    )


def make_example_alphapose(
    path: str | os.PathLike,
    seed: int = 0,
    n_frames: int = 600,
    fps: float = 30.0,
    duet: Duet | None = None,
    config: FaultConfig | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a faulty AlphaPose JSON of a generated duet (the built-in example raw input).

    Args:
        path: output .json (refuses to replace a file unless `overwrite`).
        seed: seeds the duet (if not given) and the faults.
        n_frames, fps: length of the generated duet.
        duet: the duet to film instead of a `simulate_duet` one with default strings.
        config: faults (default: 5 % each of drops, one-dancer frames, extras and swaps, 1 cm
            jitter, placement kept).
    """
    rng = np.random.default_rng(seed)
    if duet is None:
        duet, _ = simulate_duet(DuetSimConfig(duration_s=n_frames / fps, fps=fps), rng)
    config = config or FaultConfig(jitter_m=0.01)
    return write_alphapose(make_faulty_alphapose(duet, config, rng).records, path, overwrite)


# ---------------------------------------------------------------------------------- helpers


def _camera_position(positions: np.ndarray, config: FaultConfig) -> np.ndarray:
    """World position of a camera facing +y, `camera_distance` in front of the mean pelvis."""
    pelvis = positions[:, :, 0].reshape(-1, 3).mean(axis=0)
    return np.array([pelvis[0], pelvis[1] - config.camera_distance, config.camera_height])


def _pick_runs(
    n_frames: int, fraction: float, mean_length: float, used: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """(T,) bool: round(fraction · T) frames not in `used`, in runs of geometric length."""
    target = int(round(fraction * n_frames))
    picked = np.zeros(n_frames, dtype=bool)
    free = int((~used).sum())
    target = min(target, free)
    while picked.sum() < target:
        start = int(rng.integers(n_frames))
        length = int(rng.geometric(1.0 / mean_length))
        run = np.arange(start, min(start + length, n_frames))
        run = run[~used[run] & ~picked[run]][: target - int(picked.sum())]
        picked[run] = True
    return picked


def _missed_dancer(single: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(T,) int: the dancer missed in each one-dancer frame, the same along each run."""
    starts = single & ~np.concatenate([[False], single[:-1]])
    run_id = np.maximum(np.cumsum(starts) - 1, 0)
    choice = rng.integers(2, size=max(int(starts.sum()), 1))
    return np.where(single, choice[run_id], -1)


def _project(joints_cam: np.ndarray, config: FaultConfig, rng: np.random.Generator):
    """2D keypoints (M, J, 3) (u, v, s) and boxes (M, 4) [x, y, w, h] of camera-axes joints."""
    f = config.focal_length
    cx, cy = config.image_size[0] / 2.0, config.image_size[1] / 2.0
    u = f * joints_cam[..., 0] / joints_cam[..., 2] + cx
    v = f * joints_cam[..., 1] / joints_cam[..., 2] + cy
    s = rng.uniform(0.02, 0.3, size=u.shape)  # AlphaPose's s: 1 − heatmap max, not a confidence
    keypoints = np.stack([u, v, s], axis=-1)
    lo = np.stack([u.min(1), v.min(1)], 1)
    hi = np.stack([u.max(1), v.max(1)], 1)
    pad = 0.08 * (hi - lo)
    box = np.concatenate([lo - pad, hi - lo + 2 * pad], axis=1)
    return keypoints, box
