import pytest
import torch

from duetgraph.model import NRIModel
from duetgraph.model.encoders import flatten_frames

from .helpers import ENCODERS, tiny_config


def test_flatten_frames_keeps_each_node_together():
    x = torch.randn(2, 3, 4, 5)  # (B, T, N, F)
    flat = flatten_frames(x)
    assert flat.shape == (2, 4, 15)
    for b in range(2):
        for n in range(4):
            torch.testing.assert_close(flat[b, n], x[b, :, n, :].reshape(-1))


@pytest.mark.parametrize(
    "encoder, pair_inputs", [(e, "concat") for e in ENCODERS] + [("mlp", "relative")]
)
def test_logits_are_equivariant_to_relabelling_nodes(encoder, pair_inputs):
    torch.manual_seed(0)
    config = tiny_config(encoder, dropout=0.2, pair_inputs=pair_inputs)
    model = NRIModel(config)
    x = torch.randn(8, 6, 5, 4)
    with torch.no_grad():  # move the batch-norm running statistics away from (0, 1)
        model.train()
        for _ in range(3):
            model.encode(x)
    perm = torch.tensor([3, 0, 4, 1, 2])  # new node p is old node perm[p]
    new_of = {int(old): p for p, old in enumerate(perm)}
    relabelled = tiny_config(
        encoder,
        dropout=0.2,
        pair_inputs=pair_inputs,
        known_edges=tuple((new_of[a], new_of[b]) for a, b in config.known_edges),
    )
    model_p = NRIModel(relabelled)
    model_p.load_state_dict(model.state_dict())
    model.eval()
    model_p.eval()

    logits = model.encode(x)
    logits_p = model_p.encode(x[:, :, perm])
    position = {edge: k for k, edge in enumerate(relabelled.latent_edges)}
    index = [position[(new_of[s], new_of[r])] for s, r in config.latent_edges]
    torch.testing.assert_close(logits_p[:, index], logits, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(logits_p, logits, atol=1e-3)  # the relabelling did move edges


def test_encoder_sees_only_the_input_frames():
    model = NRIModel(tiny_config(n_input_frames=4)).eval()
    x = torch.randn(2, 9, 5, 4)
    y = x.clone()
    y[:, 4:] += 1.0
    torch.testing.assert_close(model.encode(x), model.encode(y))
    y[:, 3] += 1.0
    assert not torch.allclose(model.encode(x), model.encode(y))
