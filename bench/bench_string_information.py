"""How much do the planted strings tell a plain linear predictor? A model-free recovery baseline.

    python bench/bench_string_information.py                  # paper's 6 joints (about 10 s)
    python bench/bench_string_information.py --joints all --own joint --test-seeds 1001 1002

For every directed pair (sender joint of one dancer, receiver joint of the other) a least-squares
predictor forecasts the receiver's displacement `horizon` frames ahead (at the model's 10 fps)
from an 8-frame history of its own dancer's selected joints; a second one also gets the sender's
history (`duetgraph.analysis.granger`). Both are fitted on the training duet (seed 123) and scored
on unseen duets (the seeds of bench_recovery.py). The pair's score is the error the sender
removes, 1 - MSE(with) / MSE(own): a linear Granger test. Scored against the planted strings with
`recover_planted`, as bench_recovery.py scores the model, it is the baseline the model must beat,
and it checks the simulator: a planted string should make its receiver more predictable, and
dancer B, who never leads, should tell nothing about dancer A.
"""

from __future__ import annotations

import argparse
import platform
from dataclasses import replace
from datetime import date

import numpy as np

from duetgraph.analysis.granger import OWN_HISTORIES, linear_granger_scores, scores_as_posterior
from duetgraph.analysis.recovery import recover_planted
from duetgraph.data.joints import inter_dancer_edges, select_joints
from duetgraph.data.windows import node_positions
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.duet import prepare_duet

FPS = 10.0  # the duet model's rate


def baseline_recovery(train_duet, tests, selection, history=8, horizon=3, own="dancer"):
    """Pair scores (n_tests, E) and one `RecoveryResult` per test duet (spans ignored: the one
    window covers the whole duet, on and off time alike)."""
    names = selection.node_names
    roots = [names.index(f"{x}:pelvis") if f"{x}:pelvis" in names else -1 for x in "AB"]
    if min(roots) < 0:
        raise SystemExit("--joints must include the pelvis (the reference of each dancer)")
    edges = inter_dancer_edges(selection, directed=True)
    scores = linear_granger_scores(
        node_positions(prepare_duet(train_duet, FPS), selection),
        [node_positions(prepare_duet(duet, FPS), selection) for duet, _ in tests],
        edges,
        np.asarray(selection.node_dancer),
        roots,
        history,
        horizon,
        own,
    )
    results = []
    for row, (duet, strings) in zip(scores, tests, strict=True):
        posterior = scores_as_posterior(
            row, edges, names, selection.node_dancer, selection.node_joint,
            selection.skeleton, tuple(duet.dancers), duet.duration,
        )  # fmt: skip
        results.append(recover_planted(posterior, [replace(s, spans=None) for s in strings]))
    return edges, scores, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joints", default="pelvis,left_wrist,right_wrist")
    parser.add_argument("--minutes", type=float, default=10.0, help="training duet length")
    parser.add_argument("--history", type=int, default=8, help="frames of history (window)")
    parser.add_argument("--horizon", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--test-seeds", type=int, nargs="+", default=[1001, 1002, 1003])
    parser.add_argument(
        "--own",
        choices=OWN_HISTORIES,
        default="dancer",
        help="receiver's own history: its dancer's selected joints, or itself and its root",
    )
    parser.add_argument("--top", type=int, default=20, help="pairs to list per horizon")
    args = parser.parse_args()
    print(f"# bench_string_information  {date.today()}  {platform.machine()}")
    train_duet, _ = simulate_duet(
        DuetSimConfig(duration_s=args.minutes * 60, fps=30), np.random.default_rng(123)
    )
    selection = select_joints(train_duet.skeleton, args.joints)
    names = selection.node_names
    tests = [
        simulate_duet(DuetSimConfig(duration_s=300, fps=30, switch_off=True),
                      np.random.default_rng(seed))
        for seed in args.test_seeds
    ]  # fmt: skip
    for horizon in args.horizon:
        edges, scores, results = baseline_recovery(
            train_duet, tests, selection, args.history, horizon, args.own
        )
        print(f"\nhorizon {horizon} frame(s) at {FPS:g} fps, history {args.history} frames: "
              f"error removed by the sender, mean over {len(tests)} unseen duets")  # fmt: skip
        mean = scores.mean(axis=0)
        for e in np.argsort(-mean)[: args.top]:
            s, r = edges[e]
            print(f"  {names[s]:>15} -> {names[r]:<15} {mean[e]:+.3f}")
        for seed, rec in zip(args.test_seeds, results, strict=True):
            print(f"  unseen duet seed {seed}: AUROC {rec.auroc:.3f}, "
                  f"precision@{rec.k} {rec.precision_at_k:.2f}")  # fmt: skip
        aurocs = [rec.auroc for rec in results]
        print(f"  mean AUROC {np.mean(aurocs):.3f} (negative scores count as 0, ties one half)")
    print(f"\nreproduce: python bench/bench_string_information.py --joints {args.joints} "
          f"--own {args.own} --history {args.history} "
          f"--horizon {' '.join(map(str, args.horizon))}")  # fmt: skip


if __name__ == "__main__":
    main()
