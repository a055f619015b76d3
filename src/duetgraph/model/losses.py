"""Losses of the NRI objective and the anatomy terms, each with its reduction stated.

- `gaussian_nll`: reconstruction, summed over frames and features, averaged over samples and
  nodes ("per node", NRI's scale), optionally weighted per node (body parts).
- `kl_categorical` / `kl_uniform`: KL(posterior ‖ prior) summed over edge types, averaged over
  samples and edges ("per edge", DESIGN.md §6).
- `bone_length_loss`: squared change of bone length, averaged over samples, frames and bones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor


def gaussian_nll(
    pred: Tensor, target: Tensor, variance: float, node_weights: Tensor | None = None
) -> Tensor:
    """Negative log-likelihood of target under N(pred, variance), without the constant term.

    Args:
        pred, target: (B, T, N, F).
        variance: fixed output variance σ².
        node_weights: optional (N,) weight of each node's error; used as given (pass weights with
            mean 1 to keep the scale of the unweighted loss, see `node_weights_from_parts`).

    Returns:
        Scalar: Σ_{t,f} (pred − target)² / (2σ²), averaged over B and N (NRI's reduction).
    """
    per_node = ((pred - target) ** 2).sum(dim=(1, 3)) / (2 * variance)  # (B, N)
    return _mean_over_nodes(per_node, node_weights)


def laplace_nll(
    pred: Tensor, target: Tensor, variance: float, node_weights: Tensor | None = None
) -> Tensor:
    """Negative log-likelihood of target under a Laplace(pred, b) of the given variance.

    b = √(variance / 2). Each error counts in proportion to its size rather than its square, so
    a few large errors (two charged balls nearly colliding) weigh less against many small ones
    (the weak far-field forces that tell the edge types apart), see bench/RESULTS.md.

    Args and reduction: as `gaussian_nll`.

    Returns:
        Scalar: Σ_{t,f} |pred − target| / b, averaged over B and N.
    """
    per_node = (pred - target).abs().sum(dim=(1, 3)) / math.sqrt(variance / 2)  # (B, N)
    return _mean_over_nodes(per_node, node_weights)


def cauchy_nll(
    pred: Tensor, target: Tensor, variance: float, node_weights: Tensor | None = None
) -> Tensor:
    """Negative log-likelihood of target under a Cauchy(pred, γ) with γ² = variance, no constant.

    Each error counts by its logarithm once it is larger than γ: halving an error gains the same
    whatever its size, so the near-collisions of a few charged balls weigh still less than under
    `laplace_nll` against the many small errors that weak far-field forces leave.

    Args and reduction: as `gaussian_nll`.

    Returns:
        Scalar: Σ_{t,f} log(1 + (pred − target)² / γ²), averaged over B and N.
    """
    per_node = torch.log1p((pred - target) ** 2 / variance).sum(dim=(1, 3))  # (B, N)
    return _mean_over_nodes(per_node, node_weights)


LIKELIHOOD_NLL = {"gaussian": gaussian_nll, "laplace": laplace_nll, "cauchy": cauchy_nll}


def _mean_over_nodes(per_node: Tensor, node_weights: Tensor | None) -> Tensor:
    if node_weights is not None:
        per_node = per_node * node_weights.to(per_node)
    return per_node.mean()


def kl_categorical(
    probs: Tensor, log_prior: Tensor, log_probs: Tensor | None = None, eps: float = 1e-16
) -> Tensor:
    """KL(q ‖ p) between each edge's posterior q and the prior p over edge types.

    Args:
        probs: (B, E, K) posterior q.
        log_prior: (K,) log p.
        log_probs: (B, E, K) log q if known exactly (e.g. `log_softmax(logits)`); else log(q + eps).

    Returns:
        Scalar: Σ_k q_k (log q_k − log p_k), averaged over B and E (per edge; ≥ 0, 0 iff q = p).
    """
    if log_probs is None:
        log_probs = torch.log(probs + eps)
    return (probs * (log_probs - log_prior)).sum(dim=-1).mean()


def kl_uniform(probs: Tensor, log_probs: Tensor | None = None, eps: float = 1e-16) -> Tensor:
    """`kl_categorical` against the uniform prior 1/K: log K − entropy, per edge."""
    K = probs.shape[-1]
    log_prior = torch.full((K,), -math.log(K), dtype=probs.dtype, device=probs.device)
    return kl_categorical(probs, log_prior, log_probs, eps)


def bone_lengths(pos: Tensor, bones: Tensor) -> Tensor:
    """(..., N, D) positions, (n_bones, 2) node pairs → (..., n_bones) Euclidean lengths."""
    return (pos.index_select(-2, bones[:, 0]) - pos.index_select(-2, bones[:, 1])).norm(dim=-1)


def bone_length_loss(pred_pos: Tensor, target_pos: Tensor, bones: Tensor) -> Tensor:
    """Penalise predicted bones whose length differs from the observed bone.

    Args:
        pred_pos, target_pos: (B, T, N, D) positions (same units; m² for metres).
        bones: (n_bones, 2) long, node pairs of the known skeleton edges.

    Returns:
        Scalar: (|pred_a − pred_b| − |target_a − target_b|)², averaged over B, T and bones.
        Zero for any rigid motion of the target.
    """
    return ((bone_lengths(pred_pos, bones) - bone_lengths(target_pos, bones)) ** 2).mean()


def node_weights_from_parts(
    node_parts: Sequence[str], part_weights: Mapping[str, float], normalize: bool = True
) -> Tensor:
    """Per-node weights for a body-part weighted reconstruction.

    Args:
        node_parts: body part of each node (e.g. `Skeleton.group_of(joint)` for each node).
        part_weights: weight per body part; parts not listed weigh 1.
        normalize: rescale to mean 1 so the weighted loss keeps the unweighted scale.

    Returns:
        (N,) float32.
    """
    w = torch.tensor([float(part_weights.get(p, 1.0)) for p in node_parts])
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"body-part weights must be >= 0 and not all 0, got {dict(part_weights)}")
    return w / w.mean() if normalize else w
