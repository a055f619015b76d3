"""The strings frame by frame: a track for animation tools.

A `StringPosterior` gives P(edge type) per time window; animation tools want, per frame of the
duet, which strings are on and how strongly. At frame t (time t / fps seconds from the first
frame) an edge's probabilities are the mean over the windows covering that time (window w
covers [window_start, window_end)), the same rule as the video and the viewer use. A string is
**active** at a frame when its P(string) = 1 − P(type 0) is at or above `threshold`; its
**confidence** there is that P(string); its type is the most probable string type (1..K−1).
Frames that no window covers have no active strings (confidence NaN).

The track lists only the strings active in at least one frame (strongest peak first) and is
written as JSON (for the Blender script `duetgraph/viz/blender_strings.py`) and as long-form CSV
(one row per frame and active string). Joints are named as in the duet's skeleton, which are
also the bone names of the BVH files `duetgraph export` writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.analysis.posterior import STRING_THRESHOLD, StringPosterior
from duetgraph.atomic import write_text_atomic
from duetgraph.errors import InputError
from duetgraph.skeleton import get_skeleton

TRACK_FORMAT = "duetgraph.strings_track"
TRACK_VERSION = 1
CSV_FIELDS = (
    "frame",
    "time_s",
    "string",
    "sender_dancer",
    "sender_joint",
    "receiver_dancer",
    "receiver_joint",
    "confidence",
    "edge_type",
)


def frame_mean(
    values: np.ndarray, window_start: np.ndarray, window_end: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """The mean of per-window values over the windows covering each time.

    Args:
        values: (W, C) one row per window.
        window_start, window_end: (W,) seconds; window w covers [start, end).
        times: (F,) seconds, non-decreasing.

    Returns:
        (F, C) float64; NaN at times no window covers.
    """
    times = np.asarray(times, dtype=np.float64)
    if np.any(np.diff(times) < 0):
        raise ValueError("frame_mean: times must be non-decreasing")
    values = np.asarray(values, dtype=np.float64)
    # Window w covers time indices i0[w] <= i < i1[w]: add its row over that range with a
    # difference array (+row at i0, −row at i1) and a running sum along time.
    i0 = np.searchsorted(times, window_start, side="left")  # (W,)
    i1 = np.searchsorted(times, window_end, side="left")  # (W,)
    total = np.zeros((times.shape[0] + 1, values.shape[1]))
    count = np.zeros(times.shape[0] + 1)
    np.add.at(total, i0, values)
    np.add.at(total, i1, -values)
    np.add.at(count, i0, 1.0)
    np.add.at(count, i1, -1.0)
    total = np.cumsum(total, axis=0)[:-1]  # (F, C)
    count = np.rint(np.cumsum(count)[:-1])  # (F,)
    out = np.full(total.shape, np.nan)
    covered = count > 0
    out[covered] = total[covered] / count[covered, None]
    return out


@dataclass(frozen=True)
class StringTrack:
    """Per-frame confidence of the strings that are active somewhere in a duet.

    Args:
        confidence: (T, S) float32 P(string) per frame of each listed string; NaN where no
            window covers the frame.
        edge_type: (T, S) int64 most probable string type (1..K−1) per frame; 0 where uncovered.
        edges: (S,) int64 index of each string among the posterior's edges.
        sender_dancer, receiver_dancer: (S,) int64, 0 for dancer A, 1 for dancer B.
        sender_joint, receiver_joint: (S,) joint names in `skeleton`.
        fps: frames per second of the duet; frame t is at t / fps seconds.
        threshold: P(string) from which a string is active.
        skeleton: skeleton name.
        dancers: labels of dancers A and B.
        run: where the posterior came from.
        notes: (S,) what is known of each string in words (strength, q, direction: tested
            strings, `StringPosterior.edge_notes`), or None.
    """

    confidence: np.ndarray
    edge_type: np.ndarray
    edges: np.ndarray
    sender_dancer: np.ndarray
    sender_joint: tuple[str, ...]
    receiver_dancer: np.ndarray
    receiver_joint: tuple[str, ...]
    fps: float
    threshold: float
    skeleton: str
    dancers: tuple[str, str]
    run: str = "unknown"
    notes: tuple[str, ...] | None = None

    @property
    def n_frames(self) -> int:
        return self.confidence.shape[0]

    @property
    def n_strings(self) -> int:
        return self.confidence.shape[1]

    @property
    def active(self) -> np.ndarray:
        """(T, S) bool: string s is on at frame t."""
        return np.nan_to_num(self.confidence, nan=-1.0) >= self.threshold

    def string_names(self) -> list[str]:
        """(S,) names such as "A:right_wrist -> B:left_wrist"."""
        return [
            f"{self.dancers[sd]}:{sj} -> {self.dancers[rd]}:{rj}"
            for sd, sj, rd, rj in zip(
                self.sender_dancer,
                self.sender_joint,
                self.receiver_dancer,
                self.receiver_joint,
                strict=True,
            )
        ]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per frame and active string (CSV_FIELDS), by frame, strongest first."""
        on = self.active
        frames, strings = np.nonzero(on)
        order = np.lexsort((-self.confidence[frames, strings], frames))
        return [
            {
                "frame": int(t),
                "time_s": round(t / self.fps, 6),
                "string": int(s),
                "sender_dancer": self.dancers[self.sender_dancer[s]],
                "sender_joint": self.sender_joint[s],
                "receiver_dancer": self.dancers[self.receiver_dancer[s]],
                "receiver_joint": self.receiver_joint[s],
                "confidence": round(float(self.confidence[t, s]), 4),
                "edge_type": int(self.edge_type[t, s]),
            }
            for t, s in zip(frames[order], strings[order], strict=True)
        ]

    def to_dict(self, armatures: tuple[str, str] | None = None) -> dict[str, Any]:
        """The JSON document: strings table, then per frame the active strings.

        Args:
            armatures: names of the two dancers' armatures in the animation tool (the BVH file
                stems); default the dancer labels.
        """
        strings = [
            {
                "id": s,
                "name": name,
                "sender": {
                    "dancer": int(self.sender_dancer[s]),
                    "joint": self.sender_joint[s],
                },
                "receiver": {
                    "dancer": int(self.receiver_dancer[s]),
                    "joint": self.receiver_joint[s],
                },
                "peak_confidence": round(float(np.nanmax(self.confidence[:, s])), 4),
                **({"note": self.notes[s]} if self.notes is not None else {}),
            }
            for s, name in enumerate(self.string_names())
        ]
        frames: list[dict[str, Any]] = [
            {"frame": t, "time_s": round(t / self.fps, 6), "active": []}
            for t in range(self.n_frames)
        ]
        for row in self.rows():
            frames[row["frame"]]["active"].append(
                {
                    "string": row["string"],
                    "sender": f"{row['sender_dancer']}:{row['sender_joint']}",
                    "receiver": f"{row['receiver_dancer']}:{row['receiver_joint']}",
                    "confidence": row["confidence"],
                    "edge_type": row["edge_type"],
                }
            )
        return {
            "format": TRACK_FORMAT,
            "version": TRACK_VERSION,
            "fps": self.fps,
            "n_frames": self.n_frames,
            "threshold": self.threshold,
            "skeleton": self.skeleton,
            "dancers": list(self.dancers),
            "armatures": list(armatures or self.dancers),
            "run": self.run,
            "units": "frame: duet frame index from 0 (BVH frame 1); time_s: seconds from the "
            "first frame; confidence: P(string) = 1 - P(no string), mean over covering windows",
            "strings": strings,
            "frames": frames,
        }

    def csv_text(self) -> str:
        """The long-form CSV: header CSV_FIELDS, one row per frame and active string."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(CSV_FIELDS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())
        return buf.getvalue()


def string_track(
    posterior: StringPosterior,
    n_frames: int,
    fps: float,
    threshold: float = STRING_THRESHOLD,
    dancers: tuple[str, str] | None = None,
) -> StringTrack:
    """The per-frame track of the strings of `posterior` over a duet of `n_frames` at `fps`.

    Args:
        posterior: W windows, E edges, K types; its skeleton names the joints.
        n_frames: frames of the duet (T).
        fps: the duet's frames per second.
        threshold: P(string) from which a string is active, in [0, 1].
        dancers: labels of dancers A and B (the duet's); default the posterior's.

    Returns:
        A StringTrack with the S strings active in some frame, strongest peak first.

    Raises:
        InputError: a threshold outside [0, 1], a non-positive fps or frame count, or a
            posterior whose skeleton duetgraph does not know.
    """
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"threshold {threshold} must be within [0, 1] (e.g. --threshold 0.8).")
    if not (n_frames > 0 and np.isfinite(fps) and fps > 0):
        raise InputError(f"string track: {n_frames} frames at {fps} fps; both must be positive.")
    try:
        names = get_skeleton(posterior.skeleton).joint_names
    except KeyError as exc:
        raise InputError(f"strings: {exc.args[0]}") from None
    times = np.arange(n_frames) / float(fps)
    # A frame's P(string) is a mean of window values, never above the edge's peak: only edges
    # that reach the threshold in some window can be active.
    peak = posterior.p_string.max(axis=0) if posterior.n_windows else np.zeros(posterior.n_edges)
    candidates = np.nonzero(peak >= threshold)[0]
    probs = posterior.probs[:, candidates]  # (W, E', K)
    n_types = posterior.n_edge_types
    mean = frame_mean(
        probs.reshape(posterior.n_windows, candidates.size * n_types),
        posterior.window_start,
        posterior.window_end,
        times,
    ).reshape(n_frames, candidates.size, n_types)  # (T, E', K)
    confidence = 1.0 - mean[..., 0]
    confidence = np.where(np.isnan(confidence), np.nan, np.clip(confidence, 0.0, 1.0))
    on = np.nan_to_num(confidence, nan=-1.0) >= threshold  # (T, E')
    frame_peak = np.where(on, confidence, -1.0).max(axis=0)  # (E',)
    keep = np.nonzero(on.any(axis=0))[0]
    keep = keep[np.argsort(-frame_peak[keep], kind="stable")]
    edges = candidates[keep]
    types = np.where(
        np.isnan(mean[..., 0]), 0, 1 + np.argmax(np.nan_to_num(mean[..., 1:]), axis=-1)
    )
    senders, receivers = posterior.senders[edges], posterior.receivers[edges]
    return StringTrack(
        confidence=confidence[:, keep].astype(np.float32),
        edge_type=types[:, keep].astype(np.int64),
        edges=edges.astype(np.int64),
        sender_dancer=posterior.node_dancer[senders],
        sender_joint=tuple(names[j] for j in posterior.node_joint[senders]),
        receiver_dancer=posterior.node_dancer[receivers],
        receiver_joint=tuple(names[j] for j in posterior.node_joint[receivers]),
        fps=float(fps),
        threshold=float(threshold),
        skeleton=posterior.skeleton,
        dancers=tuple(dancers or posterior.dancers),
        run=posterior.run,
        notes=None
        if posterior.edge_notes is None
        else tuple(posterior.edge_notes[e] for e in edges),
    )


def write_track_json(
    track: StringTrack,
    path: str | os.PathLike,
    armatures: tuple[str, str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write `track.to_dict(armatures)` as JSON atomically (one frame per line)."""
    doc = track.to_dict(armatures)
    frames = doc.pop("frames")
    head = json.dumps(doc, indent=1)[:-2]  # without the closing "\n}"
    body = ",\n".join("  " + json.dumps(f, separators=(",", ":")) for f in frames)
    return write_text_atomic(path, f'{head},\n "frames": [\n{body}\n ]\n}}\n', overwrite)


def write_track_csv(track: StringTrack, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write `track.csv_text()` atomically."""
    return write_text_atomic(path, track.csv_text(), overwrite)
