"""`duetgraph example`: write a synthetic duet with planted strings to start from.

    duetgraph example -o example/                      # 60 s at 30 fps, seed 0
    duetgraph example -o example/ --alphapose --switch-off --overwrite

Writes `duet.npz` (a `Duet`), `strings.json` (the planted truth, see
`duetgraph.sim.duet.strings_to_json`) and, with `--alphapose`, `alphapose-results.json`: the
same duet filmed as faulty AlphaPose + HybrIK output (`duetgraph.sim.faults`), the raw input
that `duetgraph clean` starts from.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from duetgraph.atomic import check_writable, write_text_atomic
from duetgraph.sim.duet import DuetSimConfig, PlantedString, simulate_duet, strings_to_json

FILES = ("duet.npz", "strings.json", "alphapose-results.json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "example",
        help="write a synthetic duet with planted strings (and faulty AlphaPose output)",
        description="Simulate a duet whose strings are known and write it into a folder.",
    )
    p.add_argument(
        "-o", "--out", metavar="DIR", default="example", help="folder to write [example]"
    )
    p.add_argument("--duration", type=float, default=60.0, help="seconds [60]")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second [30]")
    p.add_argument("--seed", type=int, default=0, help="random seed [0]")
    p.add_argument("--switch-off", action="store_true", help="switch each string off for a while")
    p.add_argument("--alphapose", action="store_true", help="also write alphapose-results.json")
    p.add_argument("--overwrite", action="store_true", help="replace files that exist")
    p.set_defaults(func=run)


def write_example(
    folder: str | Path,
    config: DuetSimConfig,
    seed: int = 0,
    alphapose: bool = False,
    overwrite: bool = False,
) -> tuple[list[Path], list[PlantedString]]:
    """Simulate a duet and write its files into `folder`; returns the paths and the strings.

    Nothing is written if any output exists and `overwrite` is False.
    """
    folder = Path(folder)
    paths = [folder / name for name in FILES[: 3 if alphapose else 2]]
    for path in paths:  # refuse before writing anything
        check_writable(path, overwrite)
    duet, strings = simulate_duet(config, np.random.default_rng(seed))
    duet.save(paths[0], overwrite=overwrite)
    write_text_atomic(paths[1], strings_to_json(strings, fps=duet.fps), overwrite=overwrite)
    if alphapose:
        from duetgraph.sim.faults import make_example_alphapose  # only this flag needs a camera

        make_example_alphapose(paths[2], seed=seed, duet=duet, overwrite=overwrite)
    return paths, strings


def run(args: argparse.Namespace) -> int:
    config = DuetSimConfig(duration_s=args.duration, fps=args.fps, switch_off=args.switch_off)
    paths, strings = write_example(args.out, config, args.seed, args.alphapose, args.overwrite)
    for path in paths:
        print(f"wrote {path}")
    print("planted strings (A -> B):")
    for s in strings:
        spans = ", ".join(f"{a:g}-{b:g} s" for a, b in s.spans)
        print(
            f"  {s.a_joint:>12} -> {s.b_joint:<12} {s.kind:<10} strength {s.strength:g}, "
            f"lag {s.lag_frames} frames ({s.lag_frames / config.fps:.2f} s), active {spans}"
        )
    return 0
