"""Charged particles in a box: NRI's "charged" system (DESIGN.md §8).

Every ball carries a charge of +1 or −1 with equal probability and every pair interacts by
Coulomb's law: F_i = k Σ_j q_i q_j (x_i − x_j) / |x_i − x_j|³ (like charges repel), clipped per
component at ±100, leapfrog steps of dt = 0.001 in a box with elastic walls at ±5.

Edge labels: edges[s, i, j] = 1 when q_i · q_j > 0 (same sign, repel) and 0 when the signs differ
(attract); the diagonal is 0. This is NRI's own label, which it computes as (q_i q_j + 1) / 2.

Example:
    traj = simulate_charged(100, np.random.default_rng(0))   # traj.charges: (100, 5)
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
class ChargedConfig:
    """Settings of the charged-particles simulation; the defaults are NRI's training settings."""

    n_balls: int = 5
    n_steps: int = 5000  # NRI's train/valid length; its test split uses 10 000 (99 frames)
    sample_every: int = 100  # store every 100th step → n_steps / 100 − 1 = 49 frames
    dt: float = 0.001
    box_size: float | None = 5.0  # elastic walls at ±box_size; None removes the walls
    loc_std: float = 1.0  # initial positions ~ N(0, loc_std²) per coordinate
    vel_norm: float = 0.5  # initial speed; the direction is uniform
    interaction_strength: float = 1.0  # Coulomb constant k
    positive_prob: float = 0.5  # probability that a charge is +1 (else −1)
    max_force: float | None = 100.0  # per-component clip (NRI: 0.1 / dt); None: no clip

    def __post_init__(self) -> None:
        if self.n_balls < 2:
            raise InputError(f"n_balls={self.n_balls}: a charged system needs at least 2 balls.")
        if not 0.0 <= self.positive_prob <= 1.0:
            raise InputError(f"positive_prob={self.positive_prob} must lie in [0, 1].")
        check_schedule(self.n_steps, self.sample_every, self.dt)

    @property
    def n_frames(self) -> int:
        return n_frames(self.n_steps, self.sample_every)


def charge_edges(charges: np.ndarray) -> np.ndarray:
    """Edge labels from charges: 1 where q_i · q_j > 0 (same sign), else 0; zero diagonal.

    Args:
        charges: (S, n) charges.

    Returns:
        (S, n, n) int64 labels.
    """
    same = (charges[:, :, None] * charges[:, None, :]) > 0
    same[:, np.arange(charges.shape[1]), np.arange(charges.shape[1])] = False
    return same.astype(np.int64)


def sample_charged_initial(
    n_sims: int, rng: np.random.Generator, config: ChargedConfig = ChargedConfig()
) -> InitialState:
    """Draw the charges, then positions and velocities, of `n_sims` simulations (in that order)."""
    charges = np.where(rng.random((n_sims, config.n_balls)) < config.positive_prob, 1.0, -1.0)
    positions, velocities = sample_balls(
        n_sims, config.n_balls, config.loc_std, config.vel_norm, rng
    )
    return InitialState(positions, velocities, charge_edges(charges), charges)


def charged_force(charges: np.ndarray, interaction_strength: float):
    """Vectorised Coulomb forces for a chunk, computed once per unordered pair.

    Args:
        charges: (S, n) charges.

    Returns:
        A function positions (S, 2, n) → forces (S, 2, n).
    """
    n = charges.shape[1]
    first, second = np.triu_indices(n, k=1)  # the P = n(n−1)/2 pairs i < j
    kqq = interaction_strength * charges[:, first] * charges[:, second]  # (S, P)
    # incidence (P, n): pair p adds its force to ball i and subtracts it from ball j
    incidence = np.zeros((len(first), n))
    incidence[np.arange(len(first)), first] = 1.0
    incidence[np.arange(len(first)), second] = -1.0

    def force(x: np.ndarray) -> np.ndarray:
        diff = x[:, :, first] - x[:, :, second]  # (S, 2, P): x_i − x_j
        dist2 = diff[:, 0] ** 2 + diff[:, 1] ** 2  # (S, P)
        diff *= (kqq / (dist2 * np.sqrt(dist2)))[:, None]  # force on i from j: k q_i q_j r / r³
        return diff @ incidence  # (S, 2, P) @ (P, n) → (S, 2, n)

    return force


def charged_force_one(charges: np.ndarray, interaction_strength: float):
    """Pairwise Coulomb forces of one simulation, written out like NRI.

    Args:
        charges: (n,) charges.

    Returns:
        A function positions (2, n) → forces (2, n).
    """
    kqq = interaction_strength * np.outer(charges, charges)
    np.fill_diagonal(kqq, 0.0)
    eye = np.eye(len(charges))

    def force(x: np.ndarray) -> np.ndarray:
        diff = np.stack([np.subtract.outer(x[0], x[0]), np.subtract.outer(x[1], x[1])])
        dist2 = diff[0] ** 2 + diff[1] ** 2 + eye
        size = kqq / (dist2 * np.sqrt(dist2))
        return (size[None] * diff).sum(axis=-1)

    return force


def integrate_charged(
    initial: InitialState,
    config: ChargedConfig = ChargedConfig(),
    *,
    chunk_size: int = 4096,
    progress: ProgressFn | None = None,
) -> Trajectories:
    """Simulate from given initial states (with charges), `chunk_size` simulations at a time."""
    if initial.charges is None:
        raise InputError("the charged simulation needs initial.charges (S, n); none were given.")

    def chunk(part: InitialState) -> tuple[np.ndarray, np.ndarray]:
        return integrate_leapfrog(
            part.positions,
            part.velocities,
            charged_force(part.charges, config.interaction_strength),
            **schedule(config),
        )

    pos, vel = integrate_in_chunks(initial, chunk, config.n_frames, chunk_size, progress)
    return Trajectories(pos, vel, charge_edges(initial.charges), "charged", initial.charges)


def integrate_charged_loop(
    initial: InitialState, config: ChargedConfig = ChargedConfig()
) -> Trajectories:
    """Reference for `integrate_charged`: one simulation and one step at a time."""
    if initial.charges is None:
        raise InputError("the charged simulation needs initial.charges (S, n); none were given.")
    forces = [charged_force_one(q, config.interaction_strength) for q in initial.charges]
    pos, vel = integrate_leapfrog_loop(
        initial.positions, initial.velocities, forces, **schedule(config)
    )
    return Trajectories(pos, vel, charge_edges(initial.charges), "charged", initial.charges)


def simulate_charged(
    n_sims: int,
    rng: np.random.Generator,
    config: ChargedConfig = ChargedConfig(),
    *,
    chunk_size: int = 4096,
    progress: ProgressFn | None = None,
) -> Trajectories:
    """Simulate `n_sims` charged systems seeded by `rng`.

    The result depends only on `rng`'s state and `config`, not on `chunk_size`.

    Returns:
        Trajectories: positions and velocities (S, T, 2, n_balls) float64, edges
        (S, n_balls, n_balls) int64 (1 = same sign), charges (S, n_balls) ±1.
    """
    initial = sample_charged_initial(n_sims, rng, config)
    return integrate_charged(initial, config, chunk_size=chunk_size, progress=progress)


def charged_energy(
    positions: np.ndarray, velocities: np.ndarray, charges: np.ndarray, interaction_strength: float
) -> np.ndarray:
    """Total energy: kinetic ½ Σ |v_i|² plus Coulomb potential k Σ_{i<j} q_i q_j / |x_i − x_j|.

    Args:
        positions, velocities: (S, T, 2, n).
        charges: (S, n).

    Returns:
        (S, T) energies (unit masses).
    """
    n = charges.shape[1]
    kinetic = 0.5 * (velocities**2).sum(axis=(2, 3))
    diff = positions[..., :, None] - positions[..., None, :]  # (S, T, 2, n, n)
    dist = np.sqrt((diff**2).sum(axis=2) + np.eye(n))  # (S, T, n, n); eye keeps i = j finite
    qq = charges[:, :, None] * charges[:, None, :] * (1.0 - np.eye(n))  # (S, n, n)
    potential = 0.5 * interaction_strength * (qq[:, None] / dist).sum(axis=(2, 3))
    return kinetic + potential
