"""Strings as evidence: each with its strength, its significance against surrogates, its
direction and the time it is on.

`string_evidence(duet)` tests every joint pair between the dancers (sender → receiver) with a
linear Granger statistic (`granger_null`) and compares it with the same statistic on surrogate
duets that keep each dancer's own motion and break the timing between them (`surrogates`):

1. **Significance.** p-value per string against its own surrogates; Benjamini-Hochberg over all
   tested strings at `q` (default 0.05).
2. **One string per source.** A receiver pulled by A's wrist is also predicted by A's elbow,
   hand and shoulder, which move with the wrist. Per receiver, senders are kept by forward
   selection: the strongest, then each one that adds significantly (BH) and substantially to
   those kept (their histories join the receiver's own), at most `MAX_SENDERS`. The others are
   folded into the strongest (`folded_into`), as are echoes: a weaker string between the
   neighbours of a stronger one's two ends (A's thumb → B's hand beside A's wrist → B's wrist),
   and a reverse string much weaker than its forward one (a follower's copy of the leader, which
   smoothing makes predictive). A folded sender on the joint beside the kept one (A's big toe
   beside A's foot) that explains nearly as much is shown as an alternative sender of the
   string: the test cannot tell joints of one body segment apart. The follow-up tests use every
   second surrogate.
3. **Strength.** The share of the receiver's prediction error that the sender removes while the
   string is on (step 5), measured out of sample (5 contiguous folds, ridge fits), with a 95 % interval from
   a moving-block bootstrap. A string whose held-out strength is not above zero is not shown:
   it helped only the fit (a string on in fewer than two segments must show it over the whole
   duet).
4. **Direction.** A string and its reverse are both tested; where both are significant the pair
   is "mutual".
5. **Time.** The same statistic per time segment (default 10 s), against the same surrogates,
   for the significant strings; a segment is "on" where its p-value passes BH over every
   (string, segment) test at q·R/m (Benjamini-Bogomolov: R strings selected of m tested), so
   the error control holds for the time claims as well.

Measured on data the design did not see (bench/bench_trust.py, bench/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from duetgraph.analysis.evidence_record import StringEvidence
from duetgraph.analysis.folding import fold_shared_senders
from duetgraph.analysis.granger_null import (
    own_features,
    segment_statistics,
    sender_features,
    string_pairs,
    total_statistics,
)
from duetgraph.analysis.surrogates import (
    SURROGATE_KINDS,
    beat_maps,
    fdr_reject,
    shared_beat,
    surrogate_maps,
    tail_p,
)
from duetgraph.clean.resample import resample
from duetgraph.cores import idle_threads
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.skeleton import get_skeleton

_N_FOLDS = 5
MIN_SEGMENTS = 2  # on for fewer segments: the held-out check is over the whole duet
RIDGE = 0.01  # held-out fits: penalty per training sample on standardised features


@dataclass(frozen=True)
class EvidenceConfig:
    """Settings of the string test.

    Args:
        joints: which joints are nodes (`duetgraph.data.joints.select_joints`); "all" by default
            so that no selection can miss a string.
        fps: frame rate of the test (the duet is resampled to it).
        history_s: seconds of past each predictor sees (covers reaction lags up to about this).
        horizon: frames ahead (at `fps`) the receiver's displacement is forecast.
        n_surrogates: surrogate duets per test.
        surrogates: "shift" (circular shifts), "shuffle" (segment shuffles) or "both".
        min_shift_s: smallest shift and shortest shuffled block, seconds.
        q: false discovery rate controlled over all tested strings (and over the time claims).
        segment_s: length of the time segments in which a string is tested for being on.
        n_boot: bootstrap resamples for the strength's interval.
        seed: seed of the segment shuffles and the bootstrap.
    """

    joints: str = "all"
    fps: float = 10.0
    history_s: float = 0.8
    horizon: int = 1
    n_surrogates: int = 99
    surrogates: str = "both"
    min_shift_s: float = 5.0
    q: float = 0.05
    segment_s: float = 10.0
    n_boot: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if self.surrogates not in SURROGATE_KINDS:
            raise InputError(
                f"surrogates {self.surrogates!r}: use one of {', '.join(SURROGATE_KINDS)}."
            )
        if not 0.0 < self.q < 1.0:
            raise InputError(f"--fdr {self.q}: the false discovery rate must be in (0, 1).")
        if self.n_surrogates < 19:
            raise InputError(f"--surrogates {self.n_surrogates}: use at least 19 surrogates.")
        if not (self.fps > 0 and self.history_s > 0 and self.segment_s > 0 and self.horizon >= 1):
            raise InputError("string test: fps, history, segment and horizon must be positive.")

    @property
    def history(self) -> int:
        return max(1, round(self.history_s * self.fps))


# ---------------------------------------------------------------------- the test
def string_evidence(
    duet: Duet, config: EvidenceConfig | None = None, joints: tuple | None = None
) -> StringEvidence:
    """Test every string between the two dancers of `duet` (see the module docstring).

    Args:
        duet: the duet, at any frame rate (resampled to `config.fps`).
        config: the test's settings.
        joints: (joints of A, joints of B) as skeleton indices, e.g. from
            `duetgraph.data.joints.select_joints(skeleton, config.joints)`; None: every joint
            (then `config.joints` must be "all").

    Raises:
        InputError: the duet is too short for the surrogates the settings ask for.
    """
    # BLAS threads: the cores not busy now. Beside a busy core two threads took the 6-joint
    # test from 2.1-2.3 s to 4.4-6.4 s; on an idle machine they save 5 % on the full body
    # (30.8 s against 32.4 s; bench/bench_load.py, bench/RESULTS.md).
    with threadpool_limits(limits=idle_threads(), user_api="blas"):
        return _string_evidence(duet, config, joints)


def _string_evidence(
    duet: Duet, config: EvidenceConfig | None = None, joints: tuple | None = None
) -> StringEvidence:
    """`string_evidence` with the thread pools set."""
    cfg = config or EvidenceConfig()
    skel = get_skeleton(duet.skeleton)
    if joints is None:
        if cfg.joints != "all":
            raise ValueError(f"resolve the joints {cfg.joints!r} with select_joints and pass them")
        joints = (range(skel.n_joints), range(skel.n_joints))
    joints = [list(joints[0]), list(joints[1])]
    root = skel.parents.index(-1)
    roots = [root, root]
    positions = duet.positions
    if abs(duet.fps - cfg.fps) > 1e-6:
        positions, _ = resample(positions, duet.fps, cfg.fps)
    pos = np.asarray(positions, dtype=np.float64)
    n_frames = len(pos)
    min_shift = max(1, round(cfg.min_shift_s * cfg.fps))
    if n_frames < 4 * min_shift:
        raise InputError(
            f"{duet.source}: {n_frames / cfg.fps:.0f} s is too short to test strings against "
            f"surrogates shifted by at least {cfg.min_shift_s:g} s; give at least "
            f"{4 * cfg.min_shift_s:g} s of duet."
        )
    rng = np.random.default_rng(cfg.seed)
    beat = shared_beat(pos, cfg.fps)
    if beat is None:
        taus = surrogate_maps(n_frames, cfg.n_surrogates, min_shift, cfg.surrogates, rng)
        beat_hz = None
    else:  # the dancers share a beat: surrogates move by whole beats (see `surrogates`)
        taus = beat_maps(beat, cfg.n_surrogates, min_shift, cfg.surrogates, rng)
        beat_hz = float((beat[-1] - beat[0]) / (2 * np.pi) / (n_frames / cfg.fps))
    history, horizon = cfg.history, cfg.horizon
    edges = string_pairs(joints)

    stats = total_statistics(pos, joints, roots, taus, history, horizon)
    p = tail_p(stats[0], stats[1:], "gamma")
    passed, qvalue = fdr_reject(p, cfg.q)

    # The follow-up tests (what a sender adds to others, each time segment) use every second
    # surrogate, both kinds alike: their tails are fitted, and they cost most of the time.
    follow_up = taus[::2]
    folded, p_given, alternative = fold_shared_senders(
        pos, joints, roots, edges, follow_up, stats, passed, cfg, skel.parents
    )
    segment = max(2, round(cfg.segment_s * cfg.fps))
    candidates = np.flatnonzero(passed & (folded < 0))
    _, seg_stats, bounds = segment_statistics(
        pos, joints, roots, edges[candidates], follow_up, history, horizon, segment
    )
    seg_p = np.full((len(edges), len(bounds)), np.nan)
    seg_on = np.zeros((len(edges), len(bounds)), dtype=bool)
    if len(candidates):
        seg_p[candidates] = tail_p(seg_stats[0], seg_stats[1:], "normal")
        level = cfg.q * len(candidates) / len(edges)  # Benjamini-Bogomolov: selected families
        seg_on[candidates] = fdr_reject(seg_p[candidates], level)[0]
    strength = np.full((3, len(edges)), np.nan)
    holds = np.zeros(len(edges), dtype=bool)
    for e in candidates:
        on = np.zeros(n_frames, dtype=bool)
        for g in np.flatnonzero(seg_on[e]):
            on[bounds[g, 0] : bounds[g, 1]] = True
        args = (pos, joints, roots, edges[e], history, horizon, segment, cfg)
        strength[:, e] = _strength(*args, on if on.any() else None)
        # A string must also predict on held-out time: while it is on, when that is at least
        # MIN_SEGMENTS segments; else over the whole duet (one segment is too little held-out
        # time to tell a string from the chance that made that segment significant).
        if seg_on[e].sum() >= MIN_SEGMENTS:
            holds[e] = strength[0, e] > 0
        else:
            holds[e] = strength[0, e] > 0 and _strength(*args, None)[0] > 0
    significant = passed & (folded < 0) & holds
    seg_on &= significant[:, None]

    names = [f"{duet.dancers[d]}:{skel.joint_names[j]}" for d in (0, 1) for j in joints[d]]
    settings = {**asdict(cfg), "n_frames": n_frames, "n_tested": len(edges),
                "beat_hz": beat_hz, "n_passed_fdr": int(passed.sum()),
                "n_no_held_out_gain": int((passed & (folded < 0) & ~(strength[0] > 0)).sum()), "n_folded": int((folded >= 0).sum())}  # fmt: skip
    return StringEvidence(
        senders=edges[:, 0],
        receivers=edges[:, 1],
        node_names=tuple(names),
        node_dancer=np.repeat([0, 1], [len(joints[0]), len(joints[1])]),
        node_joint=np.array(joints[0] + joints[1]),
        skeleton=duet.skeleton,
        dancers=tuple(duet.dancers),
        statistic=stats[0],
        p=p,
        q=qvalue,
        significant=significant,
        folded_into=folded,
        alternative=alternative,
        p_given=p_given,
        strength=strength[0],
        strength_lo=strength[1],
        strength_hi=strength[2],
        segment_start=bounds[:, 0] / cfg.fps,
        segment_end=bounds[:, 1] / cfg.fps,
        segment_p=seg_p,
        segment_on=seg_on,
        settings=settings,
    )


def _strength(
    pos, joints, roots, edge, history, horizon, block, cfg, on=None
) -> tuple[float, float, float]:
    """Out-of-sample share of the receiver's prediction error removed by the sender, and its
    95 % moving-block bootstrap interval; over the frames `on` (T,) bool where given (the time
    the string is on), else over the whole duet."""
    n_a = len(joints[0])
    s, r = int(edge[0]), int(edge[1])
    d_recv, d_send = int(r >= n_a), int(s >= n_a)
    j_recv, j_send = joints[d_recv][r - n_a * d_recv], joints[d_send][s - n_a * d_send]
    t = np.arange(history, len(pos) - horizon)
    own = own_features(pos[:, d_recv], j_recv, roots[d_recv], t, history)
    send = sender_features(pos[:, d_send][:, [j_send]], np.arange(len(pos)), t, history)[0]
    both = np.c_[own, send]
    y = pos[t + horizon, d_recv, j_recv] - pos[t, d_recv, j_recv]
    err_own, err_both = np.zeros(len(t)), np.zeros(len(t))
    folds = np.array_split(np.arange(len(t)), _N_FOLDS)
    gap = history + horizon  # samples beside a test fold share frames with it: left out
    for test in folds:
        train = np.ones(len(t), dtype=bool)
        train[max(0, test[0] - gap) : test[-1] + 1 + gap] = False
        for x, err in ((own, err_own), (both, err_both)):
            err[test] = _ridge_errors(x, y, train, test)
    if on is not None:
        err_own, err_both = err_own[on[t]], err_both[on[t]]
        t = t[on[t]]
    value = 1.0 - err_both.sum() / err_own.sum()
    rng = np.random.default_rng(cfg.seed)
    n_blocks = max(1, len(t) // block)
    starts = rng.integers(0, max(1, len(t) - block), size=(cfg.n_boot, n_blocks))
    idx = (starts[..., None] + np.arange(min(block, len(t)))).reshape(cfg.n_boot, -1)
    boot = 1.0 - err_both[idx].sum(axis=1) / err_own[idx].sum(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(value), float(lo), float(hi)


def _ridge_errors(x, y, train, test) -> np.ndarray:
    """(len(test),) squared prediction errors on `test` of a ridge fit on `train`: features
    standardised on `train`, penalty `RIDGE` × training samples. Plain least squares pays for
    the sender's many history features with variance, which made a weak but real string (p ≈ 0
    against its surrogates) show a held-out loss."""
    mean, scale = x[train].mean(axis=0), x[train].std(axis=0) + 1e-12
    z = (x - mean) / scale
    y_mean = y[train].mean(axis=0)
    gram = z[train].T @ z[train]
    gram[np.diag_indices_from(gram)] += RIDGE * int(train.sum()) + 1e-9
    w = np.linalg.solve(gram, z[train].T @ (y[train] - y_mean))
    return ((z[test] @ w + y_mean - y[test]) ** 2).sum(axis=1)
