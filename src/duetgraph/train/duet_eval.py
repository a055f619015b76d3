"""How good is a trained duet model on held-out windows of a duet?

Reported (DESIGN.md §7):
- prediction error in **m²** (positions only, back in metres) of the model against the
  repeat-last-frame and constant-velocity baselines, at 1 step (ground truth fed every frame)
  and at the multi-step horizon (only the window's first frame is given; L − 1 steps);
- KL(posterior ‖ prior) per edge and the posterior's entropy, next to the prior's own entropy:
  a collapsed encoder (the prior implementation's) shows KL ≈ 0 and entropy ≈ the prior's.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from duetgraph.data.duet_dataset import build_duet_windows
from duetgraph.data.joints import JointSelection
from duetgraph.data.normalize import Normalizer
from duetgraph.duet import Duet
from duetgraph.train.duet import prepare_duet
from duetgraph.train.infer import check_duet_matches, load_duet_model


def posterior_statistics(probs: np.ndarray, prior: np.ndarray) -> dict[str, float]:
    """Mean KL(q ‖ prior) and entropy of q per edge, in nats; probs (W, E, K), prior (K,)."""
    q = np.clip(probs.astype(np.float64), 1e-12, 1.0)
    kl = (q * (np.log(q) - np.log(prior))).sum(-1)
    entropy = -(q * np.log(q)).sum(-1)
    return {
        "kl_per_edge": float(kl.mean()),
        "entropy_per_edge": float(entropy.mean()),
        "prior_entropy": float(-(prior * np.log(prior)).sum()),
        "max_abs_from_prior": float(np.abs(probs - prior).max()),
    }


@torch.no_grad()
def evaluate_duet_run(
    run_dir: str | os.PathLike,
    duet: Duet,
    *,
    which: str = "best",
    batch_size: int = 512,
) -> dict[str, Any]:
    """Metrics of a duet run on the held-out (last, in time) windows of `duet`.

    The split is remade exactly as in training (same fraction and gap), so with the training duet
    these are the validation windows; with another duet, pass it whole via valid_fraction (its
    last 15 % is used).
    """
    run_dir = Path(run_dir)
    model, ckpt = load_duet_model(run_dir, which)
    data_info, run_cfg = ckpt["data"], ckpt["run_config"]["data"]
    check_duet_matches(duet, data_info, run_dir)
    selection = JointSelection.from_dict(data_info["selection"])
    normalizer = Normalizer.from_dict(data_info["normalizer"])
    model_duet = prepare_duet(duet, data_info["fps"])
    length = int(data_info["window"])
    data = build_duet_windows(
        model_duet, selection, length, int(run_cfg["stride"]),
        valid_fraction=float(run_cfg["valid_fraction"]) or 0.15, anchor_frame=0,
    )  # fmt: skip
    dataset = data.valid
    c = model.config
    prior = np.asarray(c.edge_prior or [1.0 / c.n_edge_types] * c.n_edge_types)
    sq = {name: np.zeros(2) for name in ("model", "repeat_last", "const_velocity")}
    probs_all, n = [], 0
    for batch in dataset.iter_batches(batch_size):
        x = batch.features  # (B, L, N, 6) normalised
        logits = model.encode(x)
        probs = torch.softmax(logits, -1)
        probs_all.append(probs.numpy())
        edges = model.sample_edges(logits, "probs")
        one_step = model.decode(x, edges, n_pred_steps=1)  # (B, L-1, N, 6)
        multi = model.decode(x, edges, n_pred_steps=length - 1)

        origin, angle = batch.origin.numpy(), batch.angle.numpy()

        def metres(f: torch.Tensor, origin=origin, angle=angle) -> np.ndarray:
            return normalizer.denormalize(f.numpy(), origin, angle)[..., :3]  # (B, T, N, 3) m

        truth = metres(x)
        last = truth[:, :-1]  # repeat the previous frame
        vel = normalizer.denormalize(x.numpy(), origin, angle)[..., 3:]  # metres per frame
        cv_one = last + vel[:, :-1]  # previous frame + its backward velocity
        steps = np.arange(1, length)[None, :, None, None]
        cv_multi = truth[:, :1] + steps * vel[:, :1]
        target = truth[:, 1:]
        b = len(x)
        for name, (p1, pm) in {
            "model": (metres(one_step), metres(multi)),
            "repeat_last": (last, np.repeat(truth[:, :1], length - 1, axis=1)),
            "const_velocity": (cv_one, cv_multi),
        }.items():
            sq[name] += b * np.array([((p1 - target) ** 2).mean(), ((pm - target) ** 2).mean()])
        n += b
    stats = posterior_statistics(np.concatenate(probs_all), prior)
    return {
        "run": str(run_dir),
        "duet": duet.source,
        "n_windows": n,
        "horizon_steps": length - 1,
        "mse_m2": {
            name: {"1": float(v[0] / n), str(length - 1): float(v[1] / n)} for name, v in sq.items()
        },  # fmt: skip
        **stats,
        "collapsed": bool(stats["kl_per_edge"] < 1e-3),
    }


def format_duet_metrics(r: dict[str, Any]) -> str:
    h = str(r["horizon_steps"])
    lines = [
        f"run {r['run']} on {r['n_windows']} held-out windows of {r['duet']}",
        f"  position MSE (m²)        1 step      {h} steps",
    ]
    for name, label in (("model", "model"), ("repeat_last", "repeat last"),
                        ("const_velocity", "const. velocity")):  # fmt: skip
        m = r["mse_m2"][name]
        lines.append(f"  {label:<20s} {m['1']:>10.3g}   {m[h]:>10.3g}")
    lines.append(
        f"  KL(posterior || prior) {r['kl_per_edge']:.4f} nats/edge; entropy "
        f"{r['entropy_per_edge']:.4f} (prior {r['prior_entropy']:.4f})"
        + ("  COLLAPSED to the prior" if r["collapsed"] else "")
    )
    if math.isnan(r["kl_per_edge"]):
        lines.append("  (no windows)")
    return "\n".join(lines)
