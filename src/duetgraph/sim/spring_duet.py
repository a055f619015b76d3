"""A second planted-string duet generator: strings as damped springs in time, plus string-free
null duets (numpy only).

`sim.duet` places B's joints kinematically onto targets made from A's lagged joints. This module
uses another mechanism, so that a string detector can be checked against two independent
generators. Dancer A and dancer B first move on their own (`motion.simulate_dancer`). Each
planted string from A's joint `a` to B's joint `b` then gives B's joint a *deviation* d (3D,
metres) from B's own motion: a unit point mass integrated frame by frame (semi-implicit Euler,
steps of at most 1/60 s). B's own body always pulls d back to 0 (a return spring of
`RETURN_STIFFNESS` s^-2 with `RETURN_DAMPING` s^-1, about critically damped, time constant
~0.4 s); during the string's `spans` the string adds a force driven by A's joint as it was
`lag_frames` ago (p = B's own position + d, v_d = d's velocity, A_lag = A's lagged joint):

- "spring": k (A_lag + rest_offset - p) - c v_d. B's joint is pulled toward A's lagged joint
  plus a rest offset (default: their mean separation while on), so it echoes A's joint's motion
  with the lag and a low-pass response (it covers k / (k + RETURN_STIFFNESS) of the way).
- "velocity": c (velocity of A_lag - velocity of p). A viscous drag: B's joint is carried along
  by A's lagged joint velocity; positions are not tied, only motions.
- "repel": k (rest_length - |p - A_lag|) u - c v_d, u the unit vector from A_lag to p: a rubber
  band of fixed rest length with dynamics, pushing B's joint away when A's joint comes closer
  than the rest length (default: their mean distance while on) and pulling it when farther.

Outside the spans the string's force is zero and d decays back to 0 (measured with the default
constants: under 10 % of its mean size while on 2 s after a span ends, ~1 % after 3 s). The
deviation is soft-limited (tanh) to the bone length of B's joint (0.5 m for the pelvis) and
clipped as a guard against blow-ups. B stays a skeleton with its own bone lengths: the
displaced joint is re-placed by turning the bone from its parent toward it
(`kinematics.aim_joint`; the joint's sub-tree moves along rigidly, nothing else of B moves); a
pelvis string acts in the floor plane and moves B's whole body horizontally. A is never driven.

Random planted strings (`random_spring_strings`) draw A's joints from all 29 SMPL29 joints and
B's joints from `B_JOINTS`: the pelvis and the joints whose bone from their parent is at least
0.2 m long (neck, knees, ankles, elbows, wrists). Short bones (hips, spine, collars, shoulders,
jaw, head, feet, toes, thumbs, middle fingers) are left out: turning a 5-14 cm bone cannot follow
a target that moves tens of centimetres, so those strings would barely show. No planted B joint
is an ancestor of another (the pelvis, everyone's ancestor, only when one string is drawn).

`duetgraph.sim.independent_duet.simulate_independent_duet` makes the null duets: two independent dancers with no strings, and
with `shared_tempo_hz` both also move to one common beat (a bounce: knees bend on the beat and
the body rises half a beat later, and an arm swing, each dancer with its own amplitudes and a
fixed phase offset, the tempo drifting slowly the same for both). Their motions then correlate in time although neither pulls the other: a string
detector must not report a string there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.sim.kinematics import (
    PARENTS,
    aim_joint,
    descendants,
    rest_offsets,
)
from duetgraph.sim.motion import rng_record, synthetic_duet, two_dancers
from duetgraph.skeleton import SMPL29

SPRING_KINDS = ("spring", "velocity", "repel")
DEFAULT_STIFFNESS = {"spring": 18.0, "velocity": 0.0, "repel": 18.0}
"""String stiffness k per kind, s^-2 (unit mass); 'velocity' strings have none."""
DEFAULT_DAMPING = {"spring": 5.0, "velocity": 6.0, "repel": 5.0}
"""String damping c per kind, s^-1 ('velocity': the strength of the viscous coupling)."""
DEFAULT_LAG_S = 0.3
RETURN_STIFFNESS = 6.0  # s^-2: B's own pull back to its own motion (natural period ~2.6 s)
RETURN_DAMPING = 5.0  # s^-1: about critical for RETURN_STIFFNESS
_MIN_BONE_M = 0.2  # B joints of random strings: bone from the parent at least this long
_PELVIS_MAX_M = 0.5  # soft limit of a pelvis string's horizontal displacement
_CLIP_M, _CLIP_M_S = 1.0, 5.0  # hard guard on the deviation and its velocity
_MAX_STEP_S = 1.0 / 60  # integration step at most this long
_MIN_TARGET_Z = 0.05  # displaced joints never go below the floor (metres)


def _b_joints() -> tuple[str, ...]:
    bone = np.linalg.norm(rest_offsets(), axis=-1)  # row 0 is the pelvis height, kept anyway
    keep = [j for j in range(SMPL29.n_joints) if j == 0 or bone[j] >= _MIN_BONE_M]
    return tuple(SMPL29.joint_names[j] for j in keep)


B_JOINTS = _b_joints()
"""B joints random strings draw from: the pelvis and joints with a bone of >= 0.2 m."""


@dataclass(frozen=True)
class SpringString:
    """One planted spring string from a joint of dancer A to a joint of dancer B.

    Args:
        a_joint: SMPL29 joint name of dancer A (drives the string, never driven).
        b_joint: SMPL29 joint name of dancer B (carries the deviation).
        kind: "spring", "velocity" or "repel" (see the module docstring).
        spans: ((start_s, end_s), ...) seconds in which the force acts, sorted and disjoint;
            None: the whole duet (or all but a quarter with `switch_off`).
        lag_frames: the force uses A's joint this many frames (at the duet's fps) ago; None:
            `DEFAULT_LAG_S` seconds.
        stiffness: k in s^-2 (unit mass); None: `DEFAULT_STIFFNESS[kind]`.
        damping: c in s^-1; None: `DEFAULT_DAMPING[kind]`.
        rest_offset: "spring" only: (x, y, z) metres added to A's joint; None: mean separation.
        rest_length_m: "repel" only: the band's rest length; None: the mean distance.

    `simulate_spring_duet` returns the strings with every None resolved to the value it used.
    """

    a_joint: str
    b_joint: str
    kind: str
    spans: tuple[tuple[float, float], ...] | None = None
    lag_frames: int | None = None
    stiffness: float | None = None
    damping: float | None = None
    rest_offset: tuple[float, float, float] | None = None
    rest_length_m: float | None = None

    def __post_init__(self) -> None:
        name = f"spring string {self.a_joint} -> {self.b_joint}"
        for joint in (self.a_joint, self.b_joint):
            if joint not in SMPL29.joint_names:
                raise InputError(f"{name}: unknown joint {joint!r}; use an SMPL29 joint name.")
        if self.kind not in SPRING_KINDS:
            raise InputError(f"{name}: unknown kind {self.kind!r}; use {', '.join(SPRING_KINDS)}.")
        if self.lag_frames is not None:
            if int(self.lag_frames) != self.lag_frames or self.lag_frames < 0:
                raise InputError(f"{name}: lag_frames must be a whole number >= 0.")
            object.__setattr__(self, "lag_frames", int(self.lag_frames))
        for field_name in ("stiffness", "damping"):
            value = getattr(self, field_name)
            if value is not None:
                if not (math.isfinite(value) and value >= 0):
                    raise InputError(f"{name}: {field_name} must be a number >= 0.")
                object.__setattr__(self, field_name, float(value))
        if self.spans is not None:
            spans = tuple((float(s), float(e)) for s, e in self.spans)
            for (s, e), nxt in zip(spans, spans[1:] + ((math.inf, math.inf),), strict=True):
                if not 0 <= s < e <= nxt[0]:
                    raise InputError(
                        f"{name}: spans {list(self.spans)} must be sorted, disjoint "
                        "(start, end) seconds with start < end."
                    )
            object.__setattr__(self, "spans", spans)
        if self.rest_offset is not None:
            if self.kind != "spring" or len(self.rest_offset) != 3:
                raise InputError(f"{name}: rest_offset is three numbers, for 'spring' only.")
            object.__setattr__(self, "rest_offset", tuple(float(v) for v in self.rest_offset))
        if self.rest_length_m is not None:
            if self.kind != "repel" or not self.rest_length_m > 0:
                raise InputError(f"{name}: rest_length_m is a positive length, 'repel' only.")
            object.__setattr__(self, "rest_length_m", float(self.rest_length_m))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (spans and rest_offset as lists)."""
        d = asdict(self)
        d["spans"] = None if self.spans is None else [list(s) for s in self.spans]
        d["rest_offset"] = None if self.rest_offset is None else list(self.rest_offset)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpringString:
        """Inverse of `to_dict`; unknown keys raise InputError."""
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"spring string {d}: unknown keys {sorted(unknown)}.")
        spans, offset = d.get("spans"), d.get("rest_offset")
        return cls(
            **{
                **d,
                "spans": None if spans is None else tuple(tuple(s) for s in spans),
                "rest_offset": None if offset is None else tuple(offset),
            }
        )


def _switched_spans(index: int, duration_s: float, switch_off: bool) -> tuple:
    """Whole duet, or (switch_off) all but quarter 1 + index % 3 of it."""
    if not switch_off:
        return ((0.0, duration_s),)
    q = 1 + index % 3
    quarters = ((0.0, q * duration_s / 4), ((q + 1) * duration_s / 4, duration_s))
    return tuple((a, b) for a, b in quarters if b > a)


def random_spring_strings(
    rng: np.random.Generator,
    n_strings: int = 3,
    duration_s: float = 60.0,
    fps: float = 30.0,
    switch_off: bool = True,
) -> tuple[SpringString, ...]:
    """Draw planted spring strings at random (joints, kinds, lags, stiffness).

    A joints: uniform over all 29 SMPL29 joints (repeats allowed: a hub). B joints: distinct,
    from `B_JOINTS`, none an ancestor of another (the pelvis only when n_strings == 1), so at
    most 5. Kinds uniform over `SPRING_KINDS`. Lags: 1-5 frames at 10 fps (0.1-0.5 s), as frames
    at `fps`. Stiffness 12-30 s^-2 with about critical total damping ('spring', 'repel'); viscous
    coupling 4-10 s^-1 ('velocity'). Spans: the whole duet, or with `switch_off` all but one
    quarter (string i off in quarter 1 + i % 3).
    """
    candidates = [j for j in B_JOINTS if n_strings == 1 or j != "pelvis"]
    if not 0 <= n_strings <= 5:
        raise InputError(f"random spring strings: n_strings {n_strings} must be 0..5.")
    chosen: list[str] = []
    for _ in range(n_strings):
        taken = {int(k) for j in chosen for k in descendants(SMPL29.index(j))}
        taken |= {k for j in chosen for k in _ancestors(SMPL29.index(j))}
        free = [j for j in candidates if SMPL29.index(j) not in taken]
        chosen.append(free[int(rng.integers(len(free)))])
    out = []
    for i, b_joint in enumerate(chosen):
        a_joint = SMPL29.joint_names[int(rng.integers(SMPL29.n_joints))]
        kind = SPRING_KINDS[int(rng.integers(len(SPRING_KINDS)))]
        lag = max(1, round(int(rng.integers(1, 6)) / 10 * fps))
        if kind == "velocity":
            stiffness, damping = 0.0, float(rng.uniform(4.0, 10.0))
        else:
            stiffness = float(rng.uniform(12.0, 30.0))
            damping = max(0.5, 2 * math.sqrt(stiffness + RETURN_STIFFNESS) - RETURN_DAMPING)
        out.append(
            SpringString(
                a_joint,
                b_joint,
                kind,
                spans=_switched_spans(i, duration_s, switch_off),
                lag_frames=lag,
                stiffness=round(stiffness, 3),
                damping=round(damping, 3),
            )
        )
    return tuple(out)


def _ancestors(joint: int) -> list[int]:
    out = []
    while PARENTS[joint] >= 0:
        joint = int(PARENTS[joint])
        out.append(joint)
    return out


@dataclass(frozen=True)
class SpringDuetConfig:
    """Settings of a spring-string duet (the dancers' settings as in `sim.duet.DuetSimConfig`).

    Args:
        duration_s, fps: length in seconds and output frame rate.
        distance_m: distance between home positions (A at x = -d/2 facing +x, B at +d/2).
        amplitude, max_hz, wander_m, turn_rad: the dancers' own motion (`simulate_dancer`).
        heights_m: standing heights of A and B.
        strings: planted strings; None: `n_strings` drawn by `random_spring_strings` from the
            rng; () : none (B's own motion, for comparisons).
        n_strings: how many to draw when `strings` is None.
        switch_off: strings without spans are off for one quarter of the duet each.
    """

    duration_s: float = 60.0
    fps: float = 30.0
    distance_m: float = 1.5
    amplitude: float = 0.8
    max_hz: float = 0.5
    wander_m: float = 0.25
    turn_rad: float = 0.5
    heights_m: tuple[float, float] = (1.75, 1.65)
    strings: tuple[SpringString, ...] | None = None
    n_strings: int = 3
    switch_off: bool = False

    def __post_init__(self) -> None:
        if not (self.duration_s > 0 and self.fps > 0):
            raise InputError("spring duet: duration_s and fps must be positive.")
        if not (self.distance_m > 0 and min(self.heights_m) > 0):
            raise InputError("spring duet: distance and heights must be positive metres.")
        object.__setattr__(self, "heights_m", tuple(float(h) for h in self.heights_m))
        if self.strings is not None:
            object.__setattr__(self, "strings", tuple(self.strings))

    @property
    def n_frames(self) -> int:
        return max(1, round(self.duration_s * self.fps))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["heights_m"] = list(self.heights_m)
        d["strings"] = None if self.strings is None else [s.to_dict() for s in self.strings]
        return d


def simulate_spring_duet(
    config: SpringDuetConfig, rng: np.random.Generator
) -> tuple[Duet, list[SpringString]]:
    """Simulate a duet whose planted strings are damped springs from A's joints to B's.

    Args:
        config: the settings.
        rng: source of all randomness: the dancers' motions first, then (strings None) the
            strings. The same generator state gives the same duet; the same seed with other
            strings gives the same A and the same B before the strings act.

    Returns:
        duet: positions (T, 2, 29, 3) float32 metres z up, skeleton "smpl29", dancers ("A",
            "B"); its provenance records the settings, the seed, the generator state and the
            resolved strings.
        strings: the planted strings (config order), every None resolved to the value used.
    """
    seed, rng_state = rng_record(rng)
    n, fps = config.n_frames, config.fps
    a, b = two_dancers(config, rng)
    duration = n / fps
    if config.strings is None:
        strings = list(
            random_spring_strings(rng, config.n_strings, duration, fps, config.switch_off)
        )
    else:
        strings = _resolve(config.strings, duration, fps, config.switch_off)
    order = sorted(range(len(strings)), key=lambda i: len(_ancestors(_index(strings[i]))))
    for i in order:  # shallow joints first: a pelvis string moves the whole body
        b, strings[i] = _apply_string(a, b, strings[i], fps)
    duet = synthetic_duet(a, b, fps, {
        "step": "simulate_spring_duet",
        "source": "duetgraph.sim.spring_duet.simulate_spring_duet",
        "config": config.to_dict(),
        "seed": seed,
        "rng_state": rng_state,
        "strings": [s.to_dict() for s in strings],
    })  # fmt: skip
    return duet, strings


def _index(s: SpringString) -> int:
    return SMPL29.index(s.b_joint)


def _resolve(
    strings: tuple[SpringString, ...], duration_s: float, fps: float, switch_off: bool
) -> list[SpringString]:
    """Fill in spans, lags, stiffness and damping; check B joints are distinct."""
    out, seen, unspanned = [], set(), 0
    for s in strings:
        if s.b_joint in seen:
            raise InputError(f"two spring strings drive B's {s.b_joint}; give each one string.")
        seen.add(s.b_joint)
        spans = s.spans
        if spans is None:
            spans, unspanned = _switched_spans(unspanned, duration_s, switch_off), unspanned + 1
        lag = s.lag_frames if s.lag_frames is not None else max(1, round(DEFAULT_LAG_S * fps))
        k = s.stiffness if s.stiffness is not None else DEFAULT_STIFFNESS[s.kind]
        c = s.damping if s.damping is not None else DEFAULT_DAMPING[s.kind]
        out.append(replace(s, spans=spans, lag_frames=lag, stiffness=k, damping=c))
    return out


def _apply_string(
    a: np.ndarray, b: np.ndarray, s: SpringString, fps: float
) -> tuple[np.ndarray, SpringString]:
    """Drive B's joint by the string; returns new B (T, J, 3) and the string with rests filled.

    Args:
        a, b: (T, J, 3) dancer A and dancer B (as moved by the strings applied so far).
    """
    n = len(a)
    ja, jb = SMPL29.index(s.a_joint), SMPL29.index(s.b_joint)
    planar = jb == 0  # pelvis strings act in the floor plane
    dims = 2 if planar else 3
    a_lag = a[np.clip(np.arange(n) - s.lag_frames, 0, n - 1), ja]  # (T, 3) A's joint lag ago
    own = b[:, jb]  # (T, 3) B's joint moving on its own
    t = np.arange(n) / fps
    on = np.zeros(n, dtype=bool)
    for start, end in s.spans:
        on |= (t >= start) & (t < end)
    mean_over = on if on.any() else np.ones(n, dtype=bool)
    if s.kind == "spring" and s.rest_offset is None:
        s = replace(s, rest_offset=tuple((own - a_lag)[mean_over].mean(axis=0).round(4)))
    if s.kind == "repel" and s.rest_length_m is None:
        dist = np.linalg.norm((own - a_lag)[mean_over, :dims], axis=-1)
        s = replace(s, rest_length_m=round(float(dist.mean()), 4))
    dev = _integrate(a_lag[:, :dims], own[:, :dims], on, s, fps)  # (T, dims)
    limit = _PELVIS_MAX_M if planar else float(np.linalg.norm(b[0, jb] - b[0, PARENTS[jb]]))
    size = np.linalg.norm(dev, axis=-1, keepdims=True)
    dev = dev * (limit * np.tanh(size / limit) / np.maximum(size, 1e-12))  # soft limit
    out = b.copy()
    moved = size[:, 0] > 0
    if planar:
        out[:, :, :2] += dev[:, None, :]  # the whole body, horizontally
        return out, s
    wanted = own + dev
    wanted[:, 2] = np.maximum(wanted[:, 2], _MIN_TARGET_Z)
    out[moved] = aim_joint(b[moved], jb, wanted[moved])
    return out, s


def _integrate(
    leader: np.ndarray, own: np.ndarray, on: np.ndarray, s: SpringString, fps: float
) -> np.ndarray:
    """(T, D) deviation of B's joint from its own motion, integrated frame by frame.

    Semi-implicit Euler with `ceil(fps / 60)` sub-steps per frame; within a frame the driving
    positions are interpolated linearly and the velocities are the frame's backward difference.

    Args:
        leader: (T, D) A's lagged joint, metres (D = 2 for the floor plane, 3 otherwise).
        own: (T, D) B's joint moving on its own, metres.
        on: (T,) whether the string's force acts in the interval ending at frame t.
    """
    n, n_dims = own.shape
    n_sub = max(1, math.ceil(1.0 / (fps * _MAX_STEP_S)))
    h = 1.0 / (fps * n_sub)
    k, c, kind = s.stiffness, s.damping, s.kind
    rest = np.asarray(s.rest_offset[:n_dims]) if kind == "spring" else 0.0
    out = np.zeros((n, n_dims))
    d, v = np.zeros(n_dims), np.zeros(n_dims)
    for f in range(1, n):
        v_lead = (leader[f] - leader[f - 1]) * fps
        v_own = (own[f] - own[f - 1]) * fps
        for i in range(1, n_sub + 1):
            acc = -RETURN_STIFFNESS * d - RETURN_DAMPING * v
            if on[f]:
                w = i / n_sub
                lead = leader[f - 1] + w * (leader[f] - leader[f - 1])
                p = own[f - 1] + w * (own[f] - own[f - 1]) + d
                if kind == "spring":
                    acc += k * (lead + rest - p) - c * v
                elif kind == "velocity":
                    acc += c * (v_lead - v_own - v)
                else:  # repel: a band of rest length along the line A -> B
                    away = p - lead
                    r = math.sqrt(float(away @ away))
                    if r > 1e-6:
                        acc += k * (s.rest_length_m - r) * away / r
                    acc -= c * v
            v = np.clip(v + h * acc, -_CLIP_M_S, _CLIP_M_S)
            d = np.clip(d + h * v, -_CLIP_M, _CLIP_M)
        out[f] = d
    return out


# ---------------------------------------------------------------------- null duets
