"""Benchmark: the vectorised physics simulators against a per-simulation loop, and a full dataset.

    python bench/bench_sim.py                         # speeds + full springs and charged datasets
    python bench/bench_sim.py --no-full               # speeds only (about a minute)
    taskset -c 0,1 python bench/bench_sim.py          # pinned to 2 cores, as the target says

1. Speed, same run, same physics and settings (NRI's: 5 balls, 5 000 steps of dt = 0.001):
   `integrate_*` advancing `--n-vec` simulations together against `integrate_*_loop`, the
   one-simulation-one-step reference (written like NRI's generator), on `--n-loop` of the same
   initial states. Reports simulations per second and the ratio (target >= 50x).
2. The full NRI-size dataset (50 000 train + 10 000 valid at 5 000 steps, 10 000 test at 10 000
   steps) for springs and charged, written in NRI's layout to a temporary folder by
   `make_nri_dataset`, exactly what `duetgraph simulate` runs; wall time (target < 10 min each).
   With `--no-full` the time is extrapolated from the measured vectorised rate instead, and said so.

Wall times depend on what else runs: the load average before and after is printed with the
figures, and process CPU time beside wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from duetgraph.sim.charged import (
    ChargedConfig,
    integrate_charged,
    integrate_charged_loop,
    sample_charged_initial,
)
from duetgraph.sim.kuramoto import (
    KuramotoConfig,
    integrate_kuramoto,
    integrate_kuramoto_loop,
    sample_kuramoto_initial,
)
from duetgraph.sim.nri_format import make_nri_dataset
from duetgraph.sim.springs import (
    SpringsConfig,
    integrate_springs,
    integrate_springs_loop,
    sample_springs_initial,
)

SYSTEMS = {
    "springs": (SpringsConfig, sample_springs_initial, integrate_springs, integrate_springs_loop),
    "charged": (ChargedConfig, sample_charged_initial, integrate_charged, integrate_charged_loop),
    "kuramoto": (
        KuramotoConfig,
        sample_kuramoto_initial,
        integrate_kuramoto,
        integrate_kuramoto_loop,
    ),
}
FULL = {"n_train": 50_000, "n_valid": 10_000, "n_test": 10_000}


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def speed(system: str, n_vec: int, n_loop: int, chunk_size: int) -> dict:
    config_cls, sample, integrate, integrate_loop = SYSTEMS[system]
    config = config_cls()
    initial = sample(n_vec, np.random.default_rng(0), config)
    fast, vec_s, vec_cpu = timed(lambda: integrate(initial, config, chunk_size=chunk_size))
    part = initial.subset(slice(0, n_loop))
    slow, loop_s, _ = timed(lambda: integrate_loop(part, config))
    a = fast.positions if hasattr(fast, "positions") else fast.features
    b = slow.positions if hasattr(slow, "positions") else slow.features
    return {
        "system": system,
        "steps": config.n_steps,
        "vec_rate": n_vec / vec_s,
        "vec_cpu_rate": n_vec / vec_cpu,
        "loop_rate": n_loop / loop_s,
        "max_diff": float(np.abs(a[:n_loop] - b).max()),
    }


def full_dataset(system: str, chunk_size: int, folder: Path) -> dict:
    _, wall, cpu = timed(
        lambda: make_nri_dataset(system, folder, seed=0, chunk_size=chunk_size, **FULL)
    )
    size = sum(p.stat().st_size for p in folder.glob(f"*_{system}5.npy"))
    return {"system": system, "wall": wall, "cpu": cpu, "bytes": size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", nargs="+", default=["springs", "charged", "kuramoto"])
    p.add_argument("--n-vec", type=int, default=4096, help="simulations run vectorised")
    p.add_argument("--n-loop", type=int, default=20, help="of those, run by the loop reference")
    p.add_argument("--chunk-size", type=int, default=4096)
    p.add_argument("--no-full", action="store_true", help="extrapolate instead of generating")
    args = p.parse_args(argv)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# bench_sim: {cores} cores usable, load average {os.getloadavg()[0]:.1f} at start")
    print(f"# reproduce: python bench/bench_sim.py {' '.join(argv or sys.argv[1:])}".rstrip())
    print()
    print("system    steps  vectorised sims/s  (per CPU-s)  loop sims/s   ratio  max |diff|")
    rates = {}
    for system in args.systems:
        r = speed(system, args.n_vec, args.n_loop, args.chunk_size)
        rates[system] = r["vec_rate"]
        print(
            f"{system:9s} {r['steps']:5d}  {r['vec_rate']:17.0f}  {r['vec_cpu_rate']:11.0f}"
            f"  {r['loop_rate']:11.1f}  {r['vec_rate'] / r['loop_rate']:5.0f}x  {r['max_diff']:.1e}"
        )
    print(f"# load average after the speed runs: {os.getloadavg()[0]:.1f}")
    print()

    # train + valid at the base length, test at twice the steps: 80 000 base-length equivalents
    equivalents = FULL["n_train"] + FULL["n_valid"] + 2 * FULL["n_test"]
    for system in [s for s in args.systems if s in ("springs", "charged")]:
        if args.no_full:
            print(
                f"{system}: full 50 000/10 000/10 000 dataset extrapolated from the rate above: "
                f"{equivalents / rates[system] / 60:.1f} min (not generated)"
            )
            continue
        with tempfile.TemporaryDirectory(prefix="bench_sim_") as tmp:
            r = full_dataset(system, args.chunk_size, Path(tmp))
        print(
            f"{system}: full 50 000/10 000/10 000 dataset generated and written in "
            f"{r['wall'] / 60:.1f} min wall ({r['cpu'] / 60:.1f} min CPU), "
            f"{r['bytes'] / 1e6:.0f} MB; load average now {os.getloadavg()[0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
