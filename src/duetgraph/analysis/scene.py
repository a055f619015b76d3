"""Scene facts from positions: facing, distance, contact, level (tension of a joint pair:
`analysis.tension`; lost axes: `analysis.lost_axes`).

All functions read a `Duet` (positions (T, 2, J, 3), metres, right-handed, z up) and are
vectorised over frames. Conventions, repeated in every report header:

- **Clock face.** A clock painted on the stage floor, read from above. 12 o'clock = facing the
  audience = the stage front = world **−y**. (Data converted from camera axes by
  `duetgraph.io.axes.camera_to_zup` has the camera looking along +y, so −y points at the camera.)
  Hours run clockwise seen from above: 3 o'clock = world −x (the dancer's right when facing front,
  i.e. stage right), 6 o'clock = +y (upstage), 9 o'clock = +x (stage left). Another front can be
  given as a horizontal vector.
- **Facing.** The horizontal direction up × (left→right), where left→right is the mean of the
  unit horizontal left_hip→right_hip and left_shoulder→right_shoulder vectors. Over an interval
  the facing is the circular mean; if the frames disagree (mean resultant length < 0.5, e.g.
  during a turn) it is "unclear".
- **Distance.** Pelvis to pelvis (mid-hips where a skeleton has no pelvis), 3D, metres.
- **Contact.** Two end sites (head, left/right hand, left/right foot; each the set of skeleton
  joints named in `CONTACT_SITES`) touch when their nearest joints are within `contact_distance`
  (default 0.08 m: joint centres sit inside the limb, so touching wrists are ≈5–7 cm apart) for at
  least half of an interval's frames.
- **Level.** Pelvis height above the floor divided by the dancer's standing pelvis height,
  estimated from their own bones as `STANDING_PELVIS_PER_LEG` × leg length (thigh + shin of the
  longer leg, 90th percentile over frames: extractors foreshorten bones that point along the
  camera's depth, never lengthen them). Standing ≈ 1.0, lunge (front thigh 25° below horizontal
  to horizontal) ≈ 0.55–0.75, squat with the pelvis at knee height or upright kneeling ≈ 0.45–0.55,
  deep squat ≈ 0.3, sitting or lying < 0.2. high >= 0.8 > middle >= 0.4 > low. The floor is the
  1st percentile over frames of the lowest joint of either dancer, unless given.
- **Lost axes.** A world axis is lost when its coordinate spreads less than `LOST_AXIS_TOLERANCE`
  over all frames and joints of both dancers (a 2D or flattened extractor output), or when the
  two pelvises never differ along it by more than that tolerance although the pelvises travel
  (> `TRAVEL_DISTANCE`) or coincide (pelvis-centred poses, placement lost along that axis). With
  any axis lost no distance or contact is claimed (both need all three axes); with z lost no
  level; with a horizontal coordinate constant no facing.
- **Tension / release.** For a joint pair, d(t) = |p_b − p_a|; its rate d'(t) (m/s, central
  differences) > dead band = moving apart = tension, < −dead band = moving toward = release,
  otherwise steady. Over an interval the most frequent label wins (ties: steady).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from duetgraph.analysis.lost_axes import (  # noqa: F401  (geometry_warnings: also as scene's)
    LOST_AXIS_TOLERANCE,
    geometry_warnings,
    lost_axes,
    pinned_axes,
)
from duetgraph.duet import Duet

FRONT = (0.0, -1.0)
CONTACT_DISTANCE = 0.08  # metres between joint centres
LOW_LEVEL, HIGH_LEVEL = 0.4, 0.8  # pelvis height / standing pelvis height
# Standing pelvis height above the floor joints / (thigh + shin): SMPL rest pose 1.18 (toe joints
# as floor), the tests' stick figure 1.16, skeletons without toes (ankles as floor) about 1.1.
STANDING_PELVIS_PER_LEG = 1.15
DEAD_BAND = 0.05  # m/s of |p_b - p_a|: slower changes of a string's length are "steady"
LEVEL_NAMES = ("low", "middle", "high")
CONTACT_SITES: dict[str, tuple[str, ...]] = {
    "head": ("head", "jaw", "nose", "left_eye", "right_eye", "left_ear", "right_ear"),
    "left hand": ("left_wrist", "left_thumb", "left_middle", "left_hand", "left_index"),
    "right hand": ("right_wrist", "right_thumb", "right_middle", "right_hand", "right_index"),
    "left foot": ("left_ankle", "left_foot", "left_bigtoe", "left_heel", "left_foot_index"),
    "right foot": ("right_ankle", "right_foot", "right_bigtoe", "right_heel", "right_foot_index"),
}
_PLURAL = {"head": "heads", "left hand": "left hands", "right hand": "right hands",
           "left foot": "left feet", "right foot": "right feet"}  # fmt: skip


# ---------------------------------------------------------------------- intervals of frames
def moments(duration: float, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive intervals of `step` seconds covering [0, duration); the last may be shorter.

    Returns:
        starts, ends: (M,) seconds.
    """
    starts = np.arange(0.0, duration, step)
    ends = np.minimum(starts + step, duration)
    keep = ends - starts > 1e-9
    return starts[keep], ends[keep]


def interval_frames(
    starts: np.ndarray, ends: np.ndarray, fps: float, n_frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """Frames f0..f1-1 whose time f/fps lies in [start, end), at least one frame each.

    Args:
        starts, ends: (M,) seconds.

    Returns:
        f0, f1: (M,) int64 with 0 <= f0 < f1 <= n_frames (an interval shorter than a frame, or
        past the end, takes its nearest frame).
    """
    f0 = np.ceil(np.asarray(starts, dtype=np.float64) * fps - 1e-6).astype(np.int64)
    f1 = np.ceil(np.asarray(ends, dtype=np.float64) * fps - 1e-6).astype(np.int64)
    f0 = np.clip(f0, 0, n_frames - 1)
    f1 = np.clip(np.maximum(f1, f0 + 1), 1, n_frames)
    return f0, f1


def interval_sums(
    x: np.ndarray, f0: np.ndarray, f1: np.ndarray, columns: np.ndarray | None = None
) -> np.ndarray:
    """Sum x over frames f0..f1-1 for every interval, via one cumulative sum.

    Args:
        x: (T, ...) values per frame; booleans are counted in int32.
        f0, f1: (M,) frame bounds.
        columns: optional (M,) column of x (T, C) to sum for each interval.

    Returns:
        (M, ...) sums, or (M,) with `columns`.
    """
    x = np.asarray(x)
    cum = np.cumsum(x, axis=0, dtype=np.int32 if x.dtype == bool else np.float64)
    cum = np.concatenate([np.zeros((1, *x.shape[1:]), dtype=cum.dtype), cum])  # (T+1, ...)
    if columns is None:
        return cum[f1] - cum[f0]
    return cum[f1, columns] - cum[f0, columns]


# ---------------------------------------------------------------------- per-frame facts
def _joint(duet: Duet, *names: str) -> int | None:
    """Index of the first of `names` that the duet's skeleton has, else None."""
    joints = duet.skeleton_def.joint_names
    return next((joints.index(n) for n in names if n in joints), None)


def pelvis_positions(duet: Duet) -> np.ndarray:
    """(T, 2, 3) pelvis of each dancer (mid-hips if the skeleton has no pelvis), metres."""
    pelvis = _joint(duet, "pelvis")
    if pelvis is not None:
        return duet.positions[:, :, pelvis].astype(np.float64)
    hips = [_joint(duet, "left_hip"), _joint(duet, "right_hip")]
    return duet.positions[:, :, hips].astype(np.float64).mean(axis=2)


def pelvis_distance(duet: Duet) -> np.ndarray:
    """(T,) pelvis-to-pelvis distance between the dancers, metres."""
    pelvis = pelvis_positions(duet)
    return np.linalg.norm(pelvis[:, 1] - pelvis[:, 0], axis=-1)


def facing_vectors(duet: Duet) -> np.ndarray:
    """(T, 2, 2) unit horizontal facing (x, y) per dancer; NaN where the body frame is flat.

    Facing = up × (left→right): with left→right along +x, the dancer faces +y.
    """
    right = np.zeros((duet.n_frames, 2, 2))
    for left_name, right_name in (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")):
        left_j, right_j = _joint(duet, left_name), _joint(duet, right_name)
        if left_j is None or right_j is None:
            continue
        across = (duet.positions[:, :, right_j, :2] - duet.positions[:, :, left_j, :2]).astype(
            np.float64
        )
        length = np.linalg.norm(across, axis=-1, keepdims=True)
        right += np.divide(across, length, out=np.zeros_like(across), where=length > 1e-6)
    # z × (rx, ry, 0) = (−ry, rx, 0)
    facing = np.stack([-right[..., 1], right[..., 0]], axis=-1)
    length = np.linalg.norm(facing, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 1e-6, facing / length, np.nan)


def clock_angle(vectors: np.ndarray, front: tuple[float, float] = FRONT) -> np.ndarray:
    """Degrees clockwise (seen from above) from `front` to each horizontal vector, in [0, 360).

    Args:
        vectors: (..., 2) horizontal (x, y) directions; NaN stays NaN.
        front: the 12 o'clock direction (default world −y, the audience).
    """
    fx, fy = np.asarray(front, dtype=np.float64) / np.hypot(*front)
    x, y = vectors[..., 0], vectors[..., 1]
    counter_clockwise = np.arctan2(fx * y - fy * x, fx * x + fy * y)
    return np.mod(-np.degrees(counter_clockwise), 360.0)


def clock_hour(degrees: np.ndarray) -> np.ndarray:
    """Clock hour 1..12 nearest to `degrees` clockwise from 12 o'clock; 0 where NaN."""
    degrees = np.asarray(degrees, dtype=np.float64)
    hour = np.mod(np.rint(np.nan_to_num(degrees) / 30.0), 12).astype(np.int64)
    return np.where(np.isnan(degrees), 0, np.where(hour == 0, 12, hour))


def contact_sites(duet: Duet) -> dict[str, list[int]]:
    """Site name → joint indices of the duet's skeleton (sites with no joint left out)."""
    joints = duet.skeleton_def.joint_names
    sites = {
        name: [joints.index(j) for j in members if j in joints]
        for name, members in CONTACT_SITES.items()
    }
    return {name: idx for name, idx in sites.items() if idx}


def contact_distances(duet: Duet) -> tuple[np.ndarray, tuple[tuple[str, str], ...]]:
    """Nearest distance between every site of A and every site of B.

    Returns:
        distances: (T, C) metres, C = (number of sites)²; pairs: (C,) (site of A, site of B).
    """
    sites = contact_sites(duet)
    pairs, columns = [], []
    for site_a, joints_a in sites.items():
        a = duet.positions[:, 0, joints_a].astype(np.float64)  # (T, Ja, 3)
        for site_b, joints_b in sites.items():
            b = duet.positions[:, 1, joints_b].astype(np.float64)  # (T, Jb, 3)
            gap = np.linalg.norm(a[:, :, None] - b[:, None], axis=-1)  # (T, Ja, Jb)
            columns.append(gap.min(axis=(1, 2)))
            pairs.append((site_a, site_b))
    distances = np.stack(columns, axis=1) if columns else np.zeros((duet.n_frames, 0))
    return distances, tuple(pairs)


def leg_length(duet: Duet) -> np.ndarray:
    """(2,) each dancer's leg length, metres: thigh + shin (hip→knee→ankle) of the longer leg in
    each frame, 90th percentile over frames; NaN where the skeleton lacks hips, knees or ankles.

    The longer leg and a high percentile, not a median: monocular extractors shorten bones that
    point along the camera's depth (a lunge toward the audience), and never lengthen them.
    """
    pos = duet.positions.astype(np.float64)
    legs = []
    for side in ("left", "right"):
        hip, knee, ankle = (_joint(duet, f"{side}_{part}") for part in ("hip", "knee", "ankle"))
        if None in (hip, knee, ankle):
            continue
        thigh = np.linalg.norm(pos[:, :, hip] - pos[:, :, knee], axis=-1)
        shin = np.linalg.norm(pos[:, :, knee] - pos[:, :, ankle], axis=-1)
        legs.append(thigh + shin)  # (T, 2)
    if not legs:
        return np.full(2, np.nan)
    return np.percentile(np.max(legs, axis=0), 90, axis=0)


def pelvis_height_ratio(duet: Duet, floor_z: float | None = None) -> np.ndarray:
    """(T, 2) pelvis height above the floor / each dancer's standing pelvis height (NaN if unknown).

    The standing pelvis height is `STANDING_PELVIS_PER_LEG` × `leg_length`: standing reads ≈ 1.0
    whatever the dancer does in the clip (a maximum of the observed pelvis height would not: a
    jump would lower every other frame, a clip without standing would raise them).

    Args:
        floor_z: floor height in metres; default: 1st percentile over frames of the lowest joint
            of either dancer.
    """
    pos = duet.positions.astype(np.float64)
    if floor_z is None:
        floor_z = float(np.percentile(pos[..., 2].min(axis=(1, 2)), 1))
    standing = STANDING_PELVIS_PER_LEG * leg_length(duet)  # (2,)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pelvis_positions(duet)[..., 2] - floor_z) / np.where(
            standing > 1e-6, standing, np.nan
        )


def level_codes(ratio: np.ndarray, low: float = LOW_LEVEL, high: float = HIGH_LEVEL) -> np.ndarray:
    """Level per entry of `ratio`: 0 low (< low), 1 middle, 2 high (>= high), -1 where NaN."""
    codes = np.where(ratio >= high, 2, np.where(ratio >= low, 1, 0)).astype(np.int8)
    return np.where(np.isnan(ratio), np.int8(-1), codes)


# ---------------------------------------------------------------------- facts per interval
@dataclass(frozen=True)
class SceneFacts:
    """Scene facts for M time intervals (see the module docstring for every convention).

    Arrays:
        start, end: (M,) seconds.
        facing_deg: (M, 2) degrees clockwise from the front, NaN where unclear.
        facing_hour: (M, 2) int 1..12, 0 where unclear.
        distance: (M,) mean pelvis-to-pelvis distance, metres.
        height_ratio: (M, 2) mean pelvis height / leg length.
        level: (M, 2) int8 0 low, 1 middle, 2 high, -1 unknown.
        contact_pairs: (C,) (site of A, site of B).
        contact_fraction: (M, C) share of the interval's frames with the sites within reach.
        contact: (M, C) bool, contact_fraction >= 0.5.
        lost_axes: axes whose coordinate is constant over the duet (`lost_axes`).
        pinned_axes: axes along which the pelvises never differ (`pinned_axes`).

    Facts that a lost or pinned axis takes away are marked unknown: distance and
    contact_fraction NaN and contact False with any axis gone, height_ratio NaN and level -1 with
    z gone, facing NaN / 0 with a horizontal coordinate constant.
    """

    start: np.ndarray
    end: np.ndarray
    facing_deg: np.ndarray
    facing_hour: np.ndarray
    distance: np.ndarray
    height_ratio: np.ndarray
    level: np.ndarray
    contact_pairs: tuple[tuple[str, str], ...]
    contact_fraction: np.ndarray
    contact: np.ndarray
    lost_axes: tuple[str, ...] = ()
    pinned_axes: tuple[str, ...] = ()

    @property
    def claims_distance(self) -> bool:
        """False when an axis is lost or pinned: distance and contact need all three axes."""
        return not (self.lost_axes or self.pinned_axes)

    @property
    def claims_level(self) -> bool:
        """False when height (z) is lost or pinned."""
        return "z" not in self.lost_axes + self.pinned_axes

    @property
    def claims_facing(self) -> bool:
        """False when a horizontal coordinate is constant."""
        return not {"x", "y"} & set(self.lost_axes)

    def contacts_at(self, m: int) -> list[tuple[str, str]]:
        """The (site of A, site of B) pairs in contact during interval m."""
        return [self.contact_pairs[c] for c in np.nonzero(self.contact[m])[0]]


def scene_facts(
    duet: Duet,
    starts: np.ndarray,
    ends: np.ndarray,
    front: tuple[float, float] = FRONT,
    contact_distance: float = CONTACT_DISTANCE,
    low_level: float = LOW_LEVEL,
    high_level: float = HIGH_LEVEL,
    floor_z: float | None = None,
    tolerance: float = LOST_AXIS_TOLERANCE,
) -> SceneFacts:
    """Facing, distance, level and contacts for each interval [starts[m], ends[m]) seconds.

    Facts that lost axes take away are marked unknown (see `SceneFacts`); `tolerance` is the
    spread in metres below which an axis counts as lost (see `lost_axes`, `pinned_axes`).
    """
    lost, pinned = lost_axes(duet, tolerance), pinned_axes(duet, tolerance)
    f0, f1 = interval_frames(starts, ends, duet.fps, duet.n_frames)
    n = (f1 - f0).astype(np.float64)  # (M,) frames per interval, >= 1

    facing = facing_vectors(duet)  # (T, 2, 2)
    valid = ~np.isnan(facing[..., 0])  # (T, 2)
    summed = interval_sums(np.nan_to_num(facing), f0, f1)  # (M, 2, 2)
    n_valid = interval_sums(valid, f0, f1)  # (M, 2)
    resultant = np.linalg.norm(summed, axis=-1) / np.maximum(n_valid, 1)
    mean_dir = np.where((resultant >= 0.5)[..., None], summed, np.nan)
    facing_deg = clock_angle(mean_dir, front)

    ratio = pelvis_height_ratio(duet, floor_z)  # (T, 2)
    n_ratio = interval_sums(~np.isnan(ratio), f0, f1)  # (M, 2) frames with a known level
    mean_ratio = interval_sums(np.nan_to_num(ratio), f0, f1) / np.where(
        n_ratio > 0, n_ratio, np.nan
    )

    distances, pairs = contact_distances(duet)
    fraction = interval_sums(distances <= contact_distance, f0, f1) / n[:, None]
    distance = interval_sums(pelvis_distance(duet), f0, f1) / n
    facts = SceneFacts(
        start=np.asarray(starts, dtype=np.float64),
        end=np.asarray(ends, dtype=np.float64),
        facing_deg=facing_deg,
        facing_hour=clock_hour(facing_deg),
        distance=distance,
        height_ratio=mean_ratio,
        level=level_codes(mean_ratio, low_level, high_level),
        contact_pairs=pairs,
        contact_fraction=fraction,
        contact=fraction >= 0.5,
        lost_axes=lost,
        pinned_axes=pinned,
    )
    unknown = {}
    if not facts.claims_distance:
        unknown.update(
            distance=np.full_like(distance, np.nan),
            contact_fraction=np.full_like(fraction, np.nan),
            contact=np.zeros(fraction.shape, dtype=bool),
        )
    if not facts.claims_level:
        unknown.update(
            height_ratio=np.full_like(mean_ratio, np.nan),
            level=np.full(mean_ratio.shape, -1, dtype=np.int8),
        )
    if not facts.claims_facing:
        unknown.update(
            facing_deg=np.full_like(facing_deg, np.nan),
            facing_hour=np.zeros(facing_deg.shape, dtype=np.int64),
        )
    return replace(facts, **unknown)


def contact_phrase(site_a: str, site_b: str, dancers: tuple[str, str] = ("A", "B")) -> str:
    """Plain words for one contact: "right hands in contact", "A left hand touches B head"."""
    if site_a == site_b:
        return f"{_PLURAL.get(site_a, site_a + 's')} in contact"
    return f"{dancers[0]} {site_a} touches {dancers[1]} {site_b}"


def conventions(
    front: tuple[float, float] = FRONT,
    contact_distance: float = CONTACT_DISTANCE,
    low_level: float = LOW_LEVEL,
    high_level: float = HIGH_LEVEL,
    dead_band: float = DEAD_BAND,
) -> dict[str, str]:
    """The conventions of this module in plain words, keyed by fact (for report headers)."""
    if tuple(front) == FRONT:
        clock = (
            "12 o'clock = facing the audience (the stage front, world -y; toward the camera for "
            "camera-derived poses). Hours run clockwise seen from above: 3 o'clock = the dancer's "
            "right when facing front (world -x, stage right), 6 o'clock = upstage (+y), "
            "9 o'clock = stage left (+x)."
        )
    else:
        clock = (
            f"12 o'clock = facing the stage front, world direction ({front[0]:g}, {front[1]:g}). "
            "Hours run clockwise seen from above (3 o'clock is the dancer's right when facing "
            "front)."
        )
    return {
        "clock_face": clock,
        "facing": "the horizontal direction perpendicular to the hip and shoulder lines "
        "(up x left->right); 'unclear' when it turns by much within a moment.",
        "distance": "pelvis to pelvis, metres, averaged over the moment.",
        "contact": f"hands, feet or heads of the two dancers whose nearest joints are within "
        f"{contact_distance:.2f} m for at least half of the moment.",
        "level": f"pelvis height above the floor (the lowest joints) / the dancer's standing "
        f"pelvis height ({STANDING_PELVIS_PER_LEG:g} x leg length hip->knee->ankle, longer leg, "
        f"90th percentile over the clip): high >= {high_level:g}, middle >= {low_level:g}, low "
        "below (standing is about 1.0, a lunge 0.55-0.75, a squat to knee height about 0.45).",
        "tension": f"tension = the string's two joints move apart (their distance grows faster "
        f"than {dead_band:g} m/s), release = they move toward each other, steady = neither; the "
        "most frequent label over the moment.",
    }
