"""Metrics of the NRI protocol and the prediction baselines (DESIGN.md §7).

- Edge accuracy: the argmax edge type against the truth over all latent edges (for physics, all
  ordered off-diagonal pairs), raw and as the best over relabellings of the predicted types (the
  unsupervised model's type labels are arbitrary; NRI reports the best permutation).
- AUROC of edge existence: score P(type != 0) against truth != 0, ties counted half.
- Prediction MSE per horizon, and two baselines at the same horizons: static (repeat the last
  observed frame) and constant velocity (extrapolate positions with the backward difference of
  the last two observed frames, keep velocity features as observed).

Arrays are numpy or CPU tensors; results are Python floats or numpy arrays.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch


def _np(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def edge_accuracy(pred, truth) -> float:
    """Fraction of edges whose predicted type equals the true type.

    Args:
        pred: (S, E) int predicted types (argmax of the posterior).
        truth: (S, E) int true types.
    """
    pred, truth = _np(pred), _np(truth)
    if pred.shape != truth.shape:
        raise ValueError(f"edge_accuracy: shapes differ, {pred.shape} vs {truth.shape}")
    return float((pred == truth).mean())


def confusion_matrix(pred, truth, n_types: int) -> np.ndarray:
    """(K, K) counts, rows predicted type, columns true type (types 0..n_types-1)."""
    pred, truth = _np(pred).ravel(), _np(truth).ravel()
    if pred.size and (max(pred.max(), truth.max()) >= n_types or min(pred.min(), truth.min()) < 0):
        raise ValueError(f"confusion_matrix: types must lie in 0..{n_types - 1}")
    return np.bincount(pred * n_types + truth, minlength=n_types * n_types).reshape(
        n_types, n_types
    )


def best_permutation_accuracy(pred, truth, n_types: int) -> tuple[float, tuple[int, ...]]:
    """Edge accuracy under the relabelling of predicted types that maximises it.

    One relabelling for the whole set (not per sample). `n_types` is the number of labels, at
    least the model's edge types and the truth's types.

    Returns:
        (accuracy, mapping) where mapping[k] is the true type that predicted type k stands for.
    """
    counts = confusion_matrix(pred, truth, n_types)
    total = counts.sum()
    if total == 0:
        return float("nan"), tuple(range(n_types))
    perms = np.array(list(itertools.permutations(range(n_types))))  # (K!, K), K <= 5 in practice
    correct = counts[np.arange(n_types), perms].sum(axis=1)  # (K!,)
    best = int(np.argmax(correct))  # first maximum: the identity wins ties
    return float(correct[best] / total), tuple(int(t) for t in perms[best])


def per_step_mse(pred, target) -> np.ndarray:
    """Mean squared error at each predicted step.

    Args:
        pred, target: (B, H, N, F) predictions and truth for steps 1..H after the start frame.

    Returns:
        (H,) MSE averaged over samples, nodes and features.
    """
    pred, target = _np(pred), _np(target)
    if pred.shape != target.shape:
        raise ValueError(f"per_step_mse: shapes differ, {pred.shape} vs {target.shape}")
    return ((pred - target) ** 2).mean(axis=(0, 2, 3))


def static_baseline(x, start: int, n_steps: int) -> np.ndarray:
    """Repeat frame `start` for the next `n_steps` frames.

    Args:
        x: (B, T, N, F) observed sequence.

    Returns:
        (B, n_steps, N, F) predictions for frames start+1 .. start+n_steps.
    """
    x = _np(x)
    return np.repeat(x[:, start : start + 1], n_steps, axis=1)


def constant_velocity_baseline(x, start: int, n_steps: int, n_dims: int) -> np.ndarray:
    """Extrapolate positions linearly from frames start-1 and start; hold the other features.

    Position features are the first `n_dims` of F. The velocity is the backward difference
    x[start] - x[start-1] per frame, so the prediction needs no frame rate and is exact for
    objects in uniform motion. Any affine normalisation of positions commutes with it.

    Args:
        x: (B, T, N, F) observed sequence, start >= 1.

    Returns:
        (B, n_steps, N, F) predictions for frames start+1 .. start+n_steps.
    """
    x = _np(x)
    if start < 1:
        raise ValueError("constant_velocity_baseline needs start >= 1 (two observed frames)")
    out = static_baseline(x, start, n_steps).copy()
    step = x[:, start, :, :n_dims] - x[:, start - 1, :, :n_dims]  # (B, N, D)
    k = np.arange(1, n_steps + 1, dtype=x.dtype)[None, :, None, None]  # (1, H, 1, 1)
    out[..., :n_dims] = x[:, start : start + 1, :, :n_dims] + k * step[:, None]
    return out
