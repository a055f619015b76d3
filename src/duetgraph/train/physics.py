"""Training on NRI physics simulations: data → ModelConfig → `fit`, new or resumed.

The graph is NRI's: every ordered pair of balls is a latent edge (`fully_connected_edges`), the
features are normalised (x, y, vx, vy), and the encoder sees the train split's whole length
(49 frames in NRI's setting).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from duetgraph.atomic import write_text_atomic
from duetgraph.data.physics import N_FEATURES, PhysicsNormalisation, load_physics_split
from duetgraph.errors import InputError
from duetgraph.model.config import ModelConfig
from duetgraph.model.graph import fully_connected_edges
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import load_checkpoint
from duetgraph.train.config import (
    RESUMABLE,
    RunConfig,
    apply_overrides,
    model_defaults,
    run_config_from_dict,
)
from duetgraph.train.loop import FitResult, Samples, fit

log = logging.getLogger(__name__)


def physics_model_config(run_config: RunConfig, n_nodes: int, n_frames: int) -> ModelConfig:
    """ModelConfig for `n_nodes` balls seen for `n_frames` frames.

    The latent edges are all ordered pairs (NRI), or each unordered pair (i < j) once when the
    model is `symmetric`.
    """
    edges = fully_connected_edges(n_nodes)
    if run_config.model.get("symmetric", False):
        edges = tuple((i, j) for i, j in edges if i < j)
    return run_config.model_config(
        n_nodes=n_nodes, n_features=N_FEATURES, n_input_frames=n_frames, latent_edges=edges
    )


def resumed_run_config(stored: dict[str, Any], overrides: dict[tuple[str, str], Any]) -> RunConfig:
    """The stored run config with the allowed `overrides` applied; others must not differ."""
    config = run_config_from_dict(stored, "checkpoint")
    current = config.to_dict()
    current["model"] = {**model_defaults(), **current["model"]}  # effective values
    for (section, key), value in overrides.items():
        if (section, key) not in RESUMABLE and current[section].get(key) != value:
            raise InputError(
                f"--resume keeps the run's settings, but {section}.{key} = {value!r} differs from "
                f"the run's {current[section].get(key)!r}; start a new run to change it."
            )
    allowed = {k: v for k, v in overrides.items() if k in RESUMABLE}
    return apply_overrides(config, allowed) if allowed else config


def train_physics(
    data_dir: str | os.PathLike,
    run_dir: str | os.PathLike,
    run_config: RunConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: dict[tuple[str, str], Any] | None = None,
    progress: bool = False,
) -> FitResult:
    """Train an NRI model on `data_dir/{loc,vel,edges}_{split}_{system}.npy`.

    Args:
        data_dir: folder of NRI-layout arrays (see `duetgraph.sim.nri_format`).
        run_dir: the run folder (see `duetgraph.train.run`).
        run_config: the resolved config of a new run (ignored with `resume`).
        resume: continue `run_dir/last.pt` with its stored config and data statistics.
        overwrite: start again in a folder that holds a run.
        overrides: with `resume`, flags given again; only epochs, the time limits, threads
            and device may change.
        progress: show a progress bar.
    """
    # Check the folder first and touch it last, so that bad data leave an old run in place.
    run_dir = runfiles.check_run_dir(run_dir, resume=resume, overwrite=overwrite)
    checkpoint = None
    stats = None
    if resume:
        checkpoint = load_checkpoint(run_dir / runfiles.LAST)
        run_config = resumed_run_config(checkpoint["run_config"], overrides or {})
        stats = PhysicsNormalisation.from_dict(checkpoint["data"]["normalisation"])
        log.info("resuming %s after epoch %d", run_dir, checkpoint["epoch"])
    if run_config is None:
        raise ValueError("train_physics needs a run_config for a new run")
    dc = run_config.data
    if not dc.system:
        raise InputError("no simulation system given; pass --system (e.g. springs5) or a preset.")
    train_split, stats = load_physics_split(data_dir, dc.system, "train", stats, dc.max_train_sims)
    valid_split, _ = load_physics_split(data_dir, dc.system, "valid", stats, dc.max_valid_sims)
    model_config = physics_model_config(run_config, train_split.n_nodes, train_split.n_frames)
    edges = model_config.latent_edges
    train = Samples(train_split.features, train_split.edge_labels(edges))
    valid = Samples(valid_split.features, valid_split.edge_labels(edges))
    if checkpoint is not None and checkpoint["model_config"] != model_config.to_dict():
        raise InputError(
            f"{data_dir}: the data no longer match the run in {run_dir} (other ball count or "
            "length); resume with the data it was trained on."
        )
    if valid_split.n_frames < model_config.n_input_frames:
        raise InputError(
            f"{data_dir}: valid sequences have {valid_split.n_frames} frames, fewer than the "
            f"{model_config.n_input_frames} of train; regenerate the data set."
        )
    runfiles.prepare_run_dir(run_dir, resume=resume, overwrite=overwrite)
    write_text_atomic(
        run_dir / runfiles.CONFIG, runfiles.to_toml(run_config.to_dict()), overwrite=True
    )
    data_info = {
        "kind": "physics",
        "system": dc.system,
        "data_dir": str(Path(data_dir).resolve()),  # where evaluate looks when not told
        "normalisation": stats.to_dict(),
        "n_train": len(train_split),
        "n_valid": len(valid_split),
    }
    log.info(
        "training on %d %s simulations (%d frames, %d balls), validating on %d",
        len(train_split),
        dc.system,
        train_split.n_frames,
        train_split.n_nodes,
        len(valid_split),
    )
    return fit(
        model_config,
        run_config,
        train,
        valid,
        run_dir,
        data_info,
        resume_from=checkpoint,
        progress=progress,
    )
