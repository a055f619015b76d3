"""NRI physics simulations (springs, charged) as model-ready tensors.

The simulators write NRI's file layout (`duetgraph.sim.nri_format`): positions and velocities
`(S, T, 2, n)` and interaction matrices `(S, n, n)` per split. This module turns them into the
canonical model layout `(S, T, N, F)` with F = (x, y, vx, vy), normalised exactly like NRI
(Kipf et al. 2018, `load_data`): positions and velocities are each mapped from the *train* split's
[min, max] to [-1, 1] with one scalar pair per quantity. The train statistics are kept
(`PhysicsNormalisation`) and stored with every checkpoint, so valid, test and inference use the
same mapping.

Edge labels follow NRI: an interaction matrix entry `> 0` is type 1, anything else type 0
(springs: spring / no spring; charged: same sign / opposite sign). Latent edge (send, recv) takes
the entry `edges[recv, send]` (the force on the receiver from the sender; the simulated matrices
are symmetric, so the order only matters for asymmetric data).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from duetgraph.errors import InputError

SPLITS = ("train", "valid", "test")
N_FEATURES = 4  # x, y, vx, vy
Array = np.ndarray | torch.Tensor


@dataclass(frozen=True)
class PhysicsDataConfig:
    """Which simulation files to train on.

    Args:
        system: file-name suffix of the data set, e.g. "springs5" or "charged5".
        max_train_sims: use only the first N train simulations (0: all).
        max_valid_sims: use only the first N valid simulations (0: all).
    """

    system: str = ""
    max_train_sims: int = 0
    max_valid_sims: int = 0

    def __post_init__(self) -> None:
        if self.max_train_sims < 0 or self.max_valid_sims < 0:
            raise InputError("max_train_sims and max_valid_sims must be >= 0 (0: all).")


@dataclass(frozen=True)
class PhysicsNormalisation:
    """Scalar min/max of the train split's positions and velocities (simulation units)."""

    loc_min: float
    loc_max: float
    vel_min: float
    vel_max: float

    def __post_init__(self) -> None:
        for name in ("loc", "vel"):
            lo, hi = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise InputError(
                    f"physics normalisation: {name} range [{lo}, {hi}] is empty or not finite; "
                    "the train split must hold moving objects."
                )

    @classmethod
    def from_train(cls, loc: np.ndarray, vel: np.ndarray) -> PhysicsNormalisation:
        """Statistics of the train split's `loc`, `vel` arrays (any shape)."""
        return cls(float(loc.min()), float(loc.max()), float(vel.min()), float(vel.max()))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> PhysicsNormalisation:
        missing = {"loc_min", "loc_max", "vel_min", "vel_max"} - set(d)
        if missing:
            raise InputError(f"physics normalisation: missing keys {sorted(missing)}.")
        return cls(**{k: float(d[k]) for k in ("loc_min", "loc_max", "vel_min", "vel_max")})


def _to_unit_range(a: Array, lo: float, hi: float) -> Array:
    return (a - lo) * 2.0 / (hi - lo) - 1.0


def _from_unit_range(a: Array, lo: float, hi: float) -> Array:
    return (a + 1.0) * (hi - lo) / 2.0 + lo


def physics_features(loc: np.ndarray, vel: np.ndarray, stats: PhysicsNormalisation) -> np.ndarray:
    """NRI arrays → normalised node features.

    Args:
        loc: (S, T, 2, N) positions, simulation units.
        vel: (S, T, 2, N) velocities, simulation units.
        stats: the train split's normalisation.

    Returns:
        (S, T, N, 4) float32: (x, y, vx, vy), each quantity mapped from the train range to [-1, 1].
    """
    if loc.shape != vel.shape or loc.ndim != 4 or loc.shape[2] != 2:
        raise InputError(
            f"physics arrays: expected loc and vel of shape (S, T, 2, N), got {loc.shape} and "
            f"{vel.shape}."
        )
    loc_n = _to_unit_range(loc, stats.loc_min, stats.loc_max)
    vel_n = _to_unit_range(vel, stats.vel_min, stats.vel_max)
    # (S, T, 2, N) → (S, T, N, 2), then features (x, y, vx, vy) on the last axis.
    feats = np.concatenate([loc_n.transpose(0, 1, 3, 2), vel_n.transpose(0, 1, 3, 2)], axis=-1)
    return feats.astype(np.float32)


# The symmetries of a square box centred on the origin (NRI's walls at ±5, or no walls): the
# dihedral group of order 8 — rotations by 0°, 90°, 180°, 270°, each with and without a mirror —
# as 2×2 matrices acting on (x, y). The physics, walls included, is unchanged by each of them,
# so the true interaction graph of a turned or mirrored simulation is the same graph.
SQUARE_SYMMETRIES: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = tuple(
    ((c, -s * m), (s, c * m)) for c, s in ((1, 0), (0, 1), (-1, 0), (0, -1)) for m in (1, -1)
)


def transform_features(
    features: torch.Tensor,
    matrix: Sequence[Sequence[float]],
    stats: PhysicsNormalisation,
) -> torch.Tensor:
    """Turn or mirror normalised physics features about the simulation's origin.

    The features are mapped back to simulation units, positions and velocities are multiplied by
    `matrix`, and the result is normalised again, so the transform is exact even where the train
    range is not centred on zero.

    Args:
        features: (..., 4) normalised (x, y, vx, vy).
        matrix: 2×2, e.g. one of `SQUARE_SYMMETRIES`.
        stats: the normalisation the features were made with.

    Returns:
        (..., 4) features of the transformed motion, same dtype and device.
    """
    m = torch.as_tensor(matrix, dtype=torch.float64, device=features.device)
    if m.shape != (2, 2):
        raise ValueError(f"matrix must be 2×2, got shape {tuple(m.shape)}")
    if features.shape[-1] != N_FEATURES:
        raise ValueError(f"features must end in (x, y, vx, vy), got shape {tuple(features.shape)}")
    out = []
    for k, (lo, hi) in enumerate(((stats.loc_min, stats.loc_max), (stats.vel_min, stats.vel_max))):
        xy = _from_unit_range(features[..., 2 * k : 2 * k + 2].double(), lo, hi)
        out.append(_to_unit_range(xy @ m.T, lo, hi))
    return torch.cat(out, dim=-1).to(features.dtype)


def box_symmetries(
    stats: PhysicsNormalisation,
) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """The 8 `SQUARE_SYMMETRIES` as transforms of features normalised with `stats`."""
    return [partial(transform_features, matrix=m, stats=stats) for m in SQUARE_SYMMETRIES]


def edge_labels(edges: np.ndarray, latent_edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Interaction matrices → one integer label per latent edge.

    Args:
        edges: (S, N, N) interaction matrices as the simulators write them (springs 0/1,
            charged ±1 products of charges).
        latent_edges: E ordered (send, recv) pairs.

    Returns:
        (S, E) int64: 1 where `edges[s, recv, send] > 0`, else 0 (NRI's `(e + 1) / 2` mapping).
    """
    if edges.ndim != 3 or edges.shape[1] != edges.shape[2]:
        raise InputError(f"physics edges: expected shape (S, N, N), got {edges.shape}.")
    pairs = np.asarray(latent_edges, dtype=np.int64).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= edges.shape[1]):
        raise InputError(f"physics edges: latent edges name nodes outside 0..{edges.shape[1] - 1}.")
    send, recv = pairs[:, 0], pairs[:, 1]
    return (edges[:, recv, send] > 0).astype(np.int64)


@dataclass(frozen=True)
class PhysicsSplit:
    """One split as tensors.

    Attributes:
        features: (S, T, N, 4) float32, normalised (x, y, vx, vy).
        edge_types: (S, N, N) int64 true type of each interaction, `edge_types[s, i, j]` for the
            force on i from j (1 where the simulator's matrix is > 0, else 0; diagonal unused).
    """

    features: torch.Tensor
    edge_types: torch.Tensor

    def __len__(self) -> int:
        return self.features.shape[0]

    @property
    def n_frames(self) -> int:
        return self.features.shape[1]

    @property
    def n_nodes(self) -> int:
        return self.features.shape[2]

    def edge_labels(self, latent_edges: Sequence[tuple[int, int]]) -> torch.Tensor:
        """(S, E) int64 true type of each latent (send, recv) edge."""
        return torch.from_numpy(edge_labels(self.edge_types.numpy(), latent_edges))


def _read_split(folder: Path, system: str, split: str, max_sims: int = 0):
    # Imported here so that `duetgraph.data` stays importable while `sim` is optional for it.
    from duetgraph.sim.nri_format import load_nri_split

    if split not in SPLITS:
        raise InputError(f"physics data: unknown split {split!r}; choose one of {SPLITS}.")
    loc, vel, edges = load_nri_split(folder, system, split)
    if max_sims and max_sims > 0:
        loc, vel, edges = loc[:max_sims], vel[:max_sims], edges[:max_sims]
    return np.asarray(loc), np.asarray(vel), np.asarray(edges)


def load_physics_split(
    folder: str | Path,
    system: str,
    split: str,
    stats: PhysicsNormalisation | None = None,
    max_sims: int = 0,
) -> tuple[PhysicsSplit, PhysicsNormalisation]:
    """Load one NRI-layout split as normalised tensors.

    Args:
        folder: folder holding `loc_{split}_{system}.npy` etc.
        system: file-name suffix, e.g. "springs5" or "charged5".
        split: "train", "valid" or "test".
        stats: the train split's normalisation (from a checkpoint); None computes it from this
            split, which must then be "train".
        max_sims: keep only the first `max_sims` simulations (0: all).

    Returns:
        The split and the normalisation it was mapped with.
    """
    loc, vel, edges = _read_split(Path(folder), system, split, max_sims)
    if edges.ndim != 3 or edges.shape[0] != loc.shape[0] or edges.shape[1:] != (loc.shape[3],) * 2:
        raise InputError(
            f"{folder}: edges_{split}_{system}.npy has shape {edges.shape}, which does not match "
            f"loc_{split}_{system}.npy {loc.shape}; regenerate the data set."
        )
    if stats is None:
        if split != "train":
            raise InputError(
                f"physics data: the {split} split must be normalised with the train statistics."
            )
        stats = PhysicsNormalisation.from_train(loc, vel)
    feats = physics_features(loc, vel, stats)
    types = (edges > 0).astype(np.int64)
    return PhysicsSplit(torch.from_numpy(feats), torch.from_numpy(types)), stats
