"""`duetgraph clean`: raw poses in, a clean two-dancer duet (.npz) out, with a report.

    duetgraph clean alphapose-results.json -o duet.npz
    duetgraph clean alphapose-results.json -o duet.npz --prune score --target-fps 10
    duetgraph clean stock.json -o duet.npz --recover-placement --focal-length 1500

Inputs are read by `duetgraph.io.read.read_input`. AlphaPose JSON (per-frame detections) is
tracked, gap-filled and smoothed (`clean_detections`); inputs that already hold both dancers (a
duetgraph .npz, arrays, CSV, BVH, ...) are only smoothed and resampled (`clean_duet`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from duetgraph.atomic import check_not_input, check_writable
from duetgraph.clean import CleanConfig, clean_detections, clean_duet
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.io.alphapose import read_alphapose
from duetgraph.io.detections import Detections


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "clean",
        help="clean raw poses (AlphaPose JSON, ...) into a two-dancer duet",
        description="Track, fill, fix identities, smooth and resample; print what was fixed.",
    )
    p.add_argument("input", metavar="INPUT", help="alphapose-results.json or another pose file")
    p.add_argument("-o", "--out", metavar="OUT.npz", required=True, help="duet file to write")
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate of the input (AlphaPose records none) [30]",
    )
    p.add_argument("--skeleton", default=None, help="skeleton name [from the joint count]")
    p.add_argument(
        "--prune",
        choices=("continuity", "score"),
        default="continuity",
        help="frames with 3+ people keep the two that best continue the tracks "
        "(continuity) or the two highest scores (score, as the paper) [continuity]",
    )
    p.add_argument(
        "--keep-fraction",
        type=float,
        default=0.25,
        help="lowest DCT coefficients kept when smoothing [0.25]",
    )
    p.add_argument("--no-smooth", action="store_true", help="skip the DCT smoothing")
    p.add_argument(
        "--target-fps",
        type=float,
        default=None,
        help="resample to this frame rate (10 keeps every 3rd frame of 30 fps)",
    )
    p.add_argument(
        "--recover-placement",
        action="store_true",
        help="rebuild where pelvis-centred dancers stand from the image boxes",
    )
    p.add_argument(
        "--focal-length",
        type=float,
        default=None,
        help="camera focal length in pixels for --recover-placement [image width]",
    )
    p.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        metavar="WxH",
        help="video size in pixels for --recover-placement [extent of the boxes]",
    )
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = CleanConfig(
        prune=args.prune,
        keep_fraction=args.keep_fraction,
        smooth=not args.no_smooth,
        target_fps=args.target_fps,
        recover_placement=args.recover_placement,
        focal_length=args.focal_length,
        image_size=args.image_size,
    )
    check_not_input([args.out], [args.input])  # even with --overwrite
    out = check_writable(args.out, args.overwrite)  # refuse before any work is done
    data = read_any(Path(args.input), args.fps, args.skeleton)
    if isinstance(data, Detections):
        duet, report = clean_detections(data, config)
    else:
        duet, report = clean_duet(data, config)
    duet.save(out, overwrite=args.overwrite)
    print(report.to_text())
    print(f"wrote {out}")
    return 0


def read_any(path: Path, fps: float | None, skeleton: str | None) -> Detections | Duet:
    """Read INPUT with `duetgraph.io.read.read_input`, or, without it, AlphaPose JSON / duet .npz."""
    try:
        from duetgraph.io.read import read_input
    except ImportError:
        read_input = None
    if read_input is not None:
        return read_input(path, fps=fps, skeleton=skeleton)
    if path.suffix.lower() == ".json":
        return read_alphapose(path, fps=30.0 if fps is None else fps, skeleton=skeleton)
    if path.suffix.lower() == ".npz":
        return Duet.load(path)
    raise InputError(
        f"{path}: cannot clean a {path.suffix or 'suffix-less'} file; give AlphaPose JSON or a "
        "duetgraph .npz."
    )


def _image_size(text: str) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1920x1080") from None
    return w, h
