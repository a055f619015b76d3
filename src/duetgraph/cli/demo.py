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

    from duetgraph.analysis.recovery import recover_planted
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
    write_text_atomic(out / "planted.json", strings_to_json(strings, fps=30), args.overwrite)
    raw = make_example_alphapose(
        out / "alphapose-results.json", seed=args.seed, duet=truth, overwrite=args.overwrite
    )
    print(f"[{time.perf_counter() - t0:6.1f} s] generated {args.duration:g} s of duet with "
          f"{len(strings)} planted strings; filmed as faulty detections: {raw.name}")  # fmt: skip
    duet = load_any([raw], 30.0, out, args.overwrite)
    result = run_journey(duet, out, journey_options(args), args.overwrite, t0)
    rec = recover_planted(result["posterior"], strings, duet.duration)
    write_text_atomic(out / "recovery.json", _json(rec.to_dict()), args.overwrite)
    _print_comparison(result["posterior"], strings, rec)
    print(f"[{time.perf_counter() - t0:6.1f} s] everything is in {out}/ "
          f"(open {out}/viewer.html in a browser; read {out}/report.md)")  # fmt: skip
    return 0


def _json(d: dict) -> str:
    import json

    return json.dumps(d, indent=2) + "\n"


def _print_comparison(posterior, strings, rec) -> None:
    p = posterior.p_string.mean(axis=0)
    names = posterior.edge_names()
    print("\nplanted (truth)                          found: mean P(string) while planted")
    for s in strings:
        name = f"A {s.a_joint} -> B {s.b_joint}"
        found = rec.planted_scores.get(name)
        spans = "always" if s.spans is None else ", ".join(f"{a:.0f}-{b:.0f} s" for a, b in s.spans)
        shown = "not a node" if found is None else f"{found:.2f}"
        print(f"  {name:<34s} {s.kind:<10s} {shown:>10s}   on {spans}")
    print("strongest inferred strings (mean P over the duet):")
    for e in p.argsort()[::-1][:5]:
        print(f"  {names[e]:<40s} {p[e]:.2f}")
    print(f"recovery: AUROC {rec.auroc:.2f}, precision@{rec.k} {rec.precision_at_k:.2f} "
          f"over {rec.n_edges} possible strings")  # fmt: skip
    for name, v in rec.on_off.items():
        print(f"  {name}: P {v['p_on']:.2f} while on, {v['p_off']:.2f} while off")
