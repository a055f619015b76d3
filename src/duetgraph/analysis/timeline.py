"""The report's timeline: moments of the duet described in one plain-language line each.

`describe_moments` cuts the duet into moments (`ReportConfig.step` seconds), gathers each moment's scene
facts and strings, merges equal consecutive moments (or keeps them, "fixed") and writes the
sentence of each, e.g. `0:04-0:06 · A faces 2 o'clock, B faces 8 o'clock, 0.8 m apart. Strings:
A right wrist -> B left shoulder (0.93, tension).`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from duetgraph.analysis import scene, strings, tension

if TYPE_CHECKING:
    from duetgraph.analysis.report import ReportConfig


def format_time(seconds: float, precise: bool = False) -> str:
    """Format seconds as m:ss (h:mm:ss past an hour); `precise` adds tenths: 1:04.5."""
    if precise:
        minutes, rest = divmod(round(seconds, 1), 60)
        return f"{int(minutes)}:{rest:04.1f}"
    hours, rest = divmod(int(round(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe_moments(duet, posterior, cfg, names) -> tuple[list[dict[str, Any]], float]:
    """Timeline entries and the mean pelvis distance over the whole duet.

    Facts that lost axes take away (`scene.geometry_warnings` says which) are left out of the
    entries and their sentences: no distance and no contact with any axis lost ("distance_m" and
    "distance_range_m" None, "contacts" empty), no level with z lost, no facing with a horizontal
    coordinate constant. The returned mean distance is measured all the same (metres, pelvis to
    pelvis): a value near 0 tells the caller that the poses are pelvis-centred.
    """
    starts, ends = scene.moments(duet.duration, cfg.step)
    n_moments = starts.size
    facts = scene.scene_facts(
        duet,
        starts,
        ends,
        cfg.front,
        cfg.contact_distance,
        cfg.low_level,
        cfg.high_level,
        cfg.floor_z,
    )
    p = strings.interval_p_string(posterior, starts, ends)  # (M, E), NaN where no window
    covered = ~np.isnan(p).all(axis=1) if p.shape[1] else np.ones(n_moments, dtype=bool)
    column, first, stop = strings.threshold_runs(p, cfg.threshold, cfg.low_threshold)
    keep = ends[stop - 1] - starts[first] >= cfg.min_duration
    on = strings.runs_to_mask(p.shape, column[keep], first[keep], stop[keep])  # (M, E)
    used = np.nonzero(on.any(axis=0))[0]  # (U,) edges that are ever on
    f0, f1 = scene.interval_frames(starts, ends, duet.fps, duet.n_frames)
    labels = tension.interval_majority(
        tension.string_tension(duet, posterior, used, cfg.dead_band), f0, f1
    )  # (M, U)
    if facts.claims_distance:
        band = np.floor(facts.distance / cfg.distance_step).astype(np.int64)
    else:
        band = np.full(n_moments, -1, dtype=np.int64)  # one band: no distance is claimed
    duration = ends - starts  # (M,) weights of the moments
    cum_time = np.concatenate([[0.0], np.cumsum(duration)])  # (M+1,)
    cum_p = np.concatenate(
        [np.zeros((1, p.shape[1])), np.cumsum(np.nan_to_num(p) * duration[:, None], axis=0)]
    )

    keys = [
        (
            tuple(facts.facing_hour[m]),
            tuple(facts.level[m]),
            int(band[m]),
            tuple(np.nonzero(facts.contact[m])[0]),
            bool(covered[m]),
            tuple((int(used[u]), int(labels[m, u])) for u in np.nonzero(on[m, used])[0]),
        )
        for m in range(n_moments)
    ]
    if cfg.segmentation == "merge":
        new = [0] + [m for m in range(1, n_moments) if keys[m] != keys[m - 1]]
    else:
        new = list(range(n_moments))
    bounds = list(zip(new, new[1:] + [n_moments], strict=True))
    precise = cfg.step < 1 or cfg.step != round(cfg.step)
    dancers = tuple(duet.dancers)
    entries = []
    for i0, i1 in bounds:
        hours, levels, _, contact_idx, is_covered, on_edges = keys[i0]
        weight = duration[i0:i1]
        distance, distance_range = None, None
        if facts.claims_distance:
            distance = float(np.average(facts.distance[i0:i1], weights=weight))
            distance_range = [
                float(facts.distance[i0:i1].min()),
                float(facts.distance[i0:i1].max()),
            ]
        found = [
            {
                "edge": e,
                "sender": posterior.node_names[posterior.senders[e]],
                "receiver": posterior.node_names[posterior.receivers[e]],
                "label": names[e],
                "p": float((cum_p[i1, e] - cum_p[i0, e]) / (cum_time[i1] - cum_time[i0])),
                "tension": tension.TENSION_NAMES[label],
            }
            for e, label in on_edges
        ]
        found.sort(key=lambda s: (-s["p"], s["edge"]))
        contacts = [facts.contact_pairs[c] for c in contact_idx]
        entry = {
            "start": float(starts[i0]),
            "end": float(ends[i1 - 1]),
            "time": f"{format_time(starts[i0], precise)}-{format_time(ends[i1 - 1], precise)}",
            "facing_hour": dict(
                zip(dancers, map(int, hours) if facts.claims_facing else [None] * 2, strict=True)
            ),
            "facing_deg": dict(
                zip(dancers, _circular_mean(facts.facing_deg[i0:i1], weight), strict=True)
            ),
            "level": {
                d: (scene.LEVEL_NAMES[v] if v >= 0 else None)
                for d, v in zip(dancers, levels, strict=True)
            },
            "distance_m": distance,
            "distance_range_m": distance_range,
            "contacts": [
                {"a": sa, "b": sb, "text": scene.contact_phrase(sa, sb, dancers)}
                for sa, sb in contacts
            ],
            "strings_inferred": is_covered,
            "strings": found,
        }
        entry["text"] = _describe(entry, dancers, cfg)
        entries.append(entry)
    return entries, float(scene.pelvis_distance(duet).mean()) if n_moments else 0.0


def _circular_mean(degrees: np.ndarray, weight: np.ndarray) -> list[float | None]:
    """(M, 2) degrees, (M,) weights → per dancer the weighted circular mean, None if all NaN."""
    rad = np.radians(degrees)
    valid = ~np.isnan(rad)
    w = np.where(valid, weight[:, None], 0.0)
    x, y = (w * np.nan_to_num(np.cos(rad))).sum(0), (w * np.nan_to_num(np.sin(rad))).sum(0)
    out = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    return [float(v) if valid[:, d].any() else None for d, v in enumerate(out)]


def _describe(entry: dict[str, Any], dancers: tuple[str, ...], cfg: ReportConfig) -> str:
    """One plain-language line for a timeline entry."""
    parts = []
    for d in dancers:
        hour, level = entry["facing_hour"][d], entry["level"][d]
        if hour is None:  # facing not claimed (a lost axis)
            if level:
                parts.append(f"{d} at {level} level")
            continue
        facing = f"faces {hour} o'clock" if hour else "facing unclear"
        parts.append(f"{d} {facing}" + (f" ({level} level)" if level else ""))
    if entry["distance_range_m"] is not None:
        lo, hi = (round(v, 1) for v in entry["distance_range_m"])
        parts.append(
            f"{round(entry['distance_m'], 1):.1f} m apart"
            if lo == hi
            else f"{lo:.1f}-{hi:.1f} m apart"
        )
    parts += [c["text"] for c in entry["contacts"]]
    text = f"{entry['time']} · {', '.join(parts)}." if parts else f"{entry['time']} ·"
    found = entry["strings"]
    if not entry["strings_inferred"]:
        return text + " Strings: not inferred (no window covers this time)."
    if not found:
        return text + f" Strings: none at P >= {cfg.threshold:.2f}."
    shown = [
        f"{s['label']} ({s['p']:.2f}, {s['tension']})" for s in found[: cfg.max_strings_per_line]
    ]
    more = len(found) - len(shown)
    return text + " Strings: " + ", ".join(shown) + (f", and {more} more" if more else "") + "."
