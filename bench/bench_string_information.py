"""How much do the planted strings tell a plain linear predictor? A model-free recovery baseline.

    python bench/bench_string_information.py                  # paper's 6 joints (about 1 minute)
    python bench/bench_string_information.py --horizon 1 3 --history 8

For every directed pair (sender joint of one dancer, receiver joint of the other) a least-squares
predictor forecasts the receiver's displacement `horizon` frames ahead (at the model's 10 fps)
from an 8-frame history of its own dancer's selected joints; a second one also gets the sender's
history. Both are fitted on the training duet (seed 123) and scored on unseen duets (the seeds of
bench_recovery.py). The pair's score is the error the sender removes, 1 - MSE(with) / MSE(own):
a linear Granger test. Scored against the planted strings with `recover_planted`, the same
scoring as bench_recovery.py, it is the baseline the NRI must beat, and it checks the simulator:
a planted string should make its receiver more predictable, and dancer B, who never leads, should
tell nothing about dancer A.
"""

from __future__ import annotations

import argparse
import platform
from dataclasses import replace
from datetime import date

import numpy as np

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.analysis.recovery import recover_planted
from duetgraph.data.joints import inter_dancer_edges, select_joints
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.duet import prepare_duet

FPS = 10.0  # the duet model's rate


def history_features(pos: np.ndarray, nodes: np.ndarray, ref: np.ndarray, hist: int, t: np.ndarray):
    """(len(t), hist·len(nodes)·3): the nodes' positions over frames t-hist+1..t relative to ref.

    pos (T, N, 3) node positions; ref (T, 3) a per-frame origin (the receiver's dancer's root at
    the last history frame, so only relative motion counts).
    """
    frames = t[:, None] + np.arange(-hist + 1, 1)[None, :]  # (S, hist)
    window = pos[frames][:, :, nodes] - ref[t][:, None, None, :]  # (S, hist, n, 3)
    return window.reshape(len(t), -1)


def fit_predict(x_train, y_train, x_test) -> np.ndarray:
    """Least squares with an intercept and a small ridge (keeps the fit stable)."""
    a = np.c_[x_train, np.ones(len(x_train))]
    w = np.linalg.solve(a.T @ a + 1e-6 * np.eye(a.shape[1]), a.T @ y_train)
    return np.c_[x_test, np.ones(len(x_test))] @ w


def pair_scores(
    train: np.ndarray,
    tests: list[np.ndarray],
    edges,
    dancer,
    roots,
    hist: int,
    horizon: int,
    own: str = "dancer",
):
    """1 - MSE(with sender) / MSE(own history) per edge, per test duet; (n_tests, E).

    own: the receiver's own history is every selected joint of its dancer ("dancer") or just the
    receiver and its dancer's root ("joint", for the full body, where a dancer has 29 joints).
    """
    dancer_nodes = [np.flatnonzero(dancer == d) for d in (0, 1)]

    def samples(pos):
        t = np.arange(hist - 1, len(pos) - horizon)
        return pos, t, pos[t + horizon] - pos[t]  # (S, N, 3) displacement of every node

    (tr, t_tr, dy_tr), test_sets = samples(train), [samples(p) for p in tests]
    out = np.zeros((len(tests), len(edges)))
    for e, (s, r) in enumerate(edges):
        d = dancer[r]
        own_nodes = dancer_nodes[d] if own == "dancer" else np.unique([r, roots[d]])
        ref_tr = train[:, roots[d]]
        own_tr = history_features(tr, own_nodes, ref_tr, hist, t_tr)
        send_tr = history_features(tr, np.array([s]), ref_tr, hist, t_tr)
        for i, (te, t_te, dy_te) in enumerate(test_sets):
            ref_te = te[:, roots[d]]
            own_te = history_features(te, own_nodes, ref_te, hist, t_te)
            send_te = history_features(te, np.array([s]), ref_te, hist, t_te)
            base = fit_predict(own_tr, dy_tr[:, r], own_te)
            both = fit_predict(np.c_[own_tr, send_tr], dy_tr[:, r], np.c_[own_te, send_te])
            err_own = ((base - dy_te[:, r]) ** 2).mean()
            err_both = ((both - dy_te[:, r]) ** 2).mean()
            out[i, e] = 1.0 - err_both / err_own
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joints", default="pelvis,left_wrist,right_wrist")
    parser.add_argument("--minutes", type=float, default=10.0, help="training duet length")
    parser.add_argument("--history", type=int, default=8, help="frames of history (window)")
    parser.add_argument("--horizon", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--test-seeds", type=int, nargs="+", default=[1001, 1002, 1003])
    parser.add_argument(
        "--own",
        choices=("dancer", "joint"),
        default="dancer",
        help="receiver's own history: its dancer's selected joints, or itself and its root",
    )
    parser.add_argument("--top", type=int, default=20, help="pairs to list per horizon")
    args = parser.parse_args()
    print(f"# bench_string_information  {date.today()}  {platform.machine()}")

    def positions(duet, selection):
        d = prepare_duet(duet, FPS).positions  # (T, 2, J, 3)
        return np.concatenate([d[:, 0, selection.joints_a], d[:, 1, selection.joints_b]], axis=1)

    train_duet, _ = simulate_duet(
        DuetSimConfig(duration_s=args.minutes * 60, fps=30), np.random.default_rng(123)
    )
    selection = select_joints(train_duet.skeleton, args.joints)
    names = selection.node_names
    dancer = np.asarray(selection.node_dancer)
    pelvis = [names.index(f"{x}:pelvis") if f"{x}:pelvis" in names else None for x in "AB"]
    if None in pelvis:
        raise SystemExit("--joints must include the pelvis (the reference of each dancer)")
    tests = [
        simulate_duet(DuetSimConfig(duration_s=300, fps=30, switch_off=True),
                      np.random.default_rng(seed))
        for seed in args.test_seeds
    ]  # fmt: skip
    edges = inter_dancer_edges(selection, directed=True)
    train = positions(train_duet, selection)
    test_pos = [positions(duet, selection) for duet, _ in tests]
    for horizon in args.horizon:
        scores = pair_scores(
            train, test_pos, edges, dancer, pelvis, args.history, horizon, args.own
        )
        print(f"\nhorizon {horizon} frame(s) at {FPS:g} fps, history {args.history} frames: "
              f"error removed by the sender, mean over {len(tests)} unseen duets")  # fmt: skip
        mean = scores.mean(axis=0)
        for e in np.argsort(-mean)[: args.top]:
            s, r = edges[e]
            print(f"  {names[s]:>15} -> {names[r]:<15} {mean[e]:+.3f}")
        aurocs = []
        for i, (duet, strings) in enumerate(tests):
            # one "window" over the whole duet; spans dropped: scored over on and off time alike
            p = np.clip(scores[i], 0.0, 1.0)[None, :, None]
            posterior = StringPosterior(
                probs=np.concatenate([1.0 - p, p], axis=-1).astype(np.float32),
                window_start=np.array([0.0]),
                window_end=np.array([duet.duration]),
                senders=edges[:, 0],
                receivers=edges[:, 1],
                node_names=names,
                node_dancer=selection.node_dancer,
                node_joint=selection.node_joint,
                skeleton=selection.skeleton,
                dancers=tuple(duet.dancers),
                edge_prior=None,
                run="linear Granger baseline",
            )
            rec = recover_planted(posterior, [replace(s, spans=None) for s in strings])
            aurocs.append(rec.auroc)
            print(f"  unseen duet seed {args.test_seeds[i]}: AUROC {rec.auroc:.3f}, "
                  f"precision@{rec.k} {rec.precision_at_k:.2f}")  # fmt: skip
        print(f"  mean AUROC {np.mean(aurocs):.3f} (negative scores count as 0, ties one half)")
    print(f"\nreproduce: python bench/bench_string_information.py --joints {args.joints} "
          f"--own {args.own} --history {args.history} --horizon {' '.join(map(str, args.horizon))}")  # fmt: skip


if __name__ == "__main__":
    main()
