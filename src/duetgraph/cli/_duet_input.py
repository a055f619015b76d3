"""Reading the one duet a command works on (train, infer, analyze): any readable format."""

from __future__ import annotations

from pathlib import Path

from duetgraph.duet import Duet
from duetgraph.errors import InputError


def load_duet(path: str | Path, fps: float | None = None) -> Duet:
    """A two-dancer Duet from `path` (duet .npz, .npy, .csv); raw detections must be cleaned.

    Raises:
        InputError: unreadable file, or raw detector output that needs `duetgraph clean` first.
    """
    from duetgraph.io.detections import Detections
    from duetgraph.io.read import read_input

    data = read_input(Path(path), fps=fps)
    if isinstance(data, Detections):
        raise InputError(
            f"{path}: holds raw per-frame detections; run `duetgraph clean {path} -o duet.npz` "
            "first and pass duet.npz."
        )
    return data
