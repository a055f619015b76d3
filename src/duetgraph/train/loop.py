"""The training loop: Adam, step learning-rate decay, β annealing, validation, checkpoints.

`fit` trains any model with the `NRIModel` interface (`forward(x, generator)` → output with
`logits`; `loss(out, x, beta)` → dict with "nll", "kl", "total") on samples `(S, T, N, F)`. It is
deterministic for a given seed on CPU: shuffling and Gumbel noise come from explicit
`torch.Generator`s, and dropout draws from torch's global generator inside a `fork_rng` block
seeded from the run seed, so the caller's global random state is left untouched. All three
generator states are saved in every checkpoint, and a resumed run continues exactly where the
interrupted one stopped.

Per epoch it writes `best.pt` (when validation improves), then `last.pt`, then `metrics.csv`
(order chosen so that a crash at any point leaves a consistent folder). With a time limit the run
may stop mid-epoch: that partial epoch is validated and may become `best.pt`, but `last.pt` stays
at the last complete epoch.

Data-parallel runs (`dist`, launched with torchrun; see `duetgraph.train.distributed`) keep
`batch_size` as the global batch, give every rank its slice of it, and reproduce a one-process
run within float rounding; only rank 0 writes files and logs. `RuntimeOptions` turn on bf16
autocast and torch.compile (both off by default; see bench/bench_ddp.py for what they give).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm import tqdm

from duetgraph.atomic import write_text_atomic
from duetgraph.cores import idle_threads
from duetgraph.errors import InputError
from duetgraph.model.config import ModelConfig
from duetgraph.model.nri import NRIModel
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import load_checkpoint, save_checkpoint
from duetgraph.train.config import RunConfig
from duetgraph.train.distributed import (
    SINGLE,
    DistContext,
    Sharded,
    all_sum,
    any_rank,
    run_on_main,
    shard_forward,
    shard_model,
)
from duetgraph.train.metrics import best_permutation_accuracy
from duetgraph.train.runtime import PRECISIONS, RuntimeOptions, compile_model

__all__ = ["PRECISIONS", "FitResult", "RuntimeOptions", "Samples", "compile_model", "fit"]

log = logging.getLogger(__name__)

HISTORY_COLUMNS = (
    "epoch",
    "partial",
    "lr",
    "beta",
    "train_loss",
    "train_nll",
    "train_kl",
    "train_acc",
    "valid_loss",
    "valid_nll",
    "valid_kl",
    "valid_acc",
    "valid_acc_perm",
    "samples",
    "epoch_s",
    "cpu_s",
    "elapsed_s",
    "cpu_total_s",
)


@dataclass(frozen=True)
class Samples:
    """Training data: `features (S, T, N, F)` float32; `edge_labels (S, E)` int64 true types of
    the model's latent edges, or None where the truth is unknown (dance)."""

    features: Tensor
    edge_labels: Tensor | None = None


@dataclass(frozen=True)
class FitResult:
    run_dir: Path
    epochs_done: int  # complete epochs in last.pt
    best_epoch: int  # 1-based epoch of best.pt (a partial epoch counts as the next one)
    best_value: float
    select_on: str
    stopped: str  # "completed" or "time_limit"
    history: list[dict[str, float]]


def _batches(n: int, batch_size: int, generator: torch.Generator | None) -> Iterator[Tensor]:
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    yield from order.split(batch_size)


@torch.no_grad()
def validate(
    model: nn.Module,
    data: Samples,
    *,
    n_input_frames: int,
    batch_size: int,
    device: torch.device,
    seed: int,
    ctx: DistContext = SINGLE,
    runtime: RuntimeOptions | None = None,
) -> dict[str, float]:
    """Mean nll, kl and loss (β = 1) over `data` in eval mode, plus edge accuracy if labelled.

    The Gumbel noise comes from a fresh generator seeded with `seed`, so the same model gives
    the same numbers. Means are per sample (each batch weighted by its size). With an active
    `ctx` each rank scores its slice of every batch and the sums are pooled over ranks.
    """
    model.eval()
    runtime = runtime or RuntimeOptions()
    generator = torch.Generator(device=device).manual_seed(seed)
    labels = data.edge_labels
    sums = {"nll": 0.0, "kl": 0.0, "loss": 0.0}
    preds = []
    n_types = 0
    n = data.features.shape[0]
    pred_rows = None  # (n, E) int64 predictions, filled per rank and summed over ranks
    for idx in _batches(n, batch_size, None):
        B = len(idx)
        if ctx.active:
            lo, hi = ctx.shard(B)
            if hi == lo:
                continue
            idx = idx[lo:hi]
        x = data.features[idx, :n_input_frames].to(device)
        with runtime.autocast(device):
            if ctx.active:
                out = shard_forward(model, x, lo, B, generator)
            else:
                out = model(x, generator=generator)
        losses = model.loss(out, x, beta=1.0)
        b = x.shape[0]
        sums["nll"] += float(losses["nll"]) * b
        sums["kl"] += float(losses["kl"]) * b
        sums["loss"] += float(losses["total"]) * b
        pred = out.logits.argmax(-1).cpu()
        n_types = out.logits.shape[-1]
        if ctx.active:
            if pred_rows is None:
                pred_rows = torch.zeros(n, pred.shape[1], dtype=torch.int64)
            pred_rows[idx] = pred
        else:
            preds.append(pred)
    if ctx.active:
        keys = ("nll", "kl", "loss")
        pooled = all_sum(ctx, torch.tensor([sums[k] for k in keys], dtype=torch.float64))
        sums = {k: float(v) for k, v in zip(keys, pooled, strict=True)}
        types = all_sum(ctx, torch.tensor([n_types, int(n_types > 0)]))  # ranks agree on K
        n_types = int(types[0]) // max(int(types[1]), 1)
        if labels is not None and n:
            rows = pred_rows if pred_rows is not None else torch.zeros_like(labels)
            preds = [all_sum(ctx, rows)]
    result = {k: v / max(n, 1) for k, v in sums.items()}
    result["acc"] = result["acc_perm"] = math.nan
    if labels is not None and n:
        pred = torch.cat(preds)
        result["acc"] = float((pred == labels).double().mean())
        n_types = max(n_types, int(labels.max()) + 1)
        result["acc_perm"] = best_permutation_accuracy(pred, labels, n_types)[0]
    return result


def _write_metrics_csv(run_dir: Path, history: list[dict[str, float]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: _fmt(row.get(k, math.nan)) for k in HISTORY_COLUMNS})
    write_text_atomic(run_dir / runfiles.METRICS_CSV, buf.getvalue(), overwrite=True)


def _fmt(v: float) -> str:
    if isinstance(v, bool | int):
        return str(int(v))
    return f"{v:.7g}"


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Samples,
    *,
    n_input_frames: int,
    batch_size: int,
    beta: float,
    device: torch.device,
    shuffle: torch.Generator,
    gumbel: torch.Generator,
    out_of_time: Callable[[], bool] = lambda: False,
    progress: bool = False,
    desc: str = "",
    sharded: Sharded | None = None,
    runtime: RuntimeOptions | None = None,
    grad_clip: float = 0.0,
) -> tuple[dict[str, float], int, bool]:
    """One pass over `data` in shuffled batches, or until `out_of_time()` after a batch.

    `grad_clip` > 0 rescales each step's gradient to at most that global norm.

    With `sharded` (a data-parallel run) `batch_size` is the global batch: every rank cuts the
    same batches and trains on its slice (`DistContext.shard`); a last batch with fewer samples
    than ranks is skipped; `out_of_time` must then give the same answer on every rank.

    Returns:
        (means, samples seen, partial): per-sample means of loss (with `beta`), nll, kl and the
        edge accuracy (nan without labels), over all ranks; partial is True when time ran out
        before the end.
    """
    model.train()
    runtime = runtime or RuntimeOptions()
    ctx = sharded.ctx if sharded is not None else SINGLE
    if sharded is not None:
        sharded.step.train()
    n = data.features.shape[0]
    sums = {"loss": 0.0, "nll": 0.0, "kl": 0.0, "correct": 0.0, "edges": 0.0}
    seen, partial = 0, False
    bar = tqdm(
        total=math.ceil(n / batch_size),
        desc=desc,
        leave=False,
        disable=None if progress and ctx.is_main else True,
    )
    for idx in _batches(n, batch_size, shuffle):
        B = len(idx)
        if sharded is not None:
            if B < ctx.world_size:  # a rank would get no sample
                continue
            lo, hi = ctx.shard(B)
            idx = idx[lo:hi]
        x = data.features[idx, :n_input_frames].to(device)
        with runtime.autocast(device):
            if sharded is None:
                out = model(x, generator=gumbel)
            else:
                out = sharded.step(x, lo, B, gumbel)
        losses = model.loss(out, x, beta=beta)
        b = x.shape[0]
        total = losses["total"]
        if sharded is not None:  # DDP averages over ranks: make it the global batch's mean
            total = total * (b * ctx.world_size / B)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        if grad_clip > 0:  # after DDP's all-reduce: every rank clips the same gradient
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        seen += b
        sums["loss"] += losses["total"].item() * b
        sums["nll"] += losses["nll"].item() * b
        sums["kl"] += losses["kl"].item() * b
        if data.edge_labels is not None:
            pred = out.logits.detach().argmax(-1).cpu()
            sums["correct"] += float((pred == data.edge_labels[idx]).sum())
            sums["edges"] += pred.numel()
        bar.update(1)
        bar.set_postfix(nll=f"{sums['nll'] / seen:.4g}", kl=f"{sums['kl'] / seen:.3g}")
        if out_of_time():
            partial = True  # decided below, once `seen` is pooled over ranks
            break
    bar.close()
    if sharded is not None:
        keys = ("loss", "nll", "kl", "correct", "edges")
        pooled = all_sum(ctx, torch.tensor([sums[k] for k in keys] + [seen], dtype=torch.float64))
        sums = {k: float(v) for k, v in zip(keys, pooled[:-1], strict=True)}
        seen = int(pooled[-1])
    # A skipped last batch (fewer samples than ranks) does not make an epoch partial.
    tail = n % batch_size
    skipped = tail if sharded is not None and 0 < tail < ctx.world_size else 0
    partial = partial and seen < n - skipped
    means = {k: sums[k] / seen for k in ("loss", "nll", "kl")}
    means["acc"] = sums["correct"] / sums["edges"] if sums["edges"] else math.nan
    return means, seen, partial


def _rng_state(shuffle: torch.Generator, gumbel: torch.Generator) -> dict[str, Tensor]:
    return {
        "shuffle": shuffle.get_state(),
        "gumbel": gumbel.get_state(),
        "torch": torch.get_rng_state(),
    }


def _stored_best(run_dir: Path) -> dict[str, Any] | None:
    """The "best" entry of run_dir/best.pt, or None without one."""
    best_file = run_dir / runfiles.BEST
    if not best_file.is_file():  # best.pt may come from a later, partial (time-limited) epoch
        return None
    return dict(load_checkpoint(best_file)["best"])


def fit(
    model_config: ModelConfig,
    run_config: RunConfig,
    train: Samples,
    valid: Samples,
    run_dir: str | Path,
    data_info: dict[str, Any],
    *,
    resume_from: dict[str, Any] | None = None,
    progress: bool = False,
    build: Callable[[ModelConfig], nn.Module] = NRIModel,
    dist: DistContext | None = None,
    runtime: RuntimeOptions | None = None,
) -> FitResult:
    """Build a model from `model_config`, train it, write checkpoints and metrics into `run_dir`.

    Args:
        model_config: the model to build (initialised from the run seed); stored in checkpoints
            so the model can be rebuilt.
        run_config: `run_config.train` drives the loop; all of it is stored.
        train, valid: samples (S, T, N, F); the first `model_config.n_input_frames` frames of
            each are used. `edge_labels` (S, E), if present, give the edge accuracy columns.
        run_dir: prepared run folder (`run.prepare_run_dir`).
        data_info: plain dict stored in checkpoints (kind, system, normalisation statistics).
        resume_from: a loaded `last.pt` to continue from.
        progress: show a tqdm bar per epoch (only on a terminal).
        build: model constructor (tests may pass a stand-in; data-parallel runs need the
            `NRIModel` interface encode / sample_edges / decode).
        dist: data-parallel context (`duetgraph.train.distributed.init_distributed`); every rank
            calls `fit` with the same arguments, only rank 0 writes into `run_dir` and logs.
            `resume_from` must be given on every rank (`run_on_main` + broadcast).
        runtime: bf16 autocast and torch.compile (default: neither).

    Returns:
        FitResult with the per-epoch history.
    """
    tc = run_config.train
    ctx = dist or SINGLE
    runtime = runtime or RuntimeOptions()
    run_dir = Path(run_dir)
    device = ctx.device(tc.device)
    n_in = model_config.n_input_frames
    if train.features.shape[1] < n_in or valid.features.shape[1] < n_in:
        raise ValueError(f"train and valid samples need at least {n_in} frames")
    if ctx.active and runtime.compile:
        raise InputError(
            "--compile is not supported in data-parallel runs yet (unmeasured); drop it or run "
            "one process."
        )
    if ctx.active and train.features.shape[0] < ctx.world_size:
        raise InputError(
            f"{train.features.shape[0]} training samples for {ctx.world_size} processes; "
            "start fewer processes or give more data."
        )
    shuffle_gen = torch.Generator().manual_seed(tc.seed)
    gumbel_gen = torch.Generator(device=device).manual_seed(tc.seed + 1)
    history: list[dict[str, float]] = []
    best = {"metric": tc.select_on, "value": math.inf, "epoch": 0}
    start_epoch = 0
    if resume_from is not None:
        shuffle_gen.set_state(resume_from["rng"]["shuffle"])
        gumbel_gen.set_state(resume_from["rng"]["gumbel"])
        history = [dict(r) for r in resume_from["history"]]
        best = dict(resume_from["best"])
        start_epoch = int(resume_from["epoch"])
        stored = run_on_main(ctx, lambda: _stored_best(run_dir))
        if stored is not None and stored["value"] < best["value"]:
            best = dict(stored)

    def payload(
        model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int, partial: bool
    ) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "partial": partial,
            "model_config": model_config.to_dict(),
            "model_state": model.state_dict(),
            "optimizer_state": optimizer.state_dict(),
            "rng": _rng_state(shuffle_gen, gumbel_gen),
            "run_config": run_config.to_dict(),
            "data": data_info,
            "best": dict(best),
            "history": [dict(r) for r in history],
        }

    old_threads = torch.get_num_threads()
    threads = tc.threads if tc.threads > 0 else idle_threads()  # 0: the cores free now
    torch.set_num_threads(threads)
    log.debug("training with %d torch threads", threads)
    t_start = time.monotonic()
    wall_end = t_start + tc.time_limit_min * 60.0 if tc.time_limit_min > 0 else math.inf
    cpu_end = time.process_time() + tc.cpu_limit_min * 60.0 if tc.cpu_limit_min > 0 else math.inf

    def local_out_of_time() -> bool:
        return time.monotonic() > wall_end or time.process_time() > cpu_end

    def out_of_time() -> bool:  # every rank must stop at the same batch
        if not ctx.active or (wall_end == math.inf and cpu_end == math.inf):
            return local_out_of_time()
        return any_rank(ctx, local_out_of_time())

    stopped = "completed"
    fork_devices = [device] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=fork_devices):
            # Initial weights, then dropout, draw from this stream; the caller's is restored on exit.
            torch.manual_seed(tc.seed)
            model = build(model_config).to(device)
            sharded = None
            if ctx.active:
                sharded = shard_model(model, ctx, train.features[:2, :n_in], device)
            if runtime.compile:
                compile_model(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=tc.lr)
            if resume_from is not None:
                model.load_state_dict(resume_from["model_state"])
                optimizer.load_state_dict(resume_from["optimizer_state"])
                torch.set_rng_state(resume_from["rng"]["torch"])
            for epoch in range(start_epoch, tc.epochs):
                t0, c0 = time.monotonic(), time.process_time()
                lr, beta = tc.lr_at(epoch), tc.beta_at(epoch)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                means, seen, partial = train_epoch(
                    model,
                    optimizer,
                    train,
                    n_input_frames=n_in,
                    batch_size=tc.batch_size,
                    beta=beta,
                    device=device,
                    shuffle=shuffle_gen,
                    gumbel=gumbel_gen,
                    out_of_time=out_of_time,
                    progress=progress,
                    desc=f"epoch {epoch + 1}/{tc.epochs}",
                    sharded=sharded,
                    runtime=runtime,
                    grad_clip=tc.grad_clip,
                )
                val = validate(
                    model,
                    valid,
                    n_input_frames=n_in,
                    batch_size=tc.batch_size,
                    device=device,
                    seed=tc.seed + 3,
                    ctx=ctx,
                    runtime=runtime,
                )
                epoch_s, cpu_s = time.monotonic() - t0, time.process_time() - c0
                prev = history[-1] if history else {"elapsed_s": 0.0, "cpu_total_s": 0.0}
                row = {
                    "epoch": epoch + 1,
                    "partial": int(partial),
                    "lr": lr,
                    "beta": beta,
                    **{f"train_{k}": v for k, v in means.items()},
                    **{f"valid_{k}": v for k, v in val.items()},
                    "samples": seen,
                    "epoch_s": epoch_s,
                    "cpu_s": cpu_s,
                    "elapsed_s": prev["elapsed_s"] + epoch_s,
                    "cpu_total_s": prev["cpu_total_s"] + cpu_s,
                }
                history.append(row)
                value = row[f"valid_{tc.select_on}"]
                if value < best["value"]:
                    best = {"metric": tc.select_on, "value": float(value), "epoch": epoch + 1}
                    if ctx.is_main:
                        save_checkpoint(
                            run_dir / runfiles.BEST, payload(model, optimizer, epoch + 1, partial)
                        )
                if ctx.is_main and not partial:
                    save_checkpoint(
                        run_dir / runfiles.LAST, payload(model, optimizer, epoch + 1, False)
                    )
                if ctx.is_main:
                    _write_metrics_csv(run_dir, history)
                (log.info if ctx.is_main else log.debug)(
                    "epoch %d/%d%s: train nll %.4g kl %.3g | valid nll %.4g kl %.3g acc %.4f "
                    "(perm %.4f) | %.1f s",
                    epoch + 1,
                    tc.epochs,
                    " (partial)" if partial else "",
                    row["train_nll"],
                    row["train_kl"],
                    row["valid_nll"],
                    row["valid_kl"],
                    row["valid_acc"],
                    row["valid_acc_perm"],
                    epoch_s,
                )
                if partial or (out_of_time() and epoch + 1 < tc.epochs):
                    stopped = "time_limit"
                    if ctx.is_main:
                        log.info("time limit reached; stopping")
                    break
    finally:
        torch.set_num_threads(old_threads)
    complete = [r for r in history if not r["partial"]]
    return FitResult(
        run_dir=run_dir,
        epochs_done=int(complete[-1]["epoch"]) if complete else 0,
        best_epoch=int(best["epoch"]),
        best_value=float(best["value"]),
        select_on=tc.select_on,
        stopped=stopped,
        history=history,
    )
