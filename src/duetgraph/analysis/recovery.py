"""How well inferred strings recover planted ones (synthetic duets, where the truth is known).

A planted string "A joint a → B joint b" makes the directed edge from node A:a to node B:b a
positive. A string moves B's joint b together with everything that hangs below it in B's skeleton
(a pelvis string carries all of B): edges from A:a to those descendants are true consequences,
neither planted nor false, and are left out of the scoring ("implied"). Every other latent edge
is a negative. An edge's score is its mean P(string) over the
windows in which the string is active (for negatives: over all windows). Reported: AUROC of the
scores against the truth, precision@k with k = number of planted strings found among the nodes,
and, for strings that switch off, the mean P(string) while on versus while off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.skeleton import get_skeleton


class Planted(Protocol):
    a_joint: str
    b_joint: str
    spans: tuple[tuple[float, float], ...] | None


@dataclass(frozen=True)
class RecoveryResult:
    """Recovery of planted strings; all figures as plain floats (NaN where undefined)."""

    auroc: float
    precision_at_k: float
    k: int
    n_edges: int
    n_implied: int
    planted_scores: dict[str, float]
    best_negative: tuple[str, float]
    on_off: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "auroc": self.auroc,
            "precision_at_k": self.precision_at_k,
            "k": self.k,
            "n_edges": self.n_edges,
            "n_implied": self.n_implied,
            "planted_scores": dict(self.planted_scores),
            "best_negative": list(self.best_negative),
            "on_off": {k: dict(v) for k, v in self.on_off.items()},
        }


def auroc(scores, labels) -> float:
    """Area under the ROC curve: P(score of a random positive > a random negative), ties half.

    Computed from average ranks (Mann–Whitney U), O(n log n). The project's one AUROC (string
    recovery here, edge recovery in `train.evaluate`).

    Args:
        scores: (n,) real scores, higher = more likely positive (arrays or CPU tensors).
        labels: (n,) bool or 0/1 truth.

    Returns:
        AUROC in [0, 1]; nan if only one class is present.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).astype(bool).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"auroc: {scores.shape[0]} scores for {labels.shape[0]} labels")
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # Tied scores share the mean of the ranks they occupy: first rank + (count - 1) / 2.
    first_rank = np.cumsum(counts) - counts + 1
    ranks = (first_rank + (counts - 1) / 2.0)[inverse]
    u = ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _active_windows(posterior: StringPosterior, spans) -> np.ndarray:
    """(W,) bool: windows whose middle lies inside one of `spans` (None: every window)."""
    if spans is None:
        return np.ones(posterior.n_windows, dtype=bool)
    mid = 0.5 * (posterior.window_start + posterior.window_end)
    active = np.zeros(posterior.n_windows, dtype=bool)
    for start, end in spans:
        active |= (mid >= start) & (mid < end)
    return active


def recover_planted(
    posterior: StringPosterior, strings: Sequence[Planted], duration_s: float | None = None
) -> RecoveryResult:
    """Score the posterior against planted strings.

    Args:
        posterior: inferred strings with node names "A:<joint>" / "B:<joint>" (dancer A first).
        strings: planted strings (a_joint of dancer A → b_joint of dancer B, optional spans).
        duration_s: the duet's length, to tell the off spans (default: the last window's end).

    Returns:
        RecoveryResult. Planted strings whose joints are not nodes of the posterior are left out
        (k counts only those present).
    """
    p = posterior.p_string  # (W, E)
    dancer, names = posterior.node_dancer, posterior.node_names
    joint = [n.split(":", 1)[1] for n in names]
    key = {
        (dancer[s], joint[s], dancer[r], joint[r]): e
        for e, (s, r) in enumerate(zip(posterior.senders, posterior.receivers, strict=True))
    }
    labels = np.zeros(posterior.n_edges, dtype=bool)
    implied = np.zeros(posterior.n_edges, dtype=bool)
    skeleton = get_skeleton(posterior.skeleton)
    scores = p.mean(axis=0).astype(np.float64)
    planted_scores, on_off = {}, {}
    end = duration_s if duration_s is not None else float(posterior.window_end[-1])
    for s in strings:
        e = key.get((0, s.a_joint, 1, s.b_joint))
        if e is None:
            continue
        labels[e] = True
        below = _descendants(skeleton, skeleton.index(s.b_joint))
        for d in below:
            implied_edge = key.get((0, s.a_joint, 1, skeleton.joint_names[d]))
            if implied_edge is not None:
                implied[implied_edge] = True
        active = _active_windows(posterior, s.spans)
        name = f"A {s.a_joint} -> B {s.b_joint}"
        if active.any():
            scores[e] = float(p[active, e].mean())
        planted_scores[name] = float(scores[e])
        if s.spans is not None and (~active).any():
            on_off[name] = {
                "p_on": float(p[active, e].mean()) if active.any() else float("nan"),
                "p_off": float(p[~active, e].mean()),
                "off_seconds": float(end - sum(b - a for a, b in s.spans)),
            }
    implied &= ~labels
    scored = ~implied
    k = int(labels.sum())
    order = [e for e in np.argsort(-scores, kind="stable") if scored[e]]
    precision = float(labels[order[:k]].mean()) if k else float("nan")
    edge_names = posterior.edge_names()
    neg = np.flatnonzero(~labels & scored)
    best_neg = (
        (edge_names[neg[np.argmax(scores[neg])]], float(scores[neg].max()))
        if len(neg)
        else ("", 0.0)
    )
    return RecoveryResult(
        auroc=auroc(scores[scored], labels[scored]),
        precision_at_k=precision,
        k=k,
        n_edges=posterior.n_edges,
        n_implied=int(implied.sum()),
        planted_scores=planted_scores,
        best_negative=best_neg,
        on_off=on_off,
    )


def _descendants(skeleton, joint: int) -> list[int]:
    """Joints strictly below `joint` in the skeleton tree."""
    out, frontier = [], [joint]
    while frontier:
        children = [j for j, p in enumerate(skeleton.parents) if p in frontier]
        out += children
        frontier = children
    return out


def recover_from_evidence(
    evidence, strings: Sequence[Planted], implied: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """Score tested strings (`analysis.evidence_record.StringEvidence`) against planted ones.

    Positives: the planted (A:a → B:b) edges among the nodes. Implied (neither right nor
    wrong, listed): edges from A:a to the joints below B:b in B's skeleton, and any (a, b) joint
    pairs in `implied` (e.g. joints a planted string measurably moved). Everything else is a
    negative; a significant negative is a false string.

    A significant string with alternative senders (`StringEvidence.alternative_of`: A's big toe
    beside A's foot) is one claim: it is right if one of its senders is planted (the planted
    edge is found, with the string's time), implied if one is implied, and ranked once (its
    alternatives leave the ranking, their labels go to the string).

    Returns:
        auroc and precision@k of `evidence.score()`; for each planted string whether it is
        significant (`as_alternative` where through an alternative sender), the share of its on
        time found on and of its off time found off; the false strings by name;
        false_string_share (false / all significant) and false_positive_rate (significant
        negatives / negatives).
    """
    names = evidence.edge_names()
    dancer, joint_names = evidence.node_dancer, [n.split(":", 1)[1] for n in evidence.node_names]
    key = {
        (int(dancer[s]), joint_names[s], int(dancer[r]), joint_names[r]): e
        for e, (s, r) in enumerate(zip(evidence.senders, evidence.receivers, strict=True))
    }
    skeleton = get_skeleton(evidence.skeleton)
    labels = np.zeros(evidence.n_edges, dtype=bool)
    implied_mask = np.zeros(evidence.n_edges, dtype=bool)
    planted = {}
    alternative_of = evidence.alternative_of()
    seg_len = evidence.segment_end - evidence.segment_start
    mid = 0.5 * (evidence.segment_start + evidence.segment_end)
    for s in strings:
        e = key.get((0, s.a_joint, 1, s.b_joint))
        if e is None:
            continue
        labels[e] = True
        for d in _descendants(skeleton, skeleton.index(s.b_joint)):
            below = key.get((0, s.a_joint, 1, skeleton.joint_names[d]))
            if below is not None:
                implied_mask[below] = True
        active = np.zeros(len(mid), dtype=bool)
        for start, end in s.spans if s.spans is not None else ((0.0, np.inf),):
            active |= (mid >= start) & (mid < end)
        shown = e if evidence.significant[e] or alternative_of[e] < 0 else alternative_of[e]
        on = evidence.segment_on[shown] & evidence.significant[shown]
        planted[names[e]] = {
            "significant": bool(evidence.significant[shown]),
            "as_alternative": bool(shown != e),
            "p": float(evidence.p[e]),
            "strength": float(evidence.strength[shown]),
            "on_time_found_on": _share(on & active, active, seg_len),
            "off_time_found_off": _share(~on & ~active, ~active, seg_len),
        }
    for a, b in implied:
        e = key.get((0, a, 1, b))
        if e is not None:
            implied_mask[e] = True
    implied_mask &= ~labels
    claims = labels.copy()  # one claim per string: its alternatives' labels join it
    for f in np.flatnonzero(alternative_of >= 0):
        claims[alternative_of[f]] |= labels[f]
    for f in np.flatnonzero(alternative_of >= 0):
        if implied_mask[f] and not claims[alternative_of[f]]:
            implied_mask[alternative_of[f]] = True
    implied_mask &= ~claims
    labels = claims
    scored = ~implied_mask & (alternative_of < 0)
    score = evidence.score()
    k = int((labels & scored).sum())
    order = [e for e in np.argsort(-score, kind="stable") if scored[e]]
    negatives = ~labels & scored
    false = evidence.significant & negatives
    n_sig = int(evidence.significant.sum())
    return {
        "auroc": auroc(score[scored], labels[scored]),
        "precision_at_k": float(labels[order[:k]].mean()) if k else float("nan"),
        "k": k,
        "n_edges": int(evidence.n_edges),
        "n_significant": n_sig,
        "planted": planted,
        "implied": [names[e] for e in np.flatnonzero(implied_mask)],
        "implied_significant": [
            names[e] for e in np.flatnonzero(implied_mask & evidence.significant)
        ],
        "false_strings": [names[e] for e in np.flatnonzero(false)],
        "false_string_share": float(false.sum() / n_sig) if n_sig else 0.0,
        "false_positive_rate": float(false.sum() / max(negatives.sum(), 1)),
    }


def _share(hit: np.ndarray, of: np.ndarray, weight: np.ndarray) -> float:
    """Weighted share of `of` that is `hit` (NaN when `of` is empty)."""
    total = float((weight * of).sum())
    return float((weight * hit).sum() / total) if total > 0 else float("nan")


def string_effects(simulate, strings: Sequence[Planted]) -> tuple[np.ndarray, str]:
    """How far each planted string moves each of B's joints: (S, J) metres on average over the
    duet, the duet with that string alone against the duet with none (same seed); and the
    skeleton's name.

    Args:
        simulate: strings tuple -> Duet of the same seed (so that only the strings differ).
        strings: the resolved planted strings.
    """
    base = simulate(())
    rows = [np.linalg.norm(simulate((s,)).positions[:, 1] - base.positions[:, 1], axis=-1)
            .mean(axis=0) for s in strings]  # fmt: skip
    return np.array(rows).reshape(len(rows), base.positions.shape[2]), base.skeleton


def implied_by_motion(
    simulate, strings: Sequence[Planted], min_move_m: float = 0.01, effects=None
) -> list[tuple[str, str]]:
    """(a_joint, b_joint) pairs a planted string moves besides its own B joint.

    Args:
        simulate: strings tuple -> Duet of the same seed (so that only the strings differ).
        strings: the resolved planted strings.
        min_move_m: a B joint the string moves by more than this on average is implied.
        effects: `string_effects(simulate, strings)` where already computed.
    """
    from duetgraph.skeleton import get_skeleton

    moved_all, skeleton_name = effects if effects is not None else string_effects(simulate, strings)
    skeleton = get_skeleton(skeleton_name)
    pairs = []
    for s, moved in zip(strings, moved_all, strict=True):
        pairs += [
            (s.a_joint, skeleton.joint_names[j])
            for j in np.flatnonzero(moved > min_move_m)
            if skeleton.joint_names[j] != s.b_joint
        ]
    return pairs
