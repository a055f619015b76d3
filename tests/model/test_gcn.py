import torch

from duetgraph.model import GCNConv, normalized_adjacency


def test_normalized_adjacency():
    adj = normalized_adjacency([(0, 1), (1, 2), (1, 0)], 4)  # duplicate edge counts once
    torch.testing.assert_close(adj, adj.T)
    degree = torch.tensor([2.0, 3.0, 2.0, 1.0])  # with self loops
    assert adj[0, 1] == 1 / (degree[0] * degree[1]).sqrt()
    assert adj[0, 2] == 0 and adj[3, 3] == 1 and adj[3, :3].abs().sum() == 0


def test_gcn_matches_loop_reference():
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]
    layer = GCNConv(5, 3)
    torch.nn.init.normal_(layer.bias)
    adj = normalized_adjacency(edges, 4)
    x = torch.randn(2, 4, 5)
    neighbours = {i: {i} for i in range(4)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    expected = torch.zeros(2, 4, 3)
    for i in range(4):
        for j in neighbours[i]:
            norm = (len(neighbours[i]) * len(neighbours[j])) ** -0.5
            expected[:, i] += norm * x[:, j] @ layer.weight
        expected[:, i] += layer.bias
    torch.testing.assert_close(layer(x, adj), expected)


def test_reset_and_repr():
    layer = GCNConv(5, 3)
    torch.nn.init.normal_(layer.bias)
    layer.reset_parameters()
    assert layer.bias.abs().sum() == 0
    assert repr(layer) == "GCNConv(5, 3)"
