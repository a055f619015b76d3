"""The run folder: what a training run writes, and the rule that a run is never clobbered.

```
runs/springs/
  config.toml     the resolved run config ([data], [model], [train]); usable as --config
  last.pt         checkpoint after the last complete epoch (what --resume continues from)
  best.pt         checkpoint with the best validation metric (what evaluate reads)
  metrics.csv     one row per epoch
  metrics_test.json   written by `duetgraph evaluate`
```

A folder that already holds files is refused unless the caller resumes (continue from
`last.pt`) or overwrites (the run's own files are deleted first; foreign files are kept).
Every file is written atomically (`duetgraph.atomic`), so a killed run leaves complete files and,
at worst, a temporary file of an interrupted write, which the next resume or overwrite removes.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

from duetgraph.errors import InputError, OutputError

log = logging.getLogger(__name__)

CONFIG = "config.toml"
LAST = "last.pt"
BEST = "best.pt"
METRICS_CSV = "metrics.csv"


def metrics_json_name(split: str, box_symmetries: bool = False) -> str:
    """The evaluation file of `split` (the symmetry-averaged evaluation has its own)."""
    return f"metrics_{split}_box8.json" if box_symmetries else f"metrics_{split}.json"


def _run_files(run_dir: Path) -> list[Path]:
    names = [CONFIG, LAST, BEST, METRICS_CSV]
    files = [run_dir / n for n in names if (run_dir / n).exists()]
    return files + sorted(run_dir.glob("metrics_*.json"))


def stale_temporaries(run_dir: Path) -> list[Path]:
    """Temporary files of the run's own outputs left by a killed process (SIGKILL, power cut).

    `duetgraph.atomic.atomic_path` writes `.NAME.XXXX.tmp.SUFFIX` next to NAME and renames it
    into place; a process killed in between leaves the temporary file behind (never NAME half
    written).
    """
    names = [CONFIG, LAST, BEST, METRICS_CSV, "metrics_*.json"]
    return sorted(p for n in names for p in run_dir.glob(f".{n}.*.tmp*") if p.is_file())


def check_run_dir(run_dir: str | os.PathLike, *, resume: bool, overwrite: bool) -> Path:
    """Raise unless a run may write into `run_dir`; change nothing.

    Raises:
        InputError: --resume without a checkpoint to resume, or with --overwrite.
        OutputError: the folder holds files and neither --resume nor --overwrite was given.
    """
    run_dir = Path(run_dir)
    if resume and overwrite:
        raise InputError(
            "choose --resume (continue the run) or --overwrite (start again), not both."
        )
    if run_dir.exists() and not run_dir.is_dir():
        raise OutputError(f"{run_dir}: is a file; give a folder for the run.")
    if resume:
        if not (run_dir / LAST).is_file():
            raise InputError(
                f"{run_dir}: has no {LAST} to resume from; start a new run without --resume."
            )
    elif run_dir.exists() and any(run_dir.iterdir()) and not overwrite:
        raise OutputError(
            f"{run_dir}: already holds files; pass --resume to continue that run, "
            "--overwrite to start it again, or choose another folder."
        )
    return run_dir


def prepare_run_dir(run_dir: str | os.PathLike, *, resume: bool, overwrite: bool) -> Path:
    """`check_run_dir`, then create the folder; with `overwrite`, delete the old run's files."""
    run_dir = check_run_dir(run_dir, resume=resume, overwrite=overwrite)
    if run_dir.is_dir():
        for path in stale_temporaries(run_dir):
            log.info("%s: removing %s, left by an interrupted write", run_dir, path.name)
            path.unlink()
    if not resume and overwrite and run_dir.is_dir():
        for path in _run_files(run_dir):
            path.unlink()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{run_dir}: cannot create the run folder ({exc.strerror}).") from exc
    return run_dir


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def to_toml(sections: dict[str, dict[str, Any]]) -> str:
    """Flat sections of plain values as TOML text; None values are left out (TOML has no null)."""
    lines = []
    for name, table in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None]
        lines.append("")
    return "\n".join(lines)
