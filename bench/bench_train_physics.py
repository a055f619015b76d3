"""Benchmark: NRI training on the physics simulations — throughput, and accuracy against time.

    python bench/bench_train_physics.py                     # throughput + a 3-CPU-minute springs run
    python bench/bench_train_physics.py --only throughput   # throughput alone (about a minute)
    python bench/bench_train_physics.py --full              # NRI-size data; springs5 and charged5,
                                                            # 30 CPU-minutes of training each
    python bench/bench_train_physics.py --full --recipe nri # the same with NRI's own recipe
    python bench/bench_train_physics.py --full --systems springs --preset fast_springs5 \
        --recipe preset                                     # the 30-CPU-minute springs recipe
    ... --set train.lr_decay=0.9 --set 'model.kl_reduction="node"'   # any config field

1. Throughput: training samples per second (forward, backward, Adam step) of NRI's default
   model — MLP encoder, MLP decoder, hidden 256, 2 edge types, 10 prediction steps — on 5 balls
   × 49 frames in batches of 128: the median of `--steps` timed steps after 2 warm-up steps, with
   `--threads` torch threads. Evaluation throughput (forward only, eval mode) alongside.

2. Timed runs: the data set is simulated with `duetgraph.sim` (NRI's settings: 50 000 / 10 000 /
   10 000 simulations, test sequences of 99 frames) into `--data-dir` unless it is there
   already. `train_physics` then trains until `--minutes` of CPU time are spent (`cpu_limit_min`,
   stopping mid-epoch if need be and keeping the best model on validation), and
   `evaluate_physics_run` scores `best.pt` on the whole test split (`--no-test`: skip it). Printed: validation accuracy
   after each epoch against wall and CPU minutes, then test edge accuracy (raw and best over
   type labels), AUROC and MSE at 1/10/20 steps beside the static and constant-velocity
   baselines, and the edge accuracy and AUROC again with the posterior averaged over the 8
   symmetries of the box (`duetgraph evaluate --box-symmetries`). Targets: springs5 ≥ 99 % edge
   accuracy within 30 minutes of CPU time, charged5 ≥ 82.1 % (NRI). The run folders stay in `--run-root` for `duetgraph evaluate`.

CPU time is the process's, summed over threads. A summary JSON goes to `--out`.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
import tomllib
from pathlib import Path

import torch

from duetgraph.model.config import ModelConfig
from duetgraph.model.graph import fully_connected_edges
from duetgraph.model.nri import NRIModel
from duetgraph.sim.nri_format import make_nri_dataset, nri_suffix
from duetgraph.train.config import apply_overrides, load_preset, model_defaults
from duetgraph.train.evaluate import evaluate_physics_run
from duetgraph.train.physics import train_physics

NRI_SIZES = {"n_train": 50_000, "n_valid": 10_000, "n_test": 10_000}
# Training recipes of the timed runs, on top of the nri_{system} presets. "nri" is NRI's own
# (hidden 256, batch 128, lr 5e-4); "fast" trades width for updates, which on a few CPU cores
# reaches a given accuracy sooner (see the figures).
RECIPES = {
    "nri": {},
    "preset": {},  # the --preset as it is (e.g. fast_springs5)
    "fast": {("model", "n_hidden"): 64, ("train", "batch_size"): 32, ("train", "lr"): 1e-3},
}
QUICK_SIZES = {"n_train": 5_000, "n_valid": 1_000, "n_test": 1_000}


def throughput(threads: int, steps: int, hidden: int = 256, batch: int = 128) -> dict:
    """Samples per second of training steps and of eval forward passes, NRI's default model."""
    torch.set_num_threads(threads)
    config = ModelConfig(
        n_nodes=5,
        n_features=4,
        n_input_frames=49,
        latent_edges=fully_connected_edges(5),
        n_hidden=hidden,
    )
    torch.manual_seed(0)
    model = NRIModel(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    x = torch.randn(batch, 49, 5, 4) * 0.5
    gen = torch.Generator().manual_seed(0)
    times = []
    for i in range(steps + 2):
        t0 = time.perf_counter()
        out = model(x, generator=gen)
        loss = model.loss(out, x)["total"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i >= 2:  # warm-up steps are not timed
            times.append(time.perf_counter() - t0)
    model.eval()
    eval_times = []
    with torch.no_grad():
        for i in range(steps + 1):
            t0 = time.perf_counter()
            model(x, generator=gen)
            if i >= 1:
                eval_times.append(time.perf_counter() - t0)
    return {
        "threads": threads,
        "batch": batch,
        "hidden": hidden,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_step_s": statistics.median(times),
        "train_samples_per_s": batch / statistics.median(times),
        "eval_samples_per_s": batch / statistics.median(eval_times),
    }


def parse_sets(items: list[str]) -> dict[tuple[str, str], object]:
    """`["train.lr_decay=0.5", ...]` → `{("train", "lr_decay"): 0.5}`; values parsed as TOML."""
    out: dict[tuple[str, str], object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot:
            raise SystemExit(f"--set {item!r}: write section.key=value, e.g. train.lr_decay=0.5")
        out[(section.strip(), name.strip())] = tomllib.loads(f"v = {value}")["v"]
    return out


def ensure_data(system: str, folder: Path, sizes: dict) -> None:
    suffix = nri_suffix(system, 5)
    if (folder / f"meta_{suffix}.json").is_file():
        print(f"data: reusing {folder}/*_{suffix}.npy")
        return
    t0 = time.perf_counter()
    make_nri_dataset(system, folder, **sizes, seed=0, n_balls=5)
    print(f"data: simulated {system} {sizes} in {time.perf_counter() - t0:.0f} s")


def timed_run(system: str, args: argparse.Namespace, sizes: dict, minutes: float) -> dict:
    data_dir = Path(args.data_dir)
    ensure_data(system, data_dir, sizes)
    suffix = nri_suffix(system, 5)
    run_dir = Path(args.run_root) / f"bench_{suffix}"
    overrides = {
        ("train", "cpu_limit_min"): minutes,  # CPU time: steadier than wall on a shared machine
        ("train", "threads"): args.threads,
        ("train", "epochs"): 10_000,  # the time limit ends the run
        ("data", "max_train_sims"): args.epoch_sims,
        ("data", "max_valid_sims"): args.valid_sims,
    }
    if args.recipe != "preset":  # NRI's recipe and "fast" keep the rate constant
        overrides[("train", "lr_decay_every")] = 0
    overrides.update(RECIPES[args.recipe])
    if args.hidden:
        overrides[("model", "n_hidden")] = args.hidden
    if args.lr:
        overrides[("train", "lr")] = args.lr
    if args.batch_size:
        overrides[("train", "batch_size")] = args.batch_size
    if args.skip_first:
        overrides[("model", "skip_first_edge_type")] = True
    overrides.update(parse_sets(args.set))
    preset = args.preset or f"nri_{suffix}"
    config = apply_overrides(load_preset(preset), overrides)
    c0, t0 = time.process_time(), time.perf_counter()
    result = train_physics(data_dir, run_dir, config, overwrite=True, progress=args.progress)
    train_cpu, train_wall = time.process_time() - c0, time.perf_counter() - t0
    tc, mc = config.train, {**model_defaults(), **config.model}
    print(
        f"\n{system}5, preset {preset}, recipe {args.recipe}: hidden {mc['n_hidden']}, batch "
        f"{tc.batch_size}, lr {tc.lr:g} (× {tc.lr_decay:g} every {tc.lr_decay_every} epochs), "
        f"hard {mc['hard']}, skip_first {mc['skip_first_edge_type']}, kl {mc['kl_reduction']}, "
        f"{tc.threads} thread(s); validation accuracy against time"
    )
    print(
        f"{'epoch':>6} {'wall min':>9} {'CPU min':>8} {'lr':>8} {'valid acc':>10} {'perm':>7} "
        f"{'valid nll':>11}"
    )
    for row in result.history:
        print(
            f"{row['epoch']:>5}{'*' if row['partial'] else ' '} {row['elapsed_s'] / 60:9.1f} "
            f"{row['cpu_total_s'] / 60:8.1f} {row['lr']:8.2e} {row['valid_acc']:10.4f} "
            f"{row['valid_acc_perm']:7.4f} {row['valid_nll']:11.1f}"
        )
    print(
        f"training: {train_wall / 60:.1f} min wall, {train_cpu / 60:.1f} min CPU; {result.stopped}"
    )
    test = {}
    if not args.no_test:
        test = evaluate_physics_run(run_dir, data_dir, split="test", batch_size=512)
        test = {k: v for k, v in test.items() if not k.endswith("_curve")}
        print(
            f"test ({test['n_samples']} sims, best.pt from epoch {test['checkpoint_epoch']}): "
            f"edge accuracy {test['edge_accuracy']:.4f}, best labelling "
            f"{test['edge_accuracy_perm']:.4f}, AUROC {test['auroc_perm']:.4f}; MSE@1/10/20 model "
            + "/".join(f"{test['mse'][h]:.2e}" for h in test["mse"])
            + " static "
            + "/".join(f"{test['mse_static'][h]:.2e}" for h in test["mse_static"])
            + " const.vel. "
            + "/".join(f"{test['mse_cv'][h]:.2e}" for h in test["mse_cv"])
        )
        boxed = evaluate_physics_run(
            run_dir, data_dir, split="test", batch_size=512, use_box_symmetries=True
        )
        test["box8"] = {k: boxed[k] for k in ("edge_accuracy", "edge_accuracy_perm", "auroc_perm")}
        print(
            "test, posterior averaged over the 8 turns and mirrors of the box: edge accuracy "
            f"{boxed['edge_accuracy']:.4f}, best labelling {boxed['edge_accuracy_perm']:.4f}, "
            f"AUROC {boxed['auroc_perm']:.4f}"
        )
    return {
        "system": suffix,
        "recipe": args.recipe,
        "run_config": config.to_dict(),
        "minutes": minutes,
        "train_wall_s": train_wall,
        "train_cpu_s": train_cpu,
        "history": result.history,
        "test": test,
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--full", action="store_true", help="NRI-size data, 30-minute runs of both systems"
    )
    p.add_argument("--only", choices=("throughput", "runs"), help="one part only")
    p.add_argument(
        "--systems", default=None, help="comma list (default: springs; --full: springs,charged)"
    )
    p.add_argument(
        "--minutes", type=float, default=None, help="CPU minutes per run (3; --full: 30)"
    )
    p.add_argument("--preset", default="", help="base preset (default nri_<system>5); see --recipe")
    p.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="fast",
        help="overrides on top of the preset ('nri': none, the preset as it is)",
    )
    p.add_argument("--no-test", action="store_true", help="skip the test-split evaluation")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: CPU time ≈ wall)")
    p.add_argument("--steps", type=int, default=5, help="timed training steps for throughput")
    p.add_argument("--hidden", type=int, default=0, help="hidden width (0: the recipe's)")
    p.add_argument("--lr", type=float, default=0.0, help="learning rate (0: the recipe's)")
    p.add_argument("--batch-size", type=int, default=0, help="batch size (0: the recipe's)")
    p.add_argument(
        "--skip-first", action="store_true", help="edge type 0 sends no messages (springs)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="any config field, value in TOML syntax (repeatable), e.g. train.lr_decay_every=8",
    )
    p.add_argument(
        "--epoch-sims", type=int, default=0, help="train on the first N simulations (0: all)"
    )
    p.add_argument("--valid-sims", type=int, default=2_000, help="validation simulations")
    p.add_argument("--data-dir", default="data/nri", help="NRI-layout data (simulated if missing)")
    p.add_argument("--run-root", default="runs", help="run folders go here (overwritten)")
    p.add_argument("--out", default=".benchmarks/train_physics.json")
    p.add_argument("--progress", action="store_true", help="progress bars")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    summary: dict = {"torch": torch.__version__, "threads": args.threads}
    if args.only in (None, "throughput"):
        tp = throughput(args.threads, args.steps)
        summary["throughput"] = tp
        print(
            f"throughput (MLP/MLP, hidden 256, 5 balls × 49 frames, batch 128, {args.threads} "
            f"threads): train {tp['train_samples_per_s']:.1f} samples/s "
            f"({tp['train_step_s']:.2f} s/step), eval {tp['eval_samples_per_s']:.1f} samples/s"
        )
    if args.only in (None, "runs"):
        systems = args.systems or ("springs,charged" if args.full else "springs")
        minutes = args.minutes or (30.0 if args.full else 3.0)
        sizes = NRI_SIZES if args.full else QUICK_SIZES
        if not args.full:
            args.epoch_sims = min(args.epoch_sims, sizes["n_train"])
            args.valid_sims = min(args.valid_sims, sizes["n_valid"])
            args.data_dir = args.data_dir + "_quick"
        summary["runs"] = [timed_run(s, args, sizes, minutes) for s in systems.split(",")]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, default=float) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
