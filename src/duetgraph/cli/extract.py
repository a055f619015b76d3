"""`duetgraph extract`: a video in, per-frame 3D detections of both dancers out (AlphaPose JSON).

    duetgraph extract duet.mp4 -o detections.json
    duetgraph extract duet.mp4 -o detections.json --fps 10 --focal-length 1500
    duetgraph clean detections.json -o duet.npz --skeleton h36m17 --fps 10

Needs the video extra (`pip install 'duetgraph[video]'`: MediaPipe's pose models, shipped in its
wheel; nothing is downloaded). The output is what `duetgraph clean` reads; `duetgraph analyze
duet.mp4` runs extraction, cleaning and everything after in one go.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI builds every parser at start-up: keep this module light
    from duetgraph.extract import ExtractConfig
    from duetgraph.io.detections import Detections


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="find both dancers' 3D poses in a video (needs the video extra)",
        description="Find the people in each sampled frame of a video with MediaPipe's pose "
        "landmarker, place each 3D pose in the scene and write AlphaPose-format JSON for "
        "`duetgraph clean`. Needs: pip install 'duetgraph[video]'.",
    )
    p.add_argument("video", metavar="VIDEO", help="the video (.mp4, .mov, .avi, .mkv, .webm, ...)")
    p.add_argument("-o", "--out", metavar="OUT.json", required=True, help="detections to write")
    p.add_argument("--fps", type=float, default=None,
                   help="frames per second to sample [the video's own, at most 30]")  # fmt: skip
    p.add_argument("--max-people", type=int, default=2,
                   help="people kept per frame; more lets cleaning pick the two dancers [2]")  # fmt: skip
    p.add_argument("--focal-length", type=float, default=None,
                   help="camera focal length in video pixels; depths scale with it [video width]")  # fmt: skip
    p.add_argument("--max-size", type=int, default=1280,
                   help="shrink frames whose long side exceeds this many pixels [1280]")  # fmt: skip
    p.add_argument("--min-confidence", type=float, default=0.5,
                   help="person detection threshold, 0..1 [0.5]")  # fmt: skip
    p.add_argument("--no-second-pass", action="store_true",
                   help="do not search again with the found people painted out")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from duetgraph.atomic import check_writable
    from duetgraph.extract import ExtractConfig, write_detections

    config = ExtractConfig(
        fps=args.fps,
        max_people=args.max_people,
        focal_length=args.focal_length,
        max_size=args.max_size,
        min_detection_confidence=args.min_confidence,
        second_pass=not args.no_second_pass,
    )
    out = check_writable(args.out, args.overwrite)  # refuse before any work is done
    t0 = time.perf_counter()
    det = extract_with_progress(Path(args.video), config, progress=not args.no_progress)
    seconds = time.perf_counter() - t0
    write_detections(det, out, overwrite=args.overwrite)
    hist = det.detection_histogram()
    print(
        f"extracted {det.n_frames} frames at {det.fps:g} fps in {seconds:.1f} s "
        f"({det.n_frames / max(seconds, 1e-9):.1f} frames/s); people per frame "
        f"0: {hist['0']}  1: {hist['1']}  2: {hist['2']}  3+: {hist['3+']}"
    )
    print(f"wrote {out} ({det.n_detections} detections, skeleton {det.skeleton})")
    print(f"next: duetgraph clean {out} -o duet.npz --skeleton {det.skeleton} --fps {det.fps:g}")
    return 0


def extract_with_progress(
    path: Path, config: ExtractConfig | None = None, progress: bool = True
) -> Detections:
    """`duetgraph.extract.extract_video` with a progress bar (frames and frames/s) on stderr.

    Args:
        path: the video.
        config: an `ExtractConfig` (None: defaults).
        progress: show the bar (only on a terminal).

    Returns:
        Detections of the people in the video (metres, z up).
    """
    from tqdm import tqdm

    from duetgraph.extract import extract_video

    with tqdm(
        unit="frame", desc=f"extract {path.name}", leave=False, disable=None if progress else True
    ) as bar:

        def update(done: int, total: int | None) -> None:
            if total is not None and bar.total != max(total, done):
                bar.total = max(total, done)
            bar.update(done - bar.n)

        return extract_video(path, config, update)
