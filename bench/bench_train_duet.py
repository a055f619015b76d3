"""Duet model speed: one training epoch in the paper's setting and on the full body; inference.

    python bench/bench_train_duet.py                 # all three figures (about 15 minutes)
    python bench/bench_train_duet.py --only paper    # or: full, infer
    python bench/bench_train_duet.py --only full --compile --threads 1  # eager and compiled
    python bench/bench_train_duet.py --only full --full-batch-size 32     # cache-sized steps

Figures (targets from the duet-model issue, 2 cores):
- paper setting (6 joints, 8-frame windows, H = 64, K = 4) on a 41-minute duet at 10 fps with
  10x rotation augmentation: one epoch <= 60 s (the prior implementation: ~4 900 s + 640 s);
  also timed with two edge types (K = 2) for the paper's model and for the duet default (NRI's
  MLP encoder and decoder with relative pair inputs), for comparison;
- full 29 + 29 body (1 682 directed inter-dancer edges), same duet, no augmentation: one epoch
  <= 10 minutes, with peak memory (the duet default model; `--full-model paper` for the paper's);
- inference over a 10-minute duet: <= 30 s.
Baseline measured in the same run: the same model fed one window at a time (batch size 1, as a
per-sample loop would), timed on a few hundred windows and extrapolated to the epoch.
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from duetgraph.data.duet_dataset import build_duet_windows
from duetgraph.data.joints import select_joints
from duetgraph.model.nri import NRIModel
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.duet import duet_model_config, duet_run_config, materialise, train_duet
from duetgraph.train.infer import infer_strings
from duetgraph.train.runtime import RuntimeOptions

REFERENCE_EPOCH_S = 4900.0  # DESIGN.md §8: the prior implementation, 6 joints, per epoch
# The paper's model (GCN encoder, graph-recurrent decoder; the duet default is NRI's MLP pair
# with relative inputs) and its four edge types and prior (the default: two, sparse).
PAPER_MODEL = {
    "model__encoder": "gcn",
    "model__decoder": "graph_rnn",
    "model__pair_inputs": "concat",
}
PAPER_TYPES = {
    **PAPER_MODEL,
    "model__n_edge_types": 4,
    "model__edge_prior": (0.35, 0.25, 0.15, 0.25),
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def per_sample_baseline(config, duet, n: int = 200) -> float:
    """Seconds per training sample when windows are fed one at a time (batch size 1)."""
    selection = select_joints(duet.skeleton, config.data.joints)
    data = build_duet_windows(duet, selection, config.data.window, valid_fraction=0.15)
    x = materialise(data.train)[:n]
    ratio = data.normalizer.velocity_scale / data.normalizer.position_scale
    model_cfg = duet_model_config(config, selection, ratio)
    model = NRIModel(model_cfg)
    model.eval()  # batch norm cannot train on one sample; the cost per step is the same
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for i in range(n):
        out = model(x[i : i + 1])
        loss = model.loss(out, x[i : i + 1])["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t0) / n


def epoch_figure(
    name: str,
    duet,
    overrides: dict,
    tmp: Path,
    threads: int = 2,
    compile_: bool = False,
    precision: str = "fp32",
) -> dict:
    config = duet_run_config(**overrides, train__epochs=1, train__threads=threads)
    t0 = time.perf_counter()
    runtime = RuntimeOptions(compile=compile_, precision=precision)
    result = train_duet(duet, tmp / name, config, runtime=runtime)
    wall = time.perf_counter() - t0
    row = result.history[-1]
    base = per_sample_baseline(config, duet)
    return {
        "samples": int(row["samples"]),
        "epoch_s": row["epoch_s"],
        "wall_with_setup_s": wall,
        "samples_per_s": row["samples"] / row["epoch_s"],
        "baseline_epoch_s": base * row["samples"],
        "speedup_vs_batch1": base * row["samples"] / row["epoch_s"],
        "peak_rss_mb": peak_rss_mb(),
        "valid_kl": row["valid_kl"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("paper", "full", "infer"), default=None)
    parser.add_argument("--minutes", type=float, default=41.0, help="duet length for epochs")
    parser.add_argument("--threads", type=int, default=2, help="torch threads while training")
    parser.add_argument(
        "--full-batch-size", type=int, default=256, help="full body: windows per step"
    )
    parser.add_argument(
        "--full-model",
        choices=("default", "paper"),
        default="default",
        help="full body: the duet default model or the paper's (GCN, graph-recurrent decoder)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="full body: also time an epoch with --compile (compiling counts in the epoch)",
    )
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="paper setting: the training precision (bf16 autocast; the baseline stays fp32)",
    )
    args = parser.parse_args()
    print(f"# bench_train_duet  {date.today()}  {platform.processor() or platform.machine()}, "
          f"training with {args.threads} torch thread(s), torch {torch.__version__}")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench_duet_"))
    try:
        if args.only in (None, "paper", "full"):
            duet, _ = simulate_duet(
                DuetSimConfig(duration_s=args.minutes * 60, fps=10), np.random.default_rng(0)
            )
            print(f"duet: {duet.n_frames} frames at 10 fps ({args.minutes:g} min)")
        if args.only in (None, "paper"):
            for label, types in (
                ("paper setting, K = 4", PAPER_TYPES),
                ("paper's model, K = 2", PAPER_MODEL),
                ("duet default (MLP, relative inputs), K = 2", {}),
            ):
                f = epoch_figure("paper", duet, types, tmp, args.threads, False, args.precision)
                shutil.rmtree(tmp / "paper")
                print(
                    f"{label}, {args.precision}, 10x rotations: {f['samples']} samples, "
                    f"epoch {f['epoch_s']:.1f} s "
                    f"(target <= 60 s; reference implementation ~{REFERENCE_EPOCH_S:.0f} s, "
                    f"{REFERENCE_EPOCH_S / f['epoch_s']:.0f}x), {f['samples_per_s']:.0f} samples/s;"
                    f" batch-1 baseline {f['baseline_epoch_s']:.0f} s "
                    f"({f['speedup_vs_batch1']:.1f}x); peak RSS {f['peak_rss_mb']:.0f} MB"
                )
        if args.only in (None, "full"):
            full = {
                "data__joints": "all",
                "data__n_rotations": 1,
                "train__batch_size": args.full_batch_size,
                **(PAPER_MODEL if args.full_model == "paper" else {}),
            }
            for compile_ in (False, True) if args.compile else (False,):
                f = epoch_figure("full", duet, full, tmp, args.threads, compile_)
                shutil.rmtree(tmp / "full")
                print(
                    f"full body (1682 edges), {args.full_model} model, no augmentation, "
                    f"batch {args.full_batch_size}"
                    f"{', --compile' * compile_}: "
                    f"{f['samples']} samples, epoch {f['epoch_s']:.1f} s (target <= 600 s), "
                    f"{f['samples_per_s']:.0f} samples/s; batch-1 baseline "
                    f"{f['baseline_epoch_s']:.0f} s ({f['speedup_vs_batch1']:.1f}x); "
                    f"peak RSS {f['peak_rss_mb']:.0f} MB"
                )
        if args.only in (None, "infer"):
            short, _ = simulate_duet(DuetSimConfig(duration_s=60, fps=10), np.random.default_rng(1))
            cfg = duet_run_config(train__epochs=1, data__n_rotations=1, train__threads=2)
            train_duet(short, tmp / "infer_run", cfg)
            long, _ = simulate_duet(DuetSimConfig(duration_s=600, fps=30), np.random.default_rng(2))
            t0 = time.perf_counter()
            post = infer_strings(long, tmp / "infer_run")
            dt = time.perf_counter() - t0
            print(
                f"inference, 10-minute 30 fps duet: {post.n_windows} windows in {dt:.2f} s "
                f"(target <= 30 s; {600 / dt:.0f}x faster than real time)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("reproduce: python bench/bench_train_duet.py"
          f"{f' --only {args.only}' if args.only else ''} --threads {args.threads}"
          f" --full-batch-size {args.full_batch_size} --full-model {args.full_model}"
          f"{' --compile' * args.compile} --precision {args.precision}")  # fmt: skip


if __name__ == "__main__":
    main()
