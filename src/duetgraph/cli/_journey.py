"""The whole journey for one duet: clean → train → infer → report, figures, video, viewer.

`duetgraph analyze` runs it on the user's file and `duetgraph demo` on a generated duet with
planted strings. It lives in the CLI because it ends in `duetgraph.viz`, which nothing else of
ours may import. Every file goes into one output folder:

```
OUT/
  duet.npz          the cleaned duet (when the input needed cleaning)
  run/              the trained model (config.toml, best.pt, last.pt, metrics.csv)
  strings.npz/.csv/.json   the inferred strings
  report.md, report.json   the choreographic description
  duet.mp4, viewer.html, *.png
```
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duetgraph.duet import Duet
from duetgraph.errors import InputError, OutputError

log = logging.getLogger(__name__)

OUTPUTS = (
    "duet.npz",
    "run",
    "strings.npz",
    "strings.csv",
    "strings.json",
    "report.md",
    "report.json",
    "duet.mp4",
    "viewer.html",
    "strings_heatmap.png",
    "hubs.png",
    "strings_bipartite.png",
    "training.png",
)


@dataclass(frozen=True)
class JourneyOptions:
    """Settings of the journey; training settings use the duet defaults unless given."""

    joints: str = "pelvis,left_wrist,right_wrist"
    epochs: int = 8
    hidden: int = 64
    edge_types: int = 2
    rotations: int = 4
    model_fps: float = 10.0
    threshold: float = 0.8
    video: str = "mp4"  # "mp4", "gif" or "none"
    video_fps: float | None = 15.0
    seed: int = 0
    threads: int = 0  # torch CPU threads (0: torch's default)
    progress: bool = True


def check_out_dir(out: Path, overwrite: bool) -> None:
    """Refuse a folder that already holds journey outputs, unless `overwrite`."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; give a folder for the outputs.")
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing and not overwrite:
        raise OutputError(
            f"{out}: already holds {', '.join(existing[:3])}; pass --overwrite or choose another folder."
        )


def _step(name: str, t0: float) -> None:
    print(f"[{time.perf_counter() - t0:6.1f} s] {name}", flush=True)


def run_journey(
    duet: Duet, out: Path, options: JourneyOptions, overwrite: bool, t0: float
) -> dict[str, Any]:
    """Train on `duet`, infer its strings and write every output into `out`.

    Returns:
        {"posterior": StringPosterior, "report": Report, "run": Path, "files": [Path, ...]}
    """
    from duetgraph.analysis.posterior import write_strings_csv, write_strings_json
    from duetgraph.analysis.report import ReportConfig, build_report, write_report
    from duetgraph.train.duet import duet_run_config, train_duet
    from duetgraph.train.infer import infer_strings
    from duetgraph.viz.figures import write_figures
    from duetgraph.viz.video import VideoConfig, render_video
    from duetgraph.viz.viewer import ViewerConfig, write_viewer

    o = options
    prior = (0.9,) + (0.1 / (o.edge_types - 1),) * (o.edge_types - 1)  # sparse: type 0 = none
    config = duet_run_config(
        data__joints=o.joints,
        data__n_rotations=o.rotations,
        data__fps=o.model_fps,
        model__n_hidden=o.hidden,
        model__n_edge_types=o.edge_types,
        model__edge_prior=prior,
        train__epochs=o.epochs,
        train__seed=o.seed,
        train__threads=o.threads,
    )
    run_dir = out / "run"
    _step(f"training {o.epochs} epochs on {duet.n_frames} frames ({o.joints})", t0)
    result = train_duet(duet, run_dir, config, overwrite=overwrite, progress=o.progress)
    _step(f"trained: best valid nll {result.best_value:.4g} at epoch {result.best_epoch}", t0)
    posterior = infer_strings(duet, run_dir)
    posterior.save(out / "strings.npz", overwrite=overwrite)
    write_strings_csv(posterior, out / "strings.csv", o.threshold, overwrite=overwrite)
    write_strings_json(posterior, out / "strings.json", o.threshold, overwrite=overwrite)
    _step(f"inferred strings in {posterior.n_windows} windows", t0)
    report = build_report(duet, posterior, ReportConfig(threshold=o.threshold))
    write_report(report, out, overwrite=overwrite)
    write_figures(out, posterior, run_dir / "metrics.csv", o.threshold, overwrite=overwrite)
    viewer = ViewerConfig(threshold=o.threshold, min_threshold=min(0.5, o.threshold))
    write_viewer(duet, out / "viewer.html", posterior, report, viewer,
                 overwrite=overwrite)  # fmt: skip
    _step("wrote report.md, report.json, figures and viewer.html", t0)
    if o.video != "none":
        video = out / f"duet.{o.video}"
        render_video(duet, video, posterior, VideoConfig(format=o.video, fps=o.video_fps),
                     overwrite=overwrite)  # fmt: skip
        _step(f"wrote {video.name}", t0)
    return {"posterior": posterior, "report": report, "run": run_dir}


def load_any(paths: list[Path], fps: float | None, out: Path, overwrite: bool) -> Duet:
    """A clean duet from any supported input; raw detections are cleaned into OUT/duet.npz."""
    from duetgraph.clean.pipeline import CleanConfig, clean_detections
    from duetgraph.io.detections import Detections
    from duetgraph.io.read import read_input

    data = read_input(paths if len(paths) > 1 else paths[0], fps=fps)
    if isinstance(data, Detections):
        duet, report = clean_detections(data, CleanConfig())
        print(report.to_text())
        duet.save(out / "duet.npz", overwrite=overwrite)
        return duet
    if not isinstance(data, Duet):
        raise InputError(f"{paths[0]}: could not be read as a duet.")
    return data
