"""ModelConfig: every number needed to rebuild an NRI model, as one frozen dataclass.

A checkpoint stores `config.to_dict()` (plain ints, floats, strings, bools and lists) next to the
weights; `ModelConfig.from_dict` rebuilds the config and raises on unknown or missing keys.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields
from typing import Any

ENCODERS = ("mlp", "gcn")
DECODERS = ("mlp", "rnn", "graph_rnn")
EVAL_EDGES = ("sample", "argmax", "probs")
KL_REDUCTIONS = ("edge", "node")
READOUTS = ("residual", "kinematic")
PAIR_INPUTS = ("concat", "relative")
LIKELIHOODS = ("gaussian", "laplace", "cauchy")
# Fields added after checkpoints were first written: a stored config without them gets the
# default, which is the behaviour those checkpoints were trained with.
ADDED_FIELDS = frozenset(
    {"kl_reduction", "readout", "train_decoder_frames", "pair_inputs", "likelihood"}
)


@dataclass(frozen=True)
class ModelConfig:
    """Configuration of `NRIModel`. Shape letters as in DESIGN.md §2.

    Args:
        n_nodes: N, objects (balls) or joints of both dancers.
        n_features: F per node per frame, e.g. 4 for 2D position + velocity, 6 for 3D.
        n_input_frames: T seen by the encoder; it flattens (T, F) per node into T·F inputs.
        latent_edges: (sender, receiver) node pairs whose type is inferred, E of them.
        known_edges: undirected skeleton bones (each dancer's own); the GCN layers of the "gcn"
            encoder and "graph_rnn" decoder propagate along them, and the bone-length loss uses
            them. Never inferred.
        encoder: "mlp" (NRI, Kipf et al. 2018) or "gcn" (the duet paper).
        decoder: "mlp" (NRI), "rnn" (NRI's GRU) or "graph_rnn" (the paper's GCN-LSTM).
        n_hidden: H, width of every hidden layer.
        n_edge_types: K >= 2; type 0 means "no string" when `skip_first_edge_type`.
        edge_prior: prior probability of each edge type, length K, sums to 1; None = uniform.
        skip_first_edge_type: edges of type 0 send no message in the decoder.
        symmetric: one latent variable per unordered pair; each (i, j) in `latent_edges` is
            scored from both directions (mean of the two logits) and carries messages both ways
            with the same sampled weights. Use with `bipartite_edges(a, b, directed=False)`.
        dropout: probability of the `nn.Dropout` modules (off in eval mode).
        tau: Gumbel-softmax temperature.
        hard: straight-through one-hot samples in training (soft samples otherwise).
        eval_edges: edge weights fed to the decoder in eval mode: "sample" (hard Gumbel samples,
            as NRI evaluates), "argmax" (one-hot of the most probable type, deterministic) or
            "probs" (the softmax posterior, deterministic).
        n_pred_steps: the decoder sees ground truth every n_pred_steps frames and its own
            predictions in between (NRI: 10), so copying the last frame is not enough.
        output_variance: variance of the reconstruction likelihood (NRI: 5e-5).
        likelihood: "gaussian" (NRI), "laplace" — the same variance, errors counted by size
            instead of squared (`losses.laplace_nll`) — or "cauchy" — by the logarithm of their
            size (`losses.cauchy_nll`, scale² = output_variance).
        kl_reduction: how the KL term is reduced over edges: "edge" averages it over the E
            latent edges (DESIGN.md §6); "node" sums it over edges and divides by N, as NRI's
            code does (E / N times heavier: 4× on 5 balls, N - 1 in general).
        bone_weight: weight of the bone-length loss (0 = off); needs known_edges.
        n_dims: D, positions are features [:D] of each node; None = F // 2 (position + velocity).
        velocity_ratio: how far (in position-feature units) a node moves in one frame per unit
            of its velocity features [D:2D]; > 0 makes every decoder predict a correction to
            constant velocity instead of the whole change (0: NRI's plain residual). Set from
            the data's normalisation (duets: velocity scale / position scale).
        readout: how the decoder's output becomes the next frame. "residual": x' = x + constant-
            velocity step + Δ, positions and velocities corrected separately. "kinematic" (needs
            velocity_ratio > 0 and backward-difference velocities): the decoder predicts the
            change of velocity a, v' = v + a, and the position follows from the new velocity,
            p' = p + velocity_ratio · v' — exactly how a backward difference relates them, so
            the prediction stays consistent and the heavily weighted velocity error drives the
            position too.
        train_decoder_frames: in training, the decoder predicts only the first this many frames
            of each sample (>= 2) while the encoder still sees all n_input_frames; 0: all frames.
            The decoder is most of a step's cost and the edge evidence comes from the encoder,
            so a shorter reconstruction buys more epochs per CPU-minute (bench/RESULTS.md).
            Evaluation always decodes every frame.
        pair_inputs: what the edge functions see of their two nodes. "concat": the two nodes'
            features side by side (NRI). "relative" (mlp encoder and mlp decoder): also the
            receiver's features minus the sender's and the distance between them
            (`relative_features`) — in the encoder over the whole window, through its own MLP
            into the first edge layer; in the decoder at every step, in the message input. A
            distance-dependent force such as Coulomb's is then a function of one input instead
            of one the MLP must build from two absolute positions.
    """

    n_nodes: int
    n_features: int
    n_input_frames: int
    latent_edges: tuple[tuple[int, int], ...]
    known_edges: tuple[tuple[int, int], ...] = ()
    encoder: str = "mlp"
    decoder: str = "mlp"
    n_hidden: int = 256
    n_edge_types: int = 2
    edge_prior: tuple[float, ...] | None = None
    skip_first_edge_type: bool = False
    symmetric: bool = False
    dropout: float = 0.0
    tau: float = 0.5
    hard: bool = True
    eval_edges: str = "sample"
    n_pred_steps: int = 10
    output_variance: float = 5e-5
    kl_reduction: str = "edge"
    bone_weight: float = 0.0
    n_dims: int | None = None
    velocity_ratio: float = 0.0
    readout: str = "residual"
    train_decoder_frames: int = 0
    pair_inputs: str = "concat"
    likelihood: str = "gaussian"

    def __post_init__(self) -> None:
        # Store plain Python types: numpy scalars become int/float, lists (from JSON or TOML)
        # become hashable tuples, so to_dict() holds only plain values.
        set_ = object.__setattr__
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                set_(self, f.name, int(value))
            elif isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
                set_(self, f.name, float(value))
        set_(self, "latent_edges", tuple((int(s), int(r)) for s, r in self.latent_edges))
        set_(self, "known_edges", tuple((int(a), int(b)) for a, b in self.known_edges))
        if self.edge_prior is not None:
            set_(self, "edge_prior", tuple(float(p) for p in self.edge_prior))
        self.validate()

    def validate(self) -> None:
        """Raise ValueError with one sentence naming the first bad field and the fix."""
        positive = {
            "n_nodes": self.n_nodes,
            "n_features": self.n_features,
            "n_input_frames": self.n_input_frames,
            "n_hidden": self.n_hidden,
            "n_pred_steps": self.n_pred_steps,
        }
        for name, value in positive.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ModelConfig.{name} must be a positive integer, got {value!r}")
        if self.encoder not in ENCODERS:
            raise ValueError(f"ModelConfig.encoder must be one of {ENCODERS}, got {self.encoder!r}")
        if self.decoder not in DECODERS:
            raise ValueError(f"ModelConfig.decoder must be one of {DECODERS}, got {self.decoder!r}")
        if self.eval_edges not in EVAL_EDGES:
            raise ValueError(
                f"ModelConfig.eval_edges must be one of {EVAL_EDGES}, got {self.eval_edges!r}"
            )
        if self.readout not in READOUTS:
            raise ValueError(f"ModelConfig.readout must be one of {READOUTS}, got {self.readout!r}")
        if self.readout == "kinematic" and not self.velocity_ratio > 0:
            raise ValueError(
                "ModelConfig.readout 'kinematic' needs velocity_ratio > 0 (position and velocity features)"
            )
        if self.pair_inputs not in PAIR_INPUTS:
            raise ValueError(
                f"ModelConfig.pair_inputs must be one of {PAIR_INPUTS}, got {self.pair_inputs!r}"
            )
        if self.pair_inputs == "relative" and (self.encoder, self.decoder) != ("mlp", "mlp"):
            raise ValueError(
                "ModelConfig.pair_inputs 'relative' is implemented for the mlp encoder and mlp "
                f"decoder, not {self.encoder!r} / {self.decoder!r}; use pair_inputs 'concat'"
            )
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(
                f"ModelConfig.likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}"
            )
        if self.kl_reduction not in KL_REDUCTIONS:
            raise ValueError(
                f"ModelConfig.kl_reduction must be one of {KL_REDUCTIONS}, got {self.kl_reduction!r}"
            )
        if not self.latent_edges:
            raise ValueError(
                "ModelConfig.latent_edges is empty; give at least one (sender, receiver) pair"
            )
        for name, edges in (("latent_edges", self.latent_edges), ("known_edges", self.known_edges)):
            for a, b in edges:
                if not (0 <= a < self.n_nodes and 0 <= b < self.n_nodes) or a == b:
                    raise ValueError(
                        f"ModelConfig.{name} holds ({a}, {b}); nodes must be distinct and in 0..{self.n_nodes - 1}"
                    )
        if len(set(self.latent_edges)) != len(self.latent_edges):
            raise ValueError("ModelConfig.latent_edges holds a pair twice; list each pair once")
        if self.symmetric:
            pairs = {frozenset(e) for e in self.latent_edges}
            if len(pairs) != len(self.latent_edges):
                raise ValueError(
                    "ModelConfig.latent_edges holds both (i, j) and (j, i) with symmetric=True; list each unordered pair once"
                )
        if self.n_edge_types < 2:
            raise ValueError(
                f"ModelConfig.n_edge_types must be at least 2, got {self.n_edge_types}"
            )
        if self.edge_prior is not None:
            prior = self.edge_prior
            if (
                len(prior) != self.n_edge_types
                or min(prior) <= 0
                or not math.isclose(sum(prior), 1.0, abs_tol=1e-6)
            ):
                raise ValueError(
                    f"ModelConfig.edge_prior {list(prior)} must hold {self.n_edge_types} positive numbers that sum to 1"
                )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"ModelConfig.dropout must be in [0, 1), got {self.dropout}")
        if self.tau <= 0 or self.output_variance <= 0:
            raise ValueError("ModelConfig.tau and ModelConfig.output_variance must be positive")
        if self.velocity_ratio < 0 or (self.velocity_ratio > 0 and self.n_features < 2 * self.dims):
            raise ValueError(
                "ModelConfig.velocity_ratio must be >= 0 and needs velocity features after the positions"
            )
        if self.train_decoder_frames != 0 and not 2 <= self.train_decoder_frames:
            raise ValueError(
                "ModelConfig.train_decoder_frames must be 0 (all frames) or at least 2, got "
                f"{self.train_decoder_frames}"
            )
        if self.bone_weight < 0:
            raise ValueError(f"ModelConfig.bone_weight must be >= 0, got {self.bone_weight}")
        if self.bone_weight > 0 and not self.known_edges:
            raise ValueError("ModelConfig.bone_weight > 0 needs known_edges (the skeleton bones)")
        if not 1 <= self.dims <= self.n_features:
            raise ValueError(
                f"ModelConfig.n_dims must be in 1..n_features={self.n_features}, got {self.dims}"
            )

    @property
    def dims(self) -> int:
        """D, the number of leading position features per node."""
        return self.n_dims if self.n_dims is not None else max(self.n_features // 2, 1)

    @property
    def n_latent_edges(self) -> int:
        """E, the number of inferred edge variables."""
        return len(self.latent_edges)

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, not tuples), so JSON and `torch.load(weights_only=True)` work."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["latent_edges"] = [list(e) for e in self.latent_edges]
        d["known_edges"] = [list(e) for e in self.known_edges]
        d["edge_prior"] = None if self.edge_prior is None else list(self.edge_prior)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Rebuild from `to_dict()` output. Unknown or missing keys raise ValueError, except
        fields added later (`ADDED_FIELDS`), which take their defaults."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown ModelConfig keys {unknown}; known keys: {sorted(names)}")
        missing = sorted(names - set(d) - ADDED_FIELDS)
        if missing:
            raise ValueError(
                f"ModelConfig keys missing: {missing}; a saved config lists every field"
            )
        return cls(**d)
