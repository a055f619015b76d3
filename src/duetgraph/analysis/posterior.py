"""The inferred strings: a posterior over edge types per time window.

The inference step writes a `StringPosterior`; everything in `duetgraph.analysis` reads one. It
holds, for every window w and latent edge e (sender node → receiver node), the posterior
probability of each of K edge types. Type 0 means "no string", so P(string) = 1 − P(type 0).

Time is in **seconds from the duet's first frame**; window w covers [window_start[w],
window_end[w]). Windows are in time order (non-decreasing start) and may overlap. A node is one
joint of one dancer: `node_dancer[n]` (0 = A, 1 = B) and `node_joint[n]` (index in the named
skeleton). An edge "sender → receiver" reads: the sender's motion helps predict the receiver's.

On disk: one `.npz` of plain arrays plus a JSON `metadata` string, written atomically and loaded
without pickle (like `Duet`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.atomic import atomic_path, write_text_atomic
from duetgraph.errors import InputError
from duetgraph.skeleton import get_skeleton

FORMAT = "duetgraph.strings"
FORMAT_VERSION = 1
_ARRAYS = (
    "probs",
    "window_start",
    "window_end",
    "senders",
    "receivers",
    "node_dancer",
    "node_joint",
)


STRING_THRESHOLD = 0.8
"""P(string) = 1 − P(no string) from which an NRI posterior's edge counts as a string (the
default of every `--threshold`; tested strings are 0 or 1)."""


@dataclass(frozen=True)
class StringPosterior:
    """Posterior over latent edge types per window, with what is needed to name the edges.

    Args:
        probs: (W, E, K) float32, posterior over edge types per window; rows sum to 1; type 0 =
            "no string".
        window_start: (W,) float64 seconds, start of each window (inclusive), non-decreasing.
        window_end: (W,) float64 seconds, end of each window (exclusive), > window_start.
        senders: (E,) int64 node index of each edge's sender.
        receivers: (E,) int64 node index of each edge's receiver.
        node_names: (N,) names such as "A:right_wrist" (dancer label, colon, joint name).
        node_dancer: (N,) int64, 0 for dancer A, 1 for dancer B.
        node_joint: (N,) int64 joint index in `skeleton`.
        skeleton: skeleton name (see `duetgraph.skeleton`).
        dancers: labels of dancers A and B.
        edge_prior: the K prior probabilities the model was trained with, or None.
        run: provenance, where the model came from (run folder, checkpoint, ...).
        edge_notes: (E,) what is known of each string beyond P, in words ("strength 22 % ·
            q 3e-05 · leads" for tested strings, `StringEvidence.as_posterior`), or None.
    """

    probs: np.ndarray
    window_start: np.ndarray
    window_end: np.ndarray
    senders: np.ndarray
    receivers: np.ndarray
    node_names: tuple[str, ...]
    node_dancer: np.ndarray
    node_joint: np.ndarray
    skeleton: str
    dancers: tuple[str, str] = ("A", "B")
    edge_prior: tuple[float, ...] | None = None
    run: str = "unknown"
    edge_notes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        cast = {
            "probs": np.float32,
            "window_start": np.float64,
            "window_end": np.float64,
            "senders": np.int64,
            "receivers": np.int64,
            "node_dancer": np.int64,
            "node_joint": np.int64,
        }
        for name, dtype in cast.items():
            try:
                value = np.asarray(getattr(self, name), dtype=dtype)
            except (TypeError, ValueError) as exc:
                raise InputError(f"posterior: {name} is not numeric ({exc}).") from None
            object.__setattr__(self, name, value)
        object.__setattr__(self, "node_names", tuple(str(n) for n in self.node_names))
        object.__setattr__(self, "dancers", tuple(str(d) for d in self.dancers))
        if self.edge_prior is not None:
            object.__setattr__(self, "edge_prior", tuple(float(p) for p in self.edge_prior))
        if self.edge_notes is not None:
            object.__setattr__(self, "edge_notes", tuple(str(n) for n in self.edge_notes))
        self.validate()

    # ------------------------------------------------------------------ properties
    @property
    def n_windows(self) -> int:
        return self.probs.shape[0]

    @property
    def n_edges(self) -> int:
        return self.probs.shape[1]

    @property
    def n_edge_types(self) -> int:
        return self.probs.shape[2]

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def p_string(self) -> np.ndarray:
        """(W, E) float32 probability that edge e is a string (any type but 0) in window w."""
        return 1.0 - self.probs[..., 0]

    def edge_names(self, arrow: str = "->") -> list[str]:
        """(E,) display names such as "A right wrist -> B left shoulder"."""
        labels = self.node_labels()
        return [
            f"{labels[s]} {arrow} {labels[r]}"
            for s, r in zip(self.senders, self.receivers, strict=True)
        ]

    def edge_labels(self, arrow: str = "->") -> list[str]:
        """(E,) `edge_names` with each edge's note where there is one: "A right wrist -> B left
        wrist (strength 22 % · q 3e-05 · leads)"."""
        names = self.edge_names(arrow)
        if self.edge_notes is None:
            return names
        return [
            f"{n} ({note})" if note else n for n, note in zip(names, self.edge_notes, strict=True)
        ]

    def node_labels(self) -> list[str]:
        """(N,) display names such as "A right wrist" (dancer label, joint with spaces)."""
        out = []
        for name, dancer in zip(self.node_names, self.node_dancer, strict=True):
            joint = name.split(":", 1)[-1]
            out.append(f"{self.dancers[dancer]} {joint.replace('_', ' ')}")
        return out

    # ------------------------------------------------------------------ checks
    def validate(self, where: str = "posterior") -> None:
        """Raise InputError unless every array has the documented shape and range."""
        probs = self.probs
        if probs.ndim != 3 or probs.shape[2] < 2:
            raise InputError(
                f"{where}: probs have shape {probs.shape}, expected (windows, edges, types>=2)."
            )
        n_windows, n_edges, n_types = probs.shape
        if (
            not np.isfinite(probs).all()
            or probs.min(initial=0) < -1e-4
            or probs.max(initial=0) > 1 + 1e-4
        ):
            raise InputError(f"{where}: probs must be finite probabilities in [0, 1].")
        if n_windows and n_edges and np.abs(probs.sum(-1) - 1).max() > 1e-3:
            raise InputError(
                f"{where}: probs do not sum to 1 over the {n_types} edge types; pass softmax "
                "probabilities, not logits."
            )
        for name in ("window_start", "window_end"):
            if getattr(self, name).shape != (n_windows,):
                raise InputError(f"{where}: {name} must have shape ({n_windows},).")
        start, end = self.window_start, self.window_end
        if not (np.isfinite(start).all() and np.isfinite(end).all()) or np.any(end <= start):
            raise InputError(f"{where}: every window needs finite seconds with end > start.")
        if np.any(np.diff(start) < 0):
            raise InputError(f"{where}: windows must be in time order (non-decreasing start).")
        n_nodes = len(self.node_names)
        for name in ("senders", "receivers"):
            nodes = getattr(self, name)
            if nodes.shape != (n_edges,):
                raise InputError(f"{where}: {name} must have shape ({n_edges},).")
            if n_edges and (nodes.min() < 0 or nodes.max() >= n_nodes):
                raise InputError(f"{where}: {name} index nodes outside 0..{n_nodes - 1}.")
        if self.edge_notes is not None and len(self.edge_notes) != n_edges:
            raise InputError(f"{where}: edge_notes must hold one note per edge ({n_edges}).")
        for name in ("node_dancer", "node_joint"):
            if getattr(self, name).shape != (n_nodes,):
                raise InputError(f"{where}: {name} must have one entry per node ({n_nodes}).")
        if not np.isin(self.node_dancer, (0, 1)).all():
            raise InputError(f"{where}: node_dancer must be 0 (A) or 1 (B).")
        if np.any(self.node_joint < 0):
            raise InputError(f"{where}: node_joint must be non-negative joint indices.")
        try:
            n_joints = get_skeleton(self.skeleton).n_joints
        except KeyError:
            n_joints = None  # a skeleton defined elsewhere (e.g. BVH); analysis will say so
        if n_joints is not None and n_nodes and self.node_joint.max() >= n_joints:
            raise InputError(
                f"{where}: node_joint goes up to {self.node_joint.max()} but skeleton "
                f"{self.skeleton} has {n_joints} joints."
            )
        if len(self.dancers) != 2:
            raise InputError(f"{where}: expected two dancer labels, got {list(self.dancers)}.")
        if self.edge_prior is not None and (
            len(self.edge_prior) != n_types or abs(sum(self.edge_prior) - 1) > 1e-3
        ):
            raise InputError(
                f"{where}: edge_prior must hold {n_types} probabilities summing to 1, "
                f"got {list(self.edge_prior)}."
            )

    # ------------------------------------------------------------------ tables
    def to_table(self, threshold: float = STRING_THRESHOLD) -> list[dict[str, Any]]:
        """Rows (window, start, end, sender, receiver, p_string, edge_type) with P(string) >= threshold.

        `edge_type` is the most probable string type (1..K-1). Rows are ordered by window, then
        edge. Times in seconds.
        """
        p = self.p_string
        w_idx, e_idx = np.nonzero(p >= threshold)
        types = 1 + np.argmax(self.probs[w_idx, e_idx, 1:], axis=-1)
        return [
            {
                "window": int(w),
                "start": float(self.window_start[w]),
                "end": float(self.window_end[w]),
                "sender": self.node_names[self.senders[e]],
                "receiver": self.node_names[self.receivers[e]],
                "p_string": round(float(p[w, e]), 6),
                "edge_type": int(t),
            }
            for w, e, t in zip(w_idx, e_idx, types, strict=True)
        ]

    # ------------------------------------------------------------------ files
    def metadata(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "node_names": list(self.node_names),
            "skeleton": self.skeleton,
            "dancers": list(self.dancers),
            "edge_prior": None if self.edge_prior is None else list(self.edge_prior),
            "run": self.run,
            "edge_notes": None if self.edge_notes is None else list(self.edge_notes),
            "units": "seconds from the duet's first frame",
            "layout": "probs (W, E, K); type 0 = no string",
        }

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the posterior as `.npz` atomically; refuses to replace a file unless `overwrite`."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        arrays["metadata"] = np.array(json.dumps(self.metadata()))
        with atomic_path(path, overwrite) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> StringPosterior:
        """Read a posterior written by `save` (no pickle is ever loaded).

        Raises:
            InputError: missing file, not an npz, no string-posterior metadata, or invalid content.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: no such file; check the path to the strings file.")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in (*_ARRAYS, "metadata") if k not in data]
                if missing:
                    raise InputError(
                        f"{path}: not a duetgraph strings file (missing {', '.join(missing)}); "
                        "write it with StringPosterior.save."
                    )
                meta = json.loads(str(data["metadata"]))
                arrays = {name: data[name] for name in _ARRAYS}
        except InputError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, json.JSONDecodeError) as exc:
            raise InputError(
                f"{path}: cannot be read as a duetgraph strings .npz ({exc}); is it truncated?"
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise InputError(f"{path}: metadata does not describe a duetgraph strings file.")
        if meta.get("version", 0) > FORMAT_VERSION:
            raise InputError(
                f"{path}: written by a newer duetgraph (format {meta['version']}); upgrade."
            )
        try:
            return cls(
                **arrays,
                node_names=tuple(meta["node_names"]),
                skeleton=str(meta["skeleton"]),
                dancers=tuple(meta["dancers"]),
                edge_prior=meta.get("edge_prior"),
                run=str(meta.get("run", "unknown")),
                edge_notes=meta.get("edge_notes"),
            )
        except (KeyError, TypeError) as exc:
            raise InputError(
                f"{path}: metadata is incomplete ({exc}); the file is damaged."
            ) from None
        except InputError as exc:
            raise InputError(f"{path}: {str(exc).removeprefix('posterior: ')}") from None

    def __repr__(self) -> str:
        return (
            f"StringPosterior(n_windows={self.n_windows}, n_edges={self.n_edges}, "
            f"n_edge_types={self.n_edge_types}, skeleton={self.skeleton!r}, run={self.run!r})"
        )


def write_strings_csv(
    posterior: StringPosterior,
    path: str | os.PathLike,
    threshold: float = STRING_THRESHOLD,
    overwrite: bool = False,
) -> Path:
    """Write `posterior.to_table(threshold)` as CSV (header row first) atomically."""
    rows = posterior.to_table(threshold)
    fields = ["window", "start", "end", "sender", "receiver", "p_string", "edge_type"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_text_atomic(path, buf.getvalue(), overwrite)


def write_strings_json(
    posterior: StringPosterior,
    path: str | os.PathLike,
    threshold: float = STRING_THRESHOLD,
    overwrite: bool = False,
) -> Path:
    """Write the strong strings as JSON {"threshold", "run", "dancers", "strings": rows} atomically."""
    doc = {
        "format": "duetgraph.strings_table",
        "threshold": threshold,
        "run": posterior.run,
        "dancers": list(posterior.dancers),
        "units": "seconds",
        "strings": posterior.to_table(threshold),
    }
    return write_text_atomic(path, json.dumps(doc, indent=1) + "\n", overwrite)
