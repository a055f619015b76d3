"""Balls in a box: the leapfrog integrator shared by the springs and charged simulations.

Both particle systems follow NRI's generator (Kipf et al. 2018, `data/synthetic_sim.py`) step for
step, so that datasets made here and there are interchangeable:

1. reflect the initial positions into the box, then one kick: v += dt · F(x);
2. for step i = 1, 2, …: drift x += dt · v, reflect off the walls, store (x, v) when i is a
   multiple of `sample_every`, kick v += dt · F(x).

Forces are clipped per component to ±`max_force`; unit masses. Frames are stored at steps
`sample_every, 2·sample_every, …, n_steps − sample_every`, so a trajectory has
`n_steps / sample_every − 1` frames (5 000 / 100 → 49, 10 000 / 100 → 99): the initial state is
not stored, exactly as in NRI. The stored velocity is the one after the wall and before the kick.

All S simulations advance together (one batched force computation per step); `integrate_leapfrog`
takes one chunk of simulations, `integrate_in_chunks` bounds memory over many.
`integrate_leapfrog_loop` is the per-simulation, per-step reference of the same physics, used for
the equivalence test and as the speed baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from duetgraph.errors import InputError

#: Forces of one chunk: positions (S, 2, n) → forces (S, 2, n).
ForceFn = Callable[[np.ndarray], np.ndarray]
#: Called after each chunk with the number of simulations it finished.
ProgressFn = Callable[[int], object]


@dataclass(frozen=True)
class InitialState:
    """Initial conditions and ground truth of S particle simulations.

    Args:
        positions: (S, 2, n) float64 positions at step 0.
        velocities: (S, 2, n) float64 velocities at step 0.
        edges: (S, n, n) int64 ground-truth interaction labels, symmetric, zero diagonal.
        charges: (S, n) float64 charges (±1) of the charged system; None for springs.
    """

    positions: np.ndarray
    velocities: np.ndarray
    edges: np.ndarray
    charges: np.ndarray | None = None

    @property
    def n_sims(self) -> int:
        return self.positions.shape[0]

    def subset(self, index: slice | np.ndarray) -> InitialState:
        """The simulations selected by `index` along S."""
        charges = None if self.charges is None else self.charges[index]
        return InitialState(
            self.positions[index], self.velocities[index], self.edges[index], charges
        )


@dataclass(frozen=True)
class Trajectories:
    """Simulated particle trajectories in NRI's layout.

    Args:
        positions: (S, T, 2, n) float64 positions, box units.
        velocities: (S, T, 2, n) float64 velocities, box units per time unit.
        edges: (S, n, n) int64 labels, symmetric, zero diagonal. Springs: 1 = spring.
            Charged: 1 = same sign (q_i · q_j > 0, repel), 0 = opposite signs (attract).
        system: "springs" or "charged".
        charges: (S, n) float64 ±1 for the charged system, else None.
    """

    positions: np.ndarray
    velocities: np.ndarray
    edges: np.ndarray
    system: str
    charges: np.ndarray | None = None

    @property
    def n_sims(self) -> int:
        return self.positions.shape[0]

    @property
    def n_frames(self) -> int:
        return self.positions.shape[1]


def n_frames(n_steps: int, sample_every: int) -> int:
    """Frames stored from `n_steps` integration steps: n_steps / sample_every − 1 (NRI's count)."""
    return n_steps // sample_every - 1


def check_schedule(n_steps: int, sample_every: int, dt: float) -> None:
    """Raise InputError unless the step schedule yields at least one frame."""
    if sample_every < 1 or n_steps < 1 or n_steps % sample_every != 0:
        raise InputError(
            f"n_steps={n_steps} must be a positive multiple of sample_every={sample_every}; "
            "choose e.g. --n-steps 5000 --sample-every 100."
        )
    if n_frames(n_steps, sample_every) < 1:
        raise InputError(
            f"n_steps={n_steps} with sample_every={sample_every} stores no frame; "
            "use n_steps of at least 2 × sample_every."
        )
    if not dt > 0:
        raise InputError(f"dt={dt} must be positive.")


def sample_balls(
    n_sims: int, n_balls: int, loc_std: float, vel_norm: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Initial positions ~ N(0, loc_std²) and velocities of norm `vel_norm` in a random direction.

    Returns:
        positions (S, 2, n) and velocities (S, 2, n), float64.
    """
    positions = rng.standard_normal((n_sims, 2, n_balls)) * loc_std
    velocities = rng.standard_normal((n_sims, 2, n_balls))
    velocities *= vel_norm / np.linalg.norm(velocities, axis=1, keepdims=True)
    return positions, velocities


def schedule(config) -> dict:
    """The integrator keywords (dt, n_steps, sample_every, box_size, max_force) of a config."""
    return {
        "dt": config.dt,
        "n_steps": config.n_steps,
        "sample_every": config.sample_every,
        "box_size": config.box_size,
        "max_force": config.max_force,
    }


def reflect_walls(x: np.ndarray, v: np.ndarray, box_size: float | None) -> None:
    """Elastic walls at ±box_size, in place: mirror the position, point the velocity inwards.

    Args:
        x: (..., 2, n) positions, changed in place.
        v: (..., 2, n) velocities, changed in place.
        box_size: half the box's side; None means no walls.
    """
    if box_size is None:
        return
    over = x > box_size
    if over.any():
        np.subtract(2 * box_size, x, out=x, where=over)
        np.negative(np.abs(v), out=v, where=over)
    under = x < -box_size
    if under.any():
        np.subtract(-2 * box_size, x, out=x, where=under)
        np.abs(v, out=v, where=under)


def integrate_leapfrog(
    positions: np.ndarray,
    velocities: np.ndarray,
    force: ForceFn,
    *,
    dt: float,
    n_steps: int,
    sample_every: int,
    box_size: float | None,
    max_force: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Advance S simulations together; return their stored frames.

    Args:
        positions: (S, 2, n) initial positions (not modified).
        velocities: (S, 2, n) initial velocities (not modified).
        force: positions (S, 2, n) → forces (S, 2, n) for exactly these S simulations.
        dt, n_steps, sample_every: the step schedule (see the module docstring).
        box_size: walls at ±box_size, None for no walls.
        max_force: per-component force clip, None for no clipping.

    Returns:
        positions and velocities, each (S, T, 2, n) float64 with T = n_frames(n_steps, sample_every).
    """
    x = np.array(positions, dtype=np.float64)
    v = np.array(velocities, dtype=np.float64)
    out_x = np.empty((x.shape[0], n_frames(n_steps, sample_every), *x.shape[1:]))
    out_v = np.empty_like(out_x)
    step = np.empty_like(x)

    def kick() -> None:
        f = force(x)
        if max_force is not None:
            np.clip(f, -max_force, max_force, out=f)
        f *= dt
        np.add(v, f, out=v)

    reflect_walls(x, v, box_size)
    kick()
    last = n_steps - sample_every  # steps after the last stored frame change nothing stored
    for i in range(1, last + 1):
        np.multiply(v, dt, out=step)
        x += step
        reflect_walls(x, v, box_size)
        if i % sample_every == 0:
            out_x[:, i // sample_every - 1] = x
            out_v[:, i // sample_every - 1] = v
            if i == last:
                break
        kick()
    return out_x, out_v


def integrate_leapfrog_loop(
    positions: np.ndarray,
    velocities: np.ndarray,
    forces: list[Callable[[np.ndarray], np.ndarray]],
    *,
    dt: float,
    n_steps: int,
    sample_every: int,
    box_size: float | None,
    max_force: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Reference: the same physics one simulation and one step at a time (like NRI's generator).

    Args:
        positions, velocities: (S, 2, n) initial state.
        forces: one function per simulation, positions (2, n) → forces (2, n).
        The rest as in `integrate_leapfrog`.

    Returns:
        positions and velocities, each (S, T, 2, n) float64.
    """
    n_sims = positions.shape[0]
    out_x = np.empty((n_sims, n_frames(n_steps, sample_every), *positions.shape[1:]))
    out_v = np.empty_like(out_x)
    for s in range(n_sims):
        x = np.array(positions[s], dtype=np.float64)
        v = np.array(velocities[s], dtype=np.float64)
        reflect_walls(x, v, box_size)
        f = forces[s](x)
        if max_force is not None:
            f = np.clip(f, -max_force, max_force)
        v = v + dt * f
        frame = 0
        for i in range(1, n_steps - sample_every + 1):
            x = x + dt * v
            reflect_walls(x, v, box_size)
            if i % sample_every == 0:
                out_x[s, frame], out_v[s, frame] = x, v
                frame += 1
            f = forces[s](x)
            if max_force is not None:
                f = np.clip(f, -max_force, max_force)
            v = v + dt * f
    return out_x, out_v


def integrate_in_chunks(
    initial: InitialState,
    integrate_chunk: Callable[[InitialState], tuple[np.ndarray, np.ndarray]],
    n_frames_out: int,
    chunk_size: int,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run `integrate_chunk` on consecutive chunks of at most `chunk_size` simulations.

    The result does not depend on `chunk_size`: all randomness is in `initial`.

    Returns:
        positions and velocities, each (S, T, 2, n) float64.
    """
    if chunk_size < 1:
        raise InputError(f"chunk_size={chunk_size} must be at least 1.")
    n_sims, _, n_balls = initial.positions.shape
    out_x = np.empty((n_sims, n_frames_out, 2, n_balls))
    out_v = np.empty_like(out_x)
    for start in range(0, n_sims, chunk_size):
        chunk = slice(start, min(start + chunk_size, n_sims))
        out_x[chunk], out_v[chunk] = integrate_chunk(initial.subset(chunk))
        if progress is not None:
            progress(chunk.stop - chunk.start)
    return out_x, out_v
