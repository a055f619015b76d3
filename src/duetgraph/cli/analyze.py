"""`duetgraph analyze`: the whole journey on your own duet, into one folder.

    duetgraph analyze alphapose-results.json -o out/
    duetgraph analyze anna.bvh ben.bvh -o out/ --fdr 0.01
    duetgraph analyze clips/ take2.json anna.bvh,ben.bvh -o out/ --jobs 4
    duetgraph analyze duet.mp4 -o out/          # a video: needs pip install 'duetgraph[video]'

Reads any supported input (raw AlphaPose detections are cleaned first), tests every string
between the dancers against surrogate duets (`duetgraph strings`), and writes the significant
strings, the report, figures, video and viewer. `--nri` also trains the NRI model and writes
its raw posterior beside them.

Many duets (several inputs, or a folder) are analysed one by one, each into `OUT/<name>/`, in
`--jobs` worker processes; a duet that fails is reported and the others go on. The run ends
with a table and `OUT/summary.json`, and exits with status 1 if any duet failed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_journey_arguments(p: argparse.ArgumentParser) -> None:
    """Flags shared by `analyze` and `demo`; each maps onto one JourneyOptions field."""
    from duetgraph.cli.strings import add_evidence_arguments

    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    add_evidence_arguments(p)
    g = p.add_argument_group("NRI model (optional; its raw posterior is not a test of any string)")
    g.add_argument(
        "--nri",
        action="store_true",
        help="also train the NRI model and write its raw edge posterior",
    )
    g.add_argument(
        "--nri-joints",
        default="pelvis,left_wrist,right_wrist",
        help='nodes of the model per dancer: names, body parts, "all"',
    )
    g.add_argument("--epochs", type=int, default=8, help="training epochs [8]")
    g.add_argument("--hidden", type=int, default=64, help="hidden width H [64]")
    g.add_argument("--edge-types", type=int, default=2, help="edge types K, type 0 = none [2]")
    g.add_argument("--rotations", type=int, default=4, help="rotated copies per window [4]")
    g.add_argument("--model-fps", type=float, default=10.0, help="model frame rate [10]")
    p.add_argument("--video", choices=("mp4", "gif", "none"), default="mp4")
    p.add_argument("--video-fps", type=float, default=15.0, help="video frame rate [15]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--overwrite", action="store_true", help="replace outputs in DIR")  # fmt: skip


def journey_options(args: argparse.Namespace):
    from duetgraph.cli._journey import JourneyOptions
    from duetgraph.cli.strings import evidence_config

    return JourneyOptions(
        evidence=evidence_config(args, args.seed),
        nri=args.nri,
        nri_joints=args.nri_joints,
        epochs=args.epochs,
        hidden=args.hidden,
        edge_types=args.edge_types,
        rotations=args.rotations,
        model_fps=args.model_fps,
        video=args.video,
        video_fps=args.video_fps,
        seed=args.seed,
        progress=not args.no_progress,
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="clean, test and show the strings of your duet",
        description="The whole journey on your own duet: every output goes into one folder.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="pose file(s) or folders; BVH and HybrIK take two files, dancer A then B "
                        "(for several duets join each pair: a.bvh,b.bvh)")  # fmt: skip
    p.add_argument("--fps", type=float, default=None, help="input frame rate [from the file]")
    p.add_argument("--jobs", type=int, default=1,
                   help="duets analysed at once, each in its own process [1]")  # fmt: skip
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads per duet (0: cores / jobs) [0]")  # fmt: skip
    add_journey_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from duetgraph.cli._journey import (
        check_out_dir,
        format_summary,
        group_inputs,
        load_any,
        make_out_dir,
        run_batch,
        run_journey,
    )
    from duetgraph.errors import InputError

    out = Path(args.out)
    if args.jobs < 1 or args.threads < 0:
        raise InputError("--jobs must be at least 1 and --threads at least 0.")
    inputs, batch = group_inputs(args.inputs)
    options = dataclasses.replace(journey_options(args), threads=args.threads)
    if batch:
        rows = run_batch(
            inputs, out, options, fps=args.fps, overwrite=args.overwrite, jobs=args.jobs
        )
        print(format_summary(rows))
        print(f"summary in {out}/summary.json")
        return 1 if any(r["status"] != "ok" for r in rows) else 0
    check_out_dir(out, args.overwrite)
    t0 = time.perf_counter()
    make_out_dir(out)
    duet = load_any(list(inputs[0].paths), args.fps, out, args.overwrite, options.progress)
    result = run_journey(duet, out, options, args.overwrite, t0)
    print(result["report"].to_markdown().split("\n## ")[0])
    print(f"everything is in {out}/ (open {out}/viewer.html in a browser)")
    return 0
