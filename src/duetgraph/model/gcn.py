"""A dense graph convolution (Kipf & Welling 2017) over a small fixed graph (the skeleton bones).

The graphs here have tens of nodes, so a dense normalised adjacency Â = D^-1/2 (A + I) D^-1/2
(N × N) and one matmul beat sparse kernels and keep the code short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn


def normalized_adjacency(edges: Sequence[tuple[int, int]], n_nodes: int) -> Tensor:
    """Â = D^-1/2 (A + I) D^-1/2 of an undirected graph.

    Args:
        edges: (a, b) pairs; each is used in both directions, duplicates count once.
        n_nodes: N.

    Returns:
        (N, N) float32, symmetric; a node without edges keeps only its self loop (Â_ii = 1).
    """
    adj = torch.eye(n_nodes)
    for a, b in edges:  # builds a constant once, at model construction
        adj[a, b] = adj[b, a] = 1.0
    d_inv_sqrt = adj.sum(dim=1).rsqrt()
    return d_inv_sqrt[:, None] * adj * d_inv_sqrt[None, :]


class GCNConv(nn.Module):
    """out = Â · x · W + b, the graph convolution of Kipf & Welling (2017), dense.

    Args:
        in_channels: input features per node.
        out_channels: output features per node.
        bias: add a learnable bias.
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(6.0 / (self.in_channels + self.out_channels))  # Glorot uniform
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        """
        Args:
            x: (..., N, C_in) node features.
            adj: (N, N) normalised adjacency from `normalized_adjacency`.

        Returns:
            (..., N, C_out).
        """
        # (N, N) @ (..., N, C) broadcasts over leading dims; the node mixing runs on the narrower
        # side of the weight (the decoder's gates: 70 → 256 channels; 2-5 % of a K = 4 training step).
        if self.in_channels < self.out_channels:
            out = (adj @ x) @ self.weight
        else:
            out = adj @ (x @ self.weight)
        return out if self.bias is None else out + self.bias

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"
