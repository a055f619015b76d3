"""Coupled phase oscillators on a random graph: a Kuramoto system like NRI's.

    dθ_i/dt = ω_i + k Σ_j A_ij sin(θ_j − θ_i)

with natural frequencies ω_i ~ U[1, 10), initial phases θ_i ~ U[0, 2π), coupling k = 1 on a random
undirected graph A (each pair with probability 0.5, no self-loops), integrated with classic
fourth-order Runge–Kutta. NRI's Kuramoto generator is not part of its public repository; these
settings follow its paper's description as far as it goes, and the step schedule is ours:
dt = 0.01, 500 steps stored every 10 → 49 frames (1 000 steps → 99 frames for the test split),
the same frame convention as the particle systems (initial state not stored).

Observed features, layout (S, T, F, n) with F = 3 in the order of `KURAMOTO_FEATURES`:
the phase derivative dθ_i/dt, the signal sin θ_i, and the natural frequency ω_i (constant in time).
Edge labels: edges[s, i, j] = A_ij (1 = coupled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from duetgraph.errors import InputError
from duetgraph.sim.leapfrog import ProgressFn, check_schedule, n_frames
from duetgraph.sim.springs import sample_symmetric_edges

KURAMOTO_FEATURES = ("dtheta_dt", "sin_theta", "omega")


@dataclass(frozen=True)
class KuramotoConfig:
    """Settings of the Kuramoto simulation."""

    n_balls: int = 5  # number of oscillators (one name for "number of objects" in every system)
    n_steps: int = 500  # test split: 1 000 (99 frames)
    sample_every: int = 10  # store every 10th step → n_steps / 10 − 1 = 49 frames
    dt: float = 0.01
    coupling: float = 1.0  # k, the strength of every edge
    edge_prob: float = 0.5  # probability that a pair is coupled
    freq_min: float = 1.0  # natural frequencies ω ~ U[freq_min, freq_max), rad per time unit
    freq_max: float = 10.0

    def __post_init__(self) -> None:
        if self.n_balls < 2:
            raise InputError(f"n_balls={self.n_balls}: a Kuramoto system needs 2 oscillators.")
        if not 0.0 <= self.edge_prob <= 1.0:
            raise InputError(f"edge_prob={self.edge_prob} must lie in [0, 1].")
        if not self.freq_min <= self.freq_max:
            raise InputError(f"freq_min={self.freq_min} must not exceed freq_max={self.freq_max}.")
        check_schedule(self.n_steps, self.sample_every, self.dt)

    @property
    def n_frames(self) -> int:
        return n_frames(self.n_steps, self.sample_every)


@dataclass(frozen=True)
class KuramotoInitial:
    """Initial phases (S, n), natural frequencies (S, n) and graphs (S, n, n) int64."""

    phases: np.ndarray
    frequencies: np.ndarray
    edges: np.ndarray

    def subset(self, index: slice | np.ndarray) -> KuramotoInitial:
        return KuramotoInitial(self.phases[index], self.frequencies[index], self.edges[index])


@dataclass(frozen=True)
class KuramotoTrajectories:
    """Simulated oscillators.

    Args:
        features: (S, T, 3, n) float64 observed features, see `KURAMOTO_FEATURES`.
        phases: (S, T, n) float64 unwrapped phases θ, radians.
        frequencies: (S, n) float64 natural frequencies ω, rad per time unit.
        edges: (S, n, n) int64 graph, symmetric, zero diagonal (1 = coupled).
    """

    features: np.ndarray
    phases: np.ndarray
    frequencies: np.ndarray
    edges: np.ndarray
    system: str = "kuramoto"

    @property
    def n_sims(self) -> int:
        return self.features.shape[0]

    @property
    def n_frames(self) -> int:
        return self.features.shape[1]


def sample_kuramoto_initial(
    n_sims: int, rng: np.random.Generator, config: KuramotoConfig = KuramotoConfig()
) -> KuramotoInitial:
    """Draw the graphs, then frequencies, then phases of `n_sims` systems (in that order)."""
    edges = sample_symmetric_edges(n_sims, config.n_balls, config.edge_prob, rng)
    frequencies = rng.uniform(config.freq_min, config.freq_max, (n_sims, config.n_balls))
    phases = rng.uniform(0.0, 2 * np.pi, (n_sims, config.n_balls))
    return KuramotoInitial(phases, frequencies, edges)


def kuramoto_rate(edges: np.ndarray, frequencies: np.ndarray, coupling: float):
    """Vectorised dθ/dt for a chunk, using Σ_j A_ij sin(θ_j − θ_i) = cos θ_i (A sin θ)_i
    − sin θ_i (A cos θ)_i (one batched product instead of n² sines).

    Args:
        edges: (S, n, n) graph; frequencies: (S, n).

    Returns:
        A function phases (S, n) → dθ/dt (S, n).
    """
    adjacency = np.asarray(edges, dtype=np.float64)

    def rate(theta: np.ndarray) -> np.ndarray:
        sin, cos = np.sin(theta), np.cos(theta)
        pulled = adjacency @ np.stack([sin, cos], axis=-1)  # (S, n, n) @ (S, n, 2) → (S, n, 2)
        return frequencies + coupling * (cos * pulled[..., 0] - sin * pulled[..., 1])

    return rate


def kuramoto_rate_one(edges: np.ndarray, frequencies: np.ndarray, coupling: float):
    """dθ/dt of one system written out pairwise: ω_i + k Σ_j A_ij sin(θ_j − θ_i).

    Args:
        edges: (n, n) graph; frequencies: (n,).

    Returns:
        A function phases (n,) → dθ/dt (n,).
    """
    adjacency = np.asarray(edges, dtype=np.float64)

    def rate(theta: np.ndarray) -> np.ndarray:
        pull = np.sin(theta[None, :] - theta[:, None])  # (n, n): [i, j] = sin(θ_j − θ_i)
        return frequencies + coupling * (adjacency * pull).sum(axis=1)

    return rate


def _rk4(theta: np.ndarray, rate, dt: float) -> np.ndarray:
    """One classic Runge–Kutta step."""
    k1 = rate(theta)
    k2 = rate(theta + 0.5 * dt * k1)
    k3 = rate(theta + 0.5 * dt * k2)
    k4 = rate(theta + dt * k3)
    return theta + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def _features(theta: np.ndarray, rate, frequencies: np.ndarray) -> np.ndarray:
    """(…, n) phases → (…, 3, n) features in the order of KURAMOTO_FEATURES."""
    return np.stack([rate(theta), np.sin(theta), frequencies], axis=-2)


def integrate_kuramoto(
    initial: KuramotoInitial,
    config: KuramotoConfig = KuramotoConfig(),
    *,
    chunk_size: int = 4096,
    progress: ProgressFn | None = None,
) -> KuramotoTrajectories:
    """Integrate given initial states, `chunk_size` systems at a time (vectorised)."""
    if chunk_size < 1:
        raise InputError(f"chunk_size={chunk_size} must be at least 1.")
    n_sims, n = initial.phases.shape
    phases = np.empty((n_sims, config.n_frames, n))
    features = np.empty((n_sims, config.n_frames, len(KURAMOTO_FEATURES), n))
    for start in range(0, n_sims, chunk_size):
        chunk = slice(start, min(start + chunk_size, n_sims))
        part = initial.subset(chunk)
        rate = kuramoto_rate(part.edges, part.frequencies, config.coupling)
        theta = np.array(part.phases, dtype=np.float64)
        for i in range(1, config.n_steps - config.sample_every + 1):
            theta = _rk4(theta, rate, config.dt)
            if i % config.sample_every == 0:
                phases[chunk, i // config.sample_every - 1] = theta
                features[chunk, i // config.sample_every - 1] = _features(
                    theta, rate, part.frequencies
                )
        if progress is not None:
            progress(chunk.stop - chunk.start)
    return KuramotoTrajectories(features, phases, initial.frequencies, initial.edges)


def integrate_kuramoto_loop(
    initial: KuramotoInitial, config: KuramotoConfig = KuramotoConfig()
) -> KuramotoTrajectories:
    """Reference for `integrate_kuramoto`: one system and one step at a time."""
    n_sims, n = initial.phases.shape
    phases = np.empty((n_sims, config.n_frames, n))
    features = np.empty((n_sims, config.n_frames, len(KURAMOTO_FEATURES), n))
    for s in range(n_sims):
        rate = kuramoto_rate_one(initial.edges[s], initial.frequencies[s], config.coupling)
        theta = np.array(initial.phases[s], dtype=np.float64)
        frame = 0
        for i in range(1, config.n_steps - config.sample_every + 1):
            theta = _rk4(theta, rate, config.dt)
            if i % config.sample_every == 0:
                phases[s, frame] = theta
                features[s, frame] = _features(theta, rate, initial.frequencies[s])
                frame += 1
    return KuramotoTrajectories(features, phases, initial.frequencies, initial.edges)


def simulate_kuramoto(
    n_sims: int,
    rng: np.random.Generator,
    config: KuramotoConfig = KuramotoConfig(),
    *,
    chunk_size: int = 4096,
    progress: ProgressFn | None = None,
) -> KuramotoTrajectories:
    """Simulate `n_sims` Kuramoto systems seeded by `rng` (independent of `chunk_size`).

    Returns:
        KuramotoTrajectories: features (S, T, 3, n), phases (S, T, n), frequencies (S, n),
        edges (S, n, n) int64.
    """
    initial = sample_kuramoto_initial(n_sims, rng, config)
    return integrate_kuramoto(initial, config, chunk_size=chunk_size, progress=progress)
