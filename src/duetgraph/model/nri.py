"""NRIModel: encoder → edge posterior → Gumbel sample → decoder (Kipf et al. 2018), with the duet
paper's GCN encoder and graph-recurrent decoder as options.

    x (B, T, N, F) ──encoder──▶ logits (B, E, K) ──softmax──▶ probs
                                   └──gumbel_softmax──▶ edges (B, E, K) ──▶ decoder(x, edges)
                                                                            └▶ prediction (B, T-1, N, F)

A checkpoint needs only `config.to_dict()` and `state_dict()`: edge indices, adjacency and prior
are rebuilt from the config (non-persistent buffers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from duetgraph.model.config import EVAL_EDGES, ModelConfig
from duetgraph.model.decoders import GraphRNNDecoder, MLPDecoder, RNNDecoder
from duetgraph.model.encoders import GCNEncoder, MLPEncoder
from duetgraph.model.gcn import normalized_adjacency
from duetgraph.model.graph import dancer_pairs, edge_index
from duetgraph.model.gumbel import gumbel_softmax
from duetgraph.model.losses import LIKELIHOOD_NLL, bone_length_loss, kl_categorical

DECODERS = {"mlp": MLPDecoder, "rnn": RNNDecoder, "graph_rnn": GraphRNNDecoder}


@dataclass
class NRIOutput:
    """What `NRIModel.forward` returns.

    Attributes:
        logits: (B, E, K) encoder output.
        probs: (B, E, K) softmax posterior q(type | x) of each latent edge.
        edges: (B, E, K) edge-type weights the decoder used (sample, one-hot or probs).
        prediction: (B, T-1, N, F) predictions of frames 1..T-1.
    """

    logits: Tensor
    probs: Tensor
    edges: Tensor
    prediction: Tensor


class NRIModel(nn.Module):
    """Neural relational inference over a fixed set of latent edges.

    Args:
        config: all sizes and options, see `ModelConfig`.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        # Message edges: the latent edges, and with symmetric=True also their reverses.
        edges = c.latent_edges + (tuple((r, s) for s, r in c.latent_edges) if c.symmetric else ())
        send, recv = edge_index(edges)
        self.pairs = dancer_pairs(send, recv, c.n_nodes)  # a duet's dense edge layout, or None
        self.register_buffer("send", send, persistent=False)  # (E_msg,)
        self.register_buffer("recv", recv, persistent=False)  # (E_msg,)
        self.register_buffer(
            "adj", normalized_adjacency(c.known_edges, c.n_nodes), persistent=False
        )
        bones = torch.as_tensor(c.known_edges, dtype=torch.long).reshape(-1, 2)
        self.register_buffer("bones", bones, persistent=False)  # (n_bones, 2)
        prior = c.edge_prior or (1.0 / c.n_edge_types,) * c.n_edge_types
        self.register_buffer(
            "log_prior", torch.tensor([math.log(p) for p in prior]), persistent=False
        )

        n_in = c.n_input_frames * c.n_features
        relative = c.pair_inputs == "relative"  # mlp encoder and decoder only (validated)
        if c.encoder == "mlp":
            self.encoder = MLPEncoder(
                n_in,
                c.n_hidden,
                c.n_edge_types,
                c.dropout,
                relative_dims=c.dims if relative else 0,
                n_frames=c.n_input_frames,
            )
        else:
            self.encoder = GCNEncoder(n_in, c.n_hidden, c.n_edge_types, c.dropout)
        extra = {"relative": True} if relative else {}
        self.decoder = DECODERS[c.decoder](
            c.n_features,
            c.n_hidden,
            c.n_edge_types,
            c.skip_first_edge_type,
            c.dropout,
            velocity_ratio=c.velocity_ratio,
            n_dims=c.dims,
            readout=c.readout,
            **extra,
        )

    def encode(self, x: Tensor) -> Tensor:
        """Logits of the latent edge types.

        Args:
            x: (B, T, N, F) with T >= n_input_frames; the encoder sees frames [0, n_input_frames).

        Returns:
            (B, E, K) logits, E = len(config.latent_edges).
        """
        self._check_input(x, self.config.n_input_frames, "the encoder needs n_input_frames =")
        x = x[:, : self.config.n_input_frames]
        if self.config.encoder == "gcn":
            logits = self.encoder(x, self.send, self.recv, self.adj, self.pairs)
        else:
            logits = self.encoder(x, self.send, self.recv)
        if self.config.symmetric:  # one variable per pair: mean of both directions' logits
            E = self.config.n_latent_edges
            logits = 0.5 * (logits[:, :E] + logits[:, E:])
        return logits

    def sample_edges(
        self, logits: Tensor, mode: str | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Edge-type weights for the decoder.

        Args:
            logits: (B, E, K).
            mode: None = Gumbel-softmax (tau, hard from the config) in training and
                `config.eval_edges` in eval mode; or one of "sample" (hard Gumbel sample),
                "argmax" (one-hot of the most probable type) or "probs" (softmax posterior).
            generator: for the Gumbel noise, on the logits' device.

        Returns:
            (B, E, K).
        """
        c = self.config
        if mode is None:
            if self.training:
                return gumbel_softmax(logits, c.tau, c.hard, generator)
            mode = c.eval_edges
        if mode == "sample":
            return gumbel_softmax(logits, c.tau, True, generator)
        if mode == "argmax":
            return F.one_hot(logits.argmax(dim=-1), c.n_edge_types).to(logits.dtype)
        if mode == "probs":
            return F.softmax(logits, dim=-1)
        raise ValueError(f"edge mode must be one of {EVAL_EDGES} or None, got {mode!r}")

    def decode(self, x: Tensor, edges: Tensor, n_pred_steps: int | None = None) -> Tensor:
        """Predict frames 1..T-1 from x and edge-type weights.

        Args:
            x: (B, T, N, F), T >= 2; ground truth fed every n_pred_steps frames.
            edges: (B, E, K) weights of the latent edges.
            n_pred_steps: override config.n_pred_steps (e.g. 1, 10, 20 for evaluation).

        Returns:
            (B, T-1, N, F).
        """
        self._check_input(x, 2, "the decoder needs at least")
        k = n_pred_steps or self.config.n_pred_steps
        if self.config.symmetric:
            edges = torch.cat([edges, edges], dim=1)  # (B, 2E, K), both directions of each pair
        if self.config.decoder == "graph_rnn":
            return self.decoder(x, edges, self.send, self.recv, self.adj, k, self.pairs)
        if self.config.decoder == "rnn":
            return self.decoder(x, edges, self.send, self.recv, k, self.pairs)
        return self.decoder(x, edges, self.send, self.recv, k)

    def forward(
        self,
        x: Tensor,
        *,
        generator: torch.Generator | None = None,
        edge_mode: str | None = None,
        n_pred_steps: int | None = None,
        logits: Tensor | None = None,
    ) -> NRIOutput:
        """Encode, sample edges, decode.

        Args:
            x: (B, T, N, F) node features, T >= n_input_frames.
            generator: for the Gumbel noise only (dropout uses torch's global generator).
            edge_mode: see `sample_edges`. Default: Gumbel samples in training (NRI), and
                config.eval_edges in eval mode — "sample" evaluates like NRI, "argmax" or "probs"
                make eval deterministic.
            n_pred_steps: override config.n_pred_steps.
            logits: (B, E, K) edge-type logits to use instead of encoding `x` (e.g. a posterior
                averaged over symmetries of the input, `train.evaluate.averaged_logits`).
        """
        if logits is None:
            logits = self.encode(x)
        edges = self.sample_edges(logits, edge_mode, generator)
        frames = self.config.train_decoder_frames
        decoded = x[:, :frames] if self.training and frames else x  # see ModelConfig
        prediction = self.decode(decoded, edges, n_pred_steps)
        return NRIOutput(logits, F.softmax(logits, dim=-1), edges, prediction)

    def loss(
        self, out: NRIOutput, x: Tensor, *, beta: float = 1.0, node_weights: Tensor | None = None
    ) -> dict[str, Tensor]:
        """The negative ELBO and its parts.

        Args:
            out: output of `forward(x)`.
            x: (B, T, N, F), the same x; targets are the frames `out` predicts (1..T-1, or fewer
                in training with `train_decoder_frames`).
            beta: weight of the KL term (annealing allowed; must reach 1).
            node_weights: optional (N,) per-node weights of the reconstruction (body parts).

        Returns:
            "nll": `gaussian_nll` (or the config.likelihood of `LIKELIHOOD_NLL`) with
                config.output_variance — summed over frames and features, averaged over samples
                and nodes.
            "kl": `kl_categorical` against the prior — summed over types, averaged over samples
                and edges (config.kl_reduction "edge"), or summed over edges and divided by the
                nodes ("node", NRI's scale).
            "bone" (only when config.bone_weight > 0): `bone_length_loss` of the predicted
                positions (features [:D]) — averaged over samples, frames and bones.
            "total": nll + beta · kl (+ bone_weight · bone); the one to backpropagate.
            "mse": mean squared error per element, detached, for logging.
        """
        c = self.config
        target = x[:, 1 : 1 + out.prediction.shape[1]]  # fewer frames with train_decoder_frames
        nll = LIKELIHOOD_NLL[c.likelihood](out.prediction, target, c.output_variance, node_weights)
        kl = kl_categorical(out.probs, self.log_prior, F.log_softmax(out.logits, dim=-1))
        if c.kl_reduction == "node":  # NRI: summed over edges, divided by the nodes
            kl = kl * (out.probs.shape[-2] / c.n_nodes)
        losses = {"nll": nll, "kl": kl}
        total = nll + beta * kl
        if c.bone_weight > 0:
            D = c.dims
            losses["bone"] = bone_length_loss(out.prediction[..., :D], target[..., :D], self.bones)
            total = total + c.bone_weight * losses["bone"]
        losses["total"] = total
        losses["mse"] = F.mse_loss(out.prediction, target).detach()
        return losses

    def _check_input(self, x: Tensor, min_frames: int, why: str) -> None:
        c = self.config
        if x.dim() != 4 or x.shape[2] != c.n_nodes or x.shape[3] != c.n_features:
            raise ValueError(
                f"model input must be (B, T, N={c.n_nodes}, F={c.n_features}), got {tuple(x.shape)}"
            )
        if x.shape[1] < min_frames:
            raise ValueError(f"model input has {x.shape[1]} frames; {why} {min_frames}")
