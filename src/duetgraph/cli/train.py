"""`duetgraph train`: train an NRI model and write a run folder.

    duetgraph train --data data/ --system springs5 -o runs/springs/ --preset nri_springs5
    duetgraph train -o runs/springs/ --data data/ --resume --epochs 600
    duetgraph train duets/ -o runs/all/                      # every duet in a folder, one model
    torchrun --standalone --nproc-per-node 2 -m duetgraph train duets/ -o runs/all/

Duets: give files, folders (their .npz, .npy and .csv files), or both; every duet must have the
same skeleton. Under torchrun (WORLD_SIZE > 1) the run is data-parallel: gloo on CPU, NCCL on
GPU, `--batch-size` stays the global batch, only rank 0 writes and prints.

Settings resolve as defaults ← `--preset` or `--config` file ← flags; each flag sets one field of
the [data], [model] or [train] section (`duetgraph.train.config.FLAGS`). Physics simulations
(`--data`) are the one training source so far; the library call for each source lives in
`duetgraph.train`, so another source is one more branch in `run`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from duetgraph.errors import InputError
from duetgraph.train.config import (
    FLAGS,
    RunConfig,
    apply_overrides,
    load_preset,
    load_run_config,
    preset_names,
)
from duetgraph.train.runtime import PRECISIONS

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train an NRI model (physics simulations with --data)",
        description="Train an NRI model and write checkpoints and metrics into a run folder.",
    )
    p.add_argument(
        "duet",
        nargs="*",
        metavar="DUET",
        help="cleaned duet(s) (.npz, .npy, .csv) or folders of them, to learn one model from",
    )
    p.add_argument("--data", metavar="DIR", help="folder of NRI-layout simulation arrays")
    p.add_argument("-o", "--out", metavar="RUN_DIR", required=True, help="run folder to write")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="TOML", help="config file ([data], [model], [train])")
    source.add_argument(
        "--preset", metavar="NAME", help=f"shipped preset: {', '.join(preset_names())}"
    )
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from last.pt")
    p.add_argument(
        "--overwrite", action="store_true", help="start again in a RUN_DIR that holds a run"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    speed = p.add_argument_group("speed (how the run computes, not what it learns)")
    speed.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="bf16: bfloat16 autocast of the forward passes [fp32]",
    )
    speed.add_argument(
        "--compile", action="store_true", help="torch.compile the encoder and decoder"
    )
    duet = p.add_argument_group("duet data (with DUET; each sets one [data] field)")
    for flag, key, type_, help_ in DUET_FLAGS:
        duet.add_argument(flag, dest=f"duet__{key}", type=type_, default=None, help=help_)
    group = p.add_argument_group("settings (each sets one config field)")
    for flag in FLAGS:
        help_ = f"{flag.help} [{flag.section}.{flag.key}]"
        if flag.type is bool:
            group.add_argument(
                flag.name,
                dest=_dest(flag),
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_,
            )
            continue
        group.add_argument(
            flag.name,
            dest=_dest(flag),
            type=_floats if flag.type is tuple else flag.type,
            choices=flag.choices,
            default=None,
            metavar=None
            if flag.choices
            else "X,Y,..."
            if flag.type is tuple
            else flag.type.__name__.upper(),
            help=help_,
        )
    p.set_defaults(func=run)


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from exc


def _dest(flag) -> str:
    return f"{flag.section}__{flag.key}"


def flag_overrides(args: argparse.Namespace) -> dict[tuple[str, str], Any]:
    """The {(section, key): value} of the flags given on the command line."""
    out = {}
    for flag in FLAGS:
        value = getattr(args, _dest(flag))
        if value is not None:
            out[(flag.section, flag.key)] = value
    return out


def resolve_run_config(args: argparse.Namespace) -> RunConfig:
    """Defaults ← preset or config file ← flags."""
    if args.preset:
        base = load_preset(args.preset)
    elif args.config:
        base = load_run_config(args.config)
    else:
        base = RunConfig()
    return apply_overrides(base, flag_overrides(args))


# Flags of the [data] section of a duet run (see `duetgraph.train.duet.DuetDataConfig`).
DUET_FLAGS = (
    ("--joints", "joints", str, 'graph nodes: joint names, body parts, "all" or "random:3-5"'),
    ("--window", "window", int, "frames per window (paper: 8)"),
    ("--stride", "stride", int, "frames between window starts"),
    ("--model-fps", "fps", float, "resample the duet to this rate first (paper: 10; 0 keeps it)"),
    ("--valid-fraction", "valid_fraction", float, "last part of the duet held out (0.15)"),
    ("--rotations", "n_rotations", int, "rotated copies of each window (paper: 10)"),
    ("--joint-seed", "joint_seed", int, "seed of random joint selections"),
)


def run(args: argparse.Namespace) -> int:
    if args.duet and args.data is not None:
        raise InputError("give either DUET files or --data DIR (physics simulations), not both.")
    if args.duet:
        return _train_duet(args)
    if args.data is not None:
        from duetgraph.train.distributed import env_world_size

        if env_world_size() > 1:
            raise InputError(
                "data-parallel (torchrun) training is wired for duet runs only; train physics "
                "runs with one process."
            )
        if args.precision != "fp32" or args.compile:
            raise InputError("--precision and --compile are wired for duet runs only so far.")
        return _train_physics(args)
    raise InputError(
        "give a DUET file (duetgraph train duet.npz -o run/) or --data DIR, a folder of "
        "NRI-layout simulation arrays (loc_train_springs5.npy, ...)."
    )


DUET_SUFFIXES = (".npz", ".npy", ".csv")


def duet_paths(items: list[str]) -> list[Path]:
    """Files of `items` in order, each folder replaced by its duet files sorted by name."""
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in DUET_SUFFIXES)
            if not found:
                raise InputError(
                    f"{path}: holds no duet files ({', '.join(DUET_SUFFIXES)}); clean raw "
                    "detections first (duetgraph clean) or give the files."
                )
            paths += found
        else:
            paths.append(path)
    return paths


def _train_duet(args: argparse.Namespace) -> int:
    from duetgraph.cli._duet_input import load_duet
    from duetgraph.train.distributed import init_distributed, shutdown
    from duetgraph.train.duet import duet_run_config, load_duet_run_config, train_duet
    from duetgraph.train.runtime import RuntimeOptions

    if args.preset:
        raise InputError("presets are for physics runs; for a duet use --config or flags.")
    overrides = {f"{s}__{k}": v for (s, k), v in flag_overrides(args).items() if s != "data"}
    if any(key[0] == "data" for key in flag_overrides(args)):
        raise InputError("--system and --max-*-sims are for physics runs (--data), not duets.")
    if "model__symmetric" in overrides:  # a duet's edge layout comes from its data section
        overrides["data__symmetric"] = overrides.pop("model__symmetric")
    for _, key, _, _ in DUET_FLAGS:
        value = getattr(args, f"duet__{key}")
        if value is not None:
            overrides[f"data__{key}"] = value
    paths = duet_paths(args.duet)
    duets = [load_duet(path) for path in paths]
    if args.resume and args.config:
        raise InputError("--resume continues the run with its own settings; leave out --config.")
    config = None
    if not args.resume:
        config = load_duet_run_config(args.config, **overrides) if args.config else None
        config = config or duet_run_config(**overrides)
    device = args.train__device or (config or _stored_config(args.out)).train.device
    ctx = init_distributed(device)
    if not ctx.is_main:  # rank 0 speaks for the run
        logging.getLogger("duetgraph").setLevel(logging.WARNING)
    try:
        result = train_duet(
            duets if len(duets) > 1 else duets[0],
            args.out,
            config,
            resume=args.resume,
            resume_overrides=overrides,
            overwrite=args.overwrite,
            progress=not args.no_progress,
            dist=ctx,
            runtime=RuntimeOptions(precision=args.precision, compile=args.compile),
        )
    except BaseException:
        shutdown(ctx, meet=False)  # the other ranks may be stuck in a collective
        raise
    shutdown(ctx)
    if ctx.is_main:
        print(_summary(result, "KL", "valid_kl", ".3f"))
        print(f"next: duetgraph infer {paths[0]} --run {result.run_dir} -o strings.npz")
    return 0


def _stored_config(run_dir: str):
    """The run config of a run folder being resumed (its device picks the backend)."""
    from duetgraph.train.duet import duet_run_config, load_duet_run_config
    from duetgraph.train.run import CONFIG

    path = Path(run_dir) / CONFIG
    return load_duet_run_config(path) if path.is_file() else duet_run_config()


def _train_physics(args: argparse.Namespace) -> int:
    from duetgraph.train.physics import train_physics

    if args.resume and (args.config or args.preset):
        raise InputError("--resume continues with the run's own settings; drop --config/--preset.")
    config = None if args.resume else resolve_run_config(args)
    result = train_physics(
        args.data,
        args.out,
        config,
        resume=args.resume,
        overwrite=args.overwrite,
        overrides=flag_overrides(args),
        progress=not args.no_progress,
    )
    print(_summary(result, "edge accuracy", "valid_acc", ".4f"))
    return 0


def _summary(result, label: str, column: str, spec: str) -> str:
    """One line on a finished run: epochs, best validation value, and the last `column`."""
    last = result.history[-1] if result.history else {}
    return (
        f"{result.run_dir}: {result.epochs_done} epochs ({result.stopped}); best valid "
        f"{result.select_on} {result.best_value:.6g} at epoch {result.best_epoch}; last valid "
        f"{label} {format(last.get(column, float('nan')), spec)}"
    )
