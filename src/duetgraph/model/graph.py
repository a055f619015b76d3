"""Edge lists and the two message-passing primitives, node→edge and edge→node.

An edge list is a tuple of (sender, receiver) node pairs; as tensors it is two LongTensors
`send (E,)` and `recv (E,)`. Gather and scatter are batched (`index_select` / `index_add_`) over
any leading dimensions: nothing loops over samples or edges.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

Edges = tuple[tuple[int, int], ...]


def fully_connected_edges(n_nodes: int) -> Edges:
    """All ordered pairs (i, j), i != j, i-major: (0, 1), (0, 2), ..., (1, 0), (1, 2), ...

    This is NRI's edge order (off-diagonal entries of an N × N matrix, row by row), E = N(N-1).
    """
    return tuple((i, j) for i in range(n_nodes) for j in range(n_nodes) if i != j)


def bipartite_edges(nodes_a: Sequence[int], nodes_b: Sequence[int], directed: bool = True) -> Edges:
    """Edges between two node sets (the two dancers), none within a set.

    Args:
        nodes_a, nodes_b: disjoint node indices.
        directed: True gives every a→b pair (a-major) followed by every b→a pair, E = 2·|a|·|b|,
            each direction its own latent variable. False gives the a→b pairs only, E = |a|·|b|:
            use it with `ModelConfig(symmetric=True)`, where each pair is one latent variable
            scored from both directions and sending messages both ways with the same weights.
    """
    a, b = [int(i) for i in nodes_a], [int(j) for j in nodes_b]
    if set(a) & set(b):
        raise ValueError(f"bipartite node sets overlap: {sorted(set(a) & set(b))}")
    forward = tuple((i, j) for i in a for j in b)
    return forward + tuple((j, i) for j in b for i in a) if directed else forward


def subset_bones(parents: Sequence[int], joints: Sequence[int]) -> Edges:
    """Bones among a subset of joints: each selected joint to its nearest selected ancestor.

    Args:
        parents: parent index per joint of the full skeleton, -1 for the root.
        joints: selected joint indices; node k of the result is joints[k].

    Returns:
        (child_node, parent_node) pairs in node indices 0..len(joints)-1.
    """
    position = {j: k for k, j in enumerate(joints)}
    bones = []
    for k, j in enumerate(joints):
        p = parents[j]
        while p >= 0 and p not in position:
            p = parents[p]
        if p >= 0:
            bones.append((k, position[p]))
    return tuple(bones)


def duet_edges(
    parents: Sequence[int], joints: Sequence[int], directed: bool = True
) -> tuple[Edges, Edges]:
    """Latent and known edges of a duet graph with the same joints selected for both dancers.

    Nodes are dancer-major: node k is joints[k] of dancer A, node J' + k is joints[k] of dancer B
    (J' = len(joints), N = 2J'), matching `(B, T, 2, J', F)` reshaped to `(B, T, N, F)`.

    Returns:
        latent_edges: between the dancers only (`bipartite_edges`, see `directed`).
        known_edges: each dancer's own bones among the selected joints (`subset_bones`).
    """
    n = len(joints)
    bones = subset_bones(parents, joints)
    known = bones + tuple((c + n, p + n) for c, p in bones)
    return bipartite_edges(range(n), range(n, 2 * n), directed=directed), known


def edge_index(edges: Sequence[tuple[int, int]]) -> tuple[Tensor, Tensor]:
    """(send (E,), recv (E,)) LongTensors of an edge list."""
    pairs = torch.as_tensor(list(edges), dtype=torch.long).reshape(-1, 2)
    return pairs[:, 0].contiguous(), pairs[:, 1].contiguous()


def node_to_edge(x: Tensor, send: Tensor, recv: Tensor) -> Tensor:
    """Edge features cat[x_sender, x_receiver].

    Args:
        x: (..., N, H) node features (typically (B, N, H)).
        send, recv: (E,) node indices of each edge.

    Returns:
        (..., E, 2H).
    """
    *lead, N, H = x.shape
    flat = x.reshape(-1, N, H)  # (B', N, H), all leading dimensions folded into one
    out = torch.cat([flat.index_select(1, send), flat.index_select(1, recv)], dim=-1)  # (B', E, 2H)
    return out.view(*lead, len(send), 2 * H)


def edge_to_node(e: Tensor, recv: Tensor, n_nodes: int, reduce: str = "sum") -> Tensor:
    """Aggregate edge features at their receivers.

    Args:
        e: (..., E, H) edge features (typically (B, E, H)).
        recv: (E,) receiver of each edge.
        n_nodes: N.
        reduce: "sum" (NRI's decoder) or "mean" (divide by each node's in-degree; nodes without
            incoming edges get zeros).

    Returns:
        (..., N, H).
    """
    if reduce not in ("sum", "mean"):
        raise ValueError(f"edge_to_node reduce must be 'sum' or 'mean', got {reduce!r}")
    *lead, E, H = e.shape
    flat = e.reshape(-1, E, H)  # (B', E, H)
    out = flat.new_zeros(flat.shape[0], n_nodes, H).index_add_(1, recv, flat)  # (B', N, H)
    if reduce == "mean":
        degree = torch.bincount(recv, minlength=n_nodes).clamp(min=1).to(e.dtype)
        out = out / degree.unsqueeze(-1)
    return out.view(*lead, n_nodes, H)
