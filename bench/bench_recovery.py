"""Do we recover planted strings? Train on one synthetic duet, score on duets it never saw.

    python bench/bench_recovery.py                         # paper's 6 joints (about 10 minutes)
    python bench/bench_recovery.py --joints all --epochs 3 # the full 29 + 29 body (slow)

Targets (duet-model issue): recovery AUROC >= 0.95 with the paper's 6-joint setting that contains
the planted joints, >= 0.90 on the full body; precision@k (k = planted strings); whether strings
that switch off are seen to switch off; held-out prediction error against repeat-last-frame and
constant-velocity (the baselines, measured in the same run); KL(posterior || prior) and entropy.
A model-free baseline is scored on the same unseen duets in the same run: the linear Granger
test of bench_string_information.py (`--no-baseline` skips it; minutes on the full body).
Edges implied through B's skeleton (a pelvis string carries all of B) are left out of the
scoring, see `duetgraph.analysis.recovery`.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from bench_string_information import baseline_recovery  # same folder
from bench_train_physics import parse_sets  # same folder

from duetgraph.analysis.recovery import recover_planted
from duetgraph.data.joints import select_joints
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.duet import duet_run_config, train_duet
from duetgraph.train.duet_eval import evaluate_duet_run, format_duet_metrics
from duetgraph.train.infer import infer_strings
from duetgraph.train.runtime import RuntimeOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training duet length")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--joints", default="pelvis,left_wrist,right_wrist")
    parser.add_argument("--rotations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="training batch (0: the duet default; 32 suits "
        "the full body on a CPU, see bench_duet_batch.py)",
    )
    parser.add_argument("--test-seeds", type=int, nargs="+", default=[1001, 1002, 1003])
    parser.add_argument("--compile", action="store_true", help="train with --compile (full body)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="any duet config field, value in TOML syntax (repeatable), e.g. train.lr_decay=0.96",
    )
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the linear Granger baseline"
    )
    args = parser.parse_args()
    print(f"# bench_recovery  {date.today()}  {platform.machine()}, torch {torch.__version__}, "
          f"{args.threads} thread(s)")  # fmt: skip
    duet, _ = simulate_duet(
        DuetSimConfig(duration_s=args.minutes * 60, fps=30), np.random.default_rng(123)
    )
    config = duet_run_config(
        data__joints=args.joints,
        data__n_rotations=args.rotations,
        train__epochs=args.epochs,
        train__threads=args.threads,
        **({"train__batch_size": args.batch_size} if args.batch_size else {}),
        **{f"{section}__{key}": value for (section, key), value in parse_sets(args.set).items()},
    )
    run_dir = Path(tempfile.mkdtemp(prefix="bench_recovery_")) / "run"
    t0, c0 = time.perf_counter(), time.process_time()
    train_duet(duet, run_dir, config, runtime=RuntimeOptions(compile=args.compile))
    print(f"trained {args.epochs} epochs on {args.minutes:g} min (seed 123): "
          f"{time.perf_counter() - t0:.0f} s wall, {time.process_time() - c0:.0f} s CPU")  # fmt: skip
    held_out = evaluate_duet_run(run_dir, duet)
    print(format_duet_metrics(held_out))
    results, tests = [], []
    for seed in args.test_seeds:
        test, strings = simulate_duet(
            DuetSimConfig(duration_s=300, fps=30, switch_off=True), np.random.default_rng(seed)
        )
        tests.append((test, strings))
        rec = recover_planted(infer_strings(test, run_dir), strings, test.duration)
        results.append(rec.to_dict())
        on_off = "; ".join(
            f"{k}: {v['p_on']:.2f} on / {v['p_off']:.2f} off" for k, v in rec.on_off.items()
        )
        print(f"unseen duet seed {seed}: AUROC {rec.auroc:.3f}, precision@{rec.k} "
              f"{rec.precision_at_k:.2f} ({rec.n_edges} edges, {rec.n_implied} implied); "
              f"best negative {rec.best_negative[0]} {rec.best_negative[1]:.2f}; {on_off}")  # fmt: skip
    mean_auroc = float(np.mean([r["auroc"] for r in results]))
    print(f"mean AUROC over {len(results)} unseen duets: {mean_auroc:.3f}")
    baseline = {}
    if not args.no_baseline:
        # The model-free baseline on the same duets (bench_string_information.py).
        selection = select_joints(duet.skeleton, args.joints)
        # A whole dancer's history as features is cheap for a few joints, not for 29 (~700 each).
        own = "dancer" if selection.n_a <= 8 else "joint"
        t0 = time.perf_counter()
        _, _, base = baseline_recovery(duet, tests, selection, own=own)
        baseline = {"own": own, "auroc": [r.auroc for r in base]}
        print(f"linear Granger baseline (3-frame horizon, own history: {own}), same duets: AUROC "
              + ", ".join(f"{r.auroc:.3f}" for r in base)
              + f"; mean {np.mean(baseline['auroc']):.3f} ({time.perf_counter() - t0:.0f} s)")  # fmt: skip
    if args.out:
        Path(args.out).write_text(
            json.dumps({"held_out": held_out, "recovery": results, "baseline": baseline}, indent=2),
            encoding="utf-8",
        )
    print(f"reproduce: python bench/bench_recovery.py --minutes {args.minutes:g} "
          f"--epochs {args.epochs} --joints {args.joints} --rotations {args.rotations}"
          f"{' --compile' * args.compile}"
          f"{f' --batch-size {args.batch_size}' * bool(args.batch_size)}"
          + "".join(f" --set {shlex.quote(item)}" for item in args.set))  # fmt: skip


if __name__ == "__main__":
    main()
