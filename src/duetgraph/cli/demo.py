"""`duetgraph demo`: the whole journey on a generated duet whose strings are known.

    duetgraph demo -o demo/

Generates a duet with planted strings, films it as faulty AlphaPose detections, cleans them,
trains a small model, infers the strings, writes the report, figures, video and viewer, and ends
by printing what it found next to the planted truth.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from duetgraph.cli.analyze import add_journey_arguments, journey_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the whole journey on a generated duet with planted strings",
        description="Generate a duet with known strings and run the whole journey on it.",
    )
    p.add_argument("--duration", type=float, default=300.0, help="seconds of duet [300]")
    add_journey_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from duetgraph.analysis.recovery import implied_by_motion, recover_from_evidence
    from duetgraph.atomic import write_text_atomic
    from duetgraph.cli._journey import check_out_dir, load_any, run_journey
    from duetgraph.errors import InputError, OutputError
    from duetgraph.sim.duet import DuetSimConfig, simulate_duet, strings_to_json
    from duetgraph.sim.faults import make_example_alphapose

    out = Path(args.out)
    if args.duration < 30:
        raise InputError(f"--duration {args.duration:g} s is too short to learn from; use >= 30.")
    check_out_dir(out, args.overwrite)
    for name in ("alphapose-results.json", "planted.json", "recovery.json"):
        if (out / name).exists() and not args.overwrite:
            raise InputError(f"{out / name}: exists; pass --overwrite or choose another folder.")
    t0 = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror}).") from None
    rng = np.random.default_rng(args.seed)
    truth, strings = simulate_duet(
        DuetSimConfig(duration_s=args.duration, fps=30, switch_off=True), rng
    )

    def alone(chosen):  # the same duet with only the chosen strings
        return simulate_duet(
            DuetSimConfig(duration_s=args.duration, fps=30, strings=chosen),
            np.random.default_rng(args.seed),
        )[0]

    write_text_atomic(out / "planted.json", strings_to_json(strings, fps=30), args.overwrite)
    raw = make_example_alphapose(
        out / "alphapose-results.json", seed=args.seed, duet=truth, overwrite=args.overwrite
    )
    print(f"[{time.perf_counter() - t0:6.1f} s] generated {args.duration:g} s of duet with "
          f"{len(strings)} planted strings; filmed as faulty detections: {raw.name}")  # fmt: skip
    duet = load_any([raw], 30.0, out, args.overwrite)
    result = run_journey(duet, out, journey_options(args), args.overwrite, t0)
    rec = recover_from_evidence(result["evidence"], strings, implied_by_motion(alone, strings))
    write_text_atomic(out / "recovery.json", _json(rec), args.overwrite)
    _print_comparison(result["evidence"], strings, rec)
    print(f"[{time.perf_counter() - t0:6.1f} s] everything is in {out}/ "
          f"(open {out}/viewer.html in a browser; read {out}/report.md)")  # fmt: skip
    return 0


def _json(d: dict) -> str:
    import json

    return json.dumps(d, indent=2) + "\n"


def _print_comparison(evidence, strings, rec) -> None:
    """Found against planted: every planted string, every false string, the implied ones."""
    print("\nplanted (truth)                     kind        found   strength  on-time found  "
          "off-time clear")  # fmt: skip
    for s in strings:
        name = f"A:{s.a_joint} -> B:{s.b_joint}"
        r = rec["planted"].get(name)
        if r is None:
            print(f"  {name:<34s} {s.kind:<10s}  not a tested joint pair")
            continue
        spans = ", ".join(f"{a:.0f}-{b:.0f} s" for a, b in s.spans or ())
        found = ("alt" if r.get("as_alternative") else "yes") if r["significant"] else "NO"
        print(f"  {name:<34s} {s.kind:<10s}  {found:<6s}  "
              f"{_percent(r['strength']):>8s}  {r['on_time_found_on']:12.0%}  "
              f"{r['off_time_found_off']:12.0%}   (on {spans})")  # fmt: skip
    if any(r.get("as_alternative") for r in rec["planted"].values()):
        print("  (alt: found as an alternative sender of a string, a joint moving as one with it)")
    print(
        f"false strings (neither planted nor moved by a planted one): "
        f"{len(rec['false_strings'])}" + "".join(f"\n  {n}" for n in rec["false_strings"])
    )
    if rec["implied_significant"]:
        print(
            f"also found, moved by a planted string through B's body (neither right nor wrong): "
            f"{', '.join(rec['implied_significant'])}"
        )
    print(f"recovery: AUROC {rec['auroc']:.3f}, precision@{rec['k']} {rec['precision_at_k']:.2f}, "
          f"false-string share {rec['false_string_share']:.3f} of {rec['n_significant']} "
          f"significant strings ({rec['n_edges']} tested)")  # fmt: skip


def _percent(share: float) -> str:
    """ "26 %", or "-" where nothing was measured (a string not found)."""
    return f"{100 * share:.0f} %" if share == share else "-"
