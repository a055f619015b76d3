"""Threads on a loaded machine: does the default thread count collapse beside another process?

    python bench/bench_load.py               # about 10 minutes on 2 cores
    python bench/bench_load.py --only strings-full
    python bench/bench_load.py --repeats 5   # more pairs

Each workload runs in a fresh process, A B A B, with each thread rule, both on an idle machine
and beside a competitor that keeps one core busy (`python -c "while True: pass"`):

- `nri`: NRI duet training, 3 epochs of the journey's model (6 joints, 4 rotations) on a 120-s
  planted duet, torch threads set by the rule;
- `strings`: the string test (`analysis.evidence.string_evidence`, 6 joints, 99 surrogates) on
  the same duet, BLAS threads set by the rule (threadpoolctl, as the product does);
- `strings-full`: the same on the full 29 + 29 body (1 682 pairs).

Rules: `all` (every core: torch's and OpenBLAS's own default), `one` (1 thread), `idle`
(`duetgraph.cores.idle_threads`: the cores less the tasks other processes are running at the
start; the default of training and of the string test).
Printed: median wall seconds of each rule and the ratio to `all` in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

WORKLOAD = r"""
import contextlib, os, sys, tempfile, time
rule, what = sys.argv[1], sys.argv[2]
import numpy as np
from threadpoolctl import threadpool_limits
from duetgraph.cores import idle_threads
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
duet, _ = simulate_duet(DuetSimConfig(duration_s=120, fps=10), np.random.default_rng(3))
n = {"all": None, "one": 1, "idle": idle_threads()}[rule]
if what == "nri":
    import torch
    if n is not None:
        torch.set_num_threads(n)
limit = threadpool_limits(limits=n, user_api="blas") if n else contextlib.nullcontext()
limit.__enter__()
t0 = time.perf_counter()
if what == "nri":
    from duetgraph.train.duet import duet_run_config, train_duet
    config = duet_run_config(data__joints="pelvis,left_wrist,right_wrist", data__n_rotations=4,
                             model__n_hidden=64, train__epochs=3, train__seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        train_duet(duet, tmp + "/run", config, progress=False)
else:
    from duetgraph.analysis import evidence
    joints = None if what == "strings-full" else ([0, 20, 21], [0, 20, 21])
    # the test without its own thread limit (string_evidence applies the idle rule itself)
    evidence._string_evidence(duet, evidence.EvidenceConfig(), joints)
print(f"{time.perf_counter() - t0:.3f}")
"""

RULES = ("all", "one", "idle")
WORKLOADS = ("nri", "strings", "strings-full")


def run_once(rule: str, what: str) -> float:
    out = subprocess.run([sys.executable, "-c", WORKLOAD, rule, what], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=WORKLOADS)
    args = parser.parse_args()
    print(f"# bench_load on {os.cpu_count()} cores; medians of {args.repeats} runs, A B A B")
    for what in WORKLOADS:
        if args.only and what != args.only:
            continue
        for loaded in (False, True):
            competitor = None
            if loaded:
                competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                time.sleep(1.0)
            try:
                times = {rule: [] for rule in RULES}
                for _ in range(args.repeats):
                    for rule in RULES:
                        times[rule].append(run_once(rule, what))
            finally:
                if competitor is not None:
                    competitor.kill()
                    competitor.wait()
            base = statistics.median(times["all"])
            row = "  ".join(
                f"{rule} {statistics.median(t):6.1f} s ({statistics.median(t) / base:4.2f}x)"
                for rule, t in times.items()
            )
            print(f"{what:<8s} {'one core busy' if loaded else 'idle':<14s} {row}", flush=True)


if __name__ == "__main__":
    main()
