"""Checkpoints: plain, checksummed, written atomically.

A checkpoint is one `torch.save` file holding a dict of tensors and plain values only (str, int,
float, bool, None, lists, tuples, dicts), so `torch.load(path, weights_only=True)` opens it
without running any code. Its `"sha256"` entry is a digest of everything else, recomputed on
load: a truncated or altered file raises `CheckpointError` naming the file instead of silently
giving other weights. Writes go through `duetgraph.atomic.atomic_path`, so a crash mid-write
leaves the previous checkpoint in place.

Keys written by `duetgraph.train.loop` (see `CHECKPOINT_KEYS`): format, version, epoch,
model_config (ModelConfig.to_dict()), model_state, optimizer_state, rng (generator states as
uint8 tensors), run_config (RunConfig.to_dict()), data (kind, system, normalisation), best
(metric name, value, epoch), history (per-epoch metrics, dict of lists), partial (bool).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch

from duetgraph.atomic import atomic_path
from duetgraph.errors import InputError

FORMAT = "duetgraph-checkpoint"
VERSION = 1
CHECKPOINT_KEYS = frozenset(
    {
        "format",
        "version",
        "epoch",
        "model_config",
        "model_state",
        "optimizer_state",
        "rng",
        "run_config",
        "data",
        "best",
        "history",
        "partial",
    }
)


class CheckpointError(InputError):
    """A checkpoint file is missing, truncated, altered or not ours."""


def _update_digest(h: Any, obj: Any, where: str) -> None:
    """Feed `obj` into hash `h` in a canonical order; raise TypeError on non-plain values."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach().to("cpu").contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}".encode())
        for key in sorted(obj, key=lambda k: (type(k).__name__, repr(k))):
            _update_digest(h, key, where)
            _update_digest(h, obj[key], f"{where}[{key!r}]")
    elif isinstance(obj, list | tuple):
        h.update(f"L{len(obj)}".encode())  # lists and tuples hash alike
        for i, item in enumerate(obj):
            _update_digest(h, item, f"{where}[{i}]")
    elif obj is None or isinstance(obj, bool | int | float | str):
        h.update(repr((type(obj).__name__, obj)).encode())
    else:
        raise TypeError(
            f"checkpoint value {where} is a {type(obj).__name__}; only tensors and plain values may be saved"
        )


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of every entry of `payload` except "sha256"."""
    h = hashlib.sha256()
    _update_digest(h, {k: v for k, v in payload.items() if k != "sha256"}, "checkpoint")
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write `payload` (plus format, version and checksum) atomically to `path`, replacing it."""
    unknown = set(payload) - CHECKPOINT_KEYS
    if unknown:
        raise ValueError(f"unknown checkpoint keys {sorted(unknown)}")
    full = {**payload, "format": FORMAT, "version": VERSION}
    full["sha256"] = payload_digest(full)
    with atomic_path(path, overwrite=True) as tmp:
        torch.save(full, tmp)
    return Path(path)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Load and verify a checkpoint written by `save_checkpoint`.

    Raises:
        CheckpointError: the file is missing, unreadable, truncated, altered, or not a duetgraph
            checkpoint; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint here; check the run folder.")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, disallowed type: all mean "damaged"
        raise CheckpointError(
            f"{path}: cannot be read as a checkpoint ({type(exc).__name__}); the file is "
            "truncated or damaged — resume from another checkpoint or retrain."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: is not a duetgraph checkpoint.")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {payload.get('version')!r} is not supported "
            f"(this duetgraph reads version {VERSION})."
        )
    stored = payload.get("sha256")
    if not isinstance(stored, str) or payload_digest(payload) != stored:
        raise CheckpointError(
            f"{path}: checksum mismatch, the checkpoint was altered or damaged after it was "
            "written; resume from another checkpoint or retrain."
        )
    missing = CHECKPOINT_KEYS - set(payload)
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {sorted(missing)}.")
    return payload
