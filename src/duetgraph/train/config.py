"""Training configuration: `TrainConfig`, the run config of a TOML file, presets and CLI flags.

A run is described by three sections, each a frozen dataclass or the plain fields of one:

```toml
[data]              # PhysicsDataConfig: which simulation files, how many of them
system = "springs5"
[model]             # ModelConfig fields that do not come from the data (n_hidden, encoder, ...)
n_hidden = 256
[train]             # TrainConfig
epochs = 500
```

Values are resolved as defaults ← preset or `--config` file ← command-line flags; every flag of
`duetgraph train` maps onto exactly one field (`FLAGS`). Unknown sections or keys, and values of
the wrong type, raise `InputError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from duetgraph.data.physics import PhysicsDataConfig
from duetgraph.errors import InputError
from duetgraph.model.config import (
    DECODERS,
    ENCODERS,
    EVAL_EDGES,
    KL_REDUCTIONS,
    LIKELIHOODS,
    PAIR_INPUTS,
    READOUTS,
    ModelConfig,
)

SELECT_ON = ("nll", "loss")
# ModelConfig fields that are set from the data set, never from a config file or flag.
# What may change when a run is resumed: how long and where it runs, not what it learns.
RESUMABLE = frozenset(
    {
        ("train", "epochs"),
        ("train", "time_limit_min"),
        ("train", "cpu_limit_min"),
        ("train", "threads"),
        ("train", "device"),
    }
)


MODEL_FIELDS_FROM_DATA = frozenset(
    {
        "n_nodes",
        "n_features",
        "n_input_frames",
        "latent_edges",
        "known_edges",
        "n_dims",
        "velocity_ratio",
    }
)


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Defaults are NRI's (Kipf et al. 2018) where NRI has one.

    Args:
        epochs: passes over the train split.
        batch_size: samples per optimiser step.
        lr: Adam learning rate.
        lr_decay_every: multiply the learning rate by `lr_decay` every this many epochs (NRI: 200);
            0 keeps it constant.
        lr_decay: the factor (NRI: 0.5).
        lr_min: the decay stops at this learning rate (0: no floor); a fast schedule can decay
            to NRI's 5e-4 and hold it there.
        grad_clip: rescale each step's gradient to this global L2 norm when it is larger (0: off,
            NRI): a guard against single-batch spikes (on charged-5 the norm reaches 2e6 in the
            first steps against ~35 000 later; bench/RESULTS.md).
        beta_start: KL weight β at epoch 0; it grows linearly to 1 over `beta_anneal_epochs`.
        beta_anneal_epochs: epochs until β = 1 (0: β = 1 throughout). Must not exceed `epochs`,
            so that β reaches 1.
        select_on: validation metric that picks `best.pt`: "nll" (NRI) or "loss" (nll + kl at β=1).
        seed: seeds the shuffling, Gumbel and dropout generators; same seed, same run.
        threads: torch CPU threads during training (0: one per core not busy with other
            processes at the start, `train.runtime.idle_threads`).
        time_limit_min: stop after this many wall-clock minutes of this invocation, mid-epoch if
            need be, keeping the best model so far (0: no limit).
        cpu_limit_min: the same in minutes of this process's CPU time, summed over its threads
            (0: no limit); steadier than wall time on a shared machine.
        device: "cpu", "cuda" or "cuda:N".
    """

    epochs: int = 500
    batch_size: int = 128
    lr: float = 5e-4
    lr_decay_every: int = 200
    lr_decay: float = 0.5
    lr_min: float = 0.0
    grad_clip: float = 0.0
    beta_start: float = 1.0
    beta_anneal_epochs: int = 0
    select_on: str = "nll"
    seed: int = 0
    threads: int = 0
    time_limit_min: float = 0.0
    cpu_limit_min: float = 0.0
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise InputError(
                    f"TrainConfig.{name} must be at least 1, got {getattr(self, name)}."
                )
        for name in ("lr_decay_every", "beta_anneal_epochs", "seed", "threads"):
            if getattr(self, name) < 0:
                raise InputError(f"TrainConfig.{name} must be >= 0, got {getattr(self, name)}.")
        if self.lr <= 0 or not 0 < self.lr_decay <= 1:
            raise InputError("TrainConfig.lr must be > 0 and lr_decay in (0, 1].")
        if not 0 <= self.lr_min <= self.lr:  # also refuses NaN
            raise InputError(
                f"TrainConfig.lr_min must be between 0 (no floor) and lr ({self.lr}), "
                f"got {self.lr_min}."
            )
        if not self.grad_clip >= 0:  # also refuses NaN
            raise InputError(f"TrainConfig.grad_clip must be >= 0 (0: off), got {self.grad_clip}.")
        if not 0 <= self.beta_start <= 1:
            raise InputError(f"TrainConfig.beta_start must be in [0, 1], got {self.beta_start}.")
        if self.beta_anneal_epochs > self.epochs:
            raise InputError(
                f"TrainConfig.beta_anneal_epochs ({self.beta_anneal_epochs}) exceeds epochs "
                f"({self.epochs}): the KL weight would never reach 1; shorten the annealing."
            )
        if self.select_on not in SELECT_ON:
            raise InputError(
                f"TrainConfig.select_on must be one of {SELECT_ON}, got {self.select_on!r}."
            )
        if self.time_limit_min < 0 or self.cpu_limit_min < 0:
            raise InputError("TrainConfig time and CPU limits must be >= 0 (0: no limit).")

    def lr_at(self, epoch: int) -> float:
        """Learning rate of 0-based `epoch` (step decay, held at `lr_min`)."""
        if self.lr_decay_every <= 0:
            return self.lr
        return max(self.lr * self.lr_decay ** (epoch // self.lr_decay_every), self.lr_min)

    def beta_at(self, epoch: int) -> float:
        """KL weight β of 0-based `epoch`; 1 from epoch `beta_anneal_epochs` on."""
        if self.beta_anneal_epochs <= 0 or epoch >= self.beta_anneal_epochs:
            return 1.0
        return self.beta_start + (1.0 - self.beta_start) * epoch / self.beta_anneal_epochs

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "TrainConfig") -> TrainConfig:
        return cls(**_checked(d, _defaults(cls), source, "train"))


@dataclass(frozen=True)
class RunConfig:
    """Everything a config file or preset holds: data selection, model options, training."""

    data: PhysicsDataConfig = field(default_factory=PhysicsDataConfig)
    model: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": dataclasses.asdict(self.data),
            "model": dict(self.model),
            "train": self.train.to_dict(),
        }

    def model_config(self, **from_data: Any) -> ModelConfig:
        """The ModelConfig of these options and the data-derived fields `from_data`."""
        try:
            return ModelConfig(**{**self.model, **from_data})
        except (TypeError, ValueError) as exc:
            raise InputError(f"model options: {exc}") from exc


def _defaults(cls) -> dict[str, Any]:
    out = {}
    for f in fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
    return out


def model_defaults() -> dict[str, Any]:
    """Defaults of the ModelConfig fields that a config file may set."""
    return {k: v for k, v in _defaults(ModelConfig).items() if k not in MODEL_FIELDS_FROM_DATA}


# Types a key may take, for fields whose default does not tell (None defaults).
_OPTIONAL_TYPES = {"edge_prior": (list, tuple)}


def _checked(values: dict[str, Any], defaults: dict[str, Any], source: str, section: str) -> dict:
    """Check keys and value types of one section against its defaults; return a plain dict."""
    out = {}
    for key, value in values.items():
        if key not in defaults:
            hint = " (it is set from the data)" if key in MODEL_FIELDS_FROM_DATA else ""
            raise InputError(
                f"{source}: [{section}] has no key {key!r}{hint}; known keys: "
                f"{', '.join(sorted(defaults))}."
            )
        default = defaults[key]
        if default is None:
            ok = value is None or isinstance(value, _OPTIONAL_TYPES.get(key, ()))
            value = tuple(value) if isinstance(value, list) else value
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, type(default))
        if not ok:
            raise InputError(
                f"{source}: [{section}] {key} = {value!r} should be {_kind(default)}; fix the value."
            )
        out[key] = value
    return out


def _kind(default: Any) -> str:
    if default is None:
        return "a list"
    if isinstance(default, bool):
        return "true or false"
    return {int: "an integer", float: "a number", str: "a string"}.get(type(default), "a value")


def run_config_from_dict(d: dict[str, Any], source: str = "config") -> RunConfig:
    """Build a RunConfig from `{"data": {...}, "model": {...}, "train": {...}}` (any may be absent)."""
    unknown = sorted(set(d) - {"data", "model", "train"})
    if unknown:
        raise InputError(
            f"{source}: unknown section(s) {unknown}; a config has [data], [model] and [train]."
        )
    for name in ("data", "model", "train"):
        if not isinstance(d.get(name, {}), dict):
            raise InputError(f"{source}: {name} must be a table ([{name}]).")
    data = _checked(d.get("data", {}), _defaults(PhysicsDataConfig), source, "data")
    model = _checked(d.get("model", {}), model_defaults(), source, "model")
    train = _checked(d.get("train", {}), _defaults(TrainConfig), source, "train")
    cfg = RunConfig(PhysicsDataConfig(**data), model, TrainConfig(**train))
    cfg.model_config(**_placeholder_data_fields())  # model options are checked now, not later
    return cfg


def _placeholder_data_fields() -> dict[str, Any]:
    return {"n_nodes": 2, "n_features": 4, "n_input_frames": 2, "latent_edges": ((0, 1),)}


def read_toml(path: str | Path) -> dict[str, Any]:
    """The tables of a TOML config file; InputError naming the file if unreadable or invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the config file ({exc.strerror}).") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}).") from exc


def load_run_config(path: str | Path) -> RunConfig:
    """Read a TOML config file (see the module docstring)."""
    return run_config_from_dict(read_toml(path), str(path))


def preset_names() -> list[str]:
    """Names of the presets shipped in `duetgraph/presets/*.toml`."""
    folder = resources.files("duetgraph") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> RunConfig:
    """The shipped preset `name` (e.g. "nri_springs5")."""
    names = preset_names()
    if name not in names:
        raise InputError(f"unknown preset {name!r}; choose one of {', '.join(names)}.")
    with resources.as_file(resources.files("duetgraph") / "presets" / f"{name}.toml") as p:
        return load_run_config(p)


@dataclass(frozen=True)
class Flag:
    """One command-line flag and the one config field it sets."""

    name: str  # "--hidden"
    section: str  # "model"
    key: str  # "n_hidden"
    type: type  # int, float, str, bool (--x / --no-x) or tuple (comma-separated floats)
    help: str
    choices: tuple[str, ...] | None = None


FLAGS: tuple[Flag, ...] = (
    Flag("--system", "data", "system", str, "simulation file suffix, e.g. springs5, charged5"),
    Flag(
        "--max-train-sims",
        "data",
        "max_train_sims",
        int,
        "use the first N train simulations (0: all)",
    ),
    Flag(
        "--max-valid-sims",
        "data",
        "max_valid_sims",
        int,
        "use the first N valid simulations (0: all)",
    ),
    Flag("--encoder", "model", "encoder", str, "edge encoder", ENCODERS),
    Flag("--decoder", "model", "decoder", str, "dynamics decoder", DECODERS),
    Flag("--hidden", "model", "n_hidden", int, "hidden width H"),
    Flag("--edge-types", "model", "n_edge_types", int, "edge types K"),
    Flag(
        "--pred-steps", "model", "n_pred_steps", int, "decoder steps between teacher-forced frames"
    ),
    Flag("--edge-prior", "model", "edge_prior", tuple, "prior of each edge type, e.g. 0.9,0.1"),
    Flag(
        "--skip-first-edge-type",
        "model",
        "skip_first_edge_type",
        bool,
        "edge type 0 sends no messages",
    ),
    Flag("--symmetric", "model", "symmetric", bool, "one latent variable per unordered pair"),
    Flag("--hard", "model", "hard", bool, "straight-through one-hot Gumbel samples in training"),
    Flag(
        "--eval-edges",
        "model",
        "eval_edges",
        str,
        "decoder edges in eval mode",
        EVAL_EDGES,
    ),
    Flag("--bone-weight", "model", "bone_weight", float, "weight of the bone-length loss"),
    Flag("--dropout", "model", "dropout", float, "dropout probability"),
    Flag("--tau", "model", "tau", float, "Gumbel-softmax temperature"),
    Flag(
        "--likelihood",
        "model",
        "likelihood",
        str,
        "reconstruction likelihood",
        LIKELIHOODS,
    ),
    Flag(
        "--output-variance",
        "model",
        "output_variance",
        float,
        "variance of the reconstruction likelihood",
    ),
    Flag(
        "--kl-reduction",
        "model",
        "kl_reduction",
        str,
        "KL per edge (edge) or summed over edges per node (node, NRI's scale)",
        KL_REDUCTIONS,
    ),
    Flag(
        "--readout",
        "model",
        "readout",
        str,
        "next frame: x + CV step + correction (residual), or predict the change of velocity "
        "and move by the new velocity (kinematic; needs position + velocity features)",
        READOUTS,
    ),
    Flag(
        "--train-decoder-frames",
        "model",
        "train_decoder_frames",
        int,
        "in training, decode only the first N frames of each sample (0: all); the encoder sees all",
    ),
    Flag(
        "--pair-inputs",
        "model",
        "pair_inputs",
        str,
        "edge functions see the two nodes side by side (concat), or also their difference and "
        "distance (relative; mlp encoder and decoder)",
        PAIR_INPUTS,
    ),
    Flag("--epochs", "train", "epochs", int, "epochs"),
    Flag("--batch-size", "train", "batch_size", int, "samples per step"),
    Flag("--lr", "train", "lr", float, "Adam learning rate"),
    Flag(
        "--lr-decay-every",
        "train",
        "lr_decay_every",
        int,
        "epochs between learning-rate decays (0: never)",
    ),
    Flag("--lr-decay", "train", "lr_decay", float, "learning-rate decay factor"),
    Flag("--lr-min", "train", "lr_min", float, "the decay stops at this learning rate (0: none)"),
    Flag("--grad-clip", "train", "grad_clip", float, "largest gradient norm per step (0: off)"),
    Flag("--beta-start", "train", "beta_start", float, "KL weight at epoch 0 (annealed to 1)"),
    Flag(
        "--beta-anneal-epochs",
        "train",
        "beta_anneal_epochs",
        int,
        "epochs until the KL weight is 1",
    ),
    Flag("--select-on", "train", "select_on", str, "validation metric for best.pt", SELECT_ON),
    Flag("--seed", "train", "seed", int, "random seed"),
    Flag("--threads", "train", "threads", int, "torch CPU threads (0: the cores not busy now)"),
    Flag(
        "--time-limit-min",
        "train",
        "time_limit_min",
        float,
        "stop after M minutes, keeping the best model",
    ),
    Flag(
        "--cpu-limit-min",
        "train",
        "cpu_limit_min",
        float,
        "stop after M minutes of CPU time, keeping the best model",
    ),
    Flag("--device", "train", "device", str, "cpu, cuda or cuda:N"),
)


def apply_overrides(cfg: RunConfig, overrides: dict[tuple[str, str], Any]) -> RunConfig:
    """A copy of `cfg` with `{(section, key): value}` set (values already of the right type)."""
    data = dataclasses.asdict(cfg.data)
    model = dict(cfg.model)
    train = cfg.train.to_dict()
    sections = {"data": data, "model": model, "train": train}
    for (section, key), value in overrides.items():
        sections[section][key] = value
    return run_config_from_dict(sections, "command line")
