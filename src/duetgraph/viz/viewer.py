"""A self-contained, offline HTML viewer of a duet with its strings.

`write_viewer` writes ONE `.html` file: the page and its JavaScript (`viewer.html`, our own
code: canvas 2D and the perspective camera of `camera.py`, no library, no network request) with
the duet, the strings and the report's timeline embedded as JSON. Open it in any browser from
disk. It plays the duet in 3D (drag to rotate, wheel to zoom), with play/pause, a time slider,
a confidence-threshold slider, the strings of the moment and the report's sentence for it.

Embedded data (document "duetgraph.viewer", version 1):

- `positions_mm`: base64 of little-endian int16, (F, 2, J, 3) millimetres relative to `origin`
  (metres), i.e. positions rounded to the millimetre. Long duets are shown at a reduced frame
  rate so that F <= `max_frames` (each shown frame is the nearest duet frame); the page says so.
- `strings.rows`: base64 of uint8 (R, E'), P(string) * 250 rounded, for the E' edges whose
  P(string) reaches `min_threshold` somewhere (at most `max_edges`, highest peak first);
  `strings.frame_row[f]` is the row of frame f, or -1 where no window covers it. P per frame is
  `timeline.frame_p_string` (mean over the covering windows), the same as in the video.
- `report.timeline`: [start s, end s, sentence] per moment of `analysis.report`.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.analysis.posterior import STRING_THRESHOLD, StringPosterior
from duetgraph.analysis.report import (
    Report,
    ReportConfig,
    build_report,
    check_match,
    format_time,
)
from duetgraph.atomic import write_text_atomic
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.viz import style
from duetgraph.viz.camera import scene_bounds
from duetgraph.viz.raster import HEAD_JOINTS, HEAD_RADIUS_M, floor_height
from duetgraph.viz.timeline import frame_p_string, plan_frames, shown_edges

log = logging.getLogger(__name__)

FORMAT = "duetgraph.viewer"
FORMAT_VERSION = 1
P_SCALE = 250  # P(string) is stored as round(P * 250) in one byte
DATA_MARK = "__DUETGRAPH_VIEWER_DATA__"
TITLE_MARK = "__DUETGRAPH_TITLE__"


@dataclass(frozen=True)
class ViewerConfig:
    """What the viewer embeds.

    Args:
        threshold: the confidence slider's initial value (P(string) from which strings show).
        min_threshold: the slider's lowest value; weaker strings are not embedded.
        max_frames: show at most this many frames (a reduced frame rate beyond).
        max_edges: embed at most this many edges (the highest peak P(string) first).
        azimuth_deg, elevation_deg: initial view (see `camera.Camera`).
        title: page title; None: "<dancer A> & <dancer B> — <source file name>".
    """

    threshold: float = STRING_THRESHOLD
    min_threshold: float = 0.5
    max_frames: int = 9000
    max_edges: int = 64
    azimuth_deg: float = style.AZIMUTH_DEG
    elevation_deg: float = style.ELEVATION_DEG
    title: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(f"threshold {self.threshold} must be in (0, 1], e.g. 0.8.")
        if not 0.0 < self.min_threshold <= self.threshold:
            raise InputError(
                f"viewer min_threshold {self.min_threshold} must be in (0, threshold]."
            )
        if self.max_frames < 2 or self.max_edges < 1:
            raise InputError("viewer max_frames must be >= 2 and max_edges >= 1.")


def viewer_data(
    duet: Duet,
    posterior: StringPosterior | None = None,
    report: Report | None = None,
    config: ViewerConfig | None = None,
) -> dict[str, Any]:
    """The JSON-able document the page embeds (see the module docstring for its layout)."""
    cfg = config or ViewerConfig()
    notes: list[str] = []
    fps_out = None
    if duet.n_frames > cfg.max_frames:
        fps_out = duet.fps * cfg.max_frames / duet.n_frames
        fps_out = max(1e-3, float(np.floor(fps_out * 100) / 100))  # a readable rate, <= limit
    plan = plan_frames(duet.n_frames, duet.fps, fps_out)
    if plan.reduced:
        notes.append(
            f"Shown at {plan.fps:g} of the duet's {duet.fps:g} frames per second (at most "
            f"{cfg.max_frames} frames are embedded); each shown frame is the nearest duet frame."
        )
        log.info("viewer: %s", notes[-1])

    floor_z = floor_height(duet.positions)
    lo, hi = scene_bounds(duet.positions, floor_z)
    origin = np.round(0.5 * (lo + hi), 3)  # (3,) metres
    mm = np.rint((duet.positions[plan.source_frame] - origin) * 1000.0)  # (F, 2, J, 3)
    if np.abs(mm).max(initial=0) > 32767:
        raise InputError(
            "duet: joints lie more than 32 m from the scene centre; are the positions in metres?"
        )
    names = duet.skeleton_def.joint_names
    head = next((names.index(n) for n in HEAD_JOINTS if n in names), None)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "title": cfg.title or f"{duet.dancers[0]} & {duet.dancers[1]} — {Path(duet.source).name}",
        "meta_line": (
            f"{duet.skeleton}, {format_time(duet.duration, precise=True)} at {duet.fps:g} fps"
            + (f"; strings from run {posterior.run}" if posterior is not None else "")
        ),
        "dancers": list(duet.dancers),
        "colors": {
            "dancers": [style.hex_color(c) for c in style.DANCER_COLORS],
            "string": style.hex_color(style.STRING_COLOR),
            "background": style.hex_color(style.BACKGROUND),
            "grid": style.hex_color(style.GRID_COLOR),
            "shadow": style.hex_color(style.SHADOW_COLOR),
        },
        "fps": plan.fps,
        "source_fps": float(duet.fps),
        "start": float(plan.times[0]),
        "duration": float(duet.duration),
        "n_frames": plan.n_frames,
        "n_joints": duet.n_joints,
        "origin": origin.tolist(),
        "positions_mm": _b64(mm.astype("<i2")),
        "bones": [list(b) for b in duet.skeleton_def.bones],
        "head": head,
        "head_radius_m": HEAD_RADIUS_M,
        "floor_z": floor_z,
        "bounds": [lo.tolist(), hi.tolist()],
        "camera": {"azimuth_deg": cfg.azimuth_deg, "elevation_deg": cfg.elevation_deg},
        "strings": None,
        "report": None,
        "notes": notes,
    }
    if posterior is not None:
        check_match(duet, posterior)  # raises InputError if the strings are another duet's
        doc["strings"] = _strings_data(posterior, plan.times, cfg, notes)
    if report is not None:
        doc["report"] = {
            "threshold": report.meta.get("threshold"),
            "warnings": list(report.warnings),
            "timeline": [[e["start"], e["end"], e["text"]] for e in report.timeline],
        }
    return doc


def _strings_data(
    posterior: StringPosterior, times: np.ndarray, cfg: ViewerConfig, notes: list[str]
) -> dict[str, Any]:
    edges = shown_edges(posterior, cfg.min_threshold, cfg.max_edges)  # (E',)
    n_reaching = int((posterior.p_string.max(axis=0, initial=0) >= cfg.min_threshold).sum())
    if n_reaching > edges.size:
        notes.append(
            f"{n_reaching} edges reach P(string) >= {cfg.min_threshold:.2f}; the {edges.size} "
            "with the highest peak are embedded."
        )
    p = frame_p_string(posterior, times, edges)  # (F, E'), NaN where no window covers
    inferred = ~np.isnan(p).all(axis=1) if edges.size else np.ones(p.shape[0], dtype=bool)
    q = np.rint(np.nan_to_num(p) * P_SCALE).astype(np.uint8)  # (F, E')
    # Consecutive frames between window boundaries share a row: store each run's row once.
    new = np.ones(q.shape[0], dtype=bool)
    new[1:] = (q[1:] != q[:-1]).any(axis=1) | (inferred[1:] != inferred[:-1])
    row_of = np.cumsum(new) - 1  # (F,)
    frame_row = np.where(inferred, row_of, -1)
    labels = posterior.edge_labels(arrow="→")

    def ends(node: int) -> list[int]:
        return [int(posterior.node_dancer[node]), int(posterior.node_joint[node])]

    return {
        "tested": posterior.edge_notes is not None,  # 0/1 per segment: no P to show or slide
        "threshold": cfg.threshold,
        "min_threshold": cfg.min_threshold,
        "n_edges_total": posterior.n_edges,
        "edges": [
            {
                "edge": int(e),
                "label": labels[e],
                "from": ends(posterior.senders[e]),
                "to": ends(posterior.receivers[e]),
            }
            for e in edges
        ],
        "n_rows": int(new.sum()),
        "rows": _b64(q[new]),
        "frame_row": frame_row.tolist(),
    }


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def viewer_html(data: dict[str, Any]) -> str:
    """The page with `data` embedded (as JSON inside a non-executed script element)."""
    template = resources.files("duetgraph.viz").joinpath("viewer.html").read_text("utf-8")
    # "<" escaped as \u003c keeps the JSON valid and any "</script>" in text from ending the tag.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    fill = {TITLE_MARK: html.escape(data["title"]), DATA_MARK: payload}
    return re.sub("|".join(fill), lambda m: fill[m.group(0)], template)  # one pass


def write_viewer(
    duet: Duet,
    path: str | os.PathLike,
    posterior: StringPosterior | None = None,
    report: Report | None = None,
    config: ViewerConfig | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the viewer of `duet` (with its strings and report, if given) to `path` atomically.

    With a posterior and no report, the report is built with the viewer's threshold
    (`analysis.build_report`), so that each moment's sentence is shown.

    Returns:
        The path written.
    """
    cfg = config or ViewerConfig()
    if posterior is not None and report is None:
        report = build_report(duet, posterior, ReportConfig(threshold=cfg.threshold))
    text = viewer_html(viewer_data(duet, posterior, report, cfg))
    out = write_text_atomic(path, text, overwrite)
    log.debug("wrote %s (%.1f MB)", out, len(text.encode("utf-8")) / 1e6)
    return out
