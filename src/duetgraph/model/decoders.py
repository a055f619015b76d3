"""Decoders: node trajectories + sampled edge weights → predictions of the next frames.

In every decoder the messages along edge (i, j) are computed once per edge type and **multiplied
by that edge's sampled weight for the type**, `edges[..., k]`, then summed over types. This keeps
the reconstruction loss differentiable in the encoder's logits (the reference implementation used
the samples as integer indices, and no gradient reached its encoder). With
`skip_first_edge_type`, type 0 ("no string") sends nothing.

Multi-step prediction: the decoder is fed ground truth at frames 0, k, 2k, ... (k =
`n_pred_steps`) and its own predictions in between. All decoders predict frames 1..T-1 as
residuals, x_{t+1} = x_t + Δ, or (readout "kinematic") the change of velocity, with the position
following from the new velocity (`next_frame`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from duetgraph.model.gcn import GCNConv
from duetgraph.model.graph import DancerPairs, edge_to_node, node_to_edge, relative_features
from duetgraph.model.layers import TypedLinear, norm_elu_weighted_sum

State = tuple[Tensor, ...]


def constant_velocity(x: Tensor, velocity_ratio: float, n_dims: int) -> Tensor:
    """The change constant velocity predicts for one frame: positions move by ratio × velocity.

    Args:
        x: (..., F) features whose first n_dims are positions and next n_dims velocities.
        velocity_ratio: position change per frame per unit of velocity feature (in feature
            units); 0 returns zeros, i.e. the decoder predicts the change itself.

    Returns:
        (..., F): ratio · v in the position slots, 0 elsewhere (velocities are held).
    """
    if velocity_ratio == 0.0:
        return torch.zeros_like(x)
    D = n_dims
    return F.pad(velocity_ratio * x[..., D : 2 * D], (0, x.shape[-1] - D))


def next_frame(x: Tensor, out: Tensor, velocity_ratio: float, n_dims: int, readout: str) -> Tensor:
    """The predicted next frame from the current one and the decoder's output.

    Args:
        x: (..., F) current features; positions [:D], velocities [D:2D].
        out: (..., F) the decoder's read-out.
        velocity_ratio, n_dims: see `constant_velocity`.
        readout: "residual": x + constant-velocity step + out. "kinematic": out[D:2D] is the
            change of velocity a; v' = v + a, p' = p + ratio · v' (a backward difference
            v' = p' − p, in feature units), other features held; out's other slots are unused.

    Returns:
        (..., F).
    """
    if readout == "residual":
        return x + constant_velocity(x, velocity_ratio, n_dims) + out
    D = n_dims
    velocity = x[..., D : 2 * D] + out[..., D : 2 * D]
    position = x[..., :D] + velocity_ratio * velocity
    return torch.cat([position, velocity, x[..., 2 * D :]], dim=-1)


def rollout(
    step: Callable[[Tensor, State], tuple[Tensor, State]],
    x: Tensor,
    n_pred_steps: int,
    state: State,
) -> Tensor:
    """Run a recurrent step over time with ground truth every n_pred_steps frames.

    Args:
        step: (input (B, N, F), state) → (prediction of the next frame (B, N, F), new state).
        x: (B, T, N, F) ground truth.
        n_pred_steps: k; frame t is fed as input when t % k == 0, else the last prediction.
        state: initial recurrent state.

    Returns:
        (B, T-1, N, F) predictions of frames 1..T-1.
    """
    preds: list[Tensor] = []
    for t in range(x.shape[1] - 1):
        inp = x[:, t] if t % n_pred_steps == 0 else preds[-1]
        pred, state = step(inp, state)
        preds.append(pred)
    return torch.stack(preds, dim=1)


def weighted_messages(messages: Tensor, edges: Tensor, skip_first: bool) -> Tensor:
    """Sum over types of messages × sampled edge weights.

    Args:
        messages: (K', ..., E, H) one message per sending type (K' = K - 1 when skip_first),
            types first as `TypedLinear` returns them.
        edges: (..., E, K) sampled edge-type weights (one-hot or soft), broadcastable.

    Returns:
        (..., E, H).
    """
    weights = edges[..., 1:] if skip_first else edges  # (..., E, K')
    if messages.shape[0] == 1:  # one sending type (K = 2 with skip_first): no sum to take
        return messages[0] * weights  # (..., E, H) · (..., E, 1)
    return (messages * weights.movedim(-1, 0).unsqueeze(-1)).sum(dim=0)  # (K', ..., E, 1)


class MLPDecoder(nn.Module):
    """NRI's MLP decoder: a Markovian one-step predictor, unrolled k steps from ground truth.

    msg = ReLU(fc2_k(Dropout(ReLU(fc1_k(cat[x_i, x_j]))))) per type k, weighted by edges and summed
    per receiver; Δ = fc3(Dropout(ReLU(fc2(Dropout(ReLU(fc1(cat[x, msgs]))))))); x' = x + Δ.
    With `relative`, fc1_k sees cat[x_i, x_j, x_j − x_i, |pos_j − pos_i|] (`relative_features`).

    Args:
        n_features: F.
        n_hidden: H of the messages and the output MLP.
        n_edge_types: K.
        skip_first_edge_type: type 0 sends no message.
        dropout: dropout probability.
        velocity_ratio, n_dims: > 0 predicts relative to constant velocity (`constant_velocity`).
        readout: "residual" or "kinematic", see `next_frame`.
        relative: messages also see the receiver relative to the sender (needs n_dims).
    """

    def __init__(
        self,
        n_features: int,
        n_hidden: int,
        n_edge_types: int,
        skip_first_edge_type: bool = False,
        dropout: float = 0.0,
        velocity_ratio: float = 0.0,
        n_dims: int = 0,
        readout: str = "residual",
        relative: bool = False,
    ) -> None:
        super().__init__()
        self.velocity_ratio = float(velocity_ratio)  # > 0: predict a correction to const. velocity
        self.n_dims = n_dims
        self.readout = readout  # see `next_frame`
        self.skip_first = skip_first_edge_type
        self.relative = relative
        n_types = n_edge_types - int(skip_first_edge_type)
        n_msg_in = (3 * n_features + 1) if relative else 2 * n_features
        self.msg_fc1 = TypedLinear(n_types, n_msg_in, n_hidden)
        self.msg_fc2 = TypedLinear(n_types, n_hidden, n_hidden)
        self.out_fc1 = nn.Linear(n_features + n_hidden, n_hidden)
        self.out_fc2 = nn.Linear(n_hidden, n_hidden)
        self.out_fc3 = nn.Linear(n_hidden, n_features)
        self.dropout = nn.Dropout(dropout)

    def step(self, x: Tensor, edges: Tensor, send: Tensor, recv: Tensor) -> Tensor:
        """One step. x (..., N, F), edges (..., E, K) broadcastable → prediction (..., N, F)."""
        pair = node_to_edge(x, send, recv)  # (..., E, 2F)
        if self.relative:
            pair = torch.cat([pair, relative_features(x, send, recv, self.n_dims)], dim=-1)
        m = self.dropout(F.relu(self.msg_fc1(pair)))  # (K', ..., E, H)
        m = F.relu(self.msg_fc2.forward_typed(m))  # (K', ..., E, H)
        agg = edge_to_node(weighted_messages(m, edges, self.skip_first), recv, x.shape[-2])
        h = self.dropout(F.relu(self.out_fc1(torch.cat([x, agg], dim=-1))))  # (..., N, H)
        h = self.dropout(F.relu(self.out_fc2(h)))
        return next_frame(x, self.out_fc3(h), self.velocity_ratio, self.n_dims, self.readout)

    def forward(
        self, x: Tensor, edges: Tensor, send: Tensor, recv: Tensor, n_pred_steps: int
    ) -> Tensor:
        """
        Args:
            x: (B, T, N, F) ground truth, T >= 2.
            edges: (B, E, K) edge-type weights.
            send, recv: (E,) message edges.
            n_pred_steps: k.

        Returns:
            (B, T-1, N, F) predictions of frames 1..T-1.
        """
        B, T, N, F_ = x.shape
        k = min(n_pred_steps, T - 1)
        last = x[:, ::k]  # (B, S, N, F), ground truth at frames 0, k, 2k, ...; S = ceil(T / k)
        edges = edges.unsqueeze(1)  # (B, 1, E, K), the same graph at every start frame
        preds = []
        for _ in range(k):  # all S start frames advance together
            last = self.step(last, edges, send, recv)
            preds.append(last)
        out = torch.stack(preds, dim=2)  # (B, S, k, N, F); [:, j, s] predicts frame j·k + s + 1
        return out.reshape(B, -1, N, F_)[:, : T - 1]


class RNNDecoder(nn.Module):
    """NRI's recurrent decoder: a GRU whose hidden input is the sum of typed messages.

    msg = tanh(fc2_k(Dropout(tanh(fc1_k(cat[h_i, h_j]))))) per type, weighted by edges, summed over
    types and divided by their number, averaged per receiver (NRI divides by a constant instead);
    GRU update from (x_t, msgs); Δ = MLP(h); x_{t+1} = x_t + Δ.

    Args: as `MLPDecoder`.
    """

    def __init__(
        self,
        n_features: int,
        n_hidden: int,
        n_edge_types: int,
        skip_first_edge_type: bool = False,
        dropout: float = 0.0,
        velocity_ratio: float = 0.0,
        n_dims: int = 0,
        readout: str = "residual",
    ) -> None:
        super().__init__()
        self.velocity_ratio = float(velocity_ratio)  # > 0: predict a correction to const. velocity
        self.n_dims = n_dims
        self.readout = readout  # see `next_frame`
        self.skip_first = skip_first_edge_type
        self.n_hidden = n_hidden
        self.n_types = n_edge_types - int(skip_first_edge_type)
        self.msg_fc1 = TypedLinear(self.n_types, 2 * n_hidden, n_hidden)
        self.msg_fc2 = TypedLinear(self.n_types, n_hidden, n_hidden)
        self.input_gates = nn.Linear(n_features, 3 * n_hidden)  # r, i, n from x_t
        self.hidden_gates = nn.Linear(n_hidden, 3 * n_hidden, bias=False)  # r, i, n from msgs
        self.out_fc1 = nn.Linear(n_hidden, n_hidden)
        self.out_fc2 = nn.Linear(n_hidden, n_hidden)
        self.out_fc3 = nn.Linear(n_hidden, n_features)
        self.dropout = nn.Dropout(dropout)

    def step(
        self,
        x: Tensor,
        hidden: Tensor,
        edges: Tensor,
        send: Tensor,
        recv: Tensor,
        pairs: DancerPairs | None = None,
    ) -> tuple[Tensor, Tensor]:
        """x (B, N, F), hidden (B, N, H), edges (B, E, K) → (prediction (B, N, F), hidden).
        `pairs`: the edges' dense layout, if they have one (same result, faster)."""
        m = torch.tanh(self.msg_fc1.forward_pairs(hidden, send, recv, pairs))  # (K', B, E, H)
        m = torch.tanh(self.msg_fc2.forward_typed(self.dropout(m)))
        m = weighted_messages(m, edges, self.skip_first) / self.n_types  # (B, E, H)
        agg = edge_to_node(m, recv, x.shape[-2], reduce="mean", pairs=pairs)  # (B, N, H)
        xr, xi, xn = self.input_gates(x).chunk(3, dim=-1)
        hr, hi, hn = self.hidden_gates(agg).chunk(3, dim=-1)
        r, i = torch.sigmoid(xr + hr), torch.sigmoid(xi + hi)
        n = torch.tanh(xn + r * hn)
        hidden = (1 - i) * n + i * hidden
        h = self.dropout(F.relu(self.out_fc1(hidden)))
        h = self.dropout(F.relu(self.out_fc2(h)))
        out = self.out_fc3(h)
        return next_frame(x, out, self.velocity_ratio, self.n_dims, self.readout), hidden

    def forward(
        self,
        x: Tensor,
        edges: Tensor,
        send: Tensor,
        recv: Tensor,
        n_pred_steps: int,
        pairs: DancerPairs | None = None,
    ) -> Tensor:
        """Args and returns as `MLPDecoder.forward`; `pairs` as in `step`."""
        B, T, N, F_ = x.shape
        h0 = x.new_zeros(B, N, self.n_hidden)

        def step(inp: Tensor, state: State) -> tuple[Tensor, State]:
            pred, hidden = self.step(inp, state[0], edges, send, recv, pairs)
            return pred, (hidden,)

        return rollout(step, x, n_pred_steps, (h0,))


class GraphRNNDecoder(nn.Module):
    """The duet paper's graph-recurrent decoder: a GCN-LSTM cell along the skeleton, typed messages
    between nodes along the latent edges, and a GCN read-out.

    Per step: gates = GCN(cat[x_t, h]) → i, f, o, g; c = σ(f)·c + σ(i)·tanh(g); h = σ(o)·tanh(c).
    msg = Dropout(ELU(LayerNorm(Linear_k(cat[h_i, h_j])))) per type (2H → H), weighted by edges,
    summed over types, averaged per receiver; Δ = Linear(Dropout(ELU(GCN(cat[h, msgs])))) (2H → H
    → F); x_{t+1} = x_t + Δ. The read-out sees the node's own state next to the messages, so a node
    with no incoming string is still predicted.

    The paper normalises the messages with BatchNorm. Inside a recurrence that is wrong at
    evaluation time: training normalises each step with that step's batch statistics, evaluation
    with running averages pooled over all steps (whose hidden states differ a lot: h starts at 0).
    Measured on a planted-string duet: one-step MSE 1.7 in eval mode against 0.08 with batch
    statistics. LayerNorm (per message, no running statistics) behaves the same in both modes.

    Args: as `MLPDecoder`. The GCN layers take the adjacency in `forward`.
    """

    def __init__(
        self,
        n_features: int,
        n_hidden: int,
        n_edge_types: int,
        skip_first_edge_type: bool = False,
        dropout: float = 0.0,
        velocity_ratio: float = 0.0,
        n_dims: int = 0,
        readout: str = "residual",
    ) -> None:
        super().__init__()
        self.velocity_ratio = float(velocity_ratio)  # > 0: predict a correction to const. velocity
        self.n_dims = n_dims
        self.readout = readout  # see `next_frame`
        self.skip_first = skip_first_edge_type
        self.n_hidden = n_hidden
        n_types = n_edge_types - int(skip_first_edge_type)
        self.gates = GCNConv(n_features + n_hidden, 4 * n_hidden)
        self.msg_fc = TypedLinear(n_types, 2 * n_hidden, n_hidden)
        self.msg_norm = nn.LayerNorm(n_hidden)  # per message; the same in training and eval
        self.out_gcn = GCNConv(2 * n_hidden, n_hidden)
        self.out_fc = nn.Linear(n_hidden, n_features)
        self.dropout = nn.Dropout(dropout)
        # The message read-out with its hand-written backward (`norm_elu_weighted_sum`); False
        # takes autograd's composition of the same operations (benchmarks compare the two).
        self.fused_readout = True

    def step(
        self,
        x: Tensor,
        state: State,
        edges: Tensor,
        send: Tensor,
        recv: Tensor,
        adj: Tensor,
        pairs: DancerPairs | None = None,
    ) -> tuple[Tensor, State]:
        """x (B, N, F), state (h, c) each (B, N, H), edges (B, E, K), adj (N, N) →
        (prediction (B, N, F), (h, c)). `pairs`: the edges' dense layout, if they have one."""
        h, c = state
        i, f, o, g = self.gates(torch.cat([x, h], dim=-1), adj).chunk(4, dim=-1)  # 4 × (B, N, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        m = self.msg_fc.forward_pairs(h, send, recv, pairs)  # (K', B, E, H), = msg_fc(node_to_edge)
        # Decided by p, not by training mode: sharded runs probe the dropout calls in eval mode
        # and must then meet the same calls in training (distributed.probe_dropout_sites).
        if self.dropout.p > 0 or not self.fused_readout:
            m = weighted_messages(self.dropout(F.elu(self.msg_norm(m))), edges, self.skip_first)
        else:  # the same in fewer passes over the messages
            weights = edges[..., 1:] if self.skip_first else edges
            m = norm_elu_weighted_sum(m, weights, self.msg_norm)  # (B, E, H)
        agg = edge_to_node(m, recv, x.shape[-2], reduce="mean", pairs=pairs)
        out = self.dropout(F.elu(self.out_gcn(torch.cat([h, agg], dim=-1), adj)))  # (B, N, H)
        pred = next_frame(x, self.out_fc(out), self.velocity_ratio, self.n_dims, self.readout)
        return pred, (h, c)

    def forward(
        self,
        x: Tensor,
        edges: Tensor,
        send: Tensor,
        recv: Tensor,
        adj: Tensor,
        n_pred_steps: int,
        pairs: DancerPairs | None = None,
    ) -> Tensor:
        """As `MLPDecoder.forward`, plus adj (N, N), the normalised adjacency of the known edges,
        and `pairs` as in `step`."""
        B, T, N, F_ = x.shape
        zeros = x.new_zeros(B, N, self.n_hidden)

        def step(inp: Tensor, state: State) -> tuple[Tensor, State]:
            return self.step(inp, state, edges, send, recv, adj, pairs)

        return rollout(step, x, n_pred_steps, (zeros, zeros))
