"""The tested strings as tables: JSON and CSV of the significant strings, and a console table.

`write_evidence` writes PATH.npz (everything tested, `StringEvidence.save`) with PATH.csv and
PATH.json beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from duetgraph.analysis.evidence_record import StringEvidence


def evidence_json(evidence: StringEvidence) -> str:
    """The significant strings and what was tested, as JSON text."""
    s = evidence.settings
    doc = {
        "format": "duetgraph.strings_table",
        "method": "linear Granger test against surrogate duets, BH false discovery rate",
        "q": s.get("q"),
        "n_tested": int(evidence.n_edges),
        "n_significant": int(evidence.significant.sum()),
        "surrogates": {"n": s.get("n_surrogates"), "kind": s.get("surrogates"),
                       "min_shift_s": s.get("min_shift_s"), "beat_hz": s.get("beat_hz")},
        "strings": evidence.strings(),
    }  # fmt: skip
    return json.dumps(doc, indent=1) + "\n"


def evidence_csv(evidence: StringEvidence) -> str:
    """One row per significant string: names, strength and interval, p, q, direction, time, and
    the alternative senders the test cannot tell from the sender (space-separated)."""
    head = (
        "sender,receiver,strength,strength_lo,strength_hi,p,q,direction,time_on_s,spans_s,"
        "or_senders"
    )
    rows = [head]
    for r in evidence.strings():
        spans = " ".join(f"{a:g}-{b:g}" for a, b in r["spans_s"])
        lo, hi = r["strength_ci"]
        rows.append(f"{r['sender']},{r['receiver']},{r['strength']},{lo},{hi},{r['p']},{r['q']},"
                    f"{r['direction']},{r['time_on_s']},{spans},{' '.join(r['or_senders'])}")  # fmt: skip
    return "\n".join(rows) + "\n"


def evidence_paths(path: str | os.PathLike) -> list[Path]:
    """[PATH.npz, PATH.csv, PATH.json]: the files `write_evidence` writes for `path`."""
    path = Path(path)
    return [path, path.with_suffix(".csv"), path.with_suffix(".json")]


def write_evidence(evidence: StringEvidence, path: str | os.PathLike, overwrite: bool = False):
    """Write PATH.npz (everything tested) and, beside it, PATH.csv / PATH.json (the significant
    strings); none is written if one exists and `overwrite` is False.

    Returns:
        the three paths.
    """
    from duetgraph.atomic import check_writable, write_text_atomic

    path, csv_path, json_path = evidence_paths(path)
    for p in (path, csv_path, json_path):
        check_writable(p, overwrite)
    evidence.save(path, overwrite=overwrite)
    write_text_atomic(csv_path, evidence_csv(evidence), overwrite)
    write_text_atomic(json_path, evidence_json(evidence), overwrite)
    return path, csv_path, json_path


def format_strings(evidence: StringEvidence, limit: int = 12) -> str:
    """A plain-text table of the significant strings for the console."""
    rows = evidence.strings()
    s = evidence.settings
    head = (f"{len(rows)} significant strings of {evidence.n_edges} tested (false discovery "
            f"rate {s.get('q', 0.05):g}, {s.get('n_surrogates')} surrogate duets"
            + (f", aligned to a shared beat of {s['beat_hz']:.2f} Hz" if s.get("beat_hz") else "")
            + ")")  # fmt: skip
    if not rows:
        return (
            head + "\nNo significant string: nothing in this duet shows one dancer's motion "
            "predicting the other's beyond chance."
        )
    width = max([40] + [len(r["string"]) for r in rows[:limit]])
    lines = [
        head,
        f"  {'string':<{width}s} {'strength [95% CI]':<22s} {'q':>9s}  direction  time on",
    ]
    for r in rows[:limit]:
        lo, hi = r["strength_ci"]
        ci = f"{100 * (r['strength'] or 0):.0f} % [{100 * (lo or 0):.0f}, {100 * (hi or 0):.0f}]"
        lines.append(f"  {r['string']:<{width}s} {ci:<22s} {r['q']:>9.2g}  {r['direction']:<9s}  "
                     f"{r['time_on_s']:.0f} s")  # fmt: skip
    if len(rows) > limit:
        lines.append(f"  ... and {len(rows) - limit} more (see the .csv)")
    return "\n".join(lines)
