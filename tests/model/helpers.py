"""Tiny configurations shared by the model tests."""

import torch

from duetgraph.model import ModelConfig, NRIModel, fully_connected_edges

ENCODERS = ("mlp", "gcn")
DECODERS = ("mlp", "rnn", "graph_rnn")
COMBOS = [(e, d) for e in ENCODERS for d in DECODERS]


def tiny_config(encoder="mlp", decoder="mlp", **overrides):
    """5 nodes, fully connected latent edges, a 3-bone chain as known edges, H = 16."""
    base = dict(
        n_nodes=5,
        n_features=4,
        n_input_frames=6,
        latent_edges=fully_connected_edges(5),
        known_edges=((0, 1), (1, 2), (3, 4)),
        encoder=encoder,
        decoder=decoder,
        n_hidden=16,
        n_pred_steps=3,
    )
    base.update(overrides)
    return ModelConfig(**base)


def twin_models_and_output(**overrides):
    """A tiny model, a second one with `overrides` and the same weights, an input and the first
    model's output on it: for comparing how the two score the same prediction."""
    torch.manual_seed(0)
    base = NRIModel(tiny_config())
    other = NRIModel(tiny_config(**overrides))
    other.load_state_dict(base.state_dict())
    x = torch.randn(3, 6, 5, 4)
    return base, other, x, base(x, generator=torch.Generator().manual_seed(1))
