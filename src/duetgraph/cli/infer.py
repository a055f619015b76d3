"""`duetgraph infer`: a trained run's view of a duet, next to the tested strings.

    duetgraph infer duet.npz --run runs/duet/ -o strings.npz

The model's posterior is not evidence of any string (DESIGN.md §7), so infer writes both:
strings.npz / .csv / .json are the strings between the run's joints tested against surrogate
duets (as `duetgraph strings`), and strings.nri_posterior.npz is the model's raw posterior over
edge types per window (W, E, K), with strings.nri_posterior.csv / .json listing the windows
where its P(string) reaches --threshold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from duetgraph.analysis.posterior import STRING_THRESHOLD
from duetgraph.cli.strings import add_evidence_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infer",
        help="a trained NRI run's raw posterior, beside the tested strings of its joints",
        description="Run a trained duet model over sliding windows of a whole duet.",
    )
    p.add_argument("duet", metavar="DUET", help="the duet (.npz, .npy, .csv)")
    p.add_argument("--run", required=True, metavar="RUN_DIR", help="run folder of `train`")
    p.add_argument("-o", "--out", required=True, metavar="STRINGS.npz", help="output file")
    p.add_argument("--stride", type=int, default=1, help="frames between windows [1]")
    p.add_argument("--threshold", type=float, default=STRING_THRESHOLD,
                   help=f"P(string) of the raw posterior to list in its tables [{STRING_THRESHOLD}]")  # fmt: skip
    add_evidence_arguments(p, joints=False)
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffles and bootstrap [0]")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from duetgraph.analysis.posterior import write_strings_csv, write_strings_json
    from duetgraph.analysis.string_tables import format_strings, write_evidence
    from duetgraph.cli._duet_input import load_duet
    from duetgraph.cli.strings import checked_outputs, evidence_config, run_string_test
    from duetgraph.errors import InputError
    from duetgraph.skeleton import get_skeleton
    from duetgraph.train.infer import infer_strings

    out = Path(args.out)
    if args.stride < 1 or not 0 <= args.threshold <= 1:
        raise InputError("--stride must be >= 1 and --threshold within [0, 1].")
    raw = out.with_name(out.stem + ".nri_posterior.npz")
    outputs = checked_outputs(out, [out, raw], args.duet, args.overwrite)
    duet = load_duet(args.duet)
    posterior = infer_strings(duet, args.run, stride=args.stride, which=args.checkpoint)
    joints = ",".join(f"{'AB'[d]}:{get_skeleton(posterior.skeleton).joint_names[j]}"
                      for d, j in zip(posterior.node_dancer, posterior.node_joint, strict=True))  # fmt: skip
    evidence = run_string_test(duet, evidence_config(args, args.seed, joints=joints))
    write_evidence(evidence, out, overwrite=args.overwrite)
    posterior.save(raw, overwrite=args.overwrite)
    write_strings_csv(posterior, outputs[4], args.threshold, overwrite=args.overwrite)
    write_strings_json(posterior, outputs[5], args.threshold, overwrite=args.overwrite)
    print(format_strings(evidence))
    print(f"wrote {out}, {outputs[1].name}, {outputs[2].name} (the tested strings) and "
          f"{raw.name} (the model's raw posterior over {posterior.n_windows} windows: not a test "
          "of any string)")  # fmt: skip
    return 0
