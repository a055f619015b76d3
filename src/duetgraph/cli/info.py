"""`duetgraph info`: what a pose file holds, in plain aligned text.

    duetgraph info duet.npz
    duetgraph info sample.npy --layout interleaved --fps 30
    duetgraph info dancer_a.bvh dancer_b.bvh

Any input `read_input` reads is accepted; the reader flags defined here are shared with
`duetgraph convert`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.io.arrays import AXES, LAYOUTS
from duetgraph.io.detections import Detections
from duetgraph.io.read import FORMATS, detect_format, read_input


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """The INPUT [INPUT2] positionals and the reader flags, mapped 1:1 onto `read_input`."""
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="pose file; BVH and HybrIK take two files, dancer A then dancer B",
    )
    p.add_argument(
        "--format-in", choices=FORMATS, default=None, help="input format [from the suffix]"
    )
    p.add_argument("--fps", type=float, default=None, help="frame rate [from the file, else 30]")
    p.add_argument("--skeleton", default=None, help="skeleton name [from the joints]")
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="standard",
        help="array layout: (T, 2, J, 3) or rows alternating dancers (2T, J, 3) [standard]",
    )
    p.add_argument(
        "--axes",
        choices=AXES,
        default=None,
        help="axes of array/CSV coordinates [zup; camera for --layout interleaved]",
    )
    p.add_argument(
        "--scale",
        type=float,
        default=None,
        help="metres per stored unit (0.01 for cm) [1; 0.01 for BVH]",
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow loading HybrIK .pk pickles (they can run code: only files you trust)",
    )


def read_from_args(args: argparse.Namespace) -> Duet | Detections:
    """Call `read_input` with the parsed INPUT and reader flags."""
    if len(args.inputs) > 2:
        raise InputError(
            f"{len(args.inputs)} input files given; give one file, or two (one per dancer)."
        )
    return read_input(
        [Path(p) for p in args.inputs],
        format=args.format_in,
        fps=args.fps,
        skeleton=args.skeleton,
        layout=args.layout,
        axes=args.axes,
        scale=args.scale,
        trust_pickle=args.trust_pickle,
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="show what a pose file holds (frames, fps, skeleton, extent, provenance)",
        description="Read a pose file and print its frames, fps, duration, skeleton, dancers, "
        "bounding volume and provenance.",
    )
    add_input_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data = read_from_args(args)
    paths = [Path(p) for p in args.inputs]
    fmt = args.format_in or detect_format(paths)
    if isinstance(data, Detections):
        print(describe_detections(data, paths, fmt))
    else:
        print(describe_duet(data, paths, fmt))
    return 0


def _table(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [f"{k:<{width}}  {v}" for k, v in rows]


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (str, int, bool)) or v is None:
        return str(v)
    return json.dumps(v)


def describe_provenance(steps: tuple[dict[str, Any], ...]) -> list[str]:
    """One line per step: `  1. read  source=... n_frames=...`."""
    if not steps:
        return ["provenance  (none recorded)"]
    width = max(len(str(s.get("step", "?"))) for s in steps)
    lines = ["provenance"]
    for i, step in enumerate(steps, start=1):
        details = " ".join(f"{k}={_value(v)}" for k, v in step.items() if k != "step")
        lines.append(f"  {i}. {str(step.get('step', '?')):<{width}}  {details}")
    return lines


def _bounds(lo: np.ndarray, hi: np.ndarray) -> list[str]:
    """The bounding volume: (3,) minimum and maximum x, y, z in metres, and the extent."""
    lines = ["bounds (m)  " + "".join(f"{axis:>10}" for axis in "xyz")]
    for name, row in (("min", lo), ("max", hi), ("extent", hi - lo)):
        lines.append(f"  {name:<10}" + "".join(f"{v:10.3f}" for v in row))
    return lines


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds, 2), 60.0)
    return f"{seconds:.2f} s ({int(minutes)}:{rest:05.2f})"


def describe_duet(duet: Duet, paths: list[Path], fmt: str) -> str:
    """Frames, fps, duration, skeleton, dancers, bounding volume and provenance, as text."""
    lo = duet.positions.min(axis=(0, 1, 2))  # (3,) over frames, dancers, joints
    hi = duet.positions.max(axis=(0, 1, 2))
    lines = _table(
        [
            ("file", " + ".join(map(str, paths))),
            ("format", fmt),
            ("frames", str(duet.n_frames)),
            ("fps", f"{duet.fps:g}"),
            ("duration", _duration(duet.duration)),
            ("skeleton", f"{duet.skeleton} ({duet.n_joints} joints)"),
            ("dancers", ", ".join(duet.dancers)),
            ("confidence", "yes" if duet.confidence is not None else "no"),
        ]
    )
    lines += _bounds(lo, hi)
    lines += describe_provenance(duet.provenance)
    return "\n".join(lines)


def describe_detections(det: Detections, paths: list[Path], fmt: str) -> str:
    """Frame and detection counts of raw detections, as text."""
    hist = det.detection_histogram()
    people = {"0": "0 people", "1": "1 person", "2": "2 people", "3+": "3+ people"}
    lines = _table(
        [
            ("file", " + ".join(map(str, paths))),
            ("format", f"{fmt} (raw detections: `duetgraph clean` makes a duet of them)"),
            ("frames", str(det.n_frames)),
            ("fps", f"{det.fps:g}"),
            ("duration", _duration(det.n_frames / det.fps)),
            ("skeleton", f"{det.skeleton} ({det.n_joints} joints)"),
            ("detections", str(det.n_detections)),
            (
                "placement",
                "lost: every pose is pelvis-centred (see clean --recover-placement)"
                if det.pelvis_centred
                else "kept",
            ),
            *((f"frames, {people[k]}", str(v)) for k, v in hist.items()),
        ]
    )
    if det.n_detections:
        lines += _bounds(det.joints.min(axis=(0, 1)), det.joints.max(axis=(0, 1)))
    lines += describe_provenance(det.provenance)
    return "\n".join(lines)
