"""One string per source: which of the strings that pass the test are shown as strings of their own.

A receiver pulled by A's wrist is also predicted by A's elbow, hand and shoulder, which move with
the wrist; a follower's copy of the leader can predict the leader a little once the poses were
smoothed. `fold_shared_senders` keeps, per receiver, the senders that add to each other (forward
selection with conditional tests against the same surrogates) and folds the rest, and the echoes
of a kept string, into the string that carries their information (`analysis.evidence`).
"""

from __future__ import annotations

import numpy as np

from duetgraph.analysis.granger_null import segment_statistics
from duetgraph.analysis.surrogates import fdr_reject, tail_p

MAX_SENDERS = 3  # senders kept per receiver at most
NEAR_HOPS = 3
"""Joints at most this many bones apart are neighbours: an alternative sender is one of the kept
sender's (and moves as one with it, `ALTERNATIVE_R2`); an echo joins neighbours of a stronger
string's two ends (a torso has four joints between pelvis and neck)."""
ALTERNATIVE_R2 = 0.9  # share of its velocity's variance an alternative shares with the sender
REDUNDANT_SHARE = 0.5
"""A sender that adds less than this share of what it explains alone (excess of its statistic
over its surrogates' mean) to the senders kept for its receiver is folded."""


def fold_shared_senders(
    pos, joints, roots, edges, taus, stats, passed, cfg, parents
) -> tuple[np.ndarray, np.ndarray]:
    """Keep, per receiver, the senders that each add to those kept before them.

    Forward selection among a receiver's passed senders: the strongest is kept; each round tests
    every other sender given all kept ones (their histories join the receiver's own) and keeps
    the one that adds most, if what it adds is significant (BH over the round's tests) and at
    least `REDUNDANT_SHARE` of what it explains alone (both as excess over the surrogates'
    mean); at most `MAX_SENDERS` per receiver. The rest are folded into the strongest.

    Returns:
        folded (E,): the edge each folded edge is folded into, else -1; p_given (E,): the
        p-value of what each tested edge adds to the kept senders of its receiver at its last
        test (NaN where not tested); alternative (E,) bool: a folded edge whose sender is a
        skeleton neighbour of the sender of the string it is folded into, to the same receiver,
        and explains alone nearly as much (`alternatives`): the test cannot tell the two apart.
    """
    statistic, null_mean = stats[0], stats[1:].mean(axis=0)
    excess = statistic - null_mean
    folded = np.full(len(edges), -1)
    p_given = np.full(len(edges), np.nan)
    kept: dict[int, list[int]] = {}
    open_: dict[int, list[int]] = {}
    for r in np.unique(edges[passed, 1]):
        members = np.flatnonzero(passed & (edges[:, 1] == r))
        members = members[np.argsort(-excess[members])]
        kept[int(r)], open_[int(r)] = [int(members[0])], [int(e) for e in members[1:]]
    for _ in range(MAX_SENDERS - 1):
        tests = [(r, e) for r in open_ for e in open_[r]]
        if not tests:
            break
        tested = np.array([e for _, e in tests])
        given = [tuple(int(edges[k, 0]) for k in kept[r]) for r, _ in tests]
        total, _, _ = segment_statistics(pos, joints, roots, edges[tested], taus, cfg.history,
                                         cfg.horizon, segment=len(pos), given=given)  # fmt: skip
        p_given[tested] = tail_p(total[0], total[1:], "gamma")
        adds_excess = total[0] - total[1:].mean(axis=0)
        adds = fdr_reject(p_given[tested], cfg.q)[0]
        adds &= adds_excess >= REDUNDANT_SHARE * excess[tested]
        for r in list(open_):
            mine = [i for i, (rr, _) in enumerate(tests) if rr == r and adds[i]]
            if mine:
                best = max(mine, key=lambda i: adds_excess[i])
                kept[r].append(int(tested[best]))
            drop = {int(tested[i]) for i, (rr, _) in enumerate(tests) if rr == r and not adds[i]}
            open_[r] = [e for e in open_[r] if e not in drop and e not in kept[r]]
            if not open_[r]:
                del open_[r]
    for r, rest in open_.items():  # never tested to the end: beyond MAX_SENDERS
        for e in rest:
            folded[e] = kept[r][0]
    for r in kept:
        for e in np.flatnonzero(passed & (edges[:, 1] == r)):
            if e not in kept[r]:
                folded[e] = kept[r][0]
    alternative = alternatives(pos, edges, passed, folded, excess, joints, parents)
    _fold_echoes(edges, passed, folded, alternative, excess, joints, parents)
    return folded, p_given, alternative


def alternatives(pos, edges, passed, folded, excess, joints, parents) -> np.ndarray:
    """(E,) bool: the passed edges folded into a string of the same receiver whose sender moves
    as one with that string's sender, so that the test cannot tell which of the two it is (A's
    big toe and foot, spine2 and spine3): within `NEAR_HOPS` bones of it on the skeleton,
    its velocity sharing at least `ALTERNATIVE_R2` of its variance with that sender's (uncentred,
    over the duet), and explaining alone at least `REDUNDANT_SHARE` of what the string does.
    The string is shown with these senders as alternatives."""
    dancer_of, joint_of = _node_joints(joints)
    velocity = np.diff(pos, axis=0)  # (T-1, 2, J, 3)
    alternative = np.zeros(len(edges), dtype=bool)
    for e in np.flatnonzero(passed & (folded >= 0)):
        k = folded[e]
        s, t = int(edges[e, 0]), int(edges[k, 0])
        if edges[e, 1] != edges[k, 1] or dancer_of[s] != dancer_of[t]:
            continue
        if excess[e] < REDUNDANT_SHARE * excess[k]:
            continue
        if _hops(parents, joint_of[s], joint_of[t]) > NEAR_HOPS:
            continue
        a, b = velocity[:, dancer_of[s], joint_of[s]], velocity[:, dancer_of[t], joint_of[t]]
        shared = (a * b).sum() ** 2 / max((a * a).sum() * (b * b).sum(), 1e-300)
        alternative[e] = shared >= ALTERNATIVE_R2
    return alternative


def _ancestry(parents, joint: int) -> list[int]:
    """The joint and its ancestors, nearest first."""
    out = [joint]
    while parents[out[-1]] >= 0:
        out.append(parents[out[-1]])
    return out


def _hops(parents, a: int, b: int) -> int:
    """Number of bones between joints a and b of one skeleton."""
    up_a, up_b = _ancestry(parents, a), _ancestry(parents, b)
    common = next(j for j in up_a if j in up_b)
    return up_a.index(common) + up_b.index(common)


def _node_joints(joints) -> tuple[np.ndarray, np.ndarray]:
    """(N,) dancer and skeleton joint of each node (dancer 0's nodes, then dancer 1's)."""
    dancer = np.repeat([0, 1], [len(joints[0]), len(joints[1])])
    return dancer, np.array(list(joints[0]) + list(joints[1]))


def _fold_echoes(edges, passed, folded, alternative, excess, joints, parents) -> None:
    """Fold in place two kinds of echo of a kept string (sender s → receiver r):
    - a weaker string from a sender just above or below a stronger string's sender (at most
      `NEAR_HOPS` bones: A's thumb beside A's wrist) to a receiver just above or below the
      stronger one's receiver (B's hand below B's wrist): folded into it.
      The same sender to two joints on one chain (a knee and the ankle it carries) stays two
      strings: either may be the one pulled. "The same sender" counts a string's alternative
      senders (`alternatives`);
    - the reverse r → s when it explains less than `REDUNDANT_SHARE` of what s → r does (a
      follower's copy of the leader's motion, which smoothing can make look predictive)."""
    shown = passed & (folded < 0)
    index = {(int(s), int(r)): e for e, (s, r) in enumerate(edges)}

    for e in np.flatnonzero(shown):
        s, r = int(edges[e, 0]), int(edges[e, 1])
        rev = index.get((r, s))
        if rev is not None and shown[rev] and excess[rev] < REDUNDANT_SHARE * excess[e]:
            folded[rev] = e

    dancer_of, joint_of = _node_joints(joints)

    def near(a: int, b: int) -> bool:  # one above the other, at most NEAR_HOPS bones apart
        if dancer_of[a] != dancer_of[b]:
            return False
        up_a, up_b = _ancestry(parents, joint_of[a]), _ancestry(parents, joint_of[b])
        if joint_of[a] in up_b:
            return up_b.index(joint_of[a]) <= NEAR_HOPS
        return joint_of[b] in up_a and up_a.index(joint_of[b]) <= NEAR_HOPS

    senders = {int(e): {int(edges[e, 0])} for e in np.flatnonzero(passed & (folded < 0))}
    for e in np.flatnonzero(alternative):
        if int(folded[e]) in senders:
            senders[int(folded[e])].add(int(edges[e, 0]))
    strong: list[int] = []
    for e in sorted(senders, key=lambda e: -excess[e]):
        s, r = int(edges[e, 0]), int(edges[e, 1])
        echo_of = [f for f in strong if not senders[f] & senders[e] and near(int(edges[f, 0]), s)
                   and near(int(edges[f, 1]), r)]  # fmt: skip
        if echo_of:
            folded[e] = echo_of[0]
        else:
            strong.append(e)
