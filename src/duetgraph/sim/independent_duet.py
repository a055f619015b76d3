"""String-free duets: two dancers moving independently, alone or to a shared beat.

The null duets of the string benchmark (`bench/bench_trust.py`): with no beat the dancers are
independent; with `shared_tempo_hz` both also move to one common beat, so their motions correlate
in time although neither pulls the other. A string test must call neither a string. The dancers
themselves are made as `duetgraph.sim.spring_duet` makes its dancers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.sim.kinematics import ground, rotate_subtree
from duetgraph.sim.motion import rng_record, smooth_signal, synthetic_duet, two_dancers
from duetgraph.sim.spring_duet import SpringDuetConfig
from duetgraph.skeleton import SMPL29


def simulate_independent_duet(
    duration_s: float,
    fps: float,
    rng: np.random.Generator,
    shared_tempo_hz: float | None = None,
) -> Duet:
    """Two dancers with no strings: the null a string detector must stay silent on.

    Both dancers move on their own as in `SpringDuetConfig()` (defaults). With
    `shared_tempo_hz` (e.g. 0.5-1 Hz) both also move to one common beat: the beat's phase
    advances at the tempo times a slow drift common to both (within 5 %), and each dancer, at
    its own fixed phase offset psi (within +-0.4 rad), bends both knees on the beat (a plie of
    0.4-0.6 rad at the hips, re-grounded: the pelvis drops up to ~6-14 cm), rises h (1 - cos) / 2
    half a beat later (h 3-6 cm: the feet leave the floor) and swings both arms forward and
    back about the shoulders (0.2-0.5 rad, the arms in opposition). The beat is added on top of
    the same independent dancers a call without tempo makes from the same seed. The two dancers' motions then correlate in time without either pulling the other.

    Returns:
        Duet (T, 2, 29, 3) float32 metres z up, dancers ("A", "B"); provenance records the
        settings, seed, generator state, the beat parameters and `strings: []`.
    """
    if shared_tempo_hz is not None and not shared_tempo_hz > 0:
        raise InputError(f"independent duet: shared_tempo_hz {shared_tempo_hz} must be > 0.")
    seed, rng_state = rng_record(rng)
    config = SpringDuetConfig(duration_s=duration_s, fps=fps, strings=())
    dancers = list(two_dancers(config, rng))  # A and B (T, J, 3)
    beat: dict[str, Any] | None = None
    if shared_tempo_hz is not None:
        n = config.n_frames
        drift = 1.0 + 0.05 * smooth_signal(n, fps, 1, rng, min_hz=0.01, max_hz=0.05)[:, 0]
        phase = 2 * np.pi * np.cumsum(shared_tempo_hz * drift) / fps  # (T,) common to both
        plie = rng.uniform(0.4, 0.6, size=2)
        hop = rng.uniform(0.03, 0.06, size=2)
        swing = rng.uniform(0.2, 0.5, size=2)
        offset = rng.uniform(-0.4, 0.4, size=2)
        for p in range(2):
            dancers[p] = _move_to_beat(dancers[p], phase + offset[p], plie[p], hop[p], swing[p])
        beat = {
            "tempo_hz": float(shared_tempo_hz),
            "plie_rad": plie.round(4).tolist(),
            "hop_m": hop.round(4).tolist(),
            "arm_swing_rad": swing.round(4).tolist(),
            "phase_offset_rad": offset.round(4).tolist(),
        }
    return synthetic_duet(dancers[0], dancers[1], fps, {
        "step": "simulate_independent_duet",
        "source": "duetgraph.sim.independent_duet.simulate_independent_duet",
        "duration_s": float(duration_s),
        "fps": float(fps),
        "shared_tempo_hz": shared_tempo_hz,
        "beat": beat,
        "seed": seed,
        "rng_state": rng_state,
        "strings": [],
    })  # fmt: skip


def _move_to_beat(
    positions: np.ndarray, phase: np.ndarray, plie_rad: float, hop_m: float, swing_rad: float
) -> np.ndarray:
    """(T, J, 3) one dancer bouncing and swinging the arms at (T,) beat `phase`.

    On the beat (phase 0 mod 2 pi) both knees bend (a plie: thighs forward by up to `plie_rad`,
    shins back by twice that, feet kept level) and the body is re-grounded; half a beat later the
    body is up by `hop_m`. The arms swing about the shoulders by +-`swing_rad`, in opposition.
    Rigid rotations of sub-trees and translations only: bone lengths are kept.
    """
    out = positions.copy()
    joint = SMPL29.index
    left = out[:, joint("left_hip"), :2] - out[:, joint("right_hip"), :2]
    axis = np.zeros((len(out), 3))
    axis[:, :2] = left / np.linalg.norm(left, axis=-1, keepdims=True)  # the body's left, level
    bend = plie_rad * (1 + np.cos(phase)) / 2
    for side, sign in (("left", 1.0), ("right", -1.0)):
        # Negative angles about the left axis swing a hanging bone forward.
        for name, parent, angle in (("knee", "hip", -bend), ("ankle", "knee", 2 * bend)):
            pivot = out[:, joint(f"{side}_{parent}")].copy()
            rotate_subtree(out, joint(f"{side}_{name}"), pivot, _rotation(axis, angle))
        pivot = out[:, joint(f"{side}_ankle")].copy()
        rotate_subtree(out, joint(f"{side}_foot"), pivot, _rotation(axis, -bend))
        shoulder = out[:, joint(f"{side}_shoulder")].copy()
        swing = _rotation(axis, sign * swing_rad * np.sin(phase))
        rotate_subtree(out, joint(f"{side}_elbow"), shoulder, swing)
    out = ground(out)
    out[..., 2] += (hop_m * (1 - np.cos(phase)) / 2)[:, None]
    return out


def _rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations by (T,) angles (radians) about (T, 3) unit axes (Rodrigues)."""
    kx = np.zeros(axis.shape[:-1] + (3, 3))
    kx[..., 0, 1], kx[..., 0, 2] = -axis[..., 2], axis[..., 1]
    kx[..., 1, 0], kx[..., 1, 2] = axis[..., 2], -axis[..., 0]
    kx[..., 2, 0], kx[..., 2, 1] = -axis[..., 1], axis[..., 0]
    s, c = np.sin(angle)[..., None, None], np.cos(angle)[..., None, None]
    return np.eye(3) + s * kx + (1 - c) * (kx @ kx)
