"""Windows over a duet: node features per frame, cut into fixed-length overlapping windows.

Features per node and frame, F = 6, in this order (`FEATURE_NAMES`):

    x, y, z        position in metres (z up)
    vx, vy, vz     backward-difference velocity v_t = x_t − x_{t−1}, metres per frame

Velocities are backward differences so that a frame's features use only that frame and the one
before it. (The reference implementation used forward differences, v_t = x_{t+1} − x_t, so the
next position was last position + last velocity exactly: the target leaked into the input.)
Velocities are computed once over the whole duet, so the first frame of a window uses the frame
just before the window when there is one; only the duet's very first frame has no predecessor and
gets velocity 0.

`Windows` keeps the per-frame arrays of the whole duet (T, N, 6) plus the window start frames and
cuts windows on demand: `features`/`positions` are zero-copy strided views, and `take` gathers a
batch. This is what keeps the full 29 + 29 body at stride 1 small (see `Windows.nbytes`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from duetgraph.data.joints import JointSelection
from duetgraph.data.normalize import floor_height, root_positions
from duetgraph.duet import Duet
from duetgraph.errors import InputError

FEATURE_NAMES = ("x", "y", "z", "vx", "vy", "vz")
N_FEATURES = len(FEATURE_NAMES)


def node_positions(duet: Duet, selection: JointSelection) -> np.ndarray:
    """The selected joints as graph nodes: (T, N, 3) float32 metres, A's nodes then B's."""
    if duet.skeleton != selection.skeleton:
        raise InputError(
            f"{duet.source}: the duet uses skeleton {duet.skeleton} but the joint selection is "
            f"for {selection.skeleton}; select joints of {duet.skeleton}."
        )
    return np.concatenate(
        [
            duet.positions[:, 0, list(selection.joints_a)],
            duet.positions[:, 1, list(selection.joints_b)],
        ],
        axis=1,
    )


def frame_features(positions: np.ndarray) -> np.ndarray:
    """Per-frame node features: positions and backward-difference velocities.

    Args:
        positions: (T, N, 3) metres.

    Returns:
        (T, N, 6) float32: [..., :3] = x_t, [..., 3:] = x_t − x_{t−1} (0 at t = 0).
    """
    positions = np.asarray(positions, dtype=np.float32)
    velocity = np.zeros_like(positions)
    velocity[1:] = positions[1:] - positions[:-1]  # backward difference, never x_{t+1} − x_t
    return np.concatenate([positions, velocity], axis=-1)


def window_starts(n_frames: int, length: int, stride: int = 1) -> np.ndarray:
    """(W,) int64 first frames of the windows 0, S, 2S, … that fit entirely in n_frames.

    W = (n_frames − length) // stride + 1, or 0 when the duet is shorter than one window.
    """
    if length < 1 or stride < 1:
        raise InputError(f"window length ({length}) and stride ({stride}) must be at least 1.")
    if n_frames < length:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_frames - length + 1, stride, dtype=np.int64)


def sliding_windows(x: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Cut (T, ...) into (W, L, ...) windows beginning at `starts`, without a Python loop.

    Evenly spaced starts give a read-only strided view (no copy); other starts a gathered copy.
    """
    starts = np.asarray(starts, dtype=np.int64)
    view = np.lib.stride_tricks.sliding_window_view(x, length, axis=0)  # (T − L + 1, ..., L)
    view = np.moveaxis(view, -1, 1)  # (T − L + 1, L, ...)
    if len(starts) == 0:
        return view[:0]
    steps = np.diff(starts)
    if len(starts) == 1 or (steps[0] > 0 and (steps == steps[0]).all()):
        return view[starts[0] : starts[-1] + 1 : int(steps[0]) if len(steps) else 1]
    return view[starts]


@dataclass(frozen=True)
class Windows:
    """Fixed-length windows over one duet's selected joints.

    Args:
        frames: (T, N, 6) float32 per-frame features of the whole duet (see module docstring).
        roots: (T, 2, 3) float32 each dancer's root (pelvis) position, for the duet-centric frame.
        floor: the duet's floor height in metres (`normalize.floor_height`).
        starts: (W,) int64 first frame of each window.
        length: frames per window, L.
        fps: frames per second of the duet.
        node_names: (N,) names like "A:right_wrist".
        source: where the duet came from, for messages.
    """

    frames: np.ndarray
    roots: np.ndarray
    floor: float
    starts: np.ndarray
    length: int
    fps: float
    node_names: tuple[str, ...]
    source: str = "duet"

    @property
    def n_windows(self) -> int:
        return len(self.starts)

    @property
    def n_frames(self) -> int:
        return self.frames.shape[0]

    @property
    def n_nodes(self) -> int:
        return self.frames.shape[1]

    @property
    def times(self) -> np.ndarray:
        """(W,) float64 start time of each window in seconds from the duet's first frame."""
        return self.starts / self.fps

    @property
    def features(self) -> np.ndarray:
        """(W, L, N, 6) float32 features (a read-only view when starts are evenly spaced)."""
        return sliding_windows(self.frames, self.starts, self.length)

    @property
    def positions(self) -> np.ndarray:
        """(W, L, N, 3) float32 metres (a view of `features`)."""
        return self.features[..., :3]

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (what stays in memory, whatever W and L are)."""
        return self.frames.nbytes + self.roots.nbytes + self.starts.nbytes

    def take(self, indices: np.ndarray) -> np.ndarray:
        """(B, L, N, 6) float32 copy of the windows at `indices` (positions into `starts`)."""
        frames = self.starts[np.asarray(indices, dtype=np.int64)][:, None] + np.arange(self.length)
        return self.frames[frames]  # (B, L) frame indices → (B, L, N, 6)

    def anchor_roots(self, anchor_frame: int, indices: np.ndarray | None = None) -> np.ndarray:
        """(B, 2, 3) both roots at frame `anchor_frame` of each window (negative counts from
        the end, as in Python)."""
        if not -self.length <= anchor_frame < self.length:
            raise InputError(
                f"anchor frame {anchor_frame} is outside a window of {self.length} frames; use "
                f"a value in {-self.length}..{self.length - 1}."
            )
        starts = self.starts if indices is None else self.starts[np.asarray(indices)]
        return self.roots[starts + anchor_frame % self.length]

    def subset(self, indices: np.ndarray) -> Windows:
        """The windows at `indices` (shares the per-frame arrays; nothing is copied)."""
        return replace(self, starts=self.starts[np.asarray(indices, dtype=np.int64)])

    def __repr__(self) -> str:
        return (
            f"Windows(n_windows={self.n_windows}, length={self.length}, n_nodes={self.n_nodes}, "
            f"fps={self.fps:g}, source={self.source!r})"
        )


def duet_windows(duet: Duet, selection: JointSelection, length: int, stride: int = 1) -> Windows:
    """Windows of `length` frames every `stride` frames over a duet's selected joints.

    Args:
        duet: canonical duet, (T, 2, J, 3) metres z up.
        selection: nodes (see `select_joints`).
        length: frames per window L (≥ 2 so that a window holds a transition).
        stride: frames between window starts S.

    Raises:
        InputError: the duet is shorter than one window, or L/S are not positive.
    """
    if length < 2:
        raise InputError(f"window length {length} is too short; a window needs at least 2 frames.")
    starts = window_starts(duet.n_frames, length, stride)
    if len(starts) == 0:
        raise InputError(
            f"{duet.source}: the duet has {duet.n_frames} frames ({duet.duration:.1f} s at "
            f"{duet.fps:g} fps) but a window needs {length}; use a shorter --window or a longer duet."
        )
    return Windows(
        frames=frame_features(node_positions(duet, selection)),
        roots=root_positions(duet),
        floor=floor_height(duet),
        starts=starts,
        length=length,
        fps=duet.fps,
        node_names=selection.node_names,
        source=duet.source,
    )


def flatten_time(x: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """(B, T, N, F) → (B, N, T·F): each node's whole trajectory as one vector.

    The last axis is time-major: [t0 x, t0 y, …, t0 vz, t1 x, …]. The axes are permuted before
    the reshape; a bare view of (B, T, N, F) as (B, N, T·F) would mix joints and time.
    """
    b, t, n, f = x.shape
    if isinstance(x, torch.Tensor):
        return x.permute(0, 2, 1, 3).reshape(b, n, t * f)  # (B, N, T, F) → (B, N, T·F)
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(b, n, t * f)


def unflatten_time(x: np.ndarray | torch.Tensor, n_frames: int) -> np.ndarray | torch.Tensor:
    """Inverse of `flatten_time`: (B, N, T·F) → (B, T, N, F)."""
    b, n, tf = x.shape
    if tf % n_frames:
        raise ValueError(f"last axis {tf} is not a multiple of n_frames={n_frames}")
    shaped = x.reshape(b, n, n_frames, tf // n_frames)  # (B, N, T, F)
    if isinstance(x, torch.Tensor):
        return shaped.permute(0, 2, 1, 3)
    return shaped.transpose(0, 2, 1, 3)
