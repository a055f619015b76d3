"""Training tensors from duets: windows, normalised and optionally rotated, as (B, L, N, 6).

`build_duet_windows` is the one call the training code needs: it windows each duet, splits each
in time (85/15), fits the normalisation on the training windows only and returns a training and
a validation `DuetWindowDataset`.

A dataset keeps only the per-frame arrays of its duets (see `Windows`) and builds each batch on
demand, so memory does not grow with the number of windows, the window length or the number of
rotated copies. Items are ordered copy-major: index i is rotated copy i // W of window i % W.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from duetgraph.data.augment import random_angles, rotate_features, rotation_copy_angles
from duetgraph.data.joints import JointSelection
from duetgraph.data.normalize import Normalizer, fit_normalizer, floor_height
from duetgraph.data.split import TimeSplit, split_windows
from duetgraph.data.windows import Windows, duet_windows
from duetgraph.duet import Duet
from duetgraph.errors import InputError

ROTATIONS = ("none", "fixed", "random")


@dataclass(frozen=True)
class WindowBatch:
    """One batch of normalised windows.

    Args:
        features: (B, L, N, 6) float32 normalised x, y, z, vx, vy, vz (see `normalize`).
        window: (B,) int64 window index within the dataset (0 … n_windows − 1).
        part: (B,) int64 which duet of the dataset each window comes from.
        start_time: (B,) float64 seconds from that duet's first frame to the window's first.
        origin: (B, 3) float32 metres, the duet-centric origin of each window.
        angle: (B,) float64 radians each window was turned (alignment + augmentation);
            `normalizer.denormalize(features, origin, angle)` gives back metres.
    """

    features: torch.Tensor
    window: torch.Tensor
    part: torch.Tensor
    start_time: torch.Tensor
    origin: torch.Tensor
    angle: torch.Tensor


class DuetWindowDataset(torch.utils.data.Dataset):
    """Normalised, optionally rotated windows of one or more duets.

    Args:
        parts: windows of each duet (same nodes and window length).
        normalizer: fitted on training windows (`fit_normalizer`).
        n_rotations: copies of each window per epoch, k ≥ 1.
        rotation: "none" (k must be 1); "fixed": copy r is turned by 2πr/k (copy 0 unrotated),
            the same at every fetch; "random": a fresh uniform angle at every fetch.
        seed: seeds the generator of "random" rotation (required for it).

    Rotation is about the vertical axis through each window's origin (the duet centre) and is
    applied after normalisation, to positions and velocities alike.

    `__getitem__` returns one (L, N, 6) tensor so a torch DataLoader works (use num_workers=0
    with "random": workers would copy the generator); `batch` and `iter_batches` build whole
    batches vectorised and also return times and frames.
    """

    def __init__(
        self,
        parts: Windows | Sequence[Windows],
        normalizer: Normalizer,
        n_rotations: int = 1,
        rotation: str = "none",
        seed: int | None = None,
    ) -> None:
        self.parts = (parts,) if isinstance(parts, Windows) else tuple(parts)
        if not self.parts:
            raise InputError("a window dataset needs at least one duet's windows.")
        first = self.parts[0]
        for part in self.parts[1:]:
            if part.node_names != first.node_names or part.length != first.length:
                raise InputError(
                    f"{part.source}: its windows have other nodes or length than "
                    f"{first.source}'s; use the same joint selection and --window for every duet."
                )
        if rotation not in ROTATIONS:
            raise InputError(
                f"rotation {rotation!r} is unknown; use one of {', '.join(ROTATIONS)}."
            )
        if n_rotations < 1 or (rotation == "none" and n_rotations != 1):
            raise InputError(
                f"n_rotations={n_rotations} needs rotation 'fixed' or 'random' (and k >= 1)."
            )
        if rotation != "none" and normalizer.align:
            raise InputError(
                "aligning each window to the A→B line and rotating it at random undo each other; "
                "use either align or rotation augmentation."
            )
        if rotation == "random" and seed is None:
            raise InputError("random rotation needs a seed (e.g. --seed 0) to be reproducible.")
        self.normalizer = normalizer
        self.n_rotations = n_rotations
        self.rotation = rotation
        self._rng = np.random.default_rng(seed)
        self._offsets = np.cumsum([0] + [p.n_windows for p in self.parts])
        self._copy_angles = np.asarray(rotation_copy_angles(n_rotations))

    # ------------------------------------------------------------------ sizes and names
    @property
    def n_windows(self) -> int:
        """Distinct windows, W (before rotated copies)."""
        return int(self._offsets[-1])

    @property
    def length(self) -> int:
        return self.parts[0].length

    @property
    def node_names(self) -> tuple[str, ...]:
        return self.parts[0].node_names

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def nbytes(self) -> int:
        """Bytes the dataset holds (shared with datasets built on the same windows)."""
        return sum(p.nbytes for p in self.parts)

    @property
    def start_times(self) -> np.ndarray:
        """(W,) float64 seconds of each window's first frame within its duet."""
        return np.concatenate([p.times for p in self.parts])

    def __len__(self) -> int:
        return self.n_windows * self.n_rotations

    # ------------------------------------------------------------------ fetching
    def __getitem__(self, index: int) -> torch.Tensor:
        """(L, N, 6) float32 normalised features of item `index`."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        return self.batch(np.array([index % len(self)])).features[0]

    def batch(self, indices: np.ndarray | Sequence[int]) -> WindowBatch:
        """Items at `indices` (0 … len − 1) as one batch, built without a loop over windows."""
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= len(self)):
            raise IndexError(f"indices must lie in 0..{len(self) - 1}")
        window = indices % self.n_windows
        copy = indices // self.n_windows
        part = np.searchsorted(self._offsets, window, side="right") - 1
        features = np.empty((len(indices), self.length, self.n_nodes, 6), dtype=np.float32)
        origin = np.empty((len(indices), 3), dtype=np.float32)
        angle = np.empty(len(indices), dtype=np.float64)
        start_time = np.empty(len(indices), dtype=np.float64)
        for p in np.unique(part):  # one vectorised gather per duet
            rows = np.flatnonzero(part == p)
            local = window[rows] - self._offsets[p]
            features[rows], origin[rows], angle[rows] = self.normalizer.normalize_windows(
                self.parts[p], local
            )
            start_time[rows] = self.parts[p].times[local]
        if self.rotation != "none":
            turn = (
                self._copy_angles[copy]
                if self.rotation == "fixed"
                else random_angles(len(indices), self._rng)
            )
            features = rotate_features(features, turn)  # about the origin = the duet centre
            angle = angle + turn
        return WindowBatch(
            features=torch.from_numpy(features),
            window=torch.from_numpy(window),
            part=torch.from_numpy(part.astype(np.int64)),
            start_time=torch.from_numpy(start_time),
            origin=torch.from_numpy(origin),
            angle=torch.from_numpy(angle),
        )

    def iter_batches(
        self,
        batch_size: int,
        shuffle: bool = False,
        generator: np.random.Generator | None = None,
        drop_last: bool = False,
    ) -> Iterator[WindowBatch]:
        """Batches covering every item once; shuffling needs an explicit `generator`."""
        if shuffle and generator is None:
            raise ValueError("shuffle=True needs an explicit numpy Generator")
        order = generator.permutation(len(self)) if shuffle else np.arange(len(self))
        stop = len(order) - len(order) % batch_size if drop_last else len(order)
        for lo in range(0, stop, batch_size):
            yield self.batch(order[lo : lo + batch_size])

    def __repr__(self) -> str:
        return (
            f"DuetWindowDataset(n_duets={len(self.parts)}, n_windows={self.n_windows}, "
            f"length={self.length}, n_nodes={self.n_nodes}, rotation={self.rotation!r}, "
            f"n_rotations={self.n_rotations})"
        )


@dataclass(frozen=True)
class DuetData:
    """What `build_duet_windows` returns.

    Args:
        train: training windows (augmented as asked).
        valid: validation windows (never augmented; empty when valid_fraction is 0).
        normalizer: fitted on the training windows; store `normalizer.to_dict()` in checkpoints.
        selection: the nodes; store `selection.to_dict()` in checkpoints.
        splits: one `TimeSplit` per duet.
    """

    train: DuetWindowDataset
    valid: DuetWindowDataset
    normalizer: Normalizer
    selection: JointSelection
    splits: tuple[TimeSplit, ...]

    @property
    def node_names(self) -> tuple[str, ...]:
        return self.selection.node_names


def build_duet_windows(
    duet: Duet | Sequence[Duet],
    selection: JointSelection,
    window: int = 8,
    stride: int = 1,
    *,
    valid_fraction: float = 0.15,
    gap_frames: int = 1,
    anchor_frame: int = -1,
    z_origin: str = "floor",
    align: bool = False,
    n_rotations: int = 1,
    rotation: str = "none",
    seed: int | None = None,
) -> DuetData:
    """Window, split, normalise and (optionally) augment one or more duets for training.

    Args:
        duet: one duet or several (same skeleton); each is split in time on its own.
        selection: graph nodes (`select_joints`).
        window: frames per window, L (paper: 8).
        stride: frames between window starts, S.
        valid_fraction, gap_frames: see `split_windows`.
        anchor_frame, z_origin, align: see `Normalizer`.
        n_rotations, rotation, seed: training augmentation, see `DuetWindowDataset`
            (paper: 10 rotations).

    Returns:
        DuetData with training/validation datasets of (L, N, 6) float32 items.

    Raises:
        InputError: a duet too short for a window or for both splits, mismatched skeletons, or
            inconsistent options.
    """
    duets = [duet] if isinstance(duet, Duet) else list(duet)
    if not duets:
        raise InputError("no duet given; pass at least one duet.")
    train_parts, valid_parts, splits = [], [], []
    for d in duets:
        windows = duet_windows(d, selection, window, stride)
        split = split_windows(
            windows.starts, window, d.n_frames, valid_fraction, gap_frames, d.source, d.fps
        )
        splits.append(split)
        # The floor comes from the training frames only, like the scales.
        windows = replace(windows, floor=floor_height(d, stop=split.cut_frame))
        train_parts.append(windows.subset(split.train))
        valid_parts.append(windows.subset(split.valid))
    normalizer = fit_normalizer(train_parts, anchor_frame, z_origin, align)
    return DuetData(
        train=DuetWindowDataset(train_parts, normalizer, n_rotations, rotation, seed),
        valid=DuetWindowDataset(valid_parts, normalizer),
        normalizer=normalizer,
        selection=selection,
        splits=tuple(splits),
    )
