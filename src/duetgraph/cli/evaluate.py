"""`duetgraph evaluate`: metrics of a trained run on held-out data, as a table and JSON.

    duetgraph evaluate runs/springs/ [--data data/] [--split test] [--checkpoint best]
                       [--box-symmetries]

Writes `RUN_DIR/metrics_{split}.json` (`metrics_{split}_box8.json` with --box-symmetries,
`metrics_duet.json` with --duet) atomically; an earlier evaluation of the same kind is replaced
only with --overwrite.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate a trained run (edge accuracy, AUROC, prediction MSE vs baselines)",
        description="Evaluate a run's best (or last) checkpoint on held-out data.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run folder written by `duetgraph train`")
    p.add_argument(
        "--data", metavar="DIR", help="folder of simulation arrays (default: the run's own)"
    )
    p.add_argument(
        "--duet", metavar="DUET", help="for a duet run: the duet whose held-out windows to score"
    )
    p.add_argument("--split", default="test", choices=("train", "valid", "test"))
    p.add_argument("--checkpoint", default="best", choices=("best", "last"))
    p.add_argument("--max-sims", type=int, default=0, help="first N simulations only (0: all)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0, help="seed of the decoder's edge samples")
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--box-symmetries",
        action="store_true",
        help="physics runs: average the edge posterior over the 8 turns and mirrors of the square "
        "box (8 encoder passes; the graph of a turned simulation is the same graph)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an earlier evaluation")
    p.set_defaults(func=run)


def metrics_path(args: argparse.Namespace) -> Path:
    """The file this evaluation writes, checked before any work (see --overwrite)."""
    from duetgraph.atomic import check_not_input, check_writable
    from duetgraph.errors import InputError
    from duetgraph.train.run import metrics_json_name

    if args.duet is not None and args.box_symmetries:
        raise InputError(
            "--box-symmetries is for physics runs (a square box); leave it out with --duet."
        )
    if args.duet is not None:
        name = "metrics_duet.json"
    else:
        name = metrics_json_name(args.split, args.box_symmetries)
    path = Path(args.run_dir) / name
    check_not_input([path], [args.duet])
    if Path(args.run_dir).is_dir():  # a missing run folder gets the reader's message instead
        check_writable(path, args.overwrite)
    return path


def run(args: argparse.Namespace) -> int:
    path = metrics_path(args)
    if args.duet is not None:
        return _evaluate_duet(args)
    from duetgraph.train.evaluate import evaluate_physics_run

    result = evaluate_physics_run(
        args.run_dir,
        args.data,
        split=args.split,
        which=args.checkpoint,
        max_sims=args.max_sims,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        use_box_symmetries=args.box_symmetries,
    )
    print(format_table(result))
    print(f"wrote {path}")
    return 0


def _f(v: Any, spec: str) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def format_table(r: dict[str, Any]) -> str:
    """A plain-text report of `evaluate_physics_run`'s result."""
    partial = ", partial" if r.get("checkpoint_partial") else ""
    lines = [
        f"run {r['run']} ({r['checkpoint']}.pt, epoch {r['checkpoint_epoch']}{partial}); "
        f"{r['system']} {r['split']}, {r['n_samples']} simulations",
    ]
    if r.get("n_symmetries", 1) > 1:
        lines.append(f"  (edge posterior averaged over {r['n_symmetries']} symmetries of the box)")
    if "edge_accuracy" in r:
        mapping = ", ".join(f"{k}→{t}" for k, t in enumerate(r["edge_type_mapping"]))
        lines += [
            f"  edge accuracy  {_f(r['edge_accuracy'], '.4f')}   "
            f"best over type labels {_f(r['edge_accuracy_perm'], '.4f')} ({mapping})",
            f"  edge AUROC     {_f(r['auroc'], '.4f')}   "
            f"with that labelling {_f(r['auroc_perm'], '.4f')}",
        ]
    lines.append(f"  nll {_f(r['nll'], '.6g')}   kl {_f(r['kl'], '.4g')}")
    horizons = r["horizons"]
    if horizons:
        head = "".join(f"{f'{h} step' + ('s' if h > 1 else ''):>12}" for h in horizons)
        lines.append(f"  MSE {'':<14}{head}")
        for key, label in (
            ("mse", "model"),
            ("mse_static", "repeat last"),
            ("mse_cv", "const. vel."),
        ):
            cells = "".join(f"{_f(r[key][str(h)], '.3e'):>12}" for h in horizons)
            lines.append(f"      {label:<14}{cells}")
        lines.append(f"  (rollout from frame {r['rollout_start']}; normalised units)")
    return "\n".join(lines)


def _evaluate_duet(args: argparse.Namespace) -> int:
    import json

    from duetgraph.atomic import write_text_atomic
    from duetgraph.cli._duet_input import load_duet
    from duetgraph.train.duet_eval import evaluate_duet_run, format_duet_metrics

    result = evaluate_duet_run(args.run_dir, load_duet(args.duet), which=args.checkpoint)
    print(format_duet_metrics(result))
    path = Path(args.run_dir) / "metrics_duet.json"
    write_text_atomic(path, json.dumps(result, indent=2) + "\n", overwrite=args.overwrite)
    print(f"wrote {path}")
    return 0
