"""Training the duet model: a Duet → windows → the paper's NRI variant → a run folder.

The graph (DESIGN.md §6): nodes are the selected joints of both dancers; latent edges run between
the dancers only (A→B and B→A, or one per pair with `symmetric`); each dancer's own bones are
known edges for the GCN layers. Features are position + backward-difference velocity, normalised
per window in a duet-centric frame (`duetgraph.data`), augmented by turning about the vertical.

A run config has three sections, like the physics runs:

```toml
[data]    # DuetDataConfig: joints, window, fps, augmentation
[model]   # ModelConfig fields that do not come from the data
[train]   # TrainConfig
```
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from duetgraph.atomic import write_text_atomic
from duetgraph.clean.resample import resample
from duetgraph.data.duet_dataset import DuetWindowDataset, build_duet_windows
from duetgraph.data.joints import inter_dancer_edges, known_edges, select_joints
from duetgraph.data.windows import N_FEATURES
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.model.config import ModelConfig
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import load_checkpoint
from duetgraph.train.config import MODEL_FIELDS_FROM_DATA as PHYSICS_FIELDS_FROM_DATA
from duetgraph.train.config import (
    RESUMABLE,
    RunConfig,
    TrainConfig,
    _checked,
    _defaults,
    read_toml,
)
from duetgraph.train.distributed import SINGLE, DistContext, run_on_main
from duetgraph.train.loop import FitResult, Samples, fit
from duetgraph.train.runtime import RuntimeOptions

log = logging.getLogger(__name__)

# The paper's best setting has 3 joints per dancer; these three carry the default planted strings.
PAPER_JOINTS = "pelvis,left_wrist,right_wrist"

# Model defaults for duets, H = 64. The paper used K = 4 with the prior (0.35, 0.25, 0.15, 0.25)
# (`--edge-types 4 --edge-prior ...`); a sparse two-type prior makes "no string" the default that
# an edge must earn, which is what lets strings be told apart.
DUET_MODEL_DEFAULTS: dict[str, Any] = {
    # NRI's MLP encoder and decoder with relative pair inputs (each edge also sees the receiver
    # minus the sender and their distance): on planted-string duets they recover the strings
    # better than the paper's GCN encoder and graph-recurrent decoder (recovery AUROC 0.949 vs
    # 0.906 at 20 epochs, both with ground truth every 4 steps) and predict better
    # (bench/RESULTS.md). The paper's model: encoder = "gcn", decoder = "graph_rnn" (pair_inputs
    # then falls back to "concat", see duet_run_config).
    "encoder": "mlp",
    "decoder": "mlp",
    "pair_inputs": "relative",
    "n_hidden": 64,
    "n_edge_types": 2,
    "edge_prior": (0.9, 0.1),
    "skip_first_edge_type": True,  # type 0 = "no string": it sends no message
    "dropout": 0.0,  # the paper used 0.1; dropout costs ~35 % of CPU time here (bench_train_duet)
    # Ground truth every 2 decoder steps: the 6-joint planted strings are recovered at AUROC 0.966
    # against 0.949 with every 4, the full body at 0.947 against 0.930 (bench/RESULTS.md).
    "n_pred_steps": 2,
    "eval_edges": "probs",
    "output_variance": 5e-3,  # features have unit RMS; frame-to-frame changes are ~0.1
    # Predict the change of velocity; the position follows from the new velocity. The residual
    # read-out lost to constant velocity at one step (0.000387 vs 0.000163 m²); this one beats
    # it (0.000132), see bench/RESULTS.md.
    "readout": "kinematic",
    "bone_weight": 0.0,
}
DUET_TRAIN_DEFAULTS: dict[str, Any] = {"epochs": 20, "batch_size": 256, "lr": 1e-3}
# Set from the data, never from a file or flag: the physics runs' fields, and the edge layout.
MODEL_FIELDS_FROM_DATA = PHYSICS_FIELDS_FROM_DATA | {"symmetric"}


@dataclass(frozen=True)
class DuetDataConfig:
    """How a duet becomes training windows.

    Args:
        joints: joint selection (`duetgraph.data.select_joints`): names, body parts, "all" or
            "random:3-5" (the paper's random 3-5 joints per dancer, drawn with `joint_seed`).
        window: frames per window, L (paper: 8).
        stride: frames between window starts.
        fps: resample the duet to this rate first (paper: ~10); 0 keeps the duet's rate.
        valid_fraction: the last part of the duet (in time) held out for validation.
        n_rotations: copies of each training window turned about the vertical (paper: 10).
        symmetric: one latent variable per joint pair instead of one per direction.
        joint_seed: seed of "random:..." joint selections.
    """

    joints: str = PAPER_JOINTS
    window: int = 8
    stride: int = 1
    fps: float = 10.0
    valid_fraction: float = 0.15
    n_rotations: int = 10
    symmetric: bool = False
    joint_seed: int = 0

    def __post_init__(self) -> None:
        if self.window < 2 or self.stride < 1 or self.n_rotations < 1:
            raise InputError("data: window must be >= 2, stride and n_rotations >= 1.")
        if self.fps < 0 or not 0 <= self.valid_fraction < 1:
            raise InputError("data: fps must be >= 0 and valid_fraction in [0, 1).")


@dataclass(frozen=True)
class DuetRunConfig:
    """A duet training run: data, model options, training."""

    data: DuetDataConfig = field(default_factory=DuetDataConfig)
    model: dict[str, Any] = field(default_factory=lambda: dict(DUET_MODEL_DEFAULTS))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DUET_TRAIN_DEFAULTS))

    def to_dict(self) -> dict[str, Any]:
        model = {k: list(v) if isinstance(v, tuple) else v for k, v in self.model.items()}
        return {
            "data": dataclasses.asdict(self.data),
            "model": model,
            "train": self.train.to_dict(),
        }

    model_config = RunConfig.model_config  # the same rule as for physics runs


def duet_run_config(
    d: dict[str, Any] | None = None, source: str = "config", **overrides: Any
) -> DuetRunConfig:
    """A DuetRunConfig from `{"data": .., "model": .., "train": ..}` over the duet defaults.

    Keyword `overrides` are "section.key" style pairs given as section__key=value (CLI flags).
    Unknown sections or keys raise InputError naming `source`.
    """
    d = d or {}
    unknown = sorted(set(d) - {"data", "model", "train"})
    if unknown:
        raise InputError(f"{source}: unknown section(s) {unknown}; use [data], [model], [train].")
    sections = {name: dict(d.get(name, {})) for name in ("data", "model", "train")}
    for key, value in overrides.items():
        section, name = key.split("__", 1)
        sections[section][name] = value
    model_defaults = {
        k: v for k, v in _defaults(ModelConfig).items() if k not in MODEL_FIELDS_FROM_DATA
    }
    data = _checked(sections["data"], _defaults(DuetDataConfig), source, "data")
    model = _checked(sections["model"], model_defaults, source, "model")
    train = _checked(sections["train"], _defaults(TrainConfig), source, "train")
    merged = {**DUET_MODEL_DEFAULTS, **model}
    if "pair_inputs" not in model and (merged["encoder"], merged["decoder"]) != ("mlp", "mlp"):
        merged["pair_inputs"] = "concat"  # the relative default is for the MLP pair only
    config = DuetRunConfig(
        DuetDataConfig(**data),
        merged,
        TrainConfig(**{**DUET_TRAIN_DEFAULTS, **train}),
    )
    # Check the options now, on a stand-in graph (the data fields come later).
    config.model_config(
        n_nodes=2, n_features=6, n_input_frames=2, latent_edges=((0, 1),), velocity_ratio=0.1
    )
    return config


def resumed_duet_config(stored: dict[str, Any], overrides: dict[str, Any]) -> DuetRunConfig:
    """The stored run config of a duet run with `overrides` ("section__key": value, the flags
    given again on resume) applied where `RESUMABLE` allows (how long and where it runs); any
    other override must equal the stored value.

    Raises:
        InputError: an override changes what the run learns (naming the setting).
    """
    config = duet_run_config(stored, "checkpoint")
    current = config.to_dict()
    current["model"] = {**DUET_MODEL_DEFAULTS, **current["model"]}
    allowed: dict[str, Any] = {}
    for key, value in overrides.items():
        section, name = key.split("__", 1)
        was = current[section].get(name)
        if (section, name) in RESUMABLE:
            allowed[name] = value
        elif (list(was) if isinstance(was, tuple) else was) != (
            list(value) if isinstance(value, tuple) else value
        ):
            raise InputError(
                f"--resume keeps the run's settings, but {section}.{name} = {value!r} differs from "
                f"the run's {was!r}; start a new run to change it."
            )
    if not allowed:
        return config
    return dataclasses.replace(config, train=dataclasses.replace(config.train, **allowed))


def load_duet_run_config(path: str | os.PathLike, **overrides: Any) -> DuetRunConfig:
    """Read a duet run config from TOML (sections [data], [model], [train])."""
    return duet_run_config(read_toml(path), str(path), **overrides)


def prepare_duet(duet: Duet, fps: float) -> Duet:
    """The duet at the model's frame rate (`fps` = 0 keeps it)."""
    if fps <= 0 or abs(duet.fps - fps) < 1e-6:
        return duet
    positions, method = resample(duet.positions, duet.fps, fps)
    return duet.with_step("resample", positions, fps=float(fps), method=method)


def duet_model_config(config: DuetRunConfig, selection, velocity_ratio: float = 0.0) -> ModelConfig:
    """ModelConfig of the selected joints: bipartite latent edges, each dancer's bones known.

    `velocity_ratio` (velocity scale / position scale of the normalisation) lets the decoder
    predict a correction to constant velocity.
    """
    dc = config.data
    return config.model_config(
        n_nodes=selection.n_nodes,
        n_features=N_FEATURES,
        n_input_frames=dc.window,
        latent_edges=tuple(map(tuple, inter_dancer_edges(selection, directed=not dc.symmetric))),
        known_edges=tuple(map(tuple, known_edges(selection))),
        symmetric=dc.symmetric,
        n_dims=3,
        velocity_ratio=velocity_ratio,
    )


def materialise(dataset: DuetWindowDataset, batch_size: int = 4096) -> torch.Tensor:
    """All items of a window dataset as one (S, L, N, 6) float32 tensor."""
    n = len(dataset)
    if n == 0:
        return torch.zeros(0, dataset.length, dataset.n_nodes, N_FEATURES)
    parts = [
        dataset.batch(np.arange(lo, min(lo + batch_size, n))).features
        for lo in range(0, n, batch_size)
    ]
    return torch.cat(parts)


def train_duet(
    duet: Duet | Sequence[Duet],
    run_dir: str | os.PathLike,
    config: DuetRunConfig | None = None,
    *,
    resume: bool = False,
    resume_overrides: dict[str, Any] | None = None,
    overwrite: bool = False,
    progress: bool = False,
    dist: DistContext | None = None,
    runtime: RuntimeOptions | None = None,
) -> FitResult:
    """Train the duet model on one duet or several; write `config.toml`, checkpoints, metrics.

    Several duets train one model: each is resampled to `config.data.fps`, windowed and split
    in time on its own (its last `valid_fraction` validates), and the normalisation scales are
    fitted on the training windows of all of them. They must share the skeleton (and, with
    fps = 0, the frame rate); the joint selection is made once, on that skeleton.

    Args:
        duet: the cleaned duet(s) (any fps; resampled to `config.data.fps`).
        run_dir: the run folder; refused if it holds a run unless `resume` or `overwrite`.
        config: the run config (default: the paper's setting); ignored with `resume`, which
            continues `run_dir/last.pt` with its stored config and `resume_overrides`.
        resume_overrides: with `resume`, the settings given again ("train__epochs": 30): those
            in `RESUMABLE` (epochs, time limits, threads, device) replace the stored ones; any
            other must equal the stored value (`resumed_duet_config`).
        progress: show progress bars.
        dist: data-parallel context; every rank calls this with the same duets, rank 0 alone
            touches `run_dir` (see `duetgraph.train.distributed`).
        runtime: bf16 autocast / torch.compile (`duetgraph.train.runtime.RuntimeOptions`).

    Raises:
        InputError: duets of different skeletons or frame rates, a duet too short for both
            splits, or a resumed run whose model these duets do not fit.
    """
    ctx = dist or SINGLE
    duets = [duet] if isinstance(duet, Duet) else list(duet)
    if not duets:
        raise InputError("no duet given; pass at least one duet file.")
    run_dir = run_on_main(
        ctx, lambda: runfiles.check_run_dir(run_dir, resume=resume, overwrite=overwrite)
    )
    checkpoint = None
    if resume:
        checkpoint = run_on_main(ctx, lambda: load_checkpoint(run_dir / runfiles.LAST))
        config = resumed_duet_config(checkpoint["run_config"], resume_overrides or {})
    config = config or duet_run_config()
    dc = config.data
    model_duets = _prepare_duets(duets, dc.fps)
    first = model_duets[0]
    rng = np.random.default_rng(dc.joint_seed)
    try:
        selection = select_joints(first.skeleton, dc.joints, rng=rng)
    except KeyError as exc:
        raise InputError(f"--joints {dc.joints!r}: {exc.args[0]}") from None
    data = build_duet_windows(
        model_duets,
        selection,
        dc.window,
        dc.stride,
        valid_fraction=dc.valid_fraction,
        anchor_frame=0,
        n_rotations=dc.n_rotations,
        rotation="fixed" if dc.n_rotations > 1 else "none",
    )
    ratio = data.normalizer.velocity_scale / data.normalizer.position_scale
    model_config = duet_model_config(config, selection, ratio)
    if checkpoint is not None and checkpoint["model_config"] != model_config.to_dict():
        what = "this duet does" if len(duets) == 1 else "these duets do"
        raise InputError(
            f"{duets[0].source}: {what} not match the run in {run_dir} (other skeleton, joints "
            "or duets); resume with the duets it was trained on."
        )
    train = Samples(materialise(data.train))
    valid = Samples(materialise(data.valid))
    if len(valid.features) == 0:  # valid_fraction = 0: select on the training windows
        valid = Samples(train.features[: min(len(train.features), 4096)])
    data_info = {
        "kind": "duet",
        "source": duets[0].source if len(duets) == 1 else ", ".join(d.source for d in duets),
        "skeleton": first.skeleton,
        "dancers": list(first.dancers),
        "fps": float(first.fps),
        "window": dc.window,
        "selection": selection.to_dict(),
        "normalizer": data.normalizer.to_dict(),
        "n_train": int(len(train.features)),
        "n_valid": int(len(valid.features)),
        "train_frames": [int(s.cut_frame) for s in data.splits],
    }
    if len(duets) > 1:
        data_info["sources"] = [d.source for d in duets]

    def prepare() -> None:
        runfiles.prepare_run_dir(run_dir, resume=resume, overwrite=overwrite)
        text = runfiles.to_toml(config.to_dict())
        write_text_atomic(run_dir / runfiles.CONFIG, text, overwrite=True)

    run_on_main(ctx, prepare)
    if ctx.is_main:
        log.info(
            "training on %d windows of %d duet(s) (%d nodes, %d latent edges), validating on %d%s",
            len(train.features),
            len(duets),
            selection.n_nodes,
            model_config.n_latent_edges,
            len(valid.features),
            f"; {ctx.world_size} processes, global batch {config.train.batch_size}"
            if ctx.active
            else "",
        )
    return fit(
        model_config,
        config,
        train,
        valid,
        run_dir,
        data_info,
        resume_from=checkpoint,
        progress=progress,
        dist=ctx,
        runtime=runtime,
    )


def _prepare_duets(duets: Sequence[Duet], fps: float) -> list[Duet]:
    """Each duet at the model's frame rate; InputError if skeletons (or kept rates) differ."""
    first = duets[0]
    for d in duets[1:]:
        if d.skeleton != first.skeleton:
            raise InputError(
                f"{d.source}: its skeleton is {d.skeleton} but {first.source}'s is "
                f"{first.skeleton}; one run needs one skeleton — convert the duets to one or "
                "train them in separate runs."
            )
    prepared = [prepare_duet(d, fps) for d in duets]
    for d, p in zip(duets[1:], prepared[1:], strict=True):
        if abs(p.fps - prepared[0].fps) > 1e-6:
            raise InputError(
                f"{d.source}: {p.fps:g} fps but {first.source} has {prepared[0].fps:g} fps; "
                "give --model-fps (e.g. 10) so that every duet is resampled to one rate."
            )
    return prepared
