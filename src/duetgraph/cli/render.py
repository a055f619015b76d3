"""`duetgraph render`: see the strings — a video, an offline 3D viewer and figures.

    duetgraph render duet.npz --strings strings.npz -o out/
    duetgraph render duet.npz --strings strings.npz -o out/ --video gif --fps-video 10 --start 30 --end 60
    duetgraph render duet.npz --strings strings.npz -o out/ --video none --viewer --figures
    duetgraph render duet.npz -o out/ --figures --metrics runs/dance/metrics.csv --video none

Writes into OUT: `duet.mp4` or `duet.gif` (`duetgraph.viz.video`), `viewer.html` with
--viewer (`duetgraph.viz.viewer`; open it in a browser, it needs no network), and with
--figures `strings_heatmap.png`, `hubs.png`, `strings_bipartite.png` (needs --strings) and
`training.png` (needs --metrics) (`duetgraph.viz.figures`). Nothing is written if any output
exists, unless --overwrite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from duetgraph.analysis.posterior import STRING_THRESHOLD
from duetgraph.atomic import check_not_input, check_writable
from duetgraph.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="render a duet and its strings: video (mp4/gif), offline 3D viewer, figures",
        description="Draw the duet with its inferred strings as a video, an interactive viewer "
        "(one offline HTML file) and static figures.",
    )
    p.add_argument("duet", metavar="DUET.npz", help="duet file (duetgraph .npz)")
    p.add_argument("--strings", metavar="STRINGS.npz", default=None, help="inferred strings")
    p.add_argument("-o", "--out", metavar="DIR", required=True, help="folder to write into")
    p.add_argument(
        "--video", choices=("mp4", "gif", "none"), default="mp4", help="video format [mp4]"
    )
    p.add_argument(
        "--fps-video",
        type=float,
        default=None,
        metavar="N",
        help="video frame rate; lower renders faster, each frame the nearest duet frame "
        "[the duet's for mp4, 10 for gif]",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=STRING_THRESHOLD,
        help=f"P(string) from which a string is drawn [{STRING_THRESHOLD}]",
    )
    p.add_argument(
        "--size", type=_size, default=(960, 540), metavar="WxH", help="video size [960x540]"
    )
    p.add_argument("--start", type=float, default=None, help="video starts at this second [0]")
    p.add_argument("--end", type=float, default=None, help="video ends at this second [the end]")
    p.add_argument("--viewer", action="store_true", help="write viewer.html (offline 3D viewer)")
    p.add_argument("--figures", action="store_true", help="write PNG figures")
    p.add_argument(
        "--metrics", metavar="CSV", default=None, help="a run's metrics.csv for training.png"
    )
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 960x540") from None
    return w, h


def run(args: argparse.Namespace) -> int:
    # Imported here so that other commands do not pay for matplotlib, pillow and the renderers.
    from tqdm import tqdm

    from duetgraph.analysis.evidence_record import load_strings
    from duetgraph.analysis.report import check_match
    from duetgraph.duet import Duet
    from duetgraph.viz import figures
    from duetgraph.viz.raster import FrameStyle
    from duetgraph.viz.video import VideoConfig, render_video
    from duetgraph.viz.viewer import ViewerConfig, write_viewer

    out = Path(args.out)
    if args.figures and args.strings is None and args.metrics is None:
        raise InputError("--figures needs --strings (string figures) or --metrics (training).")
    if args.video == "none" and not args.viewer and not args.figures:
        raise InputError("nothing to render: choose --video mp4/gif, --viewer or --figures.")
    video_path = out / f"duet.{args.video}" if args.video != "none" else None
    planned = [video_path] if video_path else []
    planned += [out / "viewer.html"] if args.viewer else []
    if args.figures:
        keys = (["heatmap", "hubs", "bipartite"] if args.strings else []) + (
            ["training"] if args.metrics else []
        )
        planned += [out / figures.FIGURE_FILES[k] for k in keys]
    frame_style = FrameStyle(width=args.size[0], height=args.size[1], threshold=args.threshold)
    video_config = VideoConfig(
        format="mp4" if args.video == "none" else args.video,
        fps=args.fps_video,
        start=args.start,
        end=args.end,
        frame_style=frame_style,
    )  # settings are checked before anything is written
    check_not_input(planned, [args.duet, args.strings, args.metrics])
    for path in planned:  # refuse before any work is done
        check_writable(path, args.overwrite)

    duet = Duet.load(args.duet)
    posterior = load_strings(args.strings) if args.strings else None
    if posterior is not None:
        for warning in check_match(duet, posterior):
            print(f"warning: {warning}", file=sys.stderr)

    if video_path is not None:
        with tqdm(unit="frame", desc=f"render {video_path.name}", leave=False) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            info = render_video(duet, video_path, posterior, video_config, args.overwrite, progress)
        shown = info.duration
        note = (
            f"; reduced from {info.source_fps:g} fps, each frame the nearest duet frame"
            if info.reduced
            else ""
        )
        print(
            f"wrote {info.path}: {info.n_frames} frames at {info.fps:g} fps{note}, "
            f"{info.width}x{info.height}, rendered in {info.seconds:.1f} s "
            f"({shown / max(info.seconds, 1e-9):.1f}x real time)"
        )
    if args.viewer:
        path = write_viewer(
            duet,
            out / "viewer.html",
            posterior,
            config=ViewerConfig(threshold=args.threshold, min_threshold=min(0.5, args.threshold)),
            overwrite=args.overwrite,
        )
        print(f"wrote {path} (open it in a web browser; it works offline)")
    if args.figures:
        for path in figures.write_figures(
            out, posterior, args.metrics, args.threshold, args.overwrite
        ):
            print(f"wrote {path}")
    return 0
