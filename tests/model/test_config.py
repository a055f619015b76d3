import json

import numpy as np
import pytest

from duetgraph.model import ModelConfig, bipartite_edges, fully_connected_edges


def make_config(**overrides):
    base = dict(
        n_nodes=4,
        n_features=6,
        n_input_frames=8,
        latent_edges=bipartite_edges([0, 1], [2, 3]),
        known_edges=((0, 1), (2, 3)),
        encoder="gcn",
        decoder="graph_rnn",
        n_edge_types=3,
        edge_prior=(0.4, 0.3, 0.3),
        skip_first_edge_type=True,
        bone_weight=0.5,
    )
    base.update(overrides)
    return ModelConfig(**base)


def test_round_trip_through_json():
    config = make_config()
    d = json.loads(json.dumps(config.to_dict()))
    assert ModelConfig.from_dict(d) == config
    assert isinstance(d["latent_edges"], list) and isinstance(d["latent_edges"][0], list)


def test_lists_become_tuples():
    config = make_config(latent_edges=[[0, 2], [1, 3]], edge_prior=[0.5, 0.25, 0.25])
    assert config.latent_edges == ((0, 2), (1, 3))
    assert config.edge_prior == (0.5, 0.25, 0.25)
    hash(config)


def test_unknown_key_raises():
    d = make_config().to_dict()
    d["n_hiden"] = 32
    with pytest.raises(ValueError, match="n_hiden"):
        ModelConfig.from_dict(d)


def test_missing_key_raises():
    d = make_config().to_dict()
    del d["tau"]
    with pytest.raises(ValueError, match="tau"):
        ModelConfig.from_dict(d)


@pytest.mark.parametrize(
    "overrides, word",
    [
        (dict(encoder="transformer"), "encoder"),
        (dict(decoder="lstm"), "decoder"),
        (dict(edge_prior=(0.5, 0.5, 0.5)), "edge_prior"),
        (dict(edge_prior=(0.5, 0.5)), "edge_prior"),
        (dict(latent_edges=((0, 0),)), "latent_edges"),
        (dict(latent_edges=((0, 4),)), "latent_edges"),
        (dict(latent_edges=()), "latent_edges"),
        (dict(n_edge_types=1, edge_prior=None), "n_edge_types"),
        (dict(known_edges=(), bone_weight=1.0), "known_edges"),
        (dict(dropout=1.0), "dropout"),
        (dict(n_dims=7), "n_dims"),
        (dict(eval_edges="mean"), "eval_edges"),
        (dict(likelihood="student"), "likelihood"),
        (dict(symmetric=True, latent_edges=((0, 2), (2, 0))), "symmetric"),
    ],
)
def test_bad_values_raise_naming_the_field(overrides, word):
    with pytest.raises(ValueError, match=word):
        make_config(**overrides)


def test_derived_sizes():
    config = ModelConfig(
        n_nodes=5, n_features=4, n_input_frames=49, latent_edges=fully_connected_edges(5)
    )
    assert config.n_latent_edges == 20 and config.dims == 2


def test_numpy_scalars_become_plain_values():
    config = make_config(n_nodes=np.int64(4), tau=np.float32(0.5), n_hidden=np.int32(8))
    assert (
        type(config.n_nodes) is int and type(config.n_hidden) is int and type(config.tau) is float
    )
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
