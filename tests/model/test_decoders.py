import pytest
import torch
import torch.nn.functional as F

from duetgraph.model import NRIModel

from .helpers import DECODERS, tiny_config


def changed_frames(model, x, frame):
    """Indices of predictions (frames 1..T-1, index = frame - 1) that change when x[:, frame] does."""
    edges = F.one_hot(
        torch.randint(0, 2, (x.shape[0], 20), generator=torch.Generator().manual_seed(0)), 2
    )
    y = x.clone()
    y[:, frame] += 1.0
    with torch.no_grad():
        diff = (model.decode(x, edges.float()) - model.decode(y, edges.float())).abs()
    return [t for t in range(diff.shape[1]) if diff[:, t].max() > 1e-6]


@pytest.mark.parametrize("decoder", DECODERS)
def test_ground_truth_every_k_frames_and_nothing_from_the_future(decoder):
    model = NRIModel(tiny_config(decoder=decoder, n_pred_steps=3)).eval()
    x = torch.randn(2, 9, 5, 4)  # inputs at frames 0, 3, 6; predictions of frames 1..8
    assert changed_frames(model, x, 4) == []  # never an input, only a target
    expected = [3, 4, 5] if decoder == "mlp" else [3, 4, 5, 6, 7]  # recurrent state carries on
    assert changed_frames(model, x, 3) == expected
    assert changed_frames(model, x, 0)[:3] == [0, 1, 2]


@pytest.mark.parametrize("decoder", DECODERS)
def test_one_step_prediction_sees_every_frame(decoder):
    model = NRIModel(tiny_config(decoder=decoder, n_pred_steps=1)).eval()
    x = torch.randn(2, 6, 5, 4)
    changed = changed_frames(model, x, 2)
    assert changed[0] == 2 and (changed == [2] or decoder != "mlp")


@pytest.mark.parametrize(
    "decoder, pair_inputs", [(d, "concat") for d in DECODERS] + [("mlp", "relative")]
)
def test_messages_flow_only_along_edges_with_weight(decoder, pair_inputs):
    config = tiny_config(
        decoder=decoder,
        known_edges=(),
        skip_first_edge_type=True,
        n_pred_steps=1,
        pair_inputs=pair_inputs,
    )
    model = NRIModel(config).eval()
    x = torch.randn(2, 5, 5, 4)
    y = x.clone()
    y[:, :, 0] += 1.0  # move node 0 only
    edges = torch.zeros(2, 20, 2)
    edges[..., 0] = 1.0  # every edge "no string": type 0 sends nothing
    k01 = config.latent_edges.index((0, 1))
    with torch.no_grad():
        delta = (model.decode(x, edges) - model.decode(y, edges)).abs().amax(dim=(0, 1, 3))  # (N,)
        assert torch.all(delta[1:] == 0) and delta[0] > 0
        edges[:, k01] = torch.tensor([0.0, 1.0])  # a string 0 → 1
        delta = (model.decode(x, edges) - model.decode(y, edges)).abs().amax(dim=(0, 1, 3))
    assert delta[1] > 0 and torch.all(delta[2:] == 0)


@pytest.mark.parametrize("decoder", DECODERS)
def test_decoder_shapes(decoder):
    model = NRIModel(tiny_config(decoder=decoder, n_edge_types=4, n_pred_steps=10))
    x = torch.randn(3, 7, 5, 4)
    out = model.decode(x, torch.softmax(torch.randn(3, 20, 4), -1))
    assert out.shape == (3, 6, 5, 4)


@pytest.mark.parametrize("skip_first", [True, False])
def test_graph_rnn_fused_readout_equals_autograds_in_predictions_and_gradients(skip_first):
    torch.manual_seed(0)
    model = NRIModel(
        tiny_config(decoder="graph_rnn", n_edge_types=3, skip_first_edge_type=skip_first)
    )
    x = torch.randn(4, 6, 5, 4)
    logits = torch.randn(4, 20, 3, requires_grad=True)
    results = []
    for fused in (True, False):
        model.decoder.fused_readout = fused
        model.zero_grad()
        logits.grad = None
        out = model.decode(x, torch.softmax(logits, -1))
        out.square().sum().backward()
        grads = [p.grad.clone() for p in model.decoder.parameters()]
        results.append((out.detach(), logits.grad.clone(), grads))
    (out_f, dl_f, g_f), (out_a, dl_a, g_a) = results
    torch.testing.assert_close(out_f, out_a)
    torch.testing.assert_close(dl_f, dl_a)
    for a, b in zip(g_f, g_a, strict=True):
        torch.testing.assert_close(a, b)
