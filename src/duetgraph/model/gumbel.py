"""Gumbel-softmax sampling (Jang et al. 2017; Maddison et al. 2017), the one place it lives."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

EPS = 1e-10


def sample_gumbel(
    shape: torch.Size, like: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """Standard Gumbel noise -log(-log U), U ~ Uniform(0, 1), with the dtype and device of `like`."""
    u = torch.rand(shape, generator=generator, dtype=like.dtype, device=like.device)
    return -torch.log(EPS - torch.log(u + EPS))


def gumbel_softmax(
    logits: Tensor,
    tau: float,
    hard: bool,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Sample relaxed one-hot vectors over the last dimension.

    Args:
        logits: (..., K) unnormalised log-probabilities.
        tau: temperature > 0; small tau gives nearly one-hot soft samples.
        hard: return exact one-hot vectors (of the argmax of the soft sample) in the forward pass,
            with the gradient of the soft sample (straight-through estimator).
        generator: torch.Generator on `logits.device`; the same seed gives the same sample. None
            uses torch's global generator.

    Returns:
        (..., K) sample. Soft: positive, sums to 1. Hard: exactly one-hot.
    """
    y_soft = F.softmax((logits + sample_gumbel(logits.shape, logits, generator)) / tau, dim=-1)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim=-1, keepdim=True)
    y_hard = torch.zeros_like(y_soft).scatter_(-1, index, 1.0)
    # y_hard + (y_soft - y_soft) is exactly y_hard in value (x - x == 0 in floating point, unlike
    # the usual y_hard - y_soft.detach() + y_soft) and has the gradient of y_soft.
    return y_hard + (y_soft - y_soft.detach())
