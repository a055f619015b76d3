"""`duetgraph convert`: any pose input to a duetgraph .npz, a plain .npy or a long-form .csv.

    duetgraph convert sample.npy -o duet.npz --layout interleaved --fps 30
    duetgraph convert dancer_a.bvh dancer_b.bvh -o duet.npz
    duetgraph convert a.pk b.pk -o duet.npz --trust-pickle --fps 30
    duetgraph convert duet.npz -o duet.csv

Raw AlphaPose detections are not a duet yet: `duetgraph clean` tracks and cleans them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from duetgraph.atomic import check_not_input, check_writable
from duetgraph.cli.info import add_input_arguments, read_from_args
from duetgraph.errors import InputError
from duetgraph.io.detections import Detections
from duetgraph.io.read import OUTPUT_FORMATS, output_format, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a pose file (arrays, CSV, BVH, HybrIK) to .npz, .npy or .csv",
        description="Read any supported pose input, convert it once to metres and z up, and "
        "write it as a duetgraph .npz (everything), a plain .npy (T, 2, J, 3) or a long-form CSV.",
    )
    add_input_arguments(p)
    p.add_argument("-o", "--out", metavar="OUTPUT", required=True, help="file to write")
    p.add_argument(
        "--format-out", choices=OUTPUT_FORMATS, default=None, help="output format [from -o suffix]"
    )
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_not_input([out], args.inputs)
    fmt = output_format(out, args.format_out)  # refuse before reading anything
    check_writable(out, args.overwrite)
    data = read_from_args(args)
    if isinstance(data, Detections):
        raise InputError(
            f"{args.inputs[0]}: holds raw per-frame detections, not two tracked dancers; run "
            f"`duetgraph clean {args.inputs[0]} -o {out.with_suffix('.npz')}` instead."
        )
    write_output(data, out, format=fmt, overwrite=args.overwrite)
    print(
        f"wrote {out}: {data.n_frames} frames at {data.fps:g} fps ({data.duration:.2f} s), "
        f"2 dancers ({', '.join(data.dancers)}) × {data.n_joints} joints ({data.skeleton}), "
        "metres, z up"
    )
    return 0
