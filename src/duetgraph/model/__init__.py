"""duetgraph.model: NRI encoders, Gumbel sampling, decoders and losses (torch only).

Imports torch and nothing of ours beyond this package (DESIGN.md §1). Start at `NRIModel` in
`nri.py`; `ModelConfig` holds every option.
"""

from duetgraph.model.config import ModelConfig
from duetgraph.model.decoders import GraphRNNDecoder, MLPDecoder, RNNDecoder
from duetgraph.model.encoders import GCNEncoder, MLPEncoder
from duetgraph.model.gcn import GCNConv, normalized_adjacency
from duetgraph.model.graph import (
    DancerPairs,
    bipartite_edges,
    dancer_pairs,
    edge_index,
    edge_to_node,
    fully_connected_edges,
    node_to_edge,
    relative_features,
)
from duetgraph.model.gumbel import gumbel_softmax
from duetgraph.model.losses import (
    bone_length_loss,
    cauchy_nll,
    gaussian_nll,
    kl_categorical,
    kl_uniform,
    laplace_nll,
    node_weights_from_parts,
)
from duetgraph.model.nri import NRIModel, NRIOutput

__all__ = [
    "DancerPairs",
    "GCNConv",
    "GCNEncoder",
    "GraphRNNDecoder",
    "MLPDecoder",
    "MLPEncoder",
    "ModelConfig",
    "NRIModel",
    "NRIOutput",
    "RNNDecoder",
    "bipartite_edges",
    "bone_length_loss",
    "dancer_pairs",
    "edge_index",
    "edge_to_node",
    "fully_connected_edges",
    "gaussian_nll",
    "laplace_nll",
    "cauchy_nll",
    "gumbel_softmax",
    "kl_categorical",
    "kl_uniform",
    "node_to_edge",
    "node_weights_from_parts",
    "normalized_adjacency",
    "relative_features",
]
