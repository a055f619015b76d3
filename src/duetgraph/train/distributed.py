"""Data-parallel training over several processes: torch.distributed and DDP.

Launch with `torchrun` (a few processes per machine on CPU, one per GPU; one or many machines);
`init_distributed` reads the RANK, WORLD_SIZE and LOCAL_RANK that torchrun sets and joins the
process group: gloo on CPU, NCCL on GPU (each process takes `cuda:LOCAL_RANK`).

The batch rule: `train.batch_size` is the **global** batch. Every rank draws the same shuffled
order from the same seeded generator, cuts the same global batches, and takes its own contiguous
slice of each (`DistContext.shard`): rows [r·B/W, (r+1)·B/W). Each rank's loss (a per-sample
mean) is scaled by b_r·W/B, so DDP's average of the gradients is the gradient of the mean over
the whole global batch. The learning rate therefore needs no rule: a run gives the same model
with 1, 2 or 8 processes (up to float rounding). To train with a larger batch, raise
`batch_size` (and, as a starting point for Adam, the learning rate by √ of the factor).

Randomness is made identical to a one-process run, so that the match is tight:

- Gumbel noise: `shard_forward` pads the rank's logits to the global batch, draws the noise of
  the whole global batch from the (identically seeded) generator on every rank, and keeps its
  own rows — exactly the noise a one-process run draws for those samples.
- Dropout: `ShardDropout` draws the mask of the whole global batch from torch's global generator
  (seeded alike on every rank) in the memory layout a one-process run would use, and keeps the
  rank's slice. Where the batch dimension of each dropout call lies is found once by
  `probe_dropout_sites` (a forward with batches of 1 and 2 samples).
- Batch normalisation: `GlobalBatchNorm` pools its statistics over all ranks (two all-reduces,
  differentiable), so it normalises over the global batch like one process would (torch's own
  SyncBatchNorm runs on GPUs only).

A global batch with fewer samples than processes (only ever the last of an epoch) is skipped.
On CPU the match with a one-process run is within float rounding (~1e-6 after a few steps); on
GPU the fused dropout kernel of a one-process run draws its masks differently, so dropout there
is equivalent in distribution, not bit for bit.
"""

from __future__ import annotations

import inspect
import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from duetgraph.errors import InputError
from duetgraph.model.nri import NRIOutput

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a data-parallel run.

    Args:
        rank: 0 … world_size − 1; rank 0 writes checkpoints, metrics and logs.
        world_size: number of processes, W (1: not distributed).
        local_rank: rank on this machine (selects the GPU).
        backend: "gloo", "nccl", or "" when not distributed.
        owns_group: `init_distributed` created the process group, so `shutdown` ends it (a
            group the caller made stays open for the caller).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""
    owns_group: bool = False

    @property
    def active(self) -> bool:
        """True when more than one process takes part."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, n: int) -> tuple[int, int]:
        """This rank's rows [lo, hi) of a global batch of `n` samples."""
        return self.rank * n // self.world_size, (self.rank + 1) * n // self.world_size

    def device(self, requested: str) -> torch.device:
        """The device of this process: `cuda:LOCAL_RANK` for a distributed CUDA run."""
        device = torch.device(requested)
        if device.type == "cuda" and self.active:
            return torch.device("cuda", self.local_rank)
        return device


SINGLE = DistContext()


def env_world_size() -> int:
    """WORLD_SIZE set by torchrun, 1 without it."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise InputError(
            f"WORLD_SIZE={os.environ['WORLD_SIZE']!r} is not a number; launch with torchrun."
        ) from None


def init_distributed(device: str = "cpu", timeout_min: float = 30.0) -> DistContext:
    """Join the process group torchrun describes (env RANK, WORLD_SIZE, LOCAL_RANK).

    Returns `SINGLE` when WORLD_SIZE is absent or 1. The backend is NCCL for a CUDA `device`
    and gloo otherwise; a CUDA process takes `cuda:LOCAL_RANK`.
    """
    world = env_world_size()
    if world <= 1:
        return SINGLE
    if not dist.is_available():
        raise InputError("this torch build has no torch.distributed; run one process.")
    missing = [
        k for k in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ
    ]
    if missing:
        raise InputError(
            f"WORLD_SIZE={world} but {', '.join(missing)} not set; launch with torchrun."
        )
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    cuda = torch.device(device).type == "cuda"
    if cuda:
        if torch.cuda.device_count() <= local_rank:
            raise InputError(
                f"process {rank} wants cuda:{local_rank} but this machine has "
                f"{torch.cuda.device_count()} GPU(s); start at most that many processes per node."
            )
        torch.cuda.set_device(local_rank)
    if dist.is_initialized():  # made by the caller (a script around several runs)
        backend = str(dist.get_backend())
        return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, backend, False)
    backend = "nccl" if cuda else "gloo"
    dist.init_process_group(backend, timeout=timedelta(minutes=timeout_min))
    return DistContext(rank, world, local_rank, backend, True)


def shutdown(ctx: DistContext, meet: bool = True) -> None:
    """Leave the process group if `init_distributed` made it (no-op otherwise).

    With `meet` all ranks wait for each other first. Without it the two-process test
    (tests/train/test_distributed.py) had a rank abort under gloo ("terminate called without an
    active exception") in 5 of 37 launches, with it 0 of 22 on an idle machine; on a loaded
    machine a rank still aborts now and then (2 of 24) at interpreter exit, after both ranks have
    left the group and the run is written — cause not found. After an error on this rank pass
    meet=False: the others may never arrive.
    """
    if ctx.owns_group and dist.is_initialized():
        if meet:
            dist.barrier()
        dist.destroy_process_group()


# ---------------------------------------------------------------------- collectives
def broadcast_from_main(ctx: DistContext, obj: T) -> T:
    """Rank 0's `obj` on every rank (pickled; for small objects and checkpoints)."""
    if not ctx.active:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def run_on_main(ctx: DistContext, fn: Callable[[], T]) -> T:
    """Run `fn` on rank 0 only; every rank returns its result or raises its exception.

    For file-system work (checking and creating the run folder, reading a checkpoint) that must
    happen once, with every rank learning how it went instead of waiting forever.
    """
    if not ctx.active:
        return fn()
    result, error = None, None
    if ctx.is_main:
        try:
            result = fn()
        except Exception as exc:  # sent to every rank, raised there and here
            error = exc
            try:
                pickle.dumps(exc)
            except Exception:
                error = RuntimeError(f"{type(exc).__name__}: {exc}")
    result, error = broadcast_from_main(ctx, (result, error))
    if error is not None:
        raise error
    return result  # type: ignore[return-value]


def all_sum(ctx: DistContext, values: Tensor) -> Tensor:
    """Element-wise sum of `values` over ranks (a copy; `values` is left alone)."""
    if not ctx.active:
        return values.clone()
    device = torch.device("cuda", ctx.local_rank) if ctx.backend == "nccl" else "cpu"
    out = values.to(device, copy=True)
    dist.all_reduce(out)
    return out.to(values.device)


def any_rank(ctx: DistContext, flag: bool) -> bool:
    """True on every rank if `flag` is True on any (e.g. one rank ran out of time)."""
    if not ctx.active:
        return flag
    return bool(all_sum(ctx, torch.tensor([float(flag)])).item() > 0)


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks whose gradient is the sum of the ranks' gradients."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        out = x.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        out = grad.clone()
        dist.all_reduce(out)
        return out


# ---------------------------------------------------------------------- layers
class GlobalBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d whose training statistics pool the rows of every rank (global batch).

    Input (M, C). In eval mode, or with one process, it is plain BatchNorm1d. Parameters and
    buffers are BatchNorm1d's, so state dicts are interchangeable.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized()):
            return super().forward(x)
        if dist.get_world_size() == 1:
            return super().forward(x)
        m = x.new_tensor([float(x.shape[0])])
        count_sum = _AllReduceSum.apply(torch.cat([m, x.sum(0)]))  # (1 + C,)
        n = count_sum[0].detach()
        mean = count_sum[1:] / n  # (C,)
        var = _AllReduceSum.apply(torch.square(x - mean).sum(0)) / n  # biased, as in training
        out = (x - mean) * torch.rsqrt(var + self.eps)
        if self.affine:
            out = out * self.weight + self.bias
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = (
                    1.0 / float(self.num_batches_tracked)
                    if self.momentum is None
                    else self.momentum
                )
                unbiased = var.detach() * (n / (n - 1).clamp_min(1))
                self.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
                self.running_var.mul_(1 - factor).add_(unbiased, alpha=factor)
        return out


@dataclass
class ShardPlan:
    """The global batch a rank's forward belongs to, shared by its `ShardDropout` layers.

    Args:
        sites: per dropout call of one forward, in order, (batch dim, rows per sample) of its
            input; None where the probe could not tell (that call then draws a local mask).
        global_batch: B of the current step; 0 when no sharded step runs.
        lo: first row of this rank's slice.
        call: index of the next dropout call in this forward.
    """

    sites: list[tuple[int, int] | None] = field(default_factory=list)
    global_batch: int = 0
    lo: int = 0
    call: int = 0

    def begin(self, lo: int, global_batch: int) -> None:
        self.lo, self.global_batch, self.call = lo, global_batch, 0

    def end(self) -> None:
        self.global_batch = 0


class ShardDropout(nn.Dropout):
    """Dropout that keeps the rank's slice of the global batch's mask (see the module docstring)."""

    def __init__(self, p: float, plan: ShardPlan) -> None:
        super().__init__(p)
        self.plan = plan

    def forward(self, x: Tensor) -> Tensor:
        plan = self.plan
        if not self.training or plan.global_batch == 0:
            return super().forward(x)
        site = plan.sites[plan.call] if plan.call < len(plan.sites) else None
        plan.call += 1
        if self.p == 0 or site is None:
            return super().forward(x)
        dim, per_sample = site
        shape = list(x.shape)
        shape[dim] = plan.global_batch * per_sample
        # As ATen's CPU dropout: a Bernoulli(1 − p) mask laid out like the input, / (1 − p).
        noise = _empty_in_layout_of(x, shape).bernoulli_(1 - self.p)
        noise.div_(1 - self.p)
        return x * noise.narrow(dim, plan.lo * per_sample, x.shape[dim])

    def extra_repr(self) -> str:
        return f"p={self.p}, sharded"


def _empty_in_layout_of(x: Tensor, shape: list[int]) -> Tensor:
    """An empty tensor of `shape` whose dimensions lie in memory in the order of x's."""
    order = sorted(range(x.dim()), key=lambda d: (-x.stride(d), -x.shape[d]))  # outer → inner
    t = torch.empty([shape[d] for d in order], dtype=x.dtype, device=x.device)
    return t.permute([order.index(d) for d in range(x.dim())])


@torch.no_grad()
def probe_dropout_sites(model: nn.Module, x: Tensor) -> list[tuple[int, int] | None]:
    """(batch dim, rows per sample) of the input of each dropout call in one forward.

    Runs the model in eval mode on 1 and on 2 copies of `x[:1]` (no parameter or buffer
    changes, no draws from the global generator) and compares the shapes each nn.Dropout sees.

    Args:
        model: an `NRIModel`-like module.
        x: (B, T, N, F), B >= 1, a training input.
    """
    shapes: list[list[torch.Size]] = [[], []]
    current: list[list[torch.Size]] = []

    def hook(_module: nn.Module, args: tuple[Tensor, ...]) -> None:
        current[-1].append(args[0].shape)

    handles = [
        m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, nn.Dropout)
    ]
    was_training = model.training
    model.eval()
    try:
        for i, b in enumerate((1, 2)):
            current.append(shapes[i])
            generator = torch.Generator(device=x.device).manual_seed(0)
            model(x[:1].expand(b, *x.shape[1:]).contiguous(), generator=generator)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    sites: list[tuple[int, int] | None] = []
    for one, two in zip(*shapes, strict=True):
        diff = [d for d in range(len(one)) if one[d] != two[d]]
        if len(one) != len(two) or len(diff) != 1 or two[diff[0]] != 2 * one[diff[0]]:
            sites.append(None)
        else:
            sites.append((diff[0], int(one[diff[0]])))
    if len(shapes[0]) != len(shapes[1]) or None in sites:
        log.warning("could not place some dropout calls in the batch; their masks are per rank")
    return sites


def convert_for_sharding(model: nn.Module, plan: ShardPlan) -> nn.Module:
    """Swap every BatchNorm1d for `GlobalBatchNorm` and nn.Dropout for `ShardDropout`, in place.

    Parameters and buffers are moved over as they are (same objects, same order), so the
    optimiser and the state dict see the model unchanged.
    """
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.BatchNorm1d:
                new = GlobalBatchNorm(
                    child.num_features,
                    child.eps,
                    child.momentum,
                    child.affine,
                    child.track_running_stats,
                )
                new._parameters = child._parameters
                new._buffers = child._buffers
                new.train(child.training)
                setattr(parent, name, new)
            elif type(child) is nn.Dropout:
                new = ShardDropout(child.p, plan)
                new.train(child.training)
                setattr(parent, name, new)
    return model


# ---------------------------------------------------------------------- forward
def shard_forward(
    model: nn.Module,
    x: Tensor,
    lo: int,
    global_batch: int,
    generator: torch.Generator | None,
) -> NRIOutput:
    """`model(x, generator=generator)` for rows [lo, lo + b) of a global batch of B samples.

    The Gumbel noise is drawn for the whole global batch and sliced, so each sample gets the
    noise a one-process run gives it (see the module docstring).

    Args:
        model: an `NRIModel` (encode, sample_edges, decode).
        x: (b, T, N, F) this rank's samples.
        lo: their first row in the global batch.
        global_batch: B.
        generator: Gumbel generator, seeded alike on every rank.

    Returns:
        NRIOutput of the b samples.
    """
    b = x.shape[0]
    logits = model.encode(x)  # (b, E, K)
    if b == global_batch:
        edges = model.sample_edges(logits, None, generator)
    else:
        rest = logits.shape[1:]
        padded = torch.cat(
            [
                logits.new_zeros((lo, *rest)),
                logits,
                logits.new_zeros((global_batch - lo - b, *rest)),
            ]
        )  # (B, E, K); only this rank's rows carry gradient
        edges = model.sample_edges(padded, None, generator)[lo : lo + b]
    prediction = model.decode(x, edges)
    return NRIOutput(logits, F.softmax(logits, dim=-1), edges, prediction)


class ShardStep(nn.Module):
    """The module DDP wraps: `forward(x, lo, global_batch, generator)` = `shard_forward`."""

    def __init__(self, model: nn.Module, plan: ShardPlan) -> None:
        super().__init__()
        self.model = model
        self.plan = plan

    def forward(
        self, x: Tensor, lo: int, global_batch: int, generator: torch.Generator | None
    ) -> NRIOutput:
        self.plan.begin(lo, global_batch)
        try:
            return shard_forward(self.model, x, lo, global_batch, generator)
        finally:
            self.plan.end()


@dataclass
class Sharded:
    """A model prepared for data-parallel training: the DDP-wrapped step and its context."""

    ctx: DistContext
    step: nn.Module  # DDP(ShardStep(model)), called as step(x, lo, B, generator)
    model: nn.Module  # the plain model inside (its state dict is a one-process model's)
    plan: ShardPlan
    info: dict[str, Any] = field(default_factory=dict)


def shard_model(
    model: nn.Module, ctx: DistContext, example: Tensor, device: torch.device
) -> Sharded:
    """Convert `model` in place for data-parallel training and wrap it in DDP.

    Call after building the model and before creating the optimiser.

    Args:
        model: an `NRIModel` on `device`.
        ctx: the distributed context (active).
        example: (B, T, N, F) training inputs (for `probe_dropout_sites`).
        device: this rank's device.
    """
    from torch.nn.parallel import DistributedDataParallel

    plan = ShardPlan(sites=probe_dropout_sites(model, example.to(device)))
    convert_for_sharding(model, plan)
    step = ShardStep(model, plan)
    # GlobalBatchNorm keeps the running statistics equal on every rank: no buffer broadcast
    # before each forward (the keyword was renamed in torch 2.13).
    params = inspect.signature(DistributedDataParallel.__init__).parameters
    no_sync = "forward_sync_buffers" if "forward_sync_buffers" in params else "broadcast_buffers"
    ddp = DistributedDataParallel(
        step, device_ids=[device.index] if device.type == "cuda" else None, **{no_sync: False}
    )
    return Sharded(ctx=ctx, step=ddp, model=model, plan=plan)
