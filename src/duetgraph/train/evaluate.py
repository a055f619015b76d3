"""Evaluate a trained run on held-out data (DESIGN.md §7, NRI's test protocol).

For each sample the encoder sees frames [0, n_input_frames); its posterior gives the edge
metrics (accuracy raw and permutation-best, AUROC of existence). Prediction MSE is measured by a
multi-step rollout: the decoder starts from ground-truth frame s and feeds back its own
predictions for `max(horizons)` steps, with the edges sampled from that posterior. As in NRI,
s = n_input_frames when the sequences are long enough (NRI's test split has 99 frames), so the
rollout predicts frames the encoder never saw; otherwise s = 1 and the result says so. The static
and constant-velocity baselines are measured on the same frames. All errors are in normalised
units (the model's input space).

With `symmetries`, the posterior is averaged over transformed copies of the input (for the physics
simulations: the 8 turns and mirrors of the square box, `SQUARE_SYMMETRIES`), which makes the edge
prediction exactly invariant to them; the edge metrics, the losses and the rollout's edges all come
from that averaged posterior. It costs one encoder pass per symmetry and is reported as such.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from duetgraph.analysis.recovery import auroc
from duetgraph.atomic import write_text_atomic
from duetgraph.data.physics import PhysicsNormalisation, box_symmetries, load_physics_split
from duetgraph.errors import InputError
from duetgraph.model.config import ModelConfig
from duetgraph.model.nri import NRIModel
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import CheckpointError, load_checkpoint
from duetgraph.train.metrics import (
    best_permutation_accuracy,
    constant_velocity_baseline,
    edge_accuracy,
    per_step_mse,
    static_baseline,
)

HORIZONS = (1, 10, 20)


def load_trained_model(
    run_dir: str | os.PathLike,
    which: str = "best",
    device: str | torch.device = "cpu",
    build: Callable[[ModelConfig], nn.Module] = NRIModel,
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model of a run from `best.pt` (or `last.pt`) in eval mode.

    Returns:
        (model, checkpoint dict).
    """
    name = {"best": runfiles.BEST, "last": runfiles.LAST}.get(which)
    if name is None:
        raise ValueError(f"which must be 'best' or 'last', got {which!r}")
    path = Path(run_dir) / name
    ckpt = load_checkpoint(path, map_location=device)
    try:
        config = ModelConfig.from_dict(ckpt["model_config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: its model config cannot be rebuilt ({exc}).") from exc
    model = build(config).to(device)
    model.load_state_dict(ckpt["model_state"])
    model.eval()
    return model, ckpt


Transform = Callable[[torch.Tensor], torch.Tensor]


def averaged_logits(
    model: nn.Module, x: torch.Tensor, symmetries: Sequence[Transform]
) -> torch.Tensor:
    """Log of the encoder's posterior averaged over `symmetries` of the input `x`.

    Each symmetry maps (B, T, N, F) features to those of the transformed motion and must leave
    the true graph unchanged (same nodes, same edges). All copies go through the encoder as one
    batch. No symmetries: the plain logits.

    Returns:
        (B, E, K) log-probabilities (logits of the averaged posterior).
    """
    if not symmetries:
        return model.encode(x)
    copies = torch.cat([t(x) for t in symmetries])  # (len(symmetries) · B, T, N, F)
    probs = F.softmax(model.encode(copies), dim=-1)
    probs = probs.unflatten(0, (len(symmetries), x.shape[0])).mean(0)
    return probs.clamp_min(torch.finfo(probs.dtype).tiny).log()


@torch.no_grad()
def evaluate_samples(
    model: nn.Module,
    features: torch.Tensor,
    edge_labels: torch.Tensor | None,
    *,
    horizons: Sequence[int] = HORIZONS,
    batch_size: int = 256,
    seed: int = 0,
    device: str | torch.device = "cpu",
    symmetries: Sequence[Transform] = (),
) -> dict[str, Any]:
    """All metrics of one split.

    Args:
        model: an `NRIModel` in eval mode.
        features: (S, T, N, F) normalised samples.
        edge_labels: (S, E) true types, or None (no edge metrics).
        horizons: prediction steps to report (1-based).
        batch_size: samples per forward pass.
        seed: for the Gumbel samples of the decoder's edges.
        symmetries: average the posterior over these transforms of the input (`averaged_logits`).

    Returns:
        Plain dict: n_samples, n_symmetries, loss terms (nll, kl at β=1, over the encoder
        window), edge metrics, `mse` / `mse_static` / `mse_cv` per horizon, the rollout start
        frame.
    """
    c = model.config
    S, T = features.shape[:2]
    n_in = c.n_input_frames
    if T < n_in:
        raise ValueError(f"samples have {T} frames; the model needs {n_in}")
    start = n_in if T >= n_in + max(horizons) + 1 else 1
    max_h = min(max(horizons), T - 1 - start)
    horizons = [h for h in horizons if h <= max_h]
    generator = torch.Generator(device=device).manual_seed(seed)
    sums = {"nll": 0.0, "kl": 0.0}
    logits_all, sq = [], {"mse": 0.0, "mse_static": 0.0, "mse_cv": 0.0}
    for idx in torch.arange(S).split(batch_size):
        x = features[idx].to(device)
        window = x[:, :n_in]
        out = model(window, generator=generator, logits=averaged_logits(model, window, symmetries))
        losses = model.loss(out, window, beta=1.0)
        sums["nll"] += float(losses["nll"]) * len(idx)
        sums["kl"] += float(losses["kl"]) * len(idx)
        logits_all.append(out.logits.cpu())
        if max_h >= 1:
            segment = x[:, start : start + max_h + 1]  # (B, H+1, N, F), ground truth
            pred = model.decode(segment, out.edges, n_pred_steps=max_h)  # (B, H, N, F)
            truth = segment[:, 1:].cpu().numpy()
            xs = x.cpu().numpy()
            b = len(idx)
            sq["mse"] = sq["mse"] + per_step_mse(pred.cpu(), truth) * b
            sq["mse_static"] = (
                sq["mse_static"] + per_step_mse(static_baseline(xs, start, max_h), truth) * b
            )
            cv = constant_velocity_baseline(xs, start, max_h, c.dims)
            sq["mse_cv"] = sq["mse_cv"] + per_step_mse(cv, truth) * b
    logits = torch.cat(logits_all)  # (S, E, K)
    result: dict[str, Any] = {
        "n_samples": int(S),
        "n_symmetries": max(len(symmetries), 1),
        "nll": sums["nll"] / S,
        "kl": sums["kl"] / S,
        "rollout_start": start,
        "horizons": list(horizons),
    }
    for name, total in sq.items():
        curve = np.asarray(total, dtype=np.float64) / S if max_h >= 1 else np.zeros(0)
        result[name] = {str(h): float(curve[h - 1]) for h in horizons}
        result[f"{name}_curve"] = [float(v) for v in curve]
    if edge_labels is not None:
        result.update(edge_metrics(logits, edge_labels))
    return result


def edge_metrics(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """Edge accuracy (raw, permutation-best) and AUROC of existence from (S, E, K) logits."""
    probs = F.softmax(logits.double(), dim=-1)
    pred = logits.argmax(-1)
    n_types = max(logits.shape[-1], int(labels.max()) + 1)
    acc_perm, mapping = best_permutation_accuracy(pred, labels, n_types)
    exists = (labels != 0).numpy()
    # Raw: type 0 is "no edge". Permutation-aware: the predicted type mapped to truth 0 is.
    none_type = mapping.index(0) if 0 in mapping else 0
    return {
        "edge_accuracy": edge_accuracy(pred, labels),
        "edge_accuracy_perm": acc_perm,
        "edge_type_mapping": list(mapping),
        "auroc": auroc(1.0 - probs[..., 0].numpy(), exists),
        "auroc_perm": auroc(1.0 - probs[..., none_type].numpy(), exists),
    }


def evaluate_physics_run(
    run_dir: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    *,
    split: str = "test",
    which: str = "best",
    max_sims: int = 0,
    horizons: Sequence[int] = HORIZONS,
    batch_size: int = 256,
    seed: int = 0,
    device: str = "cpu",
    use_box_symmetries: bool = False,
    write: bool = True,
) -> dict[str, Any]:
    """Evaluate a physics run on one split of the NRI-layout data in `data_dir`.

    `data_dir` None uses the folder the run was trained on (recorded in its checkpoint). The data
    are normalised with the train statistics stored in the checkpoint. `use_box_symmetries` averages
    the posterior over the 8 symmetries of the simulation box (`SQUARE_SYMMETRIES`; valid for
    walls centred on the origin, as in NRI and `duetgraph.sim`, or no walls). With `write`, the
    result is also written (atomically, replacing an earlier one) to
    `run_dir/metrics_{split}.json` (`metrics_{split}_box8.json` with `use_box_symmetries`).
    """
    model, ckpt = load_trained_model(run_dir, which, device)
    info = ckpt["data"]
    if info.get("kind") != "physics":
        raise CheckpointError(f"{run_dir}: this run was not trained on physics simulations.")
    if data_dir is None:
        data_dir = info.get("data_dir")
        if not data_dir or not Path(data_dir).is_dir():
            raise InputError(
                f"{run_dir}: the run's data folder {data_dir!r} is not there; pass --data DIR."
            )
    stats = PhysicsNormalisation.from_dict(info["normalisation"])
    data, _ = load_physics_split(data_dir, info["system"], split, stats, max_sims)
    result = evaluate_samples(
        model,
        data.features,
        data.edge_labels(model.config.latent_edges),
        horizons=horizons,
        batch_size=batch_size,
        seed=seed,
        device=device,
        symmetries=box_symmetries(stats) if use_box_symmetries else (),
    )
    result = {
        "run": str(run_dir),
        "checkpoint": which,
        "checkpoint_epoch": int(ckpt["epoch"]),
        "checkpoint_partial": bool(ckpt["partial"]),
        "system": info["system"],
        "split": split,
        "data_dir": str(data_dir),
        **result,
    }
    if write:
        text = json.dumps(_json_safe(result), indent=2) + "\n"
        name = runfiles.metrics_json_name(split, use_box_symmetries)
        write_text_atomic(Path(run_dir) / name, text, overwrite=True)
    return result


def _json_safe(obj: Any) -> Any:
    """NaN and infinities → None (JSON has neither)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj
