"""The duet-centric frame of each window and the global scale.

For each window, the origin is the mean of both dancers' roots (pelvis) at the anchor frame:

- x, y: always the xy of that mean, so the dancers sit around the origin wherever they are on
  stage (without it, predictions drift to the centre and far-off dancers confuse the model);
- z (`z_origin`): "floor" (default) subtracts the duet's floor height so z is height above the
  floor and stays meaningful across recordings; "keep" leaves z as recorded; "root" subtracts the
  mean root height too (fully centred).

The anchor frame is the last frame the model receives as input (default −1, the window's last
frame: NRI's encoder sees the whole window). When the model forecasts the end of a window from
its beginning, set `anchor_frame` to the last input frame so that the target frames do not
decide the origin.

With `align=True` each window is also turned about the vertical axis through the origin so that
the line from A's root to B's root at the anchor frame points along +x (the heading is then
lost; do not combine with rotation augmentation).

Then positions are divided by `position_scale` and velocities by `velocity_scale`: the
root-mean-square of the centred positions and of the velocities over the training windows
(pooled over windows, frames, nodes and x, y, z). Two scales because velocities are one to two
orders of magnitude smaller than positions; in normalised units x_t − x_{t−1} = v_t ·
velocity_scale / position_scale.

Everything is invertible: `denormalize(normalize(x, origin, angle), origin, angle) == x`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from duetgraph.data.augment import Array, rotate_features
from duetgraph.duet import Duet
from duetgraph.errors import InputError

if TYPE_CHECKING:
    from duetgraph.data.windows import Windows

log = logging.getLogger(__name__)

Z_ORIGINS = ("floor", "keep", "root")
STATS_VERSION = 1


def root_positions(duet: Duet) -> np.ndarray:
    """(T, 2, 3) float32 each dancer's root: the pelvis, else the mid-hip, else the tree root."""
    skel = duet.skeleton_def
    names = skel.joint_names
    if "pelvis" in names:
        return duet.positions[:, :, skel.index("pelvis")].copy()
    if "left_hip" in names and "right_hip" in names:
        hips = duet.positions[:, :, skel.indices(["left_hip", "right_hip"])]
        return hips.mean(axis=2)
    return duet.positions[:, :, skel.parents.index(-1)].copy()


def floor_height(duet: Duet, stop: int | None = None) -> float:
    """The floor's z in metres: the median over frames of the lowest joint of both dancers.

    Robust to jumps and to a few frames lying lower; a recording whose floor tilts or drifts
    gets its typical height.

    Args:
        duet: the duet.
        stop: use only frames [0, stop) — the training part, so held-out frames decide nothing.
    """
    return float(np.median(duet.positions[:stop, ..., 2].min(axis=(1, 2))))


@dataclass(frozen=True)
class Normalizer:
    """Duet-centric frame and global scales (see the module docstring).

    Args:
        position_scale: metres per normalised position unit (> 0).
        velocity_scale: metres per frame per normalised velocity unit (> 0).
        anchor_frame: window frame whose roots define the origin (negative counts from the end).
        z_origin: "floor", "keep" or "root".
        align: turn each window so that A→B at the anchor frame points along +x.
    """

    position_scale: float = 1.0
    velocity_scale: float = 1.0
    anchor_frame: int = -1
    z_origin: str = "floor"
    align: bool = False

    def __post_init__(self) -> None:
        if self.z_origin not in Z_ORIGINS:
            raise InputError(
                f"z origin {self.z_origin!r} is unknown; use one of {', '.join(Z_ORIGINS)}."
            )
        if not (self.position_scale > 0 and self.velocity_scale > 0):
            raise InputError(
                f"normalisation scales must be positive, got position {self.position_scale} and "
                f"velocity {self.velocity_scale}."
            )

    def window_frames(
        self, windows: Windows, indices: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each window's origin and heading.

        Returns:
            origin (B, 3) float32 metres (x, y of the mean root at the anchor frame; z per
            `z_origin`) and angle (B,) float64 radians by which the window is turned
            (0 unless `align`).
        """
        roots = windows.anchor_roots(self.anchor_frame, indices)  # (B, 2, 3)
        origin = roots.mean(axis=1)
        if self.z_origin == "floor":
            origin[:, 2] = windows.floor
        elif self.z_origin == "keep":
            origin[:, 2] = 0.0
        if self.align:
            a_to_b = roots[:, 1, :2] - roots[:, 0, :2]
            angle = -np.arctan2(a_to_b[:, 1], a_to_b[:, 0]).astype(np.float64)
        else:
            angle = np.zeros(len(origin))
        return origin.astype(np.float32), angle

    def normalize(self, features: Array, origin: Array, angle: Array) -> Array:
        """Metric features → normalised features.

        Args:
            features: (B, ..., 6) x, y, z, vx, vy, vz in metres and metres per frame.
            origin: (B, 3) metres, from `window_frames`.
            angle: (B,) radians, from `window_frames`.

        Returns:
            (B, ..., 6) same kind and dtype: rotate((p − origin), angle) / position_scale,
            rotate(v, angle) / velocity_scale.
        """
        shifted = features - _origin_shift(origin, features)
        turned = shifted if _all_zero(angle) else rotate_features(shifted, angle)
        return turned / self._scales(features)

    def denormalize(self, x: Array, origin: Array, angle: Array) -> Array:
        """Inverse of `normalize`: (B, ..., 6) normalised → metres and metres per frame."""
        scaled = x * self._scales(x)
        turned = scaled if _all_zero(angle) else rotate_features(scaled, -_as_like(angle, x, True))
        return turned + _origin_shift(origin, x)

    def normalize_windows(
        self, windows: Windows, indices: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(normalised features (B, L, N, 6) float32, origin (B, 3), angle (B,)) of some windows."""
        idx = np.arange(windows.n_windows) if indices is None else np.asarray(indices)
        origin, angle = self.window_frames(windows, idx)
        return self.normalize(windows.take(idx), origin, angle), origin, angle

    def _scales(self, like: Array) -> Array:
        s = [self.position_scale] * 3 + [self.velocity_scale] * 3
        if isinstance(like, torch.Tensor):
            return torch.tensor(s, dtype=like.dtype, device=like.device)
        return np.array(s, dtype=like.dtype)

    # ------------------------------------------------------------------ checkpoints
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of floats, ints, str and bool (torch.load(weights_only=True) safe)."""
        return {"version": STATS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalizer:
        """Inverse of `to_dict`; unknown or missing keys raise InputError."""
        expected = {
            "version",
            "position_scale",
            "velocity_scale",
            "anchor_frame",
            "z_origin",
            "align",
        }
        if set(d) != expected:
            raise InputError(
                f"normalisation stats have keys {sorted(d)}, expected {sorted(expected)}; was the "
                "checkpoint written by another duetgraph version?"
            )
        if d["version"] != STATS_VERSION:
            raise InputError(
                f"normalisation stats version {d['version']} is not {STATS_VERSION}; retrain or "
                "upgrade duetgraph."
            )
        return cls(
            position_scale=float(d["position_scale"]),
            velocity_scale=float(d["velocity_scale"]),
            anchor_frame=int(d["anchor_frame"]),
            z_origin=str(d["z_origin"]),
            align=bool(d["align"]),
        )


def fit_normalizer(
    windows: Windows | Sequence[Windows],
    anchor_frame: int = -1,
    z_origin: str = "floor",
    align: bool = False,
) -> Normalizer:
    """Fit the global scales on training windows (of one duet or several).

    The scales are the RMS of the centred positions and of the velocities over every window,
    frame, node and axis (a frame in k overlapping windows counts k times). Turning about the
    vertical axis keeps x² + y², so `align` does not change them. The sums are taken per window
    from cumulative sums over frames: O(T·N) time and memory, whatever the number of windows.

    Args:
        windows: the training windows only (never validation: the scale is part of the model).
        anchor_frame, z_origin, align: the frame settings (see `Normalizer`).

    Returns:
        A Normalizer with the fitted scales. A scale that comes out 0 (a motionless duet) is
        replaced by 1 with a warning.
    """
    parts = [windows] if not isinstance(windows, Sequence) else list(windows)
    unit = Normalizer(anchor_frame=anchor_frame, z_origin=z_origin)
    pos_ss = vel_ss = 0.0
    count = 0
    for part in parts:
        if part.n_windows == 0:
            continue
        origin = unit.window_frames(part)[0].astype(np.float64)  # (W, 3)
        pos = part.frames[..., :3].astype(np.float64)  # (T, N, 3)
        vel = part.frames[..., 3:].astype(np.float64)
        n_nodes, length = pos.shape[1], part.length
        # Σ over a window of |p − o|² = Σ |p|² − 2 o · Σ p + L·N·|o|².
        sq = _window_sums(np.square(pos).sum(axis=(1, 2)), part.starts, length)  # (W,)
        total = _window_sums(pos.sum(axis=1), part.starts, length)  # (W, 3)
        norm_o = (origin * origin).sum(-1)
        pos_ss += float(np.sum(sq - 2 * (origin * total).sum(-1) + length * n_nodes * norm_o))
        vel_ss += float(_window_sums(np.square(vel).sum(axis=(1, 2)), part.starts, length).sum())
        count += part.n_windows * length * n_nodes * 3
    if count == 0:
        raise InputError("there are no training windows to fit the normalisation on.")
    scales = np.sqrt(np.array([pos_ss, vel_ss]) / count)
    for name, value in zip(("position", "velocity"), scales, strict=True):
        if not value > 1e-9:
            log.warning("the %s scale of the training windows is %g; using 1 instead", name, value)
    scales = np.where(scales > 1e-9, scales, 1.0)
    return Normalizer(float(scales[0]), float(scales[1]), anchor_frame, z_origin, align)


def _window_sums(per_frame: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Σ over each window's frames of a per-frame quantity: (T, ...) → (W, ...), via cumsum."""
    cumulative = np.concatenate([np.zeros((1,) + per_frame.shape[1:]), np.cumsum(per_frame, 0)])
    return cumulative[starts + length] - cumulative[starts]


def _all_zero(angle: Array) -> bool:
    if isinstance(angle, torch.Tensor):
        return not bool(angle.any())
    return not np.any(angle)


def _as_like(a: Array, like: Array, float64: bool = False) -> Array:
    if isinstance(like, torch.Tensor):
        dtype = torch.float64 if float64 else like.dtype
        return torch.as_tensor(a, dtype=dtype, device=like.device)
    return np.asarray(a, dtype=np.float64 if float64 else like.dtype)


def _origin_shift(origin: Array, like: Array) -> Array:
    """(B, 3) origin → (B, 1, …, 1, 6) shift of the positions only (velocities do not move)."""
    origin = _as_like(origin, like)
    lead = (-1,) + (1,) * (like.ndim - 2)
    if isinstance(origin, torch.Tensor):
        return torch.cat([origin, torch.zeros_like(origin)], dim=-1).reshape(lead + (6,))
    return np.concatenate([origin, np.zeros_like(origin)], axis=-1).reshape(lead + (6,))
