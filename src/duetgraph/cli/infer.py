"""`duetgraph infer`: the strings of a whole duet from a trained run.

    duetgraph infer duet.npz --run runs/duet/ -o strings.npz

Writes strings.npz (posterior over edge types per window, (W, E, K), with window times and joint
names) and, beside it, strings.csv and strings.json listing the windows where P(string) is at or
above --threshold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from duetgraph.atomic import check_not_input, check_writable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infer",
        help="infer the strings of a duet with a trained run",
        description="Run a trained duet model over sliding windows of a whole duet.",
    )
    p.add_argument("duet", metavar="DUET", help="the duet (.npz, .npy, .csv)")
    p.add_argument("--run", required=True, metavar="RUN_DIR", help="run folder of `train`")
    p.add_argument("-o", "--out", required=True, metavar="STRINGS.npz", help="output file")
    p.add_argument("--stride", type=int, default=1, help="frames between windows [1]")
    p.add_argument("--threshold", type=float, default=0.8, help="P(string) to list [0.8]")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from duetgraph.analysis.posterior import write_strings_csv, write_strings_json
    from duetgraph.cli._duet_input import load_duet
    from duetgraph.errors import InputError
    from duetgraph.train.infer import infer_strings

    out = Path(args.out)
    if out.suffix != ".npz":
        raise InputError(f"{out}: the output must end in .npz (e.g. -o strings.npz).")
    if args.stride < 1 or not 0 <= args.threshold <= 1:
        raise InputError("--stride must be >= 1 and --threshold within [0, 1].")
    csv_path, json_path = out.with_suffix(".csv"), out.with_suffix(".json")
    check_not_input([out, csv_path, json_path], [args.duet])  # e.g. -o duet.npz for duet.csv
    for path in (out, csv_path, json_path):  # refuse before any work
        check_writable(path, args.overwrite)
    duet = load_duet(args.duet)
    posterior = infer_strings(duet, args.run, stride=args.stride, which=args.checkpoint)
    posterior.save(out, overwrite=args.overwrite)
    write_strings_csv(posterior, csv_path, args.threshold, overwrite=args.overwrite)
    write_strings_json(posterior, json_path, args.threshold, overwrite=args.overwrite)
    p = posterior.p_string.mean(axis=0)
    names = posterior.edge_names()
    print(f"{posterior.n_windows} windows, {posterior.n_edges} possible strings; strongest:")
    for e in p.argsort()[::-1][:8]:
        print(f"  {names[e]:<40s} mean P(string) {p[e]:.2f}")
    print(f"wrote {out}, {csv_path.name}, {json_path.name}")
    return 0
