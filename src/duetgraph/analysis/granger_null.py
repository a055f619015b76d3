"""Linear Granger statistics of every string, on the duet and on its surrogates (numpy only).

For a directed pair, sender joint s of one dancer → receiver joint r of the other, two
least-squares predictors forecast r's displacement `horizon` frames ahead: one from r's own
state (its position and its dancer's root position now, their velocities over the last
`history` frames), the other from the same plus s's positions over the last `history` frames.
The pair's statistic is the log ratio of their residual sums of squares, log(RSS_own /
RSS_with_sender): zero when the sender tells nothing, larger the more of r's motion it explains.
The fits are in-sample; their small optimism is the same on every surrogate, which is what the
statistic is compared with (`duetgraph.analysis.surrogates`).

The sender's contribution is computed by projecting out the receiver's own features first
(Frisch-Waugh): one projection per receiver and surrogate serves all its senders, so the full
29 + 29 body (1 682 strings) against 99 surrogates takes seconds, not hours.

The same fit also gives the statistic per time segment: log of the two residual sums over the
samples whose receiver frame lies in the segment. A string that is off in a segment explains
nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from duetgraph.analysis.surrogates import consecutive

ROOT_HISTORY = 2  # frames of the root's velocity among the receiver's own features
_RIDGE = 1e-9  # relative to the trace of each sender's Gram matrix: keeps solves stable


def segment_bounds(n_frames: int, segment: int) -> np.ndarray:
    """(G, 2) [start, stop) frames of consecutive segments of `segment` frames; a last piece
    shorter than half a segment joins the one before."""
    starts = list(range(0, n_frames, segment))
    if len(starts) > 1 and n_frames - starts[-1] < segment / 2:
        starts.pop()
    stops = starts[1:] + [n_frames]
    return np.array(list(zip(starts, stops, strict=True)), dtype=np.int64)


def own_features(pos: np.ndarray, joint: int, root: int, t: np.ndarray, history: int) -> np.ndarray:
    """(S, F) the receiver's own state at frames t: position of the joint and of its dancer's
    root, the velocities of both over the last `history` frames, and a constant.

    Args:
        pos: (T, J, 3) the receiver's dancer, metres.
    """
    vel = np.diff(pos, axis=0, prepend=pos[:1])  # (T, J, 3) backward differences
    lagged = t[:, None] - np.arange(history)[None, :]  # (S, history)
    parts = [pos[t, joint], vel[lagged, joint].reshape(len(t), -1), np.ones((len(t), 1))]
    if joint != root:
        parts[1:1] = [pos[t, root], vel[lagged[:, :ROOT_HISTORY], root].reshape(len(t), -1)]
    return np.concatenate(parts, axis=1)


def _basis(x: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of x (S, F), rank-deficient columns dropped."""
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, s > s[0] * 1e-10]


def string_pairs(joints: Sequence[Sequence[int]]) -> np.ndarray:
    """(E, 2) every (sender node, receiver node) pair between the dancers in the string test's
    order: A → B first, then B → A; within a direction receiver-major, so that each receiver's
    senders are contiguous (its own-motion basis is built once for them). Node = dancer 0's
    nodes, then dancer 1's. The model's duet graph is `data.joints` (sender-major); files name
    every edge's two ends, so the orders never need to agree."""
    offsets = (0, len(joints[0]))
    return np.array(
        [
            (offsets[sender] + i, offsets[1 - sender] + k)
            for sender in (0, 1)
            for k in range(len(joints[1 - sender]))
            for i in range(len(joints[sender]))
        ],
        dtype=np.int64,
    ).reshape(-1, 2)


def sender_features(pos: np.ndarray, tau: np.ndarray, t: np.ndarray, history: int) -> np.ndarray:
    """(Js, S, 3·history) each sender's position at frame tau[t] and its steps between the
    frames tau[t − history + 1] .. tau[t] (the same information as the positions at those
    frames, better conditioned).

    Args:
        pos: (T, Js, 3) the sending dancer's nodes.
    """
    frames = tau[t[:, None] - np.arange(history)[None, :]]  # (S, history)
    if frames.dtype.kind == "f":  # fractional frames (beat-aligned surrogates): interpolate
        lo = np.clip(np.floor(frames).astype(np.int64), 0, len(pos) - 2)
        w = (frames - lo)[..., None, None]
        window = (1.0 - w) * pos[lo] + w * pos[lo + 1]
    else:
        window = pos[frames]  # (S, history, Js, 3)
    feats = np.concatenate([window[:, :1], window[:, :-1] - window[:, 1:]], axis=1)
    return feats.transpose(2, 0, 1, 3).reshape(pos.shape[1], len(t), -1)


def total_statistics(
    pos: np.ndarray,
    joints: Sequence[Sequence[int]],
    roots: Sequence[int],
    taus: Sequence[np.ndarray],
    history: int,
    horizon: int,
) -> np.ndarray:
    """The statistic of every inter-dancer edge over the whole duet, on the duet and on each
    surrogate.

    Args:
        pos: (T, 2, J, 3) positions of both dancers, metres, at the test's frame rate.
        joints: the joint indices of dancer A and of dancer B that are nodes.
        roots: each dancer's root joint index.
        taus: surrogate frame maps (T,) of the sender (see `surrogates`); the duet itself is
            added as row 0.
        history: frames of past each predictor sees.
        horizon: frames ahead the receiver's displacement is forecast.

    Returns:
        (1 + len(taus), E) statistics, edges in the order of `string_pairs(joints)`.

    Everything comes from inner products: each receiver's own features are projected out of
    every sender's at once (one matrix product per surrogate), and samples whose sender history
    crosses a seam of the surrogate are removed exactly (the projection is corrected for them).
    """
    pos = np.asarray(pos, dtype=np.float64)
    n_frames = pos.shape[0]
    if n_frames < history + horizon + 10:
        raise ValueError(f"{n_frames} frames are too few for a {history}-frame history")
    t = np.arange(history, n_frames - horizon)  # receiver frames with a full past and a future
    all_taus = [np.arange(n_frames)] + list(taus)
    out = []
    for sender in (0, 1):
        receiver = 1 - sender
        recv_pos, send_pos = pos[:, receiver], pos[:, sender][:, list(joints[sender])]
        bases, residuals = [], []
        for j in joints[receiver]:
            u = _basis(own_features(recv_pos, j, roots[receiver], t, history))
            y = recv_pos[t + horizon, j] - recv_pos[t, j]  # (S, 3) displacement ahead
            bases.append(u)
            residuals.append(y - u @ (u.T @ y))
        width = max(u.shape[1] for u in bases)
        u_all = np.stack([np.pad(u, ((0, 0), (0, width - u.shape[1]))) for u in bases])
        y_all = np.stack(residuals)  # (R, S, 3)
        stats = np.empty((len(all_taus), len(joints[receiver]), len(joints[sender])))
        for row, tau in enumerate(all_taus):
            keep = consecutive(tau, t, history)
            stats[row] = _kept_statistics(
                u_all, y_all, sender_features(send_pos, tau, t, history), keep
            )
        out.append(stats.reshape(len(all_taus), -1))
    return np.concatenate(out, axis=1)


def _kept_statistics(
    u: np.ndarray, y: np.ndarray, senders: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """(R, Js) statistics of every receiver–sender pair on the samples in `keep`.

    Args:
        u: (R, S, p) each receiver's orthonormal own basis over all samples (zero-padded).
        y: (R, S, 3) each receiver's displacement minus its projection on its own basis.
        senders: (Js, S, Fs) sender features.
        keep: (S,) bool samples to use.
    """
    n_send, _, n_feat = senders.shape
    n_recv, width = u.shape[0], u.shape[2]
    seam = ~keep
    u_k, y_k = u[:, keep], y[:, keep]  # (R, n, p), (R, n, 3)
    s_k = senders[:, keep]  # (Js, n, Fs)
    m = np.broadcast_to(np.eye(width), (n_recv, width, width))
    if seam.any():  # exact residuals on the kept samples: y_k + U_k M^-1 U_s^T y_s
        u_s = u[:, seam].transpose(0, 2, 1)  # (R, p, n_seam)
        m = m - u_s @ u_s.transpose(0, 2, 1) + 1e-12 * np.eye(width)
        corr = np.linalg.solve(m, u_s @ y[:, seam])  # (R, p, 3)
        y_k = y_k + u_k @ corr
    n = u_k.shape[1]
    flat_s = s_k.transpose(1, 0, 2).reshape(n, -1)  # (n, Js·Fs)
    c = u_k.transpose(0, 2, 1).reshape(-1, n) @ flat_s  # (R·p, Js·Fs): U_k^T S_k
    c = c.reshape(n_recv, width, n_send, n_feat).transpose(0, 2, 1, 3)  # (R, Js, p, Fs)
    minv_c = np.linalg.solve(m[:, None], c)  # (R, Js, p, Fs)
    gram_s = s_k.transpose(0, 2, 1) @ s_k  # (Js, Fs, Fs)
    gram = gram_s[None] - c.transpose(0, 1, 3, 2) @ minv_c  # (R, Js, Fs, Fs) of the residuals
    ridge = _RIDGE * np.trace(gram, axis1=2, axis2=3)[..., None, None] * np.eye(n_feat)
    cross = flat_s.T @ y_k.transpose(1, 0, 2).reshape(n, -1)  # (Js·Fs, R·3)
    cross = cross.reshape(n_send, n_feat, n_recv, 3).transpose(2, 0, 1, 3)  # (R, Js, Fs, 3)
    own = y_k.transpose(0, 2, 1) @ y_k  # (R, 3, 3)
    beta = np.linalg.solve(gram + ridge, cross)  # (R, Js, Fs, 3)
    fitted = cross.transpose(0, 1, 3, 2) @ beta  # (R, Js, 3, 3)
    # residual moments of the (ridge) fit exactly: y'y − c'b − b'c + b'Gb
    explained = fitted + fitted.transpose(0, 1, 3, 2) - beta.transpose(0, 1, 3, 2) @ gram @ beta
    return _logdet(own)[:, None] - _logdet(own[:, None] - explained)


def segment_statistics(
    pos: np.ndarray,
    joints: Sequence[Sequence[int]],
    roots: Sequence[int],
    edges: np.ndarray,
    taus: Sequence[np.ndarray],
    history: int,
    horizon: int,
    segment: int,
    given: Sequence[tuple[int, ...]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The statistic of some edges over the whole duet and per time segment.

    Args:
        pos, joints, roots, taus, history, horizon: as for `total_statistics`.
        edges: (E', 2) sender and receiver nodes (as in `string_pairs`).
        segment: frames per time segment.
        given: for each edge, sender nodes (of the same dancer as its sender) whose unshifted
            histories join the receiver's own features: the conditional test "does this sender
            add to those?"; None: none.

    Returns:
        total (1 + len(taus), E'), per_segment (1 + len(taus), E', G), bounds (G, 2) frames.
    """
    pos = np.asarray(pos, dtype=np.float64)
    n_frames = pos.shape[0]
    t = np.arange(history, n_frames - horizon)
    bounds = segment_bounds(n_frames, segment)
    seg_of = np.searchsorted(bounds[:, 1], t, side="right")
    all_taus = [np.arange(n_frames)] + list(taus)
    given = [()] * len(edges) if given is None else [tuple(int(g) for g in x) for x in given]
    n_a = len(joints[0])
    total = np.zeros((len(all_taus), len(edges)))
    per_seg = np.zeros((len(all_taus), len(edges), len(bounds)))

    def locate(node: int) -> tuple[int, int]:
        dancer = int(node >= n_a)
        return dancer, joints[dancer][node - n_a * dancer]

    groups: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    for e, (_, r) in enumerate(edges):  # one fit per receiver (and conditioning senders)
        groups.setdefault((int(r), given[e]), []).append(e)
    fits = []
    for (r, g), members in groups.items():
        d_recv, j_recv = locate(r)
        d_send = 1 - d_recv
        recv_pos = pos[:, d_recv]
        own = own_features(recv_pos, j_recv, roots[d_recv], t, history)
        if g:  # the conditioning senders, at their true time, join the receiver's own state
            cond = pos[:, d_send][:, [locate(x)[1] for x in g]]
            extra = sender_features(cond, all_taus[0], t, history)  # (len(g), S, Fs)
            own = np.c_[own, extra.transpose(1, 0, 2).reshape(len(t), -1)]
        y = recv_pos[t + horizon, j_recv] - recv_pos[t, j_recv]
        senders = [locate(int(edges[e, 0]))[1] for e in members]
        fits.append((members, d_send, senders, _basis(own), y))  # basis once for all rows
    needed = [
        sorted({j for _, d, js, _, _ in fits if d == dancer for j in js}) for dancer in (0, 1)
    ]
    for row, tau in enumerate(all_taus):
        keep = consecutive(tau, t, history)
        feats = [  # every needed sender joint's features under this surrogate, once
            dict(zip(needed[d], sender_features(pos[:, d][:, needed[d]], tau, t, history)[:, keep],
                     strict=True)) if needed[d] else {}
            for d in (0, 1)
        ]  # fmt: skip
        for members, d_send, senders, u, y in fits:
            x = np.stack([feats[d_send][j] for j in senders])
            a, b = _edge_statistics(u, keep, y[keep], x, seg_of[keep], len(bounds))
            total[row, members], per_seg[row, members] = a, b
    return total, per_seg, bounds


def _edge_statistics(
    u: np.ndarray,
    keep: np.ndarray,
    y: np.ndarray,
    senders: np.ndarray,
    segs: np.ndarray,
    n_segments: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Statistics of every sender for one receiver.

    Args:
        u: (S, p) orthonormal basis of the receiver's own features over all samples.
        keep: (S,) the samples used (no seam); the projection is made exact on them.
        y: (n, 3) the receiver's displacement on the kept samples;
        senders: (Js, n, Fs) each sender's features; segs: (n,) segment of each sample.

    Returns:
        ((Js,), (Js, G)) log RSS ratios over all samples and per segment.
    """
    u_k, u_s = u[keep], u[~keep]
    m = np.eye(u.shape[1]) - u_s.T @ u_s + 1e-12 * np.eye(u.shape[1])

    def residual(x: np.ndarray) -> np.ndarray:  # x minus its projection on the own features
        return x - u_k @ np.linalg.solve(m, u_k.T @ x)

    y_res = residual(y)  # (n, 3) what the receiver's own state leaves unexplained
    flat = senders.transpose(1, 0, 2).reshape(len(y), -1)  # (n, Js·Fs)
    s_res = residual(flat).reshape(len(y), *senders.shape[::2]).transpose(1, 0, 2)
    gram = s_res.transpose(0, 2, 1) @ s_res  # (Js, Fs, Fs)
    gram += _RIDGE * np.trace(gram, axis1=1, axis2=2)[:, None, None] * np.eye(gram.shape[1])
    cross = s_res.transpose(0, 2, 1) @ y_res  # (Js, Fs, 3)
    beta = np.linalg.solve(gram, cross)
    res_full = y_res[None] - s_res @ beta  # (Js, n, 3)
    # Residual covariances (3 x 3) over all samples and per segment; the statistic is Geweke's
    # log ratio of their determinants, so a gain along one axis counts however much the
    # receiver moves along the others.
    own_seg = _segment_moments(y_res[None], segs, n_segments)[0]  # (G, 3, 3)
    full_seg = _segment_moments(res_full, segs, n_segments)  # (Js, G, 3, 3)
    total = _logdet(own_seg.sum(axis=0))[None] - _logdet(full_seg.sum(axis=1))
    per_segment = _logdet(own_seg)[None] - _logdet(full_seg)
    return total, per_segment


def _segment_moments(res: np.ndarray, segs: np.ndarray, n_segments: int) -> np.ndarray:
    """(M, G, 3, 3) sums of outer products of residuals res (M, n, 3) per segment."""
    m, n, d = res.shape
    outer = (res[..., :, None] * res[..., None, :]).transpose(1, 0, 2, 3)  # (n, M, 3, 3)
    member = np.zeros((n_segments, n))
    member[segs, np.arange(n)] = 1.0
    return (member @ outer.reshape(n, -1)).reshape(n_segments, m, d, d).transpose(1, 0, 2, 3)


def _logdet(cov: np.ndarray) -> np.ndarray:
    """log det of (..., 3, 3) positive semi-definite matrices, floored to stay finite."""
    d = cov.shape[-1]
    scale = np.trace(cov, axis1=-2, axis2=-1)[..., None, None] / d
    return np.linalg.slogdet(cov + 1e-12 * (scale + 1e-30) * np.eye(d))[1]
