"""Tiny configurations shared by the model tests."""

from duetgraph.model import ModelConfig, fully_connected_edges

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
