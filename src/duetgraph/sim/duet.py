"""Synthetic duets with planted strings: the ground truth duetgraph measures itself against.

Dancer A moves on their own (see `motion.simulate_dancer`). Dancer B has independent motion of
their own, and then each planted string pulls one joint of B toward a target made from the PAST
of one joint of A (`lag_frames` > 0), so that A's joint helps to predict B's next frame:

- "follow": B's joint goes where A's joint was `lag_frames` ago, plus a constant offset
  (default: the mean separation of the two joints, so B's joint copies A's joint's motion
  around its own usual place).
- "mirror": B's joint takes the mirror image of A's lagged joint across the vertical plane
  halfway between A's (lagged) pelvis and B's pelvis. For a pelvis string the plane is the one
  halfway between the two home positions, so B mirrors A's travel across the floor.
- "opposition": an elastic band of fixed length. B's joint is moved along the line from A's
  lagged joint to B's own joint to the band's rest length (default: their mean distance), so it
  retreats when A's joint approaches and follows when it retreats.

`strength` in [0, 1] blends B's own position (0) with the string's target (1); the blend also
ramps smoothly in and out at the ends of each active span (a span that starts at the first
frame or ends at the last is on there at once). B stays a skeleton: a wrist or ankle
is placed by analytic two-bone IK (shoulder-elbow-wrist, hip-knee-ankle), any other joint by
turning its parent's bone toward the target, and a pelvis string moves B's whole body in the
floor plane (pelvis strings act horizontally). Consequences worth knowing: the limb of a planted
wrist (its elbow, its hand) moves with it, and a pelvis string moves all of B's joints; every
other joint of B is independent of A.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.sim.kinematics import PARENTS, aim_joint, two_bone_ik
from duetgraph.sim.motion import rng_record, synthetic_duet, two_dancers
from duetgraph.skeleton import SMPL29

log = logging.getLogger(__name__)

KINDS = ("follow", "mirror", "opposition")
DEFAULT_LAGS_S = {"follow": 0.3, "mirror": 0.2, "opposition": 0.4}
"""Lag per kind when a string gives none: 2-4 frames at the 10 fps models usually train on."""
_END_JOINTS = ("left_wrist", "right_wrist", "left_ankle", "right_ankle")  # two-bone IK
_POLE_TIME_S = 0.2  # time constant of an IK limb's memory of its bend direction
_MIN_TARGET_Z = 0.05  # targets never go below the floor (metres)
STRINGS_FORMAT = "duetgraph.strings"


@dataclass(frozen=True)
class PlantedString:
    """One planted string from a joint of dancer A to a joint of dancer B.

    Args:
        a_joint: SMPL29 joint name of dancer A (the leader).
        b_joint: SMPL29 joint name of dancer B (pulled by the string).
        kind: "follow", "mirror" or "opposition" (see the module docstring).
        strength: in [0, 1]; 0 leaves B's own motion, 1 puts B's joint on the target.
        spans: active time spans ((start_s, end_s), ...) in seconds, sorted and disjoint;
            None: the whole duet. Strings ramp in and out within each span.
        lag_frames: B reacts to A's joint this many frames (at the duet's fps) later; None:
            `DEFAULT_LAGS_S[kind]` seconds. Must be >= 1 for the string to be learnable.
        offset: "follow" only: (x, y, z) metres added to A's joint; None: the mean separation.
        rest_length_m: "opposition" only: kept distance in metres; None: the mean distance.

    `simulate_duet` returns the strings with every None resolved to the value it used.
    """

    a_joint: str
    b_joint: str
    kind: str
    strength: float = 1.0
    spans: tuple[tuple[float, float], ...] | None = None
    lag_frames: int | None = None
    offset: tuple[float, float, float] | None = None
    rest_length_m: float | None = None

    def __post_init__(self) -> None:
        name = f"string {self.a_joint} -> {self.b_joint}"
        if self.kind not in KINDS:
            raise InputError(f"{name}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}.")
        if not 0.0 <= float(self.strength) <= 1.0:
            raise InputError(f"{name}: strength {self.strength} is outside [0, 1].")
        object.__setattr__(self, "strength", float(self.strength))
        if self.lag_frames is not None:
            if int(self.lag_frames) != self.lag_frames or self.lag_frames < 0:
                raise InputError(
                    f"{name}: lag_frames must be a whole number >= 0, got {self.lag_frames}."
                )
            object.__setattr__(self, "lag_frames", int(self.lag_frames))
        if self.spans is not None:
            spans = tuple((float(s), float(e)) for s, e in self.spans)
            for (s, e), nxt in zip(spans, spans[1:] + ((math.inf, math.inf),), strict=True):
                if not (0 <= s < e <= nxt[0]):
                    raise InputError(
                        f"{name}: spans {list(self.spans)} must be sorted, disjoint (start, end) "
                        "seconds with start < end."
                    )
            object.__setattr__(self, "spans", spans)
        if self.offset is not None:
            if self.kind != "follow" or len(self.offset) != 3:
                raise InputError(f"{name}: offset is three numbers and only for 'follow' strings.")
            object.__setattr__(self, "offset", tuple(float(v) for v in self.offset))
        if self.rest_length_m is not None:
            if self.kind != "opposition" or not self.rest_length_m > 0:
                raise InputError(
                    f"{name}: rest_length_m is a positive length, only for 'opposition' strings."
                )
            object.__setattr__(self, "rest_length_m", float(self.rest_length_m))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (spans and offset as lists)."""
        d = asdict(self)
        d["spans"] = None if self.spans is None else [list(s) for s in self.spans]
        d["offset"] = None if self.offset is None else list(self.offset)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlantedString:
        """Inverse of `to_dict`; unknown or missing keys raise InputError."""
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise InputError(f"planted string {d}: unknown keys {sorted(unknown)}.")
        missing = {"a_joint", "b_joint", "kind"} - set(d)
        if missing:
            raise InputError(f"planted string {d}: missing keys {sorted(missing)}.")
        spans = d.get("spans")
        offset = d.get("offset")
        return cls(
            **{
                **d,
                "spans": None if spans is None else tuple(tuple(s) for s in spans),
                "offset": None if offset is None else tuple(offset),
            }
        )


def default_strings() -> tuple[PlantedString, ...]:
    """The built-in strings: the paper's 6-joint setting (pelvis and both wrists per dancer).

    A right_wrist -> B left_wrist follow (lag 0.3 s), A left_wrist -> B right_wrist mirror
    (lag 0.2 s), A pelvis -> B pelvis opposition (lag 0.4 s). Facing each other, A's right and
    B's left hand are on the same side, and B's right hand is A's left hand's mirror partner.
    """
    return (
        PlantedString("right_wrist", "left_wrist", "follow", strength=0.9),
        PlantedString("left_wrist", "right_wrist", "mirror", strength=0.9),
        PlantedString("pelvis", "pelvis", "opposition", strength=0.8),
    )


@dataclass(frozen=True)
class DuetSimConfig:
    """Settings of a synthetic duet.

    Args:
        duration_s: length in seconds.
        fps: frames per second of the output.
        distance_m: distance between the dancers' home positions (A at x = -d/2 facing +x,
            B at x = +d/2 facing -x).
        amplitude: fraction in [0, 1] of each joint's angle range the dancers use.
        max_hz: highest frequency of joint motion.
        wander_m: how far each dancer's root wanders from home, metres.
        turn_rad: how far each dancer turns from facing the partner, radians.
        heights_m: standing heights of A and B.
        strings: planted strings; None: `default_strings()` (lags chosen per kind).
        switch_off: strings without explicit spans are switched off for one staggered quarter of
            the duet each (string i off in quarter 1 + i % 3), so their activity varies in time.
        ramp_s: seconds over which a string ramps in and out at the ends of a span.
    """

    duration_s: float = 60.0
    fps: float = 30.0
    distance_m: float = 1.5
    amplitude: float = 0.8
    max_hz: float = 0.5
    wander_m: float = 0.25
    turn_rad: float = 0.5
    heights_m: tuple[float, float] = (1.75, 1.65)
    strings: tuple[PlantedString, ...] | None = None
    switch_off: bool = False
    ramp_s: float = 0.5

    def __post_init__(self) -> None:
        if not (self.duration_s > 0 and self.fps > 0):
            raise InputError(
                "duet simulation: duration and fps must be positive (e.g. --duration 60 --fps 30)."
            )
        if not (self.distance_m > 0 and min(self.heights_m) > 0):
            raise InputError("duet simulation: distance and heights must be positive metres.")
        if not 0.0 <= self.amplitude <= 1.0:
            raise InputError(f"duet simulation: amplitude {self.amplitude} is outside [0, 1].")
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

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DuetSimConfig:
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"duet simulation settings: unknown keys {sorted(unknown)}.")
        strings = d.get("strings")
        return cls(
            **{
                **d,
                "heights_m": tuple(d.get("heights_m", cls.heights_m)),
                "strings": None
                if strings is None
                else tuple(PlantedString.from_dict(s) for s in strings),
            }
        )


# ---------------------------------------------------------------------- activity over time
def string_activity(strings: list[PlantedString], n_frames: int, fps: float) -> np.ndarray:
    """(T, S) bool ground truth: string s is active at frame t (start_s <= t / fps < end_s)."""
    t = np.arange(n_frames) / fps
    out = np.zeros((n_frames, len(strings)), dtype=bool)
    for i, s in enumerate(strings):
        if s.spans is None:
            out[:, i] = True
        for start, end in s.spans or ():
            out[:, i] |= (t >= start) & (t < end)
    return out


def string_weights(
    strings: list[PlantedString], n_frames: int, fps: float, ramp_s: float
) -> np.ndarray:
    """(T, S) float in [0, 1]: strength times a smooth ramp in and out of each active span.

    A span that starts at the first frame or ends at the last is on there at once (no ramp).
    """
    t = np.arange(n_frames) / fps
    duration = n_frames / fps
    out = np.zeros((n_frames, len(strings)))
    for i, s in enumerate(strings):
        for start, end in s.spans if s.spans is not None else ((0.0, math.inf),):
            ramp = max(min(ramp_s, (end - start) / 2), 1e-9)
            rise = np.clip((t - start) / ramp, 0, 1)
            fall = np.clip((end - t) / ramp, 0, 1)
            if start <= 0:
                rise = np.ones(n_frames)
            if end >= duration:
                fall = np.ones(n_frames)
            w = _smoothstep(rise) * _smoothstep(fall)
            out[:, i] = np.maximum(out[:, i], w * ((t >= start) & (t < end)))
        out[:, i] *= s.strength
    return out


def _smoothstep(x: np.ndarray | float) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x * x * (3 - 2 * x)


# ---------------------------------------------------------------------- JSON
def strings_to_json(strings: list[PlantedString], fps: float | None = None) -> str:
    """Planted strings as JSON text, one string per line; `fps` (of the duet the lags count
    frames of) is recorded if given."""
    head: dict[str, Any] = {"format": STRINGS_FORMAT, "version": 1}
    if fps is not None:
        head["fps"] = float(fps)
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    items = "".join(f"\n    {json.dumps(s.to_dict())}," for s in strings).rstrip(",")
    return "{\n" + "\n".join(lines) + f'\n  "strings": [{items}\n  ]\n}}\n'


def strings_from_json(text: str) -> list[PlantedString]:
    """Inverse of `strings_to_json`; raises InputError on anything else."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"planted strings: not JSON ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("format") != STRINGS_FORMAT:
        raise InputError(f"planted strings: not a {STRINGS_FORMAT} document (no 'format' key).")
    return [PlantedString.from_dict(s) for s in doc.get("strings", [])]


# ---------------------------------------------------------------------- simulation
def resolve_strings(config: DuetSimConfig) -> list[PlantedString]:
    """The config's strings (or the defaults) with lags and spans filled in and joints checked."""
    strings = list(config.strings if config.strings is not None else default_strings())
    end = config.n_frames / config.fps
    out, seen = [], set()
    unspanned = 0
    for s in strings:
        for joint in (s.a_joint, s.b_joint):
            if joint not in SMPL29.joint_names:
                raise InputError(
                    f"string {s.a_joint} -> {s.b_joint}: unknown joint {joint!r}; "
                    f"known: {', '.join(SMPL29.joint_names)}."
                )
        if s.b_joint in seen:
            raise InputError(f"two strings pull B's {s.b_joint}; give each B joint one string.")
        seen.add(s.b_joint)
        lag = s.lag_frames
        if lag == 0:
            log.warning(
                "string %s -> %s has lag 0: B reacts in the same frame, which a model "
                "predicting B's next frame from the past cannot fully use.",
                s.a_joint,
                s.b_joint,
            )
        if lag is None:
            lag = max(1, round(DEFAULT_LAGS_S[s.kind] * config.fps))
        spans = s.spans
        if spans is None:
            if config.switch_off:
                q = 1 + unspanned % 3  # the quarter this string is off in
                spans = tuple(
                    (a, b) for a, b in ((0.0, q * end / 4), ((q + 1) * end / 4, end)) if b > a
                )
            else:
                spans = ((0.0, end),)
            unspanned += 1
        out.append(replace(s, lag_frames=lag, spans=spans))
    return out


def simulate_duet(
    config: DuetSimConfig, rng: np.random.Generator
) -> tuple[Duet, list[PlantedString]]:
    """Simulate a duet with planted strings from A to B.

    Args:
        config: the settings.
        rng: source of all randomness; the same generator state gives the same duet.

    Returns:
        duet: positions (T, 2, 29, 3) float32 metres z up, skeleton "smpl29", dancers
            ("A", "B"); its provenance records the settings, the seed and the generator state.
        strings: the planted strings in config order, every None resolved to the value used.
    """
    seed, rng_state = rng_record(rng)
    strings = resolve_strings(config)
    n, fps, d = config.n_frames, config.fps, config.distance_m
    a, b = two_dancers(config, rng)
    weights = string_weights(strings, n, fps, config.ramp_s)
    homes = np.array([[-d / 2, 0.0], [d / 2, 0.0]])
    # Shallow joints first (pelvis strings move the whole body), so deeper strings hold.
    order = sorted(range(len(strings)), key=lambda i: _depth(SMPL29.index(strings[i].b_joint)))
    for i in order:
        b, strings[i] = _apply_string(a, b, strings[i], weights[:, i], homes, fps)
    duet = synthetic_duet(a, b, fps, {
        "step": "simulate_duet",
        "source": "duetgraph.sim.simulate_duet",
        "config": config.to_dict(),
        "seed": seed,
        "rng_state": rng_state,
        "strings": [s.to_dict() for s in strings],
    })  # fmt: skip
    return duet, strings


def _depth(joint: int) -> int:
    depth = 0
    while PARENTS[joint] >= 0:
        joint, depth = PARENTS[joint], depth + 1
    return depth


def _apply_string(
    a: np.ndarray,
    b: np.ndarray,
    s: PlantedString,
    weight: np.ndarray,
    homes: np.ndarray,
    fps: float,
) -> tuple[np.ndarray, PlantedString]:
    """Pull B's joint toward the string's target; returns new B (T, J, 3) and the resolved string.

    Args:
        a, b: (T, J, 3) dancers A and B (B as moved by the strings applied so far).
        weight: (T,) strength times ramp, in [0, 1].
        homes: (2, 2) home floor positions of A and B.
        fps: frames per second (sets how long an IK limb remembers its bend direction).
    """
    ja, jb = SMPL29.index(s.a_joint), SMPL29.index(s.b_joint)
    n = len(a)
    a_lag = a[np.clip(np.arange(n) - s.lag_frames, 0, n - 1)]  # (T, J, 3) A as it was lag ago
    leader = a_lag[:, ja]
    own = b[:, jb]
    mean_over = weight > 0 if (weight > 0).any() else np.ones(n, dtype=bool)
    planar = jb == 0  # pelvis strings act in the floor plane
    if s.kind == "follow":
        if s.offset is None:
            s = replace(s, offset=tuple((own - leader)[mean_over].mean(axis=0).round(4)))
        target = leader + np.array(s.offset)
    elif s.kind == "mirror":
        if planar:  # the plane halfway between the home positions
            mid, normal = np.broadcast_to(homes.mean(axis=0), (n, 2)), homes[1] - homes[0]
            normal = np.broadcast_to(normal / np.linalg.norm(normal), (n, 2))
        else:  # the plane halfway between A's lagged pelvis and B's pelvis
            pa, pb = a_lag[:, 0, :2], b[:, 0, :2]
            mid = (pa + pb) / 2
            normal = (pb - pa) / np.maximum(np.linalg.norm(pb - pa, axis=-1, keepdims=True), 1e-9)
        target = leader.copy()
        side = np.sum((leader[:, :2] - mid) * normal, axis=-1, keepdims=True)
        target[:, :2] -= 2 * side * normal
    else:  # opposition
        dims = slice(0, 2) if planar else slice(0, 3)
        away = (own - leader)[:, dims]
        dist = np.linalg.norm(away, axis=-1, keepdims=True)
        if s.rest_length_m is None:
            s = replace(s, rest_length_m=round(float(dist[mean_over].mean()), 4))
        target = own.copy()
        target[:, dims] = leader[:, dims] + s.rest_length_m * away / np.maximum(dist, 1e-9)
    out = b.copy()
    if planar:
        on = weight > 0
        out[on, :, :2] += (weight[on, None] * (target - own)[on])[:, None, :2]  # whole body
        return out, s
    two_bone = s.b_joint in _END_JOINTS
    pole_memory = math.exp(-1.0 / (fps * _POLE_TIME_S))
    wanted = own + weight[:, None] * (target - own)
    wanted[:, 2] = np.maximum(wanted[:, 2], _MIN_TARGET_Z)
    for start, stop in _runs(weight > 0):  # IK on each active run of frames
        part = slice(start, stop)
        if two_bone:
            out[part] = two_bone_ik(b[part], jb, wanted[part], pole_memory=pole_memory)
        else:
            out[part] = aim_joint(b[part], jb, wanted[part])
    return out, s


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of True in a (T,) bool mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
