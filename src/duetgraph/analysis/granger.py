"""A model-free baseline for strings: a linear Granger test per joint pair.

For a directed pair (sender joint of one dancer → receiver joint of the other), two least-squares
predictors forecast the receiver's displacement `horizon` frames ahead from a `history`-frame
past: one sees only the receiver's own dancer, the other also the sender. The pair's score is the
share of the forecast error the sender removes on held-out data, 1 − MSE(with) / MSE(own). A
string that carries information scores above zero; a joint that tells nothing scores about zero
or below (the larger fit overfits a little).

Positions are taken relative to the receiver's dancer's root at the last history frame, so only
relative motion counts. Numpy only (DESIGN.md §1: analysis imports no model).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from duetgraph.analysis.posterior import StringPosterior

OWN_HISTORIES = ("dancer", "joint")


def history_features(
    pos: np.ndarray, nodes: np.ndarray, ref: np.ndarray, history: int, t: np.ndarray
) -> np.ndarray:
    """(len(t), history·len(nodes)·3): the nodes over frames t−history+1..t, minus ref[t].

    Args:
        pos: (T, N, 3) node positions.
        nodes: node indices to take.
        ref: (T, 3) a per-frame origin.
        history: frames of past, the current one included.
        t: (S,) the current frames, each >= history − 1.
    """
    frames = t[:, None] + np.arange(-history + 1, 1)[None, :]  # (S, history)
    window = pos[frames][:, :, nodes] - ref[t][:, None, None, :]  # (S, history, n, 3)
    return window.reshape(len(t), -1)


def _fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Least squares with an intercept and a tiny ridge, which keeps the solve stable."""
    a = np.c_[x_train, np.ones(len(x_train))]
    w = np.linalg.solve(a.T @ a + 1e-6 * np.eye(a.shape[1]), a.T @ y_train)
    return np.c_[x_test, np.ones(len(x_test))] @ w


def linear_granger_scores(
    train: np.ndarray,
    tests: Sequence[np.ndarray],
    edges: np.ndarray,
    node_dancer: np.ndarray,
    roots: Sequence[int],
    history: int = 8,
    horizon: int = 3,
    own: str = "dancer",
) -> np.ndarray:
    """Error removed by each edge's sender, fitted on `train`, measured on each of `tests`.

    Args:
        train: (T, N, 3) node positions to fit on.
        tests: (T', N, 3) node positions to score on (other recordings of the same nodes).
        edges: (E, 2) (sender, receiver) node pairs.
        node_dancer: (N,) 0 or 1.
        roots: the root node of dancer 0 and of dancer 1 (the reference of relative motion).
        history: frames of past each predictor sees.
        horizon: frames ahead the receiver's displacement is forecast.
        own: the receiver's own history: every node of its dancer ("dancer"), or just the
            receiver and its dancer's root ("joint", for many joints per dancer).

    Returns:
        (len(tests), E) 1 − MSE(with sender) / MSE(own history only).
    """
    if own not in OWN_HISTORIES:
        raise ValueError(f"own must be one of {OWN_HISTORIES}, got {own!r}")
    if history < 1 or horizon < 1:
        raise ValueError(f"history and horizon must be >= 1, got {history} and {horizon}")
    node_dancer = np.asarray(node_dancer)
    dancer_nodes = [np.flatnonzero(node_dancer == d) for d in (0, 1)]

    def samples(pos: np.ndarray):
        if len(pos) < history + horizon:
            raise ValueError(
                f"{len(pos)} frames are too few for a {history}-frame history and a "
                f"{horizon}-frame horizon"
            )
        t = np.arange(history - 1, len(pos) - horizon)
        return pos, t, pos[t + horizon] - pos[t]  # displacement of every node

    (fit, t_fit, dy_fit), scored = samples(train), [samples(p) for p in tests]
    edges = np.asarray(edges)
    out = np.zeros((len(tests), len(edges)))
    for r in np.unique(edges[:, 1]):  # the own-history fit once per receiver, not per edge
        root = roots[node_dancer[r]]
        own_nodes = dancer_nodes[node_dancer[r]] if own == "dancer" else np.unique([r, root])
        own_fit = history_features(fit, own_nodes, fit[:, root], history, t_fit)
        own_tests = [history_features(p, own_nodes, p[:, root], history, t) for p, t, _ in scored]
        err_alone = [
            _mse(_fit_predict(own_fit, dy_fit[:, r], x), dy[:, r])
            for x, (_, _, dy) in zip(own_tests, scored, strict=True)
        ]
        for e in np.flatnonzero(edges[:, 1] == r):
            sender = edges[e, :1]
            both_fit = np.c_[own_fit, history_features(fit, sender, fit[:, root], history, t_fit)]
            for i, (p, t, dy) in enumerate(scored):
                send_test = history_features(p, sender, p[:, root], history, t)
                both = _fit_predict(both_fit, dy_fit[:, r], np.c_[own_tests[i], send_test])
                out[i, e] = 1.0 - _mse(both, dy[:, r]) / err_alone[i]
    return out


def _mse(prediction: np.ndarray, target: np.ndarray) -> float:
    return float(((prediction - target) ** 2).mean())


def scores_as_posterior(
    scores: np.ndarray,
    edges: np.ndarray,
    node_names: Sequence[str],
    node_dancer: np.ndarray,
    node_joint: np.ndarray,
    skeleton: str,
    dancers: tuple[str, str],
    duration_s: float,
) -> StringPosterior:
    """One window over the whole duet with P(string) = the score clipped to [0, 1].

    So that pair scores can be scored like a model's posterior (`recover_planted`); negative
    scores (senders that tell nothing) become 0.
    """
    p = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)[None, :, None]
    edges = np.asarray(edges, dtype=np.int64)
    return StringPosterior(
        probs=np.concatenate([1.0 - p, p], axis=-1).astype(np.float32),
        window_start=np.array([0.0]),
        window_end=np.array([float(duration_s)]),
        senders=edges[:, 0],
        receivers=edges[:, 1],
        node_names=tuple(node_names),
        node_dancer=np.asarray(node_dancer, dtype=np.int64),
        node_joint=np.asarray(node_joint, dtype=np.int64),
        skeleton=skeleton,
        dancers=tuple(dancers),
        edge_prior=None,
        run="linear Granger baseline",
    )
