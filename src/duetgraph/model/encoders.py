"""Encoders: a window of node trajectories → logits of each latent edge's type.

Both encoders see each node's whole window as one feature vector (T·F) and alternate
node→edge and edge→node passes, so the logits of edge (i, j) depend on the trajectories of all
nodes, and relabelling the nodes relabels the edges (permutation equivariance).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from duetgraph.model.gcn import GCNConv
from duetgraph.model.graph import DancerPairs, edge_to_node, node_to_edge, relative_features
from duetgraph.model.layers import MLP, batch_norm_last, pair_linear


def flatten_frames(x: Tensor) -> Tensor:
    """(B, T, N, F) → (B, N, T·F): each node's window as one vector, frames in order.

    The permute comes first; a bare view of (B, T, N, F) as (B, N, T·F) would mix joints and time.
    """
    B, T, N, F_ = x.shape
    return x.permute(0, 2, 1, 3).reshape(B, N, T * F_)  # (B, N, T, F) → (B, N, T·F)


class MLPEncoder(nn.Module):
    """NRI's MLP encoder (Kipf et al. 2018, "factor graph" variant).

    mlp1 → node→edge → mlp2 (kept as skip) → edge→node (mean) → mlp3 → node→edge, cat skip →
    mlp4 → fc_out. Each mlp is `MLP` (2 ELU layers, dropout, batch norm).

    With `relative_dims` > 0 (ModelConfig.pair_inputs "relative") each edge's window of
    `relative_features` (receiver minus sender, and distance, T·(F + 1) numbers) goes through its
    own `mlp_pair` and joins the two node embeddings at mlp2's input (3H instead of 2H).

    Args:
        n_in: T·F inputs per node.
        n_hidden: H.
        n_edge_types: K.
        dropout: dropout probability inside each MLP.
        relative_dims: D of the positions for the relative edge input; 0: none (NRI).
        n_frames: T, needed with relative_dims.
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        n_edge_types: int,
        dropout: float = 0.0,
        relative_dims: int = 0,
        n_frames: int = 0,
    ) -> None:
        super().__init__()
        self.relative_dims = relative_dims
        self.mlp1 = MLP(n_in, n_hidden, n_hidden, dropout)
        if relative_dims:  # T·F node inputs → T·(F + 1) relative ones
            self.mlp_pair = MLP(n_in + n_frames, n_hidden, n_hidden, dropout)
        self.mlp2 = MLP((3 if relative_dims else 2) * n_hidden, n_hidden, n_hidden, dropout)
        self.mlp3 = MLP(n_hidden, n_hidden, n_hidden, dropout)
        self.mlp4 = MLP(3 * n_hidden, n_hidden, n_hidden, dropout)
        self.fc_out = nn.Linear(n_hidden, n_edge_types)
        nn.init.xavier_normal_(self.fc_out.weight)
        nn.init.constant_(self.fc_out.bias, 0.1)

    def forward(self, x: Tensor, send: Tensor, recv: Tensor) -> Tensor:
        """
        Args:
            x: (B, T, N, F) node trajectories.
            send, recv: (E,) sender and receiver of each edge.

        Returns:
            (B, E, K) logits.
        """
        N = x.shape[2]
        h = self.mlp1(flatten_frames(x))  # (B, N, H)
        e = node_to_edge(h, send, recv)  # (B, E, 2H)
        if self.relative_dims:
            rel = relative_features(x, send, recv, self.relative_dims)  # (B, T, E, F + 1)
            e = torch.cat([e, self.mlp_pair(flatten_frames(rel))], dim=-1)  # (B, E, 3H)
        e = self.mlp2(e)  # (B, E, H)
        h = self.mlp3(edge_to_node(e, recv, N, reduce="mean"))  # (B, N, H)
        e = self.mlp4(torch.cat([node_to_edge(h, send, recv), e], dim=-1))  # (B, E, 3H) → (B, E, H)
        return self.fc_out(e)


class GCNEncoder(nn.Module):
    """The duet paper's encoder, with graph convolutions along the known skeleton bones.

    GCN → ELU → node→edge (2H) → Linear 2H→H → ELU → BatchNorm → Dropout (kept as skip) →
    edge→node (mean) → GCN → ELU → node→edge, cat skip (3H) → Linear 3H→H → ELU → Linear H→K.
    The paper gives the layers; the ELU activations between them are ours. The Linear layers
    after node→edge are applied at the nodes (`pair_linear`): the same sums, N rows instead of E.

    Args:
        n_in: T·F inputs per node.
        n_hidden: H (64 in the paper).
        n_edge_types: K.
        dropout: dropout probability (0.1 in the paper).
    """

    def __init__(self, n_in: int, n_hidden: int, n_edge_types: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.gcn1 = GCNConv(n_in, n_hidden)
        self.fc_edge = nn.Linear(2 * n_hidden, n_hidden)
        self.bn_edge = nn.BatchNorm1d(n_hidden)
        self.dropout = nn.Dropout(dropout)
        self.gcn2 = GCNConv(n_hidden, n_hidden)
        self.fc_skip = nn.Linear(3 * n_hidden, n_hidden)
        self.fc_out = nn.Linear(n_hidden, n_edge_types)

    def forward(
        self, x: Tensor, send: Tensor, recv: Tensor, adj: Tensor, pairs: DancerPairs | None = None
    ) -> Tensor:
        """
        Args:
            x: (B, T, N, F) node trajectories.
            send, recv: (E,) sender and receiver of each latent edge.
            adj: (N, N) normalised adjacency of the known edges (`normalized_adjacency`).
            pairs: the edges' `DancerPairs` layout, if they have one (same result, faster).

        Returns:
            (B, E, K) logits.
        """
        N, H = x.shape[2], self.gcn2.in_channels
        h = F.elu(self.gcn1(flatten_frames(x), adj))  # (B, N, H)
        # fc_edge(node_to_edge(h)) and fc_skip(cat[node_to_edge(h), e]), computed at the nodes
        e = F.elu(pair_linear(h, self.fc_edge.weight, send, recv, pairs) + self.fc_edge.bias)
        e = self.dropout(batch_norm_last(self.bn_edge, e))  # (B, E, H)
        h = F.elu(self.gcn2(edge_to_node(e, recv, N, reduce="mean", pairs=pairs), adj))
        w = self.fc_skip.weight  # (H, 3H): [sender | receiver | skip]
        e = pair_linear(h, w[:, : 2 * H], send, recv, pairs) + F.linear(e, w[:, 2 * H :])
        return self.fc_out(F.elu(e + self.fc_skip.bias))  # (B, E, K)
