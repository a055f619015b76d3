"""`duetgraph strings`: which joints of one dancer drive which joints of the other, as evidence.

    duetgraph strings duet.npz -o strings.npz

Tests every joint pair between the dancers against surrogate duets (see
`duetgraph.analysis.evidence`) and writes strings.npz (every tested string: statistic, p, q,
strength, time segments) and, beside it, strings.csv / strings.json with the significant ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from duetgraph.atomic import check_not_input


def add_evidence_arguments(p: argparse.ArgumentParser, joints: bool = True) -> None:
    """The string-test flags shared by `strings`, `analyze`, `demo` and `infer`."""
    g = p.add_argument_group("string test")
    if joints:
        g.add_argument(
            "--joints",
            default="all",
            help="joints tested: all, a body part, names (e.g. pelvis,left_wrist) [all]",
        )
    g.add_argument(
        "--fdr",
        type=float,
        default=0.05,
        metavar="Q",
        help="false discovery rate over all tested strings [0.05]",
    )
    g.add_argument(
        "--surrogates", type=int, default=99, metavar="N", help="surrogate duets per test [99]"
    )
    g.add_argument("--segment", type=float, default=10.0, metavar="SECONDS",
                   help="time segments in which a string is tested for being on [10]")  # fmt: skip


def evidence_config(args: argparse.Namespace, seed: int = 0, joints: str | None = None):
    from duetgraph.analysis.evidence import EvidenceConfig

    return EvidenceConfig(joints=joints or args.joints, q=args.fdr, n_surrogates=args.surrogates,
                          segment_s=args.segment, seed=seed)  # fmt: skip


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "strings",
        help="the strings of a duet, each with strength, significance, direction and time",
        description="Test every joint pair between the dancers against surrogate duets that keep "
        "each dancer's motion and break their timing; list the significant strings.",
    )
    p.add_argument("duet", metavar="DUET", help="the duet (.npz, .npy, .csv)")
    p.add_argument("-o", "--out", required=True, metavar="STRINGS.npz", help="output file")
    add_evidence_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffles and bootstrap [0]")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from duetgraph.analysis.string_tables import format_strings, write_evidence
    from duetgraph.cli._duet_input import load_duet

    out = Path(args.out)
    outputs = checked_outputs(out, [out], args.duet, args.overwrite)
    config = evidence_config(args, args.seed)
    duet = load_duet(args.duet)
    evidence = run_string_test(duet, config)
    write_evidence(evidence, out, overwrite=args.overwrite)
    print(format_strings(evidence))
    print(f"wrote {out}, {outputs[1].name}, {outputs[2].name}")
    return 0


def checked_outputs(out: Path, tables_beside: list[Path], duet: str, overwrite: bool) -> list[Path]:
    """The files a strings command writes (each .npz in `tables_beside` with its .csv and .json),
    refused before any work if `out` is no .npz, one is the input `duet`, or one exists without
    `overwrite`."""
    from duetgraph.analysis.string_tables import evidence_paths
    from duetgraph.atomic import check_writable
    from duetgraph.errors import InputError

    if out.suffix != ".npz":
        raise InputError(f"{out}: the output must end in .npz (e.g. -o strings.npz).")
    outputs = [path for npz in tables_beside for path in evidence_paths(npz)]
    check_not_input(outputs, [duet])  # e.g. -o duet.npz for duet.csv
    for path in outputs:
        check_writable(path, overwrite)
    return outputs


def run_string_test(duet, config):
    """`string_evidence` on the joints `config.joints` names (resolved for the duet's skeleton)."""
    from duetgraph.analysis.evidence import string_evidence
    from duetgraph.data.joints import select_joints

    selection = select_joints(duet.skeleton, config.joints)
    return string_evidence(duet, config, (selection.joints_a, selection.joints_b))
