"""The evidence for every tested string of a duet, and its file format (`duetgraph strings`).

`StringEvidence` holds what `analysis.evidence.string_evidence` found for each directed joint
pair: statistic, p and q, whether it is shown as a string, what it is folded into, its strength
and the segments in which it is on. Saved as `.npz` (plain arrays and JSON metadata, no pickle).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.atomic import atomic_path
from duetgraph.errors import InputError

FORMAT = "duetgraph.evidence"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class StringEvidence:
    """The evidence for every tested string of a duet.

    Args:
        senders, receivers: (E,) node index of each directed string's two ends.
        node_names: (N,) "A:right_wrist"-style names; node_dancer (N,) 0/1; node_joint (N,).
        skeleton, dancers: as in the duet.
        statistic: (E,) Granger statistic on the duet (log ratio of residual determinants).
        p, q: (E,) p-value against the surrogates and its BH-adjusted value.
        significant: (E,) bool, shown as a string: passes BH and is not folded into another.
        folded_into: (E,) the edge whose string carries this one's information, or -1.
        alternative: (E,) bool, folded into a string of the same receiver from the joint beside
            its sender, which the test cannot tell apart from it (`folding.alternatives`).
        p_given: (E,) p-value of what the edge adds to its receiver's strongest string (NaN
            where not tested: edges that did not pass, and the strongest themselves).
        strength, strength_lo, strength_hi: (E,) share of the receiver's prediction error the
            sender removes, out of sample, with its 95 % interval (NaN where not measured).
        segment_start, segment_end: (G,) seconds.
        segment_p: (E, G) p-value per time segment (NaN for strings not tested in time).
        segment_on: (E, G) bool, the string is significant in the segment.
        settings: the EvidenceConfig as a dict, plus what the run measured.
    """

    senders: np.ndarray
    receivers: np.ndarray
    node_names: tuple[str, ...]
    node_dancer: np.ndarray
    node_joint: np.ndarray
    skeleton: str
    dancers: tuple[str, str]
    statistic: np.ndarray
    p: np.ndarray
    q: np.ndarray
    significant: np.ndarray
    folded_into: np.ndarray
    p_given: np.ndarray
    strength: np.ndarray
    strength_lo: np.ndarray
    strength_hi: np.ndarray
    segment_start: np.ndarray
    segment_end: np.ndarray
    segment_p: np.ndarray
    segment_on: np.ndarray
    alternative: np.ndarray | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.alternative is None:  # files written before alternatives were recorded
            object.__setattr__(self, "alternative", np.zeros(len(self.senders), dtype=bool))

    @property
    def n_edges(self) -> int:
        return len(self.senders)

    def edge_names(self, arrow: str = "->") -> list[str]:
        return [
            f"{self.node_names[s]} {arrow} {self.node_names[r]}"
            for s, r in zip(self.senders, self.receivers, strict=True)
        ]

    def reverse(self) -> np.ndarray:
        """(E,) index of each edge's reverse (receiver → sender)."""
        index = {
            (int(s), int(r)): e
            for e, (s, r) in enumerate(zip(self.senders, self.receivers, strict=True))
        }
        return np.array(
            [index[(int(r), int(s))] for s, r in zip(self.senders, self.receivers, strict=True)]
        )

    def direction(self) -> list[str]:
        """Per edge: "mutual" where the reverse string is significant too, else "leads"."""
        rev = self.reverse()
        return ["mutual" if self.significant[rev[e]] else "leads" for e in range(self.n_edges)]

    def alternative_of(self) -> np.ndarray:
        """(E,) the significant string each edge is shown as an alternative sender of, else -1."""
        into = np.where(self.alternative, self.folded_into, -1)
        return np.where((into >= 0) & self.significant[np.maximum(into, 0)], into, -1)

    def score(self) -> np.ndarray:
        """(E,) a ranking of the edges by evidence: −log10 of the p-value of what each adds to
        its receiver's strongest string (its own p-value where it was not tested so), plus its
        statistic as a tie-break among p-values at the floor."""
        p = np.where(np.isfinite(self.p_given), self.p_given, self.p)
        return -np.log10(np.maximum(p, 1e-300)) + np.maximum(self.statistic, 0.0)

    def time_on(self) -> np.ndarray:
        """(E,) seconds in which each string is significant."""
        return (self.segment_on * (self.segment_end - self.segment_start)[None]).sum(axis=1)

    def strings(self) -> list[dict[str, Any]]:
        """The significant strings, strongest first: names, strength, p, q, direction, time on."""
        names, direction, on = self.edge_names(), self.direction(), self.time_on()
        alternative_of = self.alternative_of()
        rows = []
        for e in np.flatnonzero(self.significant):
            spans = _spans(self.segment_on[e], self.segment_start, self.segment_end)
            sender = self.node_names[self.senders[e]]
            others = [self.node_names[self.senders[f]] for f in np.flatnonzero(alternative_of == e)]
            if others:  # "A:right_foot (or right_bigtoe) -> B:left_elbow"
                shown = f"{sender} (or {', '.join(o.split(':', 1)[1] for o in others)})"
                names[e] = f"{shown} -> {self.node_names[self.receivers[e]]}"
            rows.append({
                "string": names[e],
                "sender": sender,
                "or_senders": others,
                "receiver": self.node_names[self.receivers[e]],
                "strength": _round(self.strength[e]),
                "strength_ci": [_round(self.strength_lo[e]), _round(self.strength_hi[e])],
                "p": float(f"{self.p[e]:.3g}"),
                "q": float(f"{self.q[e]:.3g}"),
                "direction": direction[e],
                "time_on_s": round(float(on[e]), 1),
                "spans_s": spans,
                "also_carries": [names[f] for f in np.flatnonzero(self.folded_into == e)],
            })  # fmt: skip
        return sorted(rows, key=lambda row: -(row["strength"] or 0.0))

    def as_posterior(self) -> StringPosterior:
        """The significant strings as a posterior for the viewer, video and tracks: one window
        per time segment, P(string) = 1 where the string is significant in it, else 0."""
        on = (self.segment_on & self.significant[:, None]).T.astype(np.float32)  # (G, E)
        probs = np.stack([1.0 - on, on], axis=-1)
        return StringPosterior(
            probs=probs,
            window_start=self.segment_start,
            window_end=self.segment_end,
            senders=self.senders,
            receivers=self.receivers,
            node_names=self.node_names,
            node_dancer=self.node_dancer,
            node_joint=self.node_joint,
            skeleton=self.skeleton,
            dancers=self.dancers,
            edge_prior=None,
            run=f"string evidence: significant at q {self.settings.get('q', 0.05)} "
            "(1 = significant in the segment)",
            edge_notes=self.notes(),
        )

    def notes(self) -> tuple[str, ...]:
        """(E,) a significant string in words ("strength 22 % · q 3e-05 · leads", with its
        alternative senders), "" for the others."""
        notes = [""] * self.n_edges
        direction = self.direction()
        alternative_of = self.alternative_of()
        for e in np.flatnonzero(self.significant):
            note = f"strength {100 * self.strength[e]:.0f} % · q {self.q[e]:.1g} · {direction[e]}"
            others = [self.node_names[self.senders[f]].split(":", 1)[1]
                      for f in np.flatnonzero(alternative_of == e)]  # fmt: skip
            notes[e] = note + (f" · or from {', '.join(others)}" if others else "")
        return tuple(notes)

    # ------------------------------------------------------------------ file format
    _ARRAYS = ("senders", "receivers", "node_dancer", "node_joint", "statistic", "p", "q",
               "significant", "folded_into", "p_given", "strength", "strength_lo", "strength_hi",
               "segment_start", "segment_end", "segment_p", "segment_on", "alternative")  # fmt: skip
    _SINCE_VERSION = {"alternative": 2}  # arrays older files do not have

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write `.npz` (plain arrays + JSON metadata) atomically."""
        path = Path(path)
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "node_names": list(self.node_names),
            "skeleton": self.skeleton,
            "dancers": list(self.dancers),
            "settings": self.settings,
        }
        arrays = {name: np.asarray(getattr(self, name)) for name in self._ARRAYS}
        with atomic_path(path, overwrite) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, metadata=np.array(json.dumps(meta)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> StringEvidence:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["metadata"]))
                arrays = {name: f[name] for name in cls._ARRAYS
                          if name in f or name not in cls._SINCE_VERSION}  # fmt: skip
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(
                f"{path}: not a string-evidence file ({exc}); write one with `duetgraph strings`."
            ) from None
        if meta.get("format") != FORMAT:
            raise InputError(f"{path}: not a {FORMAT} file; write one with `duetgraph strings`.")
        return cls(
            node_names=tuple(meta["node_names"]),
            skeleton=meta["skeleton"],
            dancers=tuple(meta["dancers"]),
            settings=meta.get("settings", {}),
            **arrays,
        )


def is_evidence_file(path: str | os.PathLike) -> bool:
    """True if `path` is an `.npz` written by `StringEvidence.save`."""
    try:
        with np.load(Path(path), allow_pickle=False) as f:
            return "metadata" in f and json.loads(str(f["metadata"])).get("format") == FORMAT
    except (OSError, ValueError, KeyError):
        return False


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 3)


def _spans(on: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[list[float]]:
    """Merged [start, end] seconds of the True runs of `on`."""
    spans: list[list[float]] = []
    for g in np.flatnonzero(on):
        if spans and abs(spans[-1][1] - start[g]) < 1e-9:
            spans[-1][1] = float(end[g])
        else:
            spans.append([float(start[g]), float(end[g])])
    return spans


def load_strings(path: str | os.PathLike) -> StringPosterior:
    """What viz and export draw from a strings file: a tested-strings file (`duetgraph
    strings`, `analyze`) as its significant strings over time, or an NRI posterior as is."""
    if is_evidence_file(path):
        return StringEvidence.load(path).as_posterior()
    return StringPosterior.load(path)
