"""Datasets in NRI's own file layout, so that NRI's scripts and ours read each other's data.

NRI (Kipf et al. 2018, `data/generate_dataset.py`) writes one `.npy` file per array and split into
one folder, named `{array}_{split}_{suffix}.npy` with suffix e.g. `springs5`:

| file | shape | content |
|---|---|---|
| `loc_{split}_{suffix}.npy` | (S, T, 2, n) float64 | positions |
| `vel_{split}_{suffix}.npy` | (S, T, 2, n) float64 | velocities |
| `edges_{split}_{suffix}.npy` | (S, n, n) float64 | springs: 0/1; charged: q_i · q_j = ±1 |
| `feat_{split}_{suffix}.npy` | (S, n, T, F) float64 | Kuramoto features (instead of loc/vel) |

NRI turns raw edges into labels with (e + 1) / 2 truncated to an integer, which maps springs' 0/1
and charged's −1/+1 alike onto 0/1; `load_nri_split` does the same and returns int64 labels. The
diagonal is never an edge: NRI's charged files hold q_i² = 1 there, ours hold 0, and the loader
keeps whatever is stored. Splits are train, valid and test; NRI's test trajectories are
twice as long (10 000 steps → 99 frames). Besides the arrays we write `meta_{suffix}.json` with
the settings and seed (one file per suffix, so that several systems can share a folder as in NRI's
`data/`); it is written last, so its presence means the dataset is complete.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import numpy as np

from duetgraph import __version__
from duetgraph.atomic import atomic_path, check_writable, write_text_atomic
from duetgraph.errors import InputError
from duetgraph.sim.charged import ChargedConfig, simulate_charged
from duetgraph.sim.kuramoto import (
    KURAMOTO_FEATURES,
    KuramotoConfig,
    KuramotoTrajectories,
    simulate_kuramoto,
)
from duetgraph.sim.leapfrog import ProgressFn, Trajectories
from duetgraph.sim.springs import SpringsConfig, simulate_springs

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")

#: system name → (config class, simulate function). A new system (e.g. planted-string duets)
#: becomes available to `make_nri_dataset` and the `simulate` command by adding one entry here.
SYSTEMS = {
    "springs": (SpringsConfig, simulate_springs),
    "charged": (ChargedConfig, simulate_charged),
    "kuramoto": (KuramotoConfig, simulate_kuramoto),
}


def nri_suffix(system: str, n_balls: int) -> str:
    """NRI's file-name suffix, e.g. ("springs", 5) → "springs5"."""
    return f"{system}{n_balls}"


def nri_path(folder: str | os.PathLike, array: str, split: str, suffix: str) -> Path:
    """Path of one NRI array file, e.g. `folder/loc_train_springs5.npy`."""
    if split not in SPLITS:
        raise InputError(f"split {split!r} is not one of {', '.join(SPLITS)}.")
    return Path(folder) / f"{array}_{split}_{suffix}.npy"


def nri_arrays(data: Trajectories | KuramotoTrajectories) -> dict[str, np.ndarray]:
    """The arrays NRI stores for one split, in its layout and edge encoding (see module doc)."""
    if isinstance(data, KuramotoTrajectories):
        # (S, T, F, n) → NRI's (S, n, T, F)
        return {"feat": data.features.transpose(0, 3, 1, 2), "edges": data.edges.astype(np.int64)}
    if data.system == "charged" and data.charges is not None:
        edges = data.charges[:, :, None] * data.charges[:, None, :]  # NRI: charges · chargesᵀ
        edges[:, np.arange(edges.shape[1]), np.arange(edges.shape[1])] = 0.0  # no self-edges
    else:
        edges = data.edges
    return {"loc": data.positions, "vel": data.velocities, "edges": edges.astype(np.float64)}


def write_nri_split(
    folder: str | os.PathLike,
    suffix: str,
    split: str,
    data: Trajectories | KuramotoTrajectories,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write one split's arrays atomically; refuse to replace files unless `overwrite`.

    Returns:
        The paths written.

    Raises:
        OutputError: a file exists and `overwrite` is False (checked before anything is written).
    """
    arrays = nri_arrays(data)
    paths = {name: nri_path(folder, name, split, suffix) for name in arrays}
    for path in paths.values():
        check_writable(path, overwrite)
    for name, path in paths.items():
        with atomic_path(path, overwrite) as tmp:
            np.save(tmp, np.ascontiguousarray(arrays[name]), allow_pickle=False)
    return list(paths.values())


def _load(path: Path, what: str) -> np.ndarray:
    if not path.is_file():
        raise InputError(
            f"{path}: not found; generate the {what} with `duetgraph simulate` or NRI's "
            "data/generate_dataset.py, or check the folder and suffix."
        )
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(
            f"{path}: not a readable NumPy .npy array without pickle ({exc}); regenerate it."
        ) from exc


def _edge_labels(raw: np.ndarray, path: Path, n_sims: int, n_nodes: int) -> np.ndarray:
    """NRI's raw edges (S, n, n) → int64 labels: (e + 1) / 2 truncated, exactly as NRI does."""
    if raw.shape != (n_sims, n_nodes, n_nodes):
        raise InputError(
            f"{path}: edges have shape {raw.shape}, expected (S, n, n) = "
            f"({n_sims}, {n_nodes}, {n_nodes}) to match the trajectories; regenerate the split."
        )
    if raw.size and not (np.isfinite(raw).all() and raw.min() >= -1 and raw.max() <= 1):
        raise InputError(f"{path}: edge values must lie in [-1, 1] (NRI's encoding).")
    return ((raw + 1) / 2).astype(np.int64)


def load_nri_split(
    folder: str | os.PathLike, suffix: str, split: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one split of a springs/charged dataset written by us or by NRI's own scripts.

    Returns:
        loc (S, T, D, n) and vel (S, T, D, n) as stored (float64 from NRI), and edges
        (S, n, n) int64 labels (springs: 1 = spring; charged: 1 = same sign), diagonal as stored.

    Raises:
        InputError: a file is missing, unreadable, or its shape does not fit the others.
    """
    loc_path, vel_path, edges_path = (
        nri_path(folder, name, split, suffix) for name in ("loc", "vel", "edges")
    )
    loc = _load(loc_path, f"{split} split")
    vel = _load(vel_path, f"{split} split")
    raw = _load(edges_path, f"{split} split")
    if loc.ndim != 4:
        raise InputError(
            f"{loc_path}: positions have shape {loc.shape}, expected (S, T, 2, n); "
            "is this an NRI loc file?"
        )
    if vel.shape != loc.shape:
        raise InputError(
            f"{vel_path}: velocities have shape {vel.shape} but positions {loc.shape}; "
            "regenerate the split."
        )
    return loc, vel, _edge_labels(raw, edges_path, loc.shape[0], loc.shape[3])


def load_nri_kuramoto_split(
    folder: str | os.PathLike, suffix: str, split: str
) -> tuple[np.ndarray, np.ndarray]:
    """Read one split of a Kuramoto dataset in NRI's layout (`feat_…` and `edges_…`).

    Returns:
        features (S, T, F, n) (converted from NRI's (S, n, T, F)) and edges (S, n, n) int64.
    """
    feat_path, edges_path = (nri_path(folder, name, split, suffix) for name in ("feat", "edges"))
    feat = _load(feat_path, f"{split} split")
    raw = _load(edges_path, f"{split} split")
    if feat.ndim != 4:
        raise InputError(
            f"{feat_path}: features have shape {feat.shape}, expected NRI's (S, n, T, F)."
        )
    if raw.shape != (feat.shape[0], feat.shape[1], feat.shape[1]):
        raise InputError(
            f"{edges_path}: edges have shape {raw.shape}, expected "
            f"({feat.shape[0]}, {feat.shape[1]}, {feat.shape[1]}); regenerate the split."
        )
    return feat.transpose(0, 2, 3, 1), raw.astype(np.int64)


def make_nri_dataset(
    system: str,
    folder: str | os.PathLike,
    *,
    n_train: int = 50_000,
    n_valid: int = 10_000,
    n_test: int = 10_000,
    seed: int = 0,
    n_balls: int = 5,
    n_steps: int | None = None,
    n_steps_test: int | None = None,
    sample_every: int | None = None,
    chunk_size: int = 4096,
    overwrite: bool = False,
    progress: ProgressFn | None = None,
) -> Path:
    """Simulate train/valid/test splits and write them in NRI's layout; return the meta file.

    Each split has its own generator spawned from `seed` (train, valid, test), so changing one
    split's size leaves the others unchanged. `n_steps`/`sample_every` default to the system's
    config; the test split uses `n_steps_test` (default 2 × n_steps, as NRI does).

    Raises:
        InputError: unknown system or bad settings. OutputError: a file exists without overwrite.
    """
    if system not in SYSTEMS:
        raise InputError(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}.")
    sizes = {"train": n_train, "valid": n_valid, "test": n_test}
    if any(n < 0 for n in sizes.values()):
        raise InputError(f"simulation counts must not be negative, got {sizes}.")
    config_cls, simulate = SYSTEMS[system]
    fields = {"n_balls": n_balls}
    if n_steps is not None:
        fields["n_steps"] = n_steps
    if sample_every is not None:
        fields["sample_every"] = sample_every
    config = config_cls(**fields)
    test_config = dataclasses.replace(
        config, n_steps=n_steps_test if n_steps_test is not None else 2 * config.n_steps
    )
    suffix = nri_suffix(system, n_balls)
    folder = Path(folder)
    meta_path = folder / f"meta_{suffix}.json"
    array_names = ("feat", "edges") if system == "kuramoto" else ("loc", "vel", "edges")
    splits = [s for s in SPLITS if sizes[s] > 0]
    for split in splits:  # fail before minutes of simulation, not after
        for name in array_names:
            check_writable(nri_path(folder, name, split, suffix), overwrite)
    check_writable(meta_path, overwrite)

    children = np.random.SeedSequence(seed).spawn(len(SPLITS))
    rngs = {split: np.random.default_rng(c) for split, c in zip(SPLITS, children, strict=True)}
    meta = {
        "format": "nri",
        "system": system,
        "suffix": suffix,
        "seed": seed,
        "duetgraph_version": __version__,
        "config": dataclasses.asdict(config),
        "test_config": dataclasses.asdict(test_config),
        "layout": _layout(system),
        "splits": {},
    }
    for split in splits:
        cfg = test_config if split == "test" else config
        log.debug(
            "simulating %d %s %s systems (%d frames)", sizes[split], split, system, cfg.n_frames
        )
        data = simulate(sizes[split], rngs[split], cfg, chunk_size=chunk_size, progress=progress)
        paths = write_nri_split(folder, suffix, split, data, overwrite=overwrite)
        meta["splits"][split] = {
            "n_sims": sizes[split],
            "n_steps": cfg.n_steps,
            "n_frames": cfg.n_frames,
            "files": [p.name for p in paths],
        }
        del data
    write_text_atomic(meta_path, json.dumps(meta, indent=2) + "\n", overwrite=overwrite)
    return meta_path


def _layout(system: str) -> dict[str, str]:
    """Human-readable description of the files, stored in the meta file."""
    if system == "kuramoto":
        return {
            "feat": f"(S, n, T, F) float64, F = {', '.join(KURAMOTO_FEATURES)}",
            "edges": "(S, n, n) int64, 1 = coupled",
        }
    edges = (
        "(S, n, n) float64 q_i*q_j (+1 same sign, -1 opposite; diagonal 0)"
        if system == "charged"
        else "(S, n, n) float64, 1 = spring, 0 = none"
    )
    return {"loc": "(S, T, 2, n) float64", "vel": "(S, T, 2, n) float64", "edges": edges}
