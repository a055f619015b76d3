import torch

from duetgraph.model.graph import edge_index, fully_connected_edges, node_to_edge
from duetgraph.model.layers import MLP, TypedLinear, norm_elu_weighted_sum


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


def _composed(messages, weights, norm):
    typed = weights.movedim(-1, 0).unsqueeze(-1)
    return (torch.nn.functional.elu(norm(messages)) * typed).sum(dim=0)


def test_norm_elu_weighted_sum_matches_the_composition_in_values_and_gradients():
    torch.manual_seed(0)
    norm = torch.nn.LayerNorm(8).double()
    with torch.no_grad():  # non-trivial affine weights, so their gradients are checked too
        norm.weight.add_(0.3 * torch.randn(8, dtype=torch.float64))
        norm.bias.add_(0.3 * torch.randn(8, dtype=torch.float64))
    messages = torch.randn(3, 4, 5, 8, dtype=torch.float64, requires_grad=True)  # (K', B, E, H)
    weights = torch.rand(4, 5, 3, dtype=torch.float64, requires_grad=True)  # (B, E, K')
    out = norm_elu_weighted_sum(messages, weights, norm)
    assert out.shape == (4, 5, 8)
    grad = torch.randn_like(out)
    params = (messages, weights, norm.weight, norm.bias)
    fast = torch.autograd.grad(out, params, grad)
    slow = torch.autograd.grad(_composed(messages, weights, norm), params, grad)
    torch.testing.assert_close(out, _composed(messages, weights, norm))
    for a, b in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b)
    assert torch.autograd.gradcheck(
        lambda m, w: norm_elu_weighted_sum(m, w, norm), (messages[:, :2], weights[:2])
    )


def test_norm_elu_weighted_sum_broadcasts_weights_and_leaves_its_inputs_alone():
    norm = torch.nn.LayerNorm(4)
    messages = torch.randn(2, 3, 6, 4)
    kept = messages.clone()
    weights = torch.rand(1, 6, 2)  # one graph for all 3 samples
    out = norm_elu_weighted_sum(messages, weights, norm)
    torch.testing.assert_close(out, _composed(messages, weights.expand(3, 6, 2), norm))
    assert torch.equal(messages, kept)  # the in-place ELU works on its own LayerNorm output
