"""Scale-out speed: duet training samples per second with 1 and 2 processes, bf16 and compile.

    python bench/bench_ddp.py                      # about 3 minutes on 2 cores
    python bench/bench_ddp.py --with-compile       # adds torch.compile (compiling takes minutes)

Every configuration trains the paper's duet setting (3 joints per dancer, 8-frame windows,
H = 64, graph-recurrent decoder, global batch 256) on the same simulated duet, each in its own
fresh process (the two-process one under `torchrun --standalone`, gloo), `--rounds` times in
turn so that a busy machine slows them alike. The figure is training samples per second of
wall time over the epochs after the first (the first includes warm-up and compiling); an epoch
includes its validation pass. The baseline, one process with one torch thread, is measured in
the same run; ratios are against it. The last column is the training nll of the last epoch:
the two-process run must give the one-process value (same global batch).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve()

# name → (processes, torch threads per process, precision, compile)
CONFIGS = {
    "1 proc x 1 thread (baseline)": (1, 1, "fp32", False),
    "1 proc x 2 threads": (1, 2, "fp32", False),
    "2 procs x 1 thread (DDP, gloo)": (2, 1, "fp32", False),
    "1 proc x 1 thread, bf16 autocast": (1, 1, "bf16", False),
}
COMPILE = {"1 proc x 1 thread, torch.compile": (1, 1, "fp32", True)}


def worker(args: argparse.Namespace) -> None:
    """One training run (one rank of it under torchrun); rank 0 prints a JSON line."""
    import torch

    from duetgraph.duet import Duet
    from duetgraph.train.distributed import init_distributed, shutdown
    from duetgraph.train.duet import duet_run_config, train_duet
    from duetgraph.train.runtime import RuntimeOptions

    torch.set_num_threads(args.threads)
    duet = Duet.load(args.duet)
    config = duet_run_config(
        data__n_rotations=args.rotations,
        train__epochs=args.epochs,
        train__threads=args.threads,
        train__batch_size=256,
    )
    ctx = init_distributed("cpu")
    try:
        result = train_duet(
            duet,
            args.run_dir,
            config,
            overwrite=True,
            dist=ctx,
            runtime=RuntimeOptions(precision=args.precision, compile=args.compile),
        )
    except BaseException:
        shutdown(ctx, meet=False)
        raise
    shutdown(ctx)
    if ctx.is_main:
        rows = result.history
        steady = rows[1:] or rows
        rate = sum(r["samples"] for r in steady) / sum(r["epoch_s"] for r in steady)
        out = {"rate": rate, "first_epoch_s": rows[0]["epoch_s"], "nll": rows[-1]["train_nll"]}
        print("RESULT " + json.dumps(out), flush=True)


def launch(name: str, spec, duet: Path, run_dir: Path, args: argparse.Namespace) -> dict:
    procs, threads, precision, compile_ = spec
    work = [str(HERE), "--worker", "--duet", str(duet), "--run-dir", str(run_dir)]
    work += ["--threads", str(threads), "--precision", precision, "--epochs", str(args.epochs)]
    work += ["--rotations", str(args.rotations)] + (["--compile"] if compile_ else [])
    if procs > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={procs}", *work]  # fmt: skip
    else:
        cmd = [sys.executable, *work]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    env.pop("WORLD_SIZE", None)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _load() -> str:
    """The machine's load averages: other work on the cores changes every figure here."""
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="duet length [3]")
    parser.add_argument("--rotations", type=int, default=4, help="rotated copies [4]")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run [3]")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each config [2]")
    parser.add_argument("--with-compile", action="store_true", help="also torch.compile")
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--duet", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="fp32", help=argparse.SUPPRESS)
    parser.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    import numpy as np

    from duetgraph.sim.duet import DuetSimConfig, simulate_duet

    configs = {**CONFIGS, **(COMPILE if args.with_compile else {})}
    print(f"# bench_ddp  {date.today()}  {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores visible; no GPU in this run")  # fmt: skip
    print("load average at start (1, 5, 15 min): " + _load())
    with tempfile.TemporaryDirectory() as tmp:
        duet, _ = simulate_duet(
            DuetSimConfig(duration_s=60 * args.minutes, fps=10), np.random.default_rng(0)
        )
        path = duet.save(Path(tmp) / "duet.npz")
        print(f"duet: {duet.n_frames} frames at 10 fps ({args.minutes:g} min), "
              f"{args.rotations} rotations, {args.epochs} epochs per run, {args.rounds} rounds")  # fmt: skip
        results: dict[str, list[dict]] = {name: [] for name in configs}
        t0 = time.perf_counter()
        for r in range(args.rounds):
            for name, spec in configs.items():
                results[name].append(launch(name, spec, path, Path(tmp) / f"run{r}", args))
    base = statistics.median(x["rate"] for x in results[next(iter(configs))])
    print("load average at end: " + _load())
    print(f"\n{'configuration':<36s} {'samples/s':>10s} {'min-max':>11s} {'ratio':>6s} "
          f"{'1st epoch s':>12s} {'last train nll':>15s}")  # fmt: skip
    for name, runs in results.items():
        rates = [x["rate"] for x in runs]
        rate = statistics.median(rates)
        first = statistics.median(x["first_epoch_s"] for x in runs)
        spread = f"{min(rates):.0f}-{max(rates):.0f}"
        print(f"{name:<36s} {rate:10.0f} {spread:>11s} {rate / base:6.2f} {first:12.1f} "
              f"{runs[0]['nll']:15.8g}")  # fmt: skip
    print(f"(medians of {args.rounds} runs; whole benchmark {time.perf_counter() - t0:.0f} s)")
    extra = " --with-compile" if args.with_compile else ""
    print(f"reproduce: python bench/bench_ddp.py --minutes {args.minutes:g} --rotations "
          f"{args.rotations} --epochs {args.epochs} --rounds {args.rounds}{extra}")  # fmt: skip


if __name__ == "__main__":
    main()
