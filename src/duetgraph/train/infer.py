"""Inference: the strings of a whole duet from a trained duet run.

Sliding windows run over the whole duet; for every window the encoder's posterior over edge
types (softmax of its logits — no noisy single sample) is kept, with the window's times and the
joint names, as a `duetgraph.analysis.StringPosterior`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch

from duetgraph.analysis.posterior import StringPosterior
from duetgraph.data.joints import JointSelection
from duetgraph.data.normalize import Normalizer
from duetgraph.data.windows import duet_windows
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.train.checkpoint import CheckpointError
from duetgraph.train.duet import prepare_duet
from duetgraph.train.evaluate import load_trained_model

log = logging.getLogger(__name__)


def load_duet_model(run_dir: str | os.PathLike, which: str = "best", device: str = "cpu"):
    """The model and checkpoint of a duet run; clear errors for other runs and bad files.

    Raises:
        InputError: the folder has no checkpoint, the checkpoint is damaged (CheckpointError),
            or the run was trained on physics simulations, not a duet.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such run folder; train one with `duetgraph train`.")
    model, ckpt = load_trained_model(run_dir, which, device)
    data = ckpt.get("data", {})
    if data.get("kind") != "duet":
        raise InputError(
            f"{run_dir}: this run was trained on {data.get('kind', 'unknown')} data, not a duet; "
            "give the run folder of `duetgraph train DUET.npz`."
        )
    return model, ckpt


def check_duet_matches(duet: Duet, data: dict, run_dir: Path) -> None:
    """Raise InputError unless the duet's skeleton is the one the run was trained on."""
    if duet.skeleton != data["skeleton"]:
        raise InputError(
            f"{duet.source}: skeleton {duet.skeleton} but the run in {run_dir} was trained on "
            f"{data['skeleton']}; convert the duet to {data['skeleton']} or train a new run."
        )


@torch.no_grad()
def infer_strings(
    duet: Duet,
    run_dir: str | os.PathLike,
    *,
    stride: int = 1,
    batch_size: int = 1024,
    which: str = "best",
    device: str = "cpu",
) -> StringPosterior:
    """Posterior over edge types for every window of `duet`.

    Args:
        duet: the duet to read (any fps; resampled to the run's rate).
        run_dir: a run folder of `train_duet`.
        stride: frames (at the run's rate) between window starts.
        batch_size: windows per forward pass.

    Returns:
        StringPosterior with probs (W, E, K), window times in seconds of the duet.
    """
    run_dir = Path(run_dir)
    model, ckpt = load_duet_model(run_dir, which, device)
    data = ckpt["data"]
    check_duet_matches(duet, data, run_dir)
    try:
        selection = JointSelection.from_dict(data["selection"])
        normalizer = Normalizer.from_dict(data["normalizer"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"{run_dir}: the run's data settings are unreadable ({exc})."
        ) from exc
    model_duet = prepare_duet(duet, data["fps"])
    length = int(data["window"])
    if model_duet.n_frames < length:
        raise InputError(
            f"{duet.source}: {model_duet.n_frames} frames at {model_duet.fps:g} fps, shorter than "
            f"one {length}-frame window; give a longer duet."
        )
    windows = duet_windows(model_duet, selection, length, stride)
    probs = []
    for lo in range(0, windows.n_windows, batch_size):
        idx = np.arange(lo, min(lo + batch_size, windows.n_windows))
        features, _, _ = normalizer.normalize_windows(windows, idx)
        logits = model.encode(torch.from_numpy(np.ascontiguousarray(features)).to(device))
        probs.append(torch.softmax(logits, dim=-1).cpu().numpy())
    c = model.config
    edges = np.asarray(c.latent_edges, dtype=np.int64)
    start = windows.starts / model_duet.fps
    return StringPosterior(
        probs=np.concatenate(probs).astype(np.float32),
        window_start=start,
        window_end=start + length / model_duet.fps,
        senders=edges[:, 0],
        receivers=edges[:, 1],
        node_names=selection.node_names,
        node_dancer=selection.node_dancer,
        node_joint=selection.node_joint,
        skeleton=selection.skeleton,
        dancers=tuple(duet.dancers),
        edge_prior=c.edge_prior,
        run=str(run_dir),
    )
