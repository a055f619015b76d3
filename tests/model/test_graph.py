import pytest
import torch

from duetgraph.model import (
    DancerPairs,
    bipartite_edges,
    dancer_pairs,
    edge_index,
    edge_to_node,
    fully_connected_edges,
    node_to_edge,
    relative_features,
)


def node_to_edge_loop(x, edges):
    B, N, H = x.shape
    out = torch.zeros(B, len(edges), 2 * H)
    for b in range(B):
        for e, (s, r) in enumerate(edges):
            out[b, e] = torch.cat([x[b, s], x[b, r]])
    return out


def edge_to_node_loop(e, edges, n_nodes, reduce):
    B, E, H = e.shape
    out = torch.zeros(B, n_nodes, H)
    count = torch.zeros(n_nodes)
    for k, (_, r) in enumerate(edges):
        count[r] += 1
        for b in range(B):
            out[b, r] += e[b, k]
    if reduce == "mean":
        out = out / count.clamp(min=1)[:, None]
    return out


def test_fully_connected_is_nri_order():
    edges = fully_connected_edges(4)
    assert len(edges) == 12 and len(set(edges)) == 12
    assert edges[:3] == ((0, 1), (0, 2), (0, 3)) and edges[3] == (1, 0)
    assert all(s != r for s, r in edges)


def test_bipartite_edges():
    directed = bipartite_edges([0, 1], [2, 3, 4])
    assert len(directed) == 12
    assert directed[:6] == ((0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4))
    assert directed[6:] == tuple((r, s) for s, r in directed[:6])  # the same pairs, turned round
    assert bipartite_edges([0, 1], [2, 3, 4], directed=False) == directed[:6]
    with pytest.raises(ValueError, match="overlap"):
        bipartite_edges([0, 1], [1, 2])


@pytest.mark.parametrize("edges", [fully_connected_edges(5), bipartite_edges([0, 1], [2, 3, 4])])
def test_node_to_edge_matches_loop(edges):
    x = torch.randn(3, 5, 7)
    send, recv = edge_index(edges)
    torch.testing.assert_close(node_to_edge(x, send, recv), node_to_edge_loop(x, edges))


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize(
    "edges", [fully_connected_edges(5), bipartite_edges([0, 1], [2, 3], directed=False)]
)
def test_edge_to_node_matches_loop(edges, reduce):
    e = torch.randn(3, len(edges), 7)
    _, recv = edge_index(edges)
    torch.testing.assert_close(
        edge_to_node(e, recv, 5, reduce=reduce), edge_to_node_loop(e, edges, 5, reduce)
    )


@pytest.mark.parametrize("edges", [fully_connected_edges(5), bipartite_edges([0, 1], [2, 3, 4])])
def test_relative_features_match_loop(edges):
    x = torch.randn(2, 3, 5, 6)  # (B, T, N, F), positions are the first 3 features
    send, recv = edge_index(edges)
    out = relative_features(x, send, recv, n_dims=3)
    assert out.shape == (2, 3, len(edges), 7)
    for k, (s, r) in enumerate(edges):
        torch.testing.assert_close(out[..., k, :6], x[..., r, :] - x[..., s, :])
        torch.testing.assert_close(
            out[..., k, 6], torch.linalg.vector_norm(x[..., r, :3] - x[..., s, :3], dim=-1)
        )


def test_relative_distance_has_a_finite_gradient_when_nodes_meet():
    x = torch.zeros(1, 2, 4, requires_grad=True)  # two nodes at the same place
    send, recv = edge_index(fully_connected_edges(2))
    relative_features(x, send, recv, n_dims=2).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_extra_leading_dimensions():
    x = torch.randn(2, 3, 4, 5)  # (B, S, N, H)
    send, recv = edge_index(fully_connected_edges(4))
    out = node_to_edge(x, send, recv)
    assert out.shape == (2, 3, 12, 10)
    torch.testing.assert_close(out[1, 2], node_to_edge(x[1, 2][None], send, recv)[0])
    agg = edge_to_node(out, recv, 4)
    assert agg.shape == (2, 3, 4, 10)
    torch.testing.assert_close(agg[0, 1], edge_to_node(out[0, 1][None], recv, 4)[0])


def test_bad_reduce_raises():
    with pytest.raises(ValueError, match="reduce"):
        edge_to_node(torch.zeros(1, 2, 3), torch.tensor([0, 1]), 2, reduce="max")


def test_dancer_pairs_equal_gather_and_scatter():
    n = 4
    send, recv = edge_index(bipartite_edges(range(n), range(n, 2 * n)))
    pairs = dancer_pairs(send, recv, 2 * n)
    assert pairs == DancerPairs(n)
    a, b = torch.randn(3, 2, 2 * n, 5), torch.randn(3, 2, 2 * n, 5)  # extra leading dimension
    torch.testing.assert_close(
        pairs.pair_sum(a, b), a.index_select(-2, send) + b.index_select(-2, recv)
    )
    e = torch.randn(3, 2, len(send), 5)
    for reduce in ("sum", "mean"):
        torch.testing.assert_close(
            edge_to_node(e, recv, 2 * n, reduce, pairs=pairs), edge_to_node(e, recv, 2 * n, reduce)
        )


@pytest.mark.parametrize(
    "edges, n_nodes",
    [
        (fully_connected_edges(4), 4),  # not bipartite
        (bipartite_edges([0, 1], [2, 3], directed=False), 4),  # one way only
        (bipartite_edges([0, 1], [2, 3, 4]), 5),  # dancers of different sizes
        (tuple(reversed(bipartite_edges([0, 1], [2, 3]))), 4),  # another order
    ],
)
def test_dancer_pairs_only_for_their_layout(edges, n_nodes):
    send, recv = edge_index(edges)
    assert dancer_pairs(send, recv, n_nodes) is None
