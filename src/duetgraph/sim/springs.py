"""Balls connected by random springs in a box: NRI's "springs" system (DESIGN.md §8).

Each pair of balls is joined by a spring (Hooke's law, rest length 0) with probability 0.5; the
graph is symmetric with no self-loops. Forces F_i = −k Σ_j e_ij (x_i − x_j), clipped per component
at ±100, leapfrog steps of dt = 0.001 in a box with elastic walls at ±5 (see `leapfrog`).

Example:
    rng = np.random.default_rng(0)
    traj = simulate_springs(100, rng)   # positions (100, 49, 2, 5), edges (100, 5, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duetgraph.errors import InputError
from duetgraph.sim.leapfrog import (
    InitialState,
    ProgressFn,
    Trajectories,
    check_schedule,
    integrate_in_chunks,
    integrate_leapfrog,
    integrate_leapfrog_loop,
    n_frames,
    sample_balls,
    schedule,
)


@dataclass(frozen=True)
class SpringsConfig:
    """Settings of the springs simulation; the defaults are NRI's training settings."""

    n_balls: int = 5
    n_steps: int = 5000  # NRI's train/valid length; its test split uses 10 000 (99 frames)
    sample_every: int = 100  # store every 100th step → n_steps / 100 − 1 = 49 frames
    dt: float = 0.001
    box_size: float | None = 5.0  # elastic walls at ±box_size; None removes the walls
    loc_std: float = 0.5  # initial positions ~ N(0, loc_std²) per coordinate
    vel_norm: float = 0.5  # initial speed; the direction is uniform
    interaction_strength: float = 0.1  # spring constant k
    edge_prob: float = 0.5  # probability that a pair is connected
    max_force: float | None = 100.0  # per-component clip (NRI: 0.1 / dt); None: no clip

    def __post_init__(self) -> None:
        if self.n_balls < 2:
            raise InputError(f"n_balls={self.n_balls}: a springs system needs at least 2 balls.")
        if not 0.0 <= self.edge_prob <= 1.0:
            raise InputError(f"edge_prob={self.edge_prob} must lie in [0, 1].")
        check_schedule(self.n_steps, self.sample_every, self.dt)

    @property
    def n_frames(self) -> int:
        return n_frames(self.n_steps, self.sample_every)


def sample_symmetric_edges(
    n_sims: int, n_nodes: int, edge_prob: float, rng: np.random.Generator
) -> np.ndarray:
    """Random undirected graphs: each pair connected with probability `edge_prob`.

    Returns:
        (S, n, n) int64 adjacency, symmetric, zero diagonal.
    """
    upper = np.triu(rng.random((n_sims, n_nodes, n_nodes)) < edge_prob, k=1)
    return (upper | upper.transpose(0, 2, 1)).astype(np.int64)


def sample_springs_initial(
    n_sims: int, rng: np.random.Generator, config: SpringsConfig = SpringsConfig()
) -> InitialState:
    """Draw the graphs, then positions and velocities, of `n_sims` simulations (in that order)."""
    edges = sample_symmetric_edges(n_sims, config.n_balls, config.edge_prob, rng)
    positions, velocities = sample_balls(
        n_sims, config.n_balls, config.loc_std, config.vel_norm, rng
    )
    return InitialState(positions, velocities, edges)


def springs_force(edges: np.ndarray, interaction_strength: float):
    """Vectorised spring forces for a chunk: F = −k · L x with the graph Laplacian L = D − E.

    Args:
        edges: (S, n, n) adjacency (0/1 or weights).

    Returns:
        A function positions (S, 2, n) → forces (S, 2, n).
    """
    edges = np.asarray(edges, dtype=np.float64)
    laplacian = edges.sum(axis=-1)[:, :, None] * np.eye(edges.shape[-1]) - edges  # (S, n, n)
    # F[s, d, i] = Σ_j x[s, d, j] · (−k L[s, i, j]): one batched (2, n) @ (n, n) product
    minus_k_lt = np.ascontiguousarray(-interaction_strength * laplacian.transpose(0, 2, 1))
    return lambda x: x @ minus_k_lt


def springs_force_one(edges: np.ndarray, interaction_strength: float):
    """Pairwise spring forces of one simulation, written out like NRI: F_i = −k Σ_j e_ij (x_i − x_j).

    Args:
        edges: (n, n) adjacency.

    Returns:
        A function positions (2, n) → forces (2, n).
    """
    size = -interaction_strength * np.asarray(edges, dtype=np.float64)
    np.fill_diagonal(size, 0.0)

    def force(x: np.ndarray) -> np.ndarray:
        diff = np.stack([np.subtract.outer(x[0], x[0]), np.subtract.outer(x[1], x[1])])
        return (size[None] * diff).sum(axis=-1)  # (2, n, n) → (2, n)

    return force


def integrate_springs(
    initial: InitialState,
    config: SpringsConfig = SpringsConfig(),
    *,
    chunk_size: int = 4096,
    progress: ProgressFn | None = None,
) -> Trajectories:
    """Simulate from given initial states, `chunk_size` simulations at a time (vectorised).

    Returns:
        Trajectories with positions and velocities (S, T, 2, n) and the initial state's edges.
    """

    def chunk(part: InitialState) -> tuple[np.ndarray, np.ndarray]:
        return integrate_leapfrog(
            part.positions,
            part.velocities,
            springs_force(part.edges, config.interaction_strength),
            **schedule(config),
        )

    pos, vel = integrate_in_chunks(initial, chunk, config.n_frames, chunk_size, progress)
    return Trajectories(pos, vel, initial.edges.astype(np.int64), "springs")


def integrate_springs_loop(
    initial: InitialState, config: SpringsConfig = SpringsConfig()
) -> Trajectories:
    """Reference for `integrate_springs`: one simulation and one step at a time."""
    forces = [springs_force_one(e, config.interaction_strength) for e in initial.edges]
    pos, vel = integrate_leapfrog_loop(
        initial.positions, initial.velocities, forces, **schedule(config)
    )
    return Trajectories(pos, vel, initial.edges.astype(np.int64), "springs")


def simulate_springs(
    n_sims: int,
    rng: np.random.Generator,
    config: SpringsConfig = SpringsConfig(),
    *,
    chunk_size: int = 4096,
    progress: ProgressFn | None = None,
) -> Trajectories:
    """Simulate `n_sims` springs systems seeded by `rng`.

    The result depends only on `rng`'s state and `config`, not on `chunk_size`.

    Returns:
        Trajectories: positions and velocities (S, T, 2, n_balls) float64 with
        T = config.n_frames (49 by default), edges (S, n_balls, n_balls) int64 (1 = spring).
    """
    initial = sample_springs_initial(n_sims, rng, config)
    return integrate_springs(initial, config, chunk_size=chunk_size, progress=progress)


def springs_energy(
    positions: np.ndarray, velocities: np.ndarray, edges: np.ndarray, interaction_strength: float
) -> np.ndarray:
    """Total energy: kinetic ½ Σ |v_i|² plus spring potential ½ k Σ_{i<j} e_ij |x_i − x_j|².

    Args:
        positions, velocities: (S, T, 2, n).
        edges: (S, n, n) symmetric adjacency.

    Returns:
        (S, T) energies (unit masses).
    """
    kinetic = 0.5 * (velocities**2).sum(axis=(2, 3))
    diff = positions[..., :, None] - positions[..., None, :]  # (S, T, 2, n, n)
    dist2 = (diff**2).sum(axis=2)  # (S, T, n, n)
    # each pair appears twice in the full sum, hence ¼ instead of ½
    potential = 0.25 * interaction_strength * (edges[:, None] * dist2).sum(axis=(2, 3))
    return kinetic + potential
