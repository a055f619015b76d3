"""`ModelConfig.kl_reduction`: the KL per edge (ours) or summed over edges per node (NRI)."""

import pytest
import torch

from duetgraph.model import ModelConfig, NRIModel, bipartite_edges
from duetgraph.model.losses import kl_categorical

from .helpers import tiny_config, twin_models_and_output


def test_node_reduction_is_nri_sum_over_edges_divided_by_nodes():
    edge, node, x, out = twin_models_and_output(kl_reduction="node")
    kl_edge, kl_node = edge.loss(out, x)["kl"], node.loss(out, x)["kl"]
    # NRI's kl_categorical: sum over batch, edges and types, divided by batch · nodes.
    q = out.probs
    nri = (q * (torch.log(q + 1e-16) - torch.log(torch.tensor(0.5)))).sum() / (3 * 5)
    torch.testing.assert_close(kl_node, nri, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(kl_node, kl_edge * 20 / 5)  # E / N = 4 on 5 balls
    torch.testing.assert_close(kl_edge, kl_categorical(q, edge.log_prior))
    assert edge.loss(out, x)["nll"] == node.loss(out, x)["nll"]


def test_node_reduction_counts_the_latent_variables_of_a_symmetric_model():
    config = tiny_config(
        latent_edges=bipartite_edges([0, 1], [2, 3, 4], directed=False),
        symmetric=True,
        kl_reduction="node",
    )
    model = NRIModel(config)
    x = torch.randn(2, 6, 5, 4)
    out = model(x)
    per_edge = kl_categorical(out.probs, model.log_prior, torch.log_softmax(out.logits, -1))
    torch.testing.assert_close(model.loss(out, x)["kl"], per_edge * 6 / 5)


def test_bad_kl_reduction_raises():
    with pytest.raises(ValueError, match="kl_reduction"):
        tiny_config(kl_reduction="sum")


def test_checkpoints_without_kl_reduction_load_with_the_old_behaviour():
    d = tiny_config().to_dict()
    del d["kl_reduction"]  # a config stored before the field existed
    assert ModelConfig.from_dict(d).kl_reduction == "edge"
    d = tiny_config(kl_reduction="node").to_dict()
    assert ModelConfig.from_dict(d).kl_reduction == "node"
