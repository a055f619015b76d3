import torch

from duetgraph.model.graph import edge_index, fully_connected_edges, node_to_edge
from duetgraph.model.layers import MLP, TypedLinear


def test_typed_linear_matches_one_linear_per_type():
    layer = TypedLinear(3, 5, 4)
    x = torch.randn(2, 6, 5)
    out = layer(x)
    assert out.shape == (3, 2, 6, 4)
    per_type = torch.randn(3, 2, 6, 5)
    typed = layer.forward_typed(per_type)
    for k in range(3):
        torch.testing.assert_close(out[k], x @ layer.weight[k] + layer.bias[k, 0])
        torch.testing.assert_close(typed[k], per_type[k] @ layer.weight[k] + layer.bias[k, 0])
    assert "n_types=3" in repr(layer)


def test_mlp_has_no_dropout_randomness_in_eval():
    mlp = MLP(4, 8, 8, dropout=0.5)
    x = torch.randn(3, 5, 4)
    mlp.train()
    assert not torch.equal(mlp(x), mlp(x))
    mlp.eval()
    torch.testing.assert_close(mlp(x), mlp(x), rtol=0, atol=0)


def test_forward_pairs_equals_the_layer_on_edge_features():
    layer = TypedLinear(2, 2 * 6, 4)
    x = torch.randn(3, 2, 5, 6)  # (B, S, N, C)
    send, recv = edge_index(fully_connected_edges(5))
    expected = layer(node_to_edge(x, send, recv))  # (K', B, S, E, out)
    torch.testing.assert_close(layer.forward_pairs(x, send, recv), expected)
