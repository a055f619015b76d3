"""Building blocks of the encoders and decoders: NRI's MLP block, a per-edge-type linear layer and
the graph-recurrent decoder's message read-out with a hand-written backward."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from duetgraph.model.graph import DancerPairs, gather_sum


def batch_norm_last(bn: nn.BatchNorm1d, x: Tensor) -> Tensor:
    """Apply a BatchNorm1d over the last dimension of (..., C): statistics over all leading dims."""
    return bn(x.reshape(-1, x.shape[-1])).reshape(x.shape)


def pair_linear(
    x: Tensor, weight: Tensor, send: Tensor, recv: Tensor, pairs: DancerPairs | None = None
) -> Tensor:
    """`node_to_edge(x, send, recv) @ weight.T`, computed at the nodes (no bias).

    The weight is split into its sender and receiver halves, both applied once per node, and
    the results are gathered to the edges (`pairs`: by broadcasting, see `DancerPairs`).

    Args:
        x: (..., N, C) node features.
        weight: (out, 2C), e.g. an `nn.Linear(2C, out)`'s weight.
        send, recv: (E,) sender and receiver of each edge.
        pairs: the edges' `DancerPairs` layout, if they have one (same result, faster).

    Returns:
        (..., E, out).
    """
    C = x.shape[-1]
    return gather_sum(F.linear(x, weight[:, :C]), F.linear(x, weight[:, C:]), send, recv, pairs)


class MLP(nn.Module):
    """NRI's encoder block: fc1 → ELU → Dropout → fc2 → ELU → BatchNorm.

    Args:
        n_in: input features.
        n_hidden: hidden features.
        n_out: output features.
        dropout: dropout probability after the first layer.
    """

    def __init__(self, n_in: int, n_hidden: int, n_out: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)
        self.dropout = nn.Dropout(dropout)
        self.bn = nn.BatchNorm1d(n_out)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for fc in (self.fc1, self.fc2):  # NRI's initialisation
            nn.init.xavier_normal_(fc.weight)
            nn.init.constant_(fc.bias, 0.1)
        self.bn.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """(..., n_in) → (..., n_out); batch statistics over all leading dimensions."""
        x = self.dropout(F.elu(self.fc1(x)))
        x = F.elu(self.fc2(x))
        return batch_norm_last(self.bn, x)


class TypedLinear(nn.Module):
    """One linear map per edge type, all types in one batched matmul.

    Outputs are types-first, (K', ..., out), so that the per-type matmuls run as one `baddbmm` on
    contiguous memory and the weighted sum over types reduces the leading dimension.

    Args:
        n_types: K', the number of edge types that send messages.
        in_features: input features per type.
        out_features: output features per type.
    """

    def __init__(self, n_types: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.n_types = n_types
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(n_types, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_types, 1, out_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.in_features)  # as nn.Linear, per type
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        """(..., in), one input shared by all types → (K', ..., out)."""
        flat = x.reshape(1, -1, self.in_features).expand(self.n_types, -1, -1)  # (K', M, in)
        out = torch.baddbmm(self.bias, flat, self.weight)  # (K', M, out)
        return out.view(self.n_types, *x.shape[:-1], self.out_features)

    def forward_pairs(
        self, x: Tensor, send: Tensor, recv: Tensor, pairs: DancerPairs | None = None
    ) -> Tensor:
        """Equal to `forward(node_to_edge(x, send, recv))`, computed at the nodes.

        The layer is split as W_s·x_send + W_r·x_recv + b: both halves are applied once per node
        and then gathered to the edges, which costs N instead of E rows of matmul.

        Args:
            x: (..., N, C) node features, in_features = 2C.
            send, recv: (E,) sender and receiver of each edge.
            pairs: the edges' `DancerPairs` layout, if they have one (same result, faster).

        Returns:
            (K', ..., E, out).
        """
        *lead, N, C = x.shape
        K, out = self.n_types, self.out_features
        # All types and both halves in one matmul, columns [type][sender half, receiver half]
        # (one mm instead of a bmm over an expanded input: 4-6 % faster K = 4 training steps).
        w = torch.cat([self.weight[:, :C], self.weight[:, C:]], dim=-1)  # (K', C, 2·out)
        w = w.permute(1, 0, 2).reshape(C, K * 2 * out)
        proj = (x.reshape(-1, C) @ w).view(-1, N, K, 2 * out)  # (M, N, K', 2·out)
        proj = proj.permute(2, 0, 1, 3)  # (K', M, N, 2·out), a view
        # The bias joins the sender half at the nodes (N rows per sample, not E): 4-11 % faster
        # training steps on the 6-joint duet model (bench/RESULTS.md).
        at_sender = (proj[..., :out] + self.bias.unsqueeze(1)).reshape(-1, N, out)  # (K'·M, N, out)
        at_receiver = proj[..., out:].reshape(-1, N, out)
        edges = gather_sum(at_sender, at_receiver, send, recv, pairs)
        return edges.view(K, *lead, len(send), out)

    def forward_typed(self, x: Tensor) -> Tensor:
        """(K', ..., in), one input per type → (K', ..., out)."""
        out = torch.baddbmm(self.bias, x.reshape(self.n_types, -1, self.in_features), self.weight)
        return out.view(*x.shape[:-1], self.out_features)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(n_types={self.n_types}, {self.in_features}, {self.out_features})"


class _NormEluWeightedSum(torch.autograd.Function):
    """Σ_k w_k · ELU(LayerNorm(P_k)) with fewer passes over the (K', M, H) messages than autograd.

    Autograd keeps the LayerNorm output, the ELU output and the weighted messages, and streams
    each of them again in the backward pass. Here the ELU is applied in place and its backward
    is taken from its output (ELU'(y) = z + 1 for y ≤ 0), the weighted sum accumulates type by
    type into one (M, H) tensor, and the backward needs only P, the LayerNorm statistics and Z.
    """

    @staticmethod
    def forward(ctx, P: Tensor, w: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
        H = P.shape[-1]
        Y, mean, rstd = torch.native_layer_norm(P, [H], gamma, beta, eps)
        Z = F.elu_(Y)  # Y is ours: no copy
        out = Z[0] * w[0].unsqueeze(-1)
        for k in range(1, Z.shape[0]):
            out.addcmul_(Z[k], w[k].unsqueeze(-1))
        ctx.save_for_backward(P, w, gamma, beta, mean, rstd, Z)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, ...]:
        P, w, gamma, beta, mean, rstd, Z = ctx.saved_tensors
        grad_w = torch.linalg.vecdot(Z, grad) if ctx.needs_input_grad[1] else None  # (K', M)
        grad_y = w.unsqueeze(-1) * grad  # (K', M, H), d loss / d Z, then in place d loss / d Y:
        torch.ops.aten.elu_backward.grad_input(grad_y, 1.0, 1.0, 1.0, True, Z, grad_input=grad_y)
        wanted = [ctx.needs_input_grad[i] for i in (0, 2, 3)]  # P, gamma, beta
        grad_p, grad_gamma, grad_beta = torch.ops.aten.native_layer_norm_backward(
            grad_y, P, [P.shape[-1]], mean, rstd, gamma, beta, wanted
        )
        return grad_p, grad_w, grad_gamma, grad_beta, None


def norm_elu_weighted_sum(messages: Tensor, weights: Tensor, norm: nn.LayerNorm) -> Tensor:
    """`(F.elu(norm(messages)) * weights.movedim(-1, 0).unsqueeze(-1)).sum(0)`, faster.

    Args:
        messages: (K', ..., H) one pre-activation message per sending type, types first.
        weights: (..., K') each message's edge-type weight.
        norm: a LayerNorm over H with affine weights.

    Returns:
        (..., H). Same values and gradients as the composition (tested). Under autocast (which
        chooses the precisions) and torch.compile (which fuses the composition itself) the
        composition is used.
    """
    composed = torch.compiler.is_compiling() or torch.is_autocast_enabled(messages.device.type)
    if composed or norm.weight is None:
        typed = weights.movedim(-1, 0).unsqueeze(-1)
        return (F.elu(norm(messages)) * typed).sum(dim=0)
    K, H = messages.shape[0], messages.shape[-1]
    lead = messages.shape[1:-1]
    P = messages.reshape(K, -1, H)
    w = weights.expand(*lead, K).reshape(-1, K).t().contiguous()  # (K', M)
    out = _NormEluWeightedSum.apply(P, w, norm.weight, norm.bias, norm.eps)
    return out.view(*lead, H)
