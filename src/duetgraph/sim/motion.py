"""Smooth, varied motion of one synthetic dancer: joint angles within plausible ranges and a
wandering, turning root (numpy only).

Every joint angle is a smooth random signal (a few low-frequency sinusoids with random
frequencies and phases, squashed by tanh into (-1, 1)) mapped into that joint's range. Knees
and elbows bend one way only. The root (the floor point under the body) wanders around a home
position and the heading turns around a base heading. The dancer is then placed by forward
kinematics and grounded so that the lowest foot joint rests on the floor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from duetgraph.duet import Duet
from duetgraph.sim.kinematics import euler_to_matrix, forward_kinematics, ground, rest_offsets
from duetgraph.skeleton import SMPL29

# Angle ranges (radians) about the body-frame x (roll: sideways), y (pitch: positive swings a
# hanging bone backward, tilts an upright bone forward) and z (turn) axes, for the centre and
# left joints; the right side mirrors the left (x and z ranges negated). Joints not listed
# (leaves) do not rotate.
_RANGES = {
    "pelvis": ((-0.06, 0.06), (-0.05, 0.15), (-0.25, 0.25)),
    "spine1": ((-0.1, 0.1), (-0.1, 0.25), (-0.2, 0.2)),
    "spine2": ((-0.1, 0.1), (-0.1, 0.2), (-0.2, 0.2)),
    "spine3": ((-0.08, 0.08), (-0.08, 0.15), (-0.15, 0.15)),
    "neck": ((-0.2, 0.2), (-0.3, 0.4), (-0.5, 0.5)),
    "jaw": ((-0.1, 0.1), (-0.15, 0.15), (-0.1, 0.1)),
    "left_collar": ((-0.1, 0.2), (-0.1, 0.1), (-0.15, 0.15)),
    "left_shoulder": ((0.1, 2.3), (-2.0, 0.5), (-0.6, 0.6)),  # abduction, flexion (forward < 0)
    "left_elbow": ((0.0, 0.0), (-2.2, -0.05), (-0.6, 0.6)),  # flexes forward only
    "left_wrist": ((-0.3, 0.3), (-0.5, 0.5), (-0.3, 0.3)),
    "left_thumb": ((-0.2, 0.2), (-0.3, 0.3), (-0.2, 0.2)),
    "left_hip": ((-0.15, 0.5), (-1.1, 0.3), (-0.4, 0.4)),  # abduction, flexion (forward < 0)
    "left_knee": ((0.0, 0.0), (0.03, 1.3), (0.0, 0.0)),  # flexes backward only
    "left_ankle": ((-0.15, 0.15), (-0.3, 0.4), (-0.15, 0.15)),
    "left_foot": ((0.0, 0.0), (-0.3, 0.1), (0.0, 0.0)),
}


def joint_ranges() -> tuple[np.ndarray, np.ndarray]:
    """(J, 3) lower and upper angle limits (radians) of every SMPL29 joint, x/y/z axes."""
    lo = np.zeros((SMPL29.n_joints, 3))
    hi = np.zeros((SMPL29.n_joints, 3))
    for name, ranges in _RANGES.items():
        r = np.array(ranges, dtype=float)  # (3 axes, lo/hi)
        lo[SMPL29.index(name)], hi[SMPL29.index(name)] = r[:, 0], r[:, 1]
        if name.startswith("left_"):
            mirrored = r.copy()
            mirrored[[0, 2]] = -r[[0, 2], ::-1]  # negate x and z ranges, keep y
            j = SMPL29.index("right_" + name[len("left_") :])
            lo[j], hi[j] = mirrored[:, 0], mirrored[:, 1]
    return lo, hi


def smooth_signal(
    n_frames: int,
    fps: float,
    n_channels: int,
    rng: np.random.Generator,
    min_hz: float = 0.05,
    max_hz: float = 0.5,
    n_components: int = 4,
) -> np.ndarray:
    """(T, C) smooth random signals in (-1, 1), one per channel.

    Each channel sums `n_components` sinusoids with log-uniform frequencies in [min_hz, max_hz],
    uniform phases and amplitudes in [0.3, 1]; the sum is scaled to unit RMS and squashed with
    tanh, so values spread over the range without hard clipping.
    """
    t = np.arange(n_frames) / fps
    freq = np.exp(rng.uniform(np.log(min_hz), np.log(max_hz), size=(n_channels, n_components)))
    phase = rng.uniform(0, 2 * np.pi, size=(n_channels, n_components))
    amp = rng.uniform(0.3, 1.0, size=(n_channels, n_components))
    waves = amp * np.sin(2 * np.pi * freq * t[:, None, None] + phase)  # (T, C, K)
    rms = np.sqrt(0.5 * np.sum(amp**2, axis=-1))  # (C,) RMS of the sum
    return np.tanh(1.2 * waves.sum(axis=-1) / rms)


def simulate_joint_angles(
    n_frames: int,
    fps: float,
    rng: np.random.Generator,
    amplitude: float = 0.8,
    max_hz: float = 0.5,
) -> np.ndarray:
    """(T, J, 3) joint angles (radians) moving smoothly within each joint's range.

    Args:
        amplitude: fraction of each range used, in [0, 1], around the range's middle.
        max_hz: highest frequency of the joint motion.
    """
    lo, hi = joint_ranges()
    signal = smooth_signal(n_frames, fps, lo.size, rng, max_hz=max_hz).reshape(n_frames, *lo.shape)
    return (lo + hi) / 2 + amplitude * (hi - lo) / 2 * signal


def simulate_root(
    n_frames: int,
    fps: float,
    rng: np.random.Generator,
    home_xy: tuple[float, float],
    base_heading: float,
    wander_m: float = 0.25,
    turn_rad: float = 0.5,
    max_hz: float = 0.12,
) -> tuple[np.ndarray, np.ndarray]:
    """A wandering floor position and a turning heading.

    Returns:
        root_xy: (T, 2) metres, within about `wander_m` of `home_xy`.
        heading: (T,) radians about z, within `turn_rad` of `base_heading`.
    """
    signal = smooth_signal(n_frames, fps, 3, rng, min_hz=0.02, max_hz=max_hz)
    root_xy = np.asarray(home_xy, dtype=float) + wander_m * signal[:, :2]
    heading = base_heading + turn_rad * signal[:, 2]
    return root_xy, heading


def simulate_dancer(
    n_frames: int,
    fps: float,
    rng: np.random.Generator,
    home_xy: tuple[float, float],
    base_heading: float,
    height_m: float = 1.7,
    amplitude: float = 0.8,
    wander_m: float = 0.25,
    turn_rad: float = 0.5,
    max_hz: float = 0.5,
) -> np.ndarray:
    """(T, J, 3) positions (metres, z up) of one dancer moving on their own, feet on the floor.

    Args:
        home_xy: centre of the dancer's wandering on the floor, metres.
        base_heading: mean facing direction, radians about z (0 faces +x).
        height_m: standing height (floor to head top) of the dancer.
        amplitude, max_hz: joint motion, see `simulate_joint_angles`.
        wander_m, turn_rad: root motion, see `simulate_root`.
    """
    angles = simulate_joint_angles(n_frames, fps, rng, amplitude, max_hz)
    root_xy, heading = simulate_root(n_frames, fps, rng, home_xy, base_heading, wander_m, turn_rad)
    positions = forward_kinematics(
        rest_offsets(height_m), euler_to_matrix(angles), root_xy, heading
    )
    return ground(positions)


def two_dancers(config: Any, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Independent dancers A and B (T, J, 3) facing each other `config.distance_m` apart, from two
    seeds drawn from `rng` (A's, then B's). `config` has n_frames, fps, distance_m, heights_m,
    amplitude, wander_m, turn_rad and max_hz (the synthetic duets' configs)."""
    n, fps, d = config.n_frames, config.fps, config.distance_m
    seed_a, seed_b = rng.integers(0, 2**63 - 1, size=2)
    common = dict(amplitude=config.amplitude, wander_m=config.wander_m,
                  turn_rad=config.turn_rad, max_hz=config.max_hz)  # fmt: skip
    a = simulate_dancer(
        n, fps, np.random.default_rng(seed_a), (-d / 2, 0.0), 0.0, config.heights_m[0], **common
    )
    b = simulate_dancer(
        n, fps, np.random.default_rng(seed_b), (d / 2, 0.0), math.pi, config.heights_m[1], **common
    )
    return a, b


def rng_record(rng: np.random.Generator) -> tuple[Any, dict]:
    """(seed, generator state) of `rng` for a duet's provenance, before anything is drawn."""
    seed = getattr(getattr(rng.bit_generator, "seed_seq", None), "entropy", None)
    return seed, rng.bit_generator.state


def synthetic_duet(a: np.ndarray, b: np.ndarray, fps: float, step: dict[str, Any]) -> Duet:
    """The SMPL29 duet of dancers A and B (T, J, 3) with one provenance `step`."""
    return Duet(np.stack([a, b], axis=1), fps=fps, skeleton="smpl29", dancers=("A", "B"),
                provenance=(step,))  # fmt: skip
