"""`duetgraph simulate`: physics datasets with ground-truth graphs, in NRI's file layout.

duetgraph simulate springs --out data/                # NRI's 50 000 / 10 000 / 10 000
duetgraph simulate charged --n-sims 1000 --n-valid 100 --n-test 100 --out data/
"""

from __future__ import annotations

import argparse

from tqdm import tqdm

from duetgraph.sim.nri_format import SYSTEMS, make_nri_dataset


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="simulate springs / charged / Kuramoto systems into NRI's .npy layout",
        description="Simulate interacting systems with known graphs and write train/valid/test "
        "splits as NRI does (loc_/vel_/edges_{split}_{system}{n}.npy, or feat_ for Kuramoto), "
        "plus meta_{system}{n}.json with the settings.",
    )
    p.add_argument("system", choices=sorted(SYSTEMS), help="which system to simulate")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--n-sims", type=int, default=50_000, help="training simulations (50000)")
    p.add_argument("--n-valid", type=int, default=10_000, help="validation simulations (10000)")
    p.add_argument("--n-test", type=int, default=10_000, help="test simulations (10000)")
    p.add_argument("--n-balls", type=int, default=5, help="objects per simulation (5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.add_argument(
        "--n-steps",
        type=int,
        default=None,
        help="integration steps (springs, charged 5000; kuramoto 500)",
    )
    p.add_argument(
        "--n-steps-test", type=int, default=None, help="steps of the test split (2 × --n-steps)"
    )
    p.add_argument(
        "--sample-every",
        type=int,
        default=None,
        help="store every k-th step (springs, charged 100; kuramoto 10)",
    )
    p.add_argument(
        "--chunk-size", type=int, default=4096, help="simulations advanced together (4096)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    total = args.n_sims + args.n_valid + args.n_test
    bars: list[tqdm] = []  # opened at the first finished chunk, after the settings were checked

    def progress(n_done: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="sim", desc=f"simulate {args.system}"))
        bars[0].update(n_done)

    try:
        meta = make_nri_dataset(
            args.system,
            args.out,
            n_train=args.n_sims,
            n_valid=args.n_valid,
            n_test=args.n_test,
            seed=args.seed,
            n_balls=args.n_balls,
            n_steps=args.n_steps,
            n_steps_test=args.n_steps_test,
            sample_every=args.sample_every,
            chunk_size=args.chunk_size,
            overwrite=args.overwrite,
            progress=progress,
        )
    finally:
        for bar in bars:
            bar.close()
    print(f"wrote {meta.parent}/ ({meta.name} describes the files)")
    return 0
