"""`duetgraph export`: the duet for animation tools — one BVH file per dancer, and the strings.

    duetgraph export duet.npz --bvh out/
    duetgraph export duet.npz --bvh out/ --strings strings.npz --threshold 0.8
    duetgraph export duet.npz --bvh out/ --up z --units m --overwrite

Writes into OUT: `<A>.bvh` and `<B>.bvh` (named after the dancers; `duetgraph.io.bvh_write`:
centimetres, y up by default, Euler ZXY in degrees, Frame Time 1 / fps) and, with --strings,
`strings_track.json` and `strings_track.csv` (the active strings per frame with joint names and
confidence, `duetgraph.analysis.strings_track`) and `blender_strings.py`, a script that draws
the strings in Blender as tubes between the two imported armatures. Nothing is written if any
output exists, unless --overwrite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from duetgraph.analysis.posterior import STRING_THRESHOLD
from duetgraph.atomic import check_writable
from duetgraph.errors import InputError, OutputError

TRACK_JSON, TRACK_CSV, BLENDER_SCRIPT = (
    "strings_track.json",
    "strings_track.csv",
    "blender_strings.py",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a duet for animation tools: BVH per dancer, strings track, Blender script",
        description="Write one BVH file per dancer (rotations solved from joint positions) and, "
        "with --strings, a per-frame strings track and a Blender script that draws them.",
    )
    p.add_argument("duet", metavar="DUET", help="the duet (.npz, .npy, .csv)")
    p.add_argument("--bvh", required=True, metavar="OUT_DIR", help="folder for the BVH files")
    p.add_argument(
        "--strings",
        metavar="STRINGS.npz",
        default=None,
        help="strings file of `duetgraph infer`: adds the track and the Blender script",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=STRING_THRESHOLD,
        help=f"P(string) from which a string is on [{STRING_THRESHOLD}]",
    )
    p.add_argument("--up", choices=("y", "z"), default="y", help="vertical axis of the BVH [y]")
    p.add_argument("--units", choices=("cm", "m"), default="cm", help="BVH units [cm]")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    p.set_defaults(func=run)


def blender_script_text() -> str:
    """The Blender script shipped in the package (`duetgraph/viz/blender_strings.py`)."""
    from importlib.resources import files

    return (files("duetgraph") / "viz" / BLENDER_SCRIPT).read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from duetgraph.analysis.evidence_record import load_strings
    from duetgraph.analysis.report import check_match
    from duetgraph.analysis.strings_track import string_track, write_track_csv, write_track_json
    from duetgraph.atomic import write_text_atomic
    from duetgraph.cli._duet_input import load_duet
    from duetgraph.io.bvh_write import BvhWriteConfig, duet_bvh_paths, write_duet_bvh

    out = Path(args.bvh)
    if not 0.0 <= args.threshold <= 1.0:
        raise InputError(f"--threshold {args.threshold} must be within [0, 1], e.g. 0.8.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder; give a folder to --bvh.")
    config = BvhWriteConfig(up=args.up, units=args.units)
    duet = load_duet(args.duet)
    posterior = load_strings(args.strings) if args.strings else None
    track = None
    if posterior is not None:
        for warning in check_match(duet, posterior):
            print(f"warning: {warning}", file=sys.stderr)
        track = string_track(posterior, duet.n_frames, duet.fps, args.threshold, duet.dancers)
    bvh_paths = duet_bvh_paths(duet, out)
    extra = [out / TRACK_JSON, out / TRACK_CSV, out / BLENDER_SCRIPT] if track is not None else []
    for path in (*bvh_paths, *extra):  # refuse before anything is written
        check_writable(path, args.overwrite)

    fits = write_duet_bvh(duet, out, config, args.overwrite)
    for label, fit in zip(duet.dancers, fits, strict=True):
        print(
            f"wrote {fit.path} ({label}): {duet.n_frames} frames at {duet.fps:g} fps; "
            f"joint positions within {100 * fit.max_error_m:.2f} cm (mean "
            f"{100 * fit.mean_error_m:.3f} cm; bone lengths vary by up to "
            f"{100 * fit.bone_spread_m:.2f} cm)"
        )
    if track is not None:
        armatures = tuple(p.stem for p in bvh_paths)
        write_track_json(track, out / TRACK_JSON, armatures, args.overwrite)
        write_track_csv(track, out / TRACK_CSV, args.overwrite)
        write_text_atomic(out / BLENDER_SCRIPT, blender_script_text(), args.overwrite)
        n_on = int(track.active.any(axis=1).sum())
        print(
            f"wrote {out / TRACK_JSON}, {TRACK_CSV}, {BLENDER_SCRIPT}: {track.n_strings} strings at "
            f"P >= {args.threshold:g}, some string active in {n_on} of {track.n_frames} frames"
        )
    scale = "Scale 0.01" if args.units == "cm" else "Scale 1"
    axes = "Forward -Z, Up Y" if args.up == "y" else "Forward Y, Up Z"
    print(f"Blender: File > Import > Motion Capture (.bvh) each file with {scale}, {axes}", end="")
    print(
        "; then run blender_strings.py from the Scripting workspace." if track is not None else "."
    )
    return 0
