"""The duet's "choreographic syntax": a time-stamped, plain-language report of strings and scene.

`build_report(duet, posterior, config)` cuts the duet into moments of `config.step` seconds,
describes each (facing on the clock face, level, distance, contacts, strong strings with tension
or release) and, with `segmentation="merge"`, joins consecutive moments whose description is the
same: same clock hours, levels, distance band (`distance_step`), contacts, and strings with the
same tension labels. The header summarises dancers, duration, strongest strings, hubs, lead and
follow, body parts and every convention used. `Report.to_markdown()` and `Report.to_json()`
carry the same content; `write_report` writes both atomically.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.analysis import scene, strings, tension
from duetgraph.analysis.posterior import STRING_THRESHOLD, StringPosterior
from duetgraph.analysis.timeline import describe_moments, format_time
from duetgraph.atomic import check_writable, write_text_atomic
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.skeleton import get_skeleton

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ReportConfig:
    """Settings of the report; units are seconds, metres and m/s."""

    threshold: float = STRING_THRESHOLD  # P(string) that counts as a string
    low_threshold: float | None = None  # hysteresis: a string stays on while P >= this
    min_duration: float = 0.0  # seconds; shorter strings are left out
    segmentation: str = "merge"  # "merge": join equal consecutive moments; "fixed": keep them
    step: float = 1.0  # seconds per moment
    distance_step: float = 0.5  # metres; merged moments stay in one distance band
    dead_band: float = scene.DEAD_BAND  # m/s; slower |p_b - p_a| changes are "steady"
    contact_distance: float = scene.CONTACT_DISTANCE
    low_level: float = scene.LOW_LEVEL
    high_level: float = scene.HIGH_LEVEL
    front: tuple[float, float] = scene.FRONT  # 12 o'clock, horizontal world direction
    floor_z: float | None = None  # metres; None: estimated from the lowest joints
    lead_margin: float = 0.1  # P(a->b) - P(b->a) needed to call a leader
    max_strings_per_line: int = 5
    top_k: int = 5

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(f"threshold {self.threshold} must be in (0, 1], e.g. 0.8.")
        if self.low_threshold is not None and not 0.0 < self.low_threshold <= self.threshold:
            raise InputError(f"low threshold {self.low_threshold} must be in (0, threshold].")
        if self.segmentation not in ("merge", "fixed"):
            raise InputError(f"segmentation {self.segmentation!r} must be 'merge' or 'fixed'.")
        for name in ("step", "distance_step", "contact_distance"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be positive, got {getattr(self, name)}.")
        if not 0 <= self.low_level < self.high_level:
            raise InputError("level thresholds need 0 <= low_level < high_level.")
        if self.dead_band < 0 or self.min_duration < 0 or self.lead_margin < 0:
            raise InputError("dead_band, min_duration and lead_margin must not be negative.")
        if len(self.front) != 2 or math.hypot(*self.front) == 0:
            raise InputError(f"front {self.front} must be a non-zero horizontal (x, y) vector.")
        if self.max_strings_per_line < 1 or self.top_k < 1:
            raise InputError("max_strings_per_line and top_k must be at least 1.")


@dataclass(frozen=True)
class Report:
    """A built report: plain JSON-able content, rendered by `to_markdown` / `to_json`."""

    meta: dict[str, Any]
    warnings: tuple[str, ...]
    conventions: dict[str, str]
    top_strings: tuple[dict[str, Any], ...]
    hubs: dict[str, list[dict[str, Any]]]
    lead_follow: dict[str, Any]
    body_parts: tuple[dict[str, Any], ...]
    timeline: tuple[dict[str, Any], ...]
    evidence: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able content (tuples become lists in JSON)."""
        content = {f.name: getattr(self, f.name) for f in fields(self)}
        return {"format": "duetgraph.report", "version": FORMAT_VERSION, **content}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        if self.evidence is not None:
            return self._evidence_markdown()
        m = self.meta
        a, b = m["dancers"]
        lines = [
            f"# Choreographic syntax: {a} & {b}",
            "",
            f"Duet `{m['source']}`: skeleton {m['skeleton']}, {m['fps']:g} fps, {m['n_frames']} "
            f"frames, {format_time(m['duration'])} long. Strings from run `{m['run']}`: "
            f"{m['n_windows']} windows, {m['n_edges']} edges, {m['n_edge_types']} edge types; a "
            f"string is shown when P(string) >= {m['threshold']:.2f}.",
            "",
        ]
        lines += [f"> **Warning:** {w}" for w in self.warnings] + ([""] if self.warnings else [])
        lines += ["## Conventions", ""]
        lines += [
            f"- **{k.replace('_', ' ').capitalize()}**: {v}" for k, v in self.conventions.items()
        ]
        lines += ["", "## Strongest strings", ""]
        lines += _table(
            ["string", "time on", "segments", "mean P", "max P", "mostly"],
            [
                [s["label"], f"{s['time_on']:.1f} s", s["n_segments"]]
                + [f"{s['mean_p']:.2f}", f"{s['max_p']:.2f}", s["mostly"]]
                for s in self.top_strings
            ],
            f"No string reaches P >= {m['threshold']:.2f}.",
        )
        lines += ["", "## Hubs", ""]
        lines += _table(
            ["joint", "strong string-windows", "summed P", "partners"],
            [
                [h["name"], h["n_strong"], f"{h['p_sum']:.2f}", h["n_partners"]]
                for dancer in (a, b)
                for h in self.hubs.get(dancer, [])
            ],
            "No joint has a strong string.",
        )
        lines += ["", "## Lead and follow", "", self.lead_follow["text"], "", "## Body parts", ""]
        lines += _table(
            ["from", "to", "strong string-windows", "summed P"],
            [[p["from"], p["to"], p["n_strong"], f"{p['p_sum']:.2f}"] for p in self.body_parts],
            "No strong strings to group.",
        )
        lines += ["", "## Timeline", ""]
        lines += [f"- {entry['text']}" for entry in self.timeline]
        return "\n".join(lines) + "\n"

    def _evidence_markdown(self) -> str:
        """First page: the significant strings, when the relationship changes, and what the
        evidence is; then an appendix with conventions, hubs and the timeline."""
        m, ev = self.meta, self.evidence
        a, b = m["dancers"]
        lines = [
            f"# Choreographic syntax: {a} & {b}",
            "",
            f"Duet `{m['source']}`: {format_time(m['duration'])} long, skeleton {m['skeleton']}, "
            f"{m['fps']:g} fps.",
            "",
        ]
        lines += [f"> **Warning:** {w}" for w in self.warnings] + ([""] if self.warnings else [])
        lines += ["## Who pulls whom", ""]
        shown = 3 * int(m.get("top_k", 5))  # the first page keeps to the strongest strings
        if ev["strings"]:
            lines += _table(
                ["string", "strength [95 % CI]", "when", "q", "direction"],
                [[r["string"].replace(" -> ", " → "), _strength_text(r),
                  _spans_text(r["spans_s"]) or "not placed in time", f"{r['q']:.2g}",
                  r["direction"]] for r in ev["strings"][:shown]],
                "",
            )  # fmt: skip
            if len(ev["strings"]) > shown:
                lines.append(f"\n{len(ev['strings']) - shown} more in strings.csv.")
        else:
            lines.append(
                f"**No significant string.** Of {ev['n_tested']} joint pairs tested, none moves "
                "with the partner beyond what the surrogate duets show by chance: nothing here "
                "shows one dancer's motion pulling the other's."
            )
        lines += ["", "## When the relationship changes (the strongest strings)", ""]
        lines += [f"- {c}" for c in ev["changes"]] or ["No string switches on or off."]
        lines += ["", "## What this evidence is and is not", "", ev["about"], ""]
        lines += ["---", "", "## Appendix: conventions", ""]
        lines += [
            f"- **{k.replace('_', ' ').capitalize()}**: {v}" for k, v in self.conventions.items()
        ]
        lines += ["", "## Appendix: body parts", ""]
        lines += _table(
            ["from", "to", "significant string-segments"],
            [[p["from"], p["to"], p["n_strong"]] for p in self.body_parts],
            "No significant strings to group.",
        )
        lines += ["", "## Appendix: timeline", ""]
        lines += [f"- {entry['text']}" for entry in self.timeline]
        return "\n".join(lines) + "\n"


def _strength_text(row: dict[str, Any]) -> str:
    lo, hi = row["strength_ci"]
    if row["strength"] is None:
        return "–"
    ci = f" [{100 * lo:.0f}, {100 * hi:.0f}]" if lo is not None and hi is not None else ""
    return f"{100 * row['strength']:.0f} %{ci}"


def _spans_text(spans: list[list[float]]) -> str:
    return ", ".join(f"{format_time(a)}-{format_time(b)}" for a, b in spans)


def evidence_summary(evidence, duet: Duet, top_k: int = 5) -> dict[str, Any]:
    """The report's first page from a `StringEvidence`: strings, the moments where one of the
    `top_k` strongest switches on or off, what the evidence is."""
    rows = evidence.strings()
    s = evidence.settings
    on = evidence.segment_on & evidence.significant[:, None]  # (E, G)
    names = evidence.edge_names(arrow="→")
    strongest = {f"{r['sender']} → {r['receiver']}" for r in rows[:top_k]}
    on &= np.array([n in strongest for n in names])[:, None]  # the changes of the strongest
    changes = []
    for g in range(1, on.shape[1]):
        started = [names[e] for e in np.flatnonzero(on[:, g] & ~on[:, g - 1])]
        stopped = [names[e] for e in np.flatnonzero(~on[:, g] & on[:, g - 1])]
        if started or stopped:
            parts = ([f"on: {', '.join(started)}"] if started else []) + (
                [f"off: {', '.join(stopped)}"] if stopped else [])  # fmt: skip
            changes.append(f"{format_time(float(evidence.segment_start[g]))} · " + "; ".join(parts))
    beat = s.get("beat_hz")
    about = (
        f"Every one of the {evidence.n_edges} joint pairs between the dancers was tested: does "
        "the sender's motion over the last "
        f"{s.get('history_s', 0.8):g} s predict where the receiver moves next, beyond what the "
        "receiver's own motion predicts (a linear Granger test)? The same test was run on "
        f"{s.get('n_surrogates')} surrogate duets that keep each dancer's own motion but move one "
        f"dancer in time by at least {s.get('min_shift_s', 5):g} s (circular shifts and shuffled "
        "segments"
        + (f", by whole beats of the {beat:.2f} Hz beat both dancers share" if beat else "")
        + "). A string is listed when it beats its surrogates with the false discovery rate held "
        f"at {s.get('q', 0.05):g} over all pairs, and when it is not merely a neighbour of a "
        "stronger string to the same joint; where the joint beside the sender predicts as well, "
        'both are named ("A:right_foot (or right_bigtoe)"): the test cannot tell them apart. '
        "Strength is the share of the receiver's prediction "
        "error the sender removes on held-out time; 'when' lists the "
        f"{s.get('segment_s', 10):g}-s segments in which the string is significant. It is "
        "evidence of predictable timing, not of touch or intention: a string can be a cue, a "
        "shared count, or one dancer adapting to the other, and a weak string in a short duet "
        "can be missed."
    )
    return {"strings": rows, "changes": changes, "about": about,
            "n_tested": int(evidence.n_edges), "settings": s}  # fmt: skip


def _table(header: list[str], rows: list[list[Any]], empty: str) -> list[str]:
    """Markdown table lines, or the one line `empty` when there are no rows."""
    if not rows:
        return [empty]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def write_report(
    report: Report, out_dir: str | os.PathLike, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write `report.md` and `report.json` into `out_dir` atomically; neither is written if
    either exists and `overwrite` is False.

    Returns:
        (path of report.md, path of report.json).
    """
    md, js = Path(out_dir) / "report.md", Path(out_dir) / "report.json"
    check_writable(md, overwrite)
    check_writable(js, overwrite)
    return write_text_atomic(md, report.to_markdown(), overwrite), write_text_atomic(
        js, report.to_json(), overwrite
    )


def check_match(duet: Duet, posterior: StringPosterior) -> list[str]:
    """Raise InputError if the posterior cannot belong to the duet; return warnings."""
    try:
        same = get_skeleton(posterior.skeleton).name == duet.skeleton_def.name
    except KeyError as exc:
        raise InputError(f"posterior: {exc.args[0]}") from None
    if not same:
        raise InputError(
            f"the strings use skeleton {posterior.skeleton} but the duet uses {duet.skeleton}; "
            "pass the duet the model was run on."
        )
    if posterior.n_windows and posterior.window_end.max() > duet.duration + 1.0 / duet.fps + 1e-6:
        raise InputError(
            f"the strings' windows reach {posterior.window_end.max():.2f} s but the duet lasts "
            f"{duet.duration:.2f} s; pass the duet the model was run on."
        )
    warnings = []
    if tuple(posterior.dancers) != tuple(duet.dancers):
        warnings.append(
            f"the strings name the dancers {list(posterior.dancers)} but the duet names them "
            f"{list(duet.dancers)}; the duet's labels are used."
        )
    gap = strings.prior_gap(posterior)
    if gap is not None and gap < 0.01:
        warnings.append(
            f"the posterior differs from the prior by only {gap:.4f} on average: the encoder "
            "ignores the dance (posterior collapse), so these strings carry no information."
        )
    return warnings


def build_report(
    duet: Duet,
    posterior: StringPosterior,
    config: ReportConfig | None = None,
    evidence=None,
) -> Report:
    """Describe the duet moment by moment with its strings (see the module docstring).

    Args:
        duet: T frames; its times are frame / fps seconds.
        posterior: W windows over the same duet (seconds from its first frame), E edges.
        config: thresholds and segmentation; defaults if None.
        evidence: the tested strings (`analysis.evidence_record.StringEvidence`); with it the report's
            first page holds the significant strings, and `posterior` should be its
            `as_posterior()`.
    """
    cfg = config or ReportConfig()
    warnings = check_match(duet, posterior) + scene.geometry_warnings(duet)
    dancers = tuple(duet.dancers)
    if tuple(posterior.dancers) != dancers:
        posterior = replace(posterior, dancers=dancers)
    names = posterior.edge_names()
    p = posterior.p_string

    segments = strings.string_segments(
        posterior, cfg.threshold, cfg.low_threshold, cfg.min_duration
    )
    hubs = strings.string_hubs(posterior, cfg.threshold)
    lead = strings.lead_follow(posterior, cfg.threshold, cfg.lead_margin)
    parts = strings.body_part_summary(posterior, cfg.threshold)
    timeline, mean_distance = describe_moments(duet, posterior, cfg, names)
    if mean_distance < 0.05:
        warnings.append(
            "the dancers' pelvises are less than 5 cm apart on average: the input probably lost "
            "where the dancers stand (pelvis-centred poses); distances and contacts are not real."
        )

    meta = {
        "dancers": list(dancers),
        "source": duet.source,
        "skeleton": duet.skeleton,
        "fps": float(duet.fps),
        "n_frames": duet.n_frames,
        "duration": float(duet.duration),
        "run": posterior.run,
        "n_windows": posterior.n_windows,
        "n_edges": posterior.n_edges,
        "n_edge_types": posterior.n_edge_types,
        "window_span": [
            float(posterior.window_start.min(initial=0)),
            float(posterior.window_end.max(initial=0)),
        ],
        "threshold": cfg.threshold,
        "low_threshold": cfg.low_threshold,
        "min_duration": cfg.min_duration,
        "step": cfg.step,
        "segmentation": cfg.segmentation,
        "prior_gap": strings.prior_gap(posterior),
        "mean_p_string": float(p.mean()) if p.size else None,
        "top_k": cfg.top_k,
    }
    return Report(
        meta=meta,
        warnings=tuple(warnings),
        conventions=conventions(cfg),
        top_strings=tuple(_top_strings(duet, posterior, segments, cfg, names)),
        hubs={dancers[d]: [h.to_dict() for h in hubs[d][: cfg.top_k]] for d in (0, 1)},
        lead_follow=_lead_summary(lead, posterior, dancers, cfg),
        body_parts=tuple(
            {
                **link.to_dict(),
                "from": f"{dancers[link.sender_dancer]} {link.sender_part.replace('_', ' ')}",
                "to": f"{dancers[link.receiver_dancer]} {link.receiver_part.replace('_', ' ')}",
            }
            for link in parts[: 2 * cfg.top_k]
        ),
        timeline=tuple(timeline),
        evidence=None if evidence is None else evidence_summary(evidence, duet, cfg.top_k),
    )


def conventions(cfg: ReportConfig) -> dict[str, str]:
    """The conventions behind every fact, in plain words (they head every report)."""
    facts = scene.conventions(
        cfg.front, cfg.contact_distance, cfg.low_level, cfg.high_level, cfg.dead_band
    )
    merged = ", consecutive equal moments merged." if cfg.segmentation == "merge" else "."
    return {
        **facts,
        "strings": "'X -> Y' means X's motion predicts Y's (sender -> receiver); P(string) = "
        "1 - P(no string), averaged over the windows centred in the moment; shown when >= "
        f"{cfg.threshold:.2f}.",
        "time": f"m:ss from the duet's first frame; moments of {cfg.step:g} s{merged}",
    }


# ---------------------------------------------------------------------- internals
def _top_strings(duet, posterior, segments, cfg, names) -> list[dict[str, Any]]:
    """The edges longest on (then highest mean P), with their segments and dominant label."""
    if not len(segments):
        return []
    n_edges, n_win = posterior.n_edges, segments.n_windows.astype(np.float64)
    time_on = _union_seconds(segments.edge, segments.start, segments.end, n_edges)
    p_sum = np.bincount(segments.edge, segments.mean_p * n_win, n_edges)
    mean_p = p_sum / np.maximum(np.bincount(segments.edge, n_win, n_edges), 1)
    max_p = np.zeros(n_edges)
    np.maximum.at(max_p, segments.edge, segments.max_p)
    top = np.lexsort((-mean_p, -time_on))[: cfg.top_k]
    top = top[time_on[top] > 0]
    mine = segments.select(np.isin(segments.edge, top))
    label = tension.segment_tension(duet, posterior, mine, cfg.dead_band)  # (S',)
    rows = []
    for e in top:
        own = mine.edge == e
        # "mostly": the label of most of the string's time on (ties: steady)
        time_by_label = {v: mine.duration[own & (label == v)].sum() for v in tension.TENSION_NAMES}
        mostly = max(time_by_label, key=lambda v: (time_by_label[v], v == tension.STEADY))
        rows.append(
            {
                "edge": int(e),
                "sender": posterior.node_names[posterior.senders[e]],
                "receiver": posterior.node_names[posterior.receivers[e]],
                "label": names[e],
                "time_on": float(time_on[e]),
                "n_segments": int(own.sum()),
                "mean_p": float(mean_p[e]),
                "max_p": float(max_p[e]),
                "mostly": tension.TENSION_NAMES[mostly],
                "segments": [
                    [float(t0), float(t1), tension.TENSION_NAMES[int(v)]]
                    for t0, t1, v in zip(mine.start[own], mine.end[own], label[own], strict=True)
                ],
            }
        )
    return rows


def _lead_summary(lead, posterior, dancers, cfg) -> dict[str, Any]:
    if lead.n_pairs == 0:
        return {
            "directed": False,
            "text": "The strings are undirected (one edge per joint pair): no one leads.",
        }
    counts = lead.counts()
    total = sum(counts.values())
    labels = posterior.node_labels()
    led_a, led_b = (lead.leader == 0).sum(axis=0), (lead.leader == 1).sum(axis=0)  # (P,)

    def top_pairs(led: np.ndarray, arrow_from_a: bool) -> list[str]:
        order = np.argsort(-led, kind="stable")[:3]
        return [
            (f"{labels[lead.node_a[i]]} -> {labels[lead.node_b[i]]}" if arrow_from_a
             else f"{labels[lead.node_b[i]]} -> {labels[lead.node_a[i]]}") + f" ({led[i]} windows)"
            for i in order if led[i] > 0
        ]  # fmt: skip

    through = {"a": top_pairs(led_a, True), "b": top_pairs(led_b, False)}
    if total == 0:
        text = f"No directed string reaches P >= {cfg.threshold:.2f}: no one leads."
    else:
        share = {k: 100.0 * v / total for k, v in counts.items()}
        text = (
            f"Of {total} strong pair-windows, {dancers[0]} leads {counts['a_leads']} "
            f"({share['a_leads']:.0f} %), {dancers[1]} leads {counts['b_leads']} "
            f"({share['b_leads']:.0f} %), {counts['mutual']} are mutual "
            f"(both ways within {cfg.lead_margin:g})."
        )
        for dancer, pairs in zip(dancers, through.values(), strict=True):
            text += f" {dancer} leads most through {', '.join(pairs)}." if pairs else ""
    return {
        "directed": True,
        "counts": counts,
        "a_leads_through": through["a"],
        "b_leads_through": through["b"],
        "text": text,
    }


def _union_seconds(
    edge: np.ndarray, start: np.ndarray, end: np.ndarray, n_edges: int
) -> np.ndarray:
    """(n_edges,) seconds covered by each edge's segments, overlaps counted once.

    Segments of overlapping windows overlap each other (a run ends at its last window's end,
    after the next run's first window starts), so their durations must not simply be added.
    """
    order = np.lexsort((start, edge))
    e, a, b = edge[order], start[order], end[order]
    covered = np.zeros(n_edges)
    for k in np.unique(e):  # one pass per edge over its time-sorted segments
        reach = -np.inf
        for lo, hi in zip(a[e == k], b[e == k], strict=True):
            covered[k] += max(0.0, hi - max(lo, reach))
            reach = max(reach, hi)
    return covered
