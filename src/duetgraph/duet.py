"""The canonical duet: both dancers' 3D joint positions over time.

`Duet.positions` has shape (T, 2, J, 3): T frames, 2 persons (dancer A then B), J joints of the
named skeleton, xyz in **metres**, **right-handed, z up**. Every reader converts to this layout
once; everything downstream relies on it. A duet is saved as `.npz` holding plain arrays and one
JSON metadata string, and is loaded without pickle.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from duetgraph.atomic import atomic_path
from duetgraph.errors import InputError
from duetgraph.skeleton import Skeleton, get_skeleton

FORMAT_VERSION = 1
# What np.load raises on damaged .npy/.npz files (zlib.error: a corrupted compressed member).
NUMPY_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
)


@dataclass(frozen=True)
class Duet:
    """Two dancers' poses over time in the canonical layout.

    Args:
        positions: (T, 2, J, 3) float32, metres, z up.
        fps: frames per second, > 0.
        skeleton: skeleton name (see `duetgraph.skeleton.SKELETONS`).
        dancers: labels of the two dancers, A then B.
        confidence: optional (T, 2, J) per-joint confidence in [0, 1].
        provenance: list of plain dicts, one per step that made this duet (reader, every cleaning
            step with its counts), oldest first.
    """

    positions: np.ndarray
    fps: float
    skeleton: str = "smpl29"
    dancers: tuple[str, str] = ("A", "B")
    confidence: np.ndarray | None = None
    provenance: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", np.asarray(self.positions, dtype=np.float32))
        if self.confidence is not None:
            object.__setattr__(self, "confidence", np.asarray(self.confidence, dtype=np.float32))
        object.__setattr__(self, "dancers", tuple(self.dancers))
        object.__setattr__(self, "provenance", tuple(dict(p) for p in self.provenance))
        self.validate()

    # ------------------------------------------------------------------ properties
    @property
    def n_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def n_joints(self) -> int:
        return self.positions.shape[2]

    @property
    def duration(self) -> float:
        """Seconds from the first to one frame past the last frame."""
        return self.n_frames / self.fps

    @property
    def skeleton_def(self) -> Skeleton:
        return get_skeleton(self.skeleton)

    @property
    def source(self) -> str:
        """Where the duet came from (the first provenance step's `source`, if any)."""
        for step in self.provenance:
            if "source" in step:
                return str(step["source"])
        return "unknown"

    # ------------------------------------------------------------------ checks
    def validate(self, where: str = "duet") -> None:
        """Raise InputError unless shape, values, fps and skeleton agree.

        Args:
            where: how to name the duet in messages (usually its file name).
        """
        pos = self.positions
        if pos.ndim != 4 or pos.shape[1] != 2 or pos.shape[3] != 3:
            raise InputError(
                f"{where}: positions have shape {pos.shape}, expected (frames, 2, joints, 3); "
                "pass both dancers' 3D joints."
            )
        if pos.shape[0] == 0:
            raise InputError(
                f"{where}: the duet has no frames; give a sequence with at least one frame."
            )
        if not np.isfinite(pos).all():
            bad = np.argwhere(~np.isfinite(pos))[0]
            raise InputError(
                f"{where}: positions contain NaN or infinity (first at frame {bad[0]}, dancer {bad[1]}, "
                f"joint {bad[2]}); fill or clean the gaps first (duetgraph clean)."
            )
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise InputError(
                f"{where}: fps is {self.fps}; it must be a positive number (e.g. --fps 30)."
            )
        try:
            skel = get_skeleton(self.skeleton)
        except KeyError as exc:
            raise InputError(f"{where}: {exc.args[0]}") from None
        if skel.n_joints != pos.shape[2]:
            raise InputError(
                f"{where}: skeleton {skel.name} has {skel.n_joints} joints but the data has "
                f"{pos.shape[2]}; pass the matching --skeleton."
            )
        if len(self.dancers) != 2:
            raise InputError(f"{where}: expected two dancer labels, got {list(self.dancers)}.")
        if self.confidence is not None and self.confidence.shape != pos.shape[:3]:
            raise InputError(
                f"{where}: confidence has shape {self.confidence.shape}, expected {pos.shape[:3]}."
            )

    # ------------------------------------------------------------------ derivation
    def with_step(self, step: str, positions: np.ndarray | None = None, **info: Any) -> Duet:
        """A new Duet with `positions` (default: unchanged) and one more provenance entry.

        Args:
            step: name of the step, e.g. "dct_smooth".
            positions: (T', 2, J, 3) new positions, or None to keep the current ones.
            **info: plain JSON-able counts and settings of the step; `fps` and `confidence`
                keys, if given, also replace those fields.
        """
        fps = info.get("fps", self.fps)
        confidence = info.pop("confidence", self.confidence)
        pos = self.positions if positions is None else positions
        if confidence is not None and confidence.shape[0] != pos.shape[0]:
            confidence = None
        return replace(
            self,
            positions=pos,
            fps=float(fps),
            confidence=confidence,
            provenance=self.provenance + ({"step": step, **info},),
        )

    # ------------------------------------------------------------------ files
    def metadata(self) -> dict[str, Any]:
        return {
            "format": "duetgraph.duet",
            "version": FORMAT_VERSION,
            "fps": float(self.fps),
            "skeleton": self.skeleton,
            "dancers": list(self.dancers),
            "provenance": list(self.provenance),
            "units": "metres",
            "axes": "right-handed, z up",
            "layout": "(T, 2, J, 3)",
        }

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the duet as `.npz` atomically; refuses to replace a file unless `overwrite`."""
        arrays = {"positions": self.positions, "metadata": np.array(json.dumps(self.metadata()))}
        if self.confidence is not None:
            arrays["confidence"] = self.confidence
        with atomic_path(path, overwrite) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Duet:
        """Read a duet written by `save` (no pickle is ever loaded).

        Raises:
            InputError: missing file, not an npz, no duetgraph metadata, or invalid content.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: no such file; check the path.")
        check_numpy_sizes(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                if "metadata" not in data or "positions" not in data:
                    raise InputError(
                        f"{path}: not a duetgraph duet (no 'metadata'/'positions'); for a plain "
                        "(T, 2, J, 3) array use `duetgraph convert` first."
                    )
                meta = json.loads(str(data["metadata"]))
                positions = data["positions"]
                confidence = data["confidence"] if "confidence" in data else None
        except InputError:
            raise
        except NUMPY_READ_ERRORS as exc:
            raise InputError(
                f"{path}: cannot be read as a duetgraph .npz ({one_line(exc)}); is it truncated?"
            ) from None
        fields = _fields_from_metadata(path, meta)
        for name, array in (("positions", positions), ("confidence", confidence)):
            if array is not None and not (
                np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
            ):
                raise InputError(
                    f"{path}: {name} has dtype {array.dtype}, not real numbers; the file is "
                    "damaged, so write it again with duetgraph."
                )
        duet = cls.__new__(cls)
        for name, value in {
            "positions": np.asarray(positions, dtype=np.float32),
            "confidence": None if confidence is None else np.asarray(confidence, dtype=np.float32),
            **fields,
        }.items():
            object.__setattr__(duet, name, value)
        duet.validate(where=str(path))
        return duet

    def __repr__(self) -> str:
        return (
            f"Duet(n_frames={self.n_frames}, fps={self.fps:g}, skeleton={self.skeleton!r}, "
            f"dancers={self.dancers}, steps={len(self.provenance)})"
        )


def _fields_from_metadata(path: Path, meta: Any) -> dict[str, Any]:
    """fps, skeleton, dancers and provenance from a duet file's metadata, type-checked.

    Raises:
        InputError: naming the file and the first missing or mistyped entry.
    """
    if not isinstance(meta, dict) or meta.get("format") != "duetgraph.duet":
        raise InputError(f"{path}: metadata does not describe a duetgraph duet.")
    version = meta.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(
            f"{path}: metadata version is {version!r}, not a number; the file is damaged."
        )
    if version > FORMAT_VERSION:
        raise InputError(f"{path}: written by a newer duetgraph (format {version}); upgrade.")
    fps, skeleton = meta.get("fps"), meta.get("skeleton")
    dancers, provenance = meta.get("dancers"), meta.get("provenance", [])
    problem = None
    if isinstance(fps, bool) or not isinstance(fps, int | float):
        problem = f"fps is {fps!r}, not a number"
    elif not isinstance(skeleton, str):
        problem = f"skeleton is {skeleton!r}, not a name"
    elif not (
        isinstance(dancers, list) and len(dancers) == 2 and all(isinstance(d, str) for d in dancers)
    ):
        problem = f"dancers is {dancers!r}, not two labels"
    elif not (isinstance(provenance, list) and all(isinstance(p, dict) for p in provenance)):
        problem = "provenance is not a list of steps"
    if problem is not None:
        raise InputError(f"{path}: metadata {problem}; the file is damaged, so write it again.")
    return {
        "fps": float(fps),
        "skeleton": skeleton,
        "dancers": tuple(dancers),
        "provenance": tuple(provenance),
    }


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (for embedding in our one-sentence errors)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _declared_size(f: Any) -> tuple[tuple[int, ...], int] | None:
    """(shape, bytes of data) a .npy header read from `f` declares; None if not plain numbers."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        return None  # other versions: np.load checks them itself
    if dtype.hasobject:
        return None  # refused by np.load(allow_pickle=False) anyway
    return shape, int(np.prod(shape, dtype=object)) * dtype.itemsize


def check_numpy_sizes(path: Path) -> None:
    """Raise InputError if a .npy file or a member of a .npz holds less data than it declares.

    A truncated file, or a header forged to claim a huge shape, would otherwise make numpy try
    to allocate the declared size (a MemoryError for terabytes) before noticing the data is short.
    Other damage is left to np.load.
    """
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
            f.seek(0)
            if magic == b"\x93NUMPY":
                declared = _declared_size(f)
                members = [(None, declared, path.stat().st_size - f.tell())]
            elif magic.startswith(b"PK"):
                members = []
                with zipfile.ZipFile(f) as zf:
                    for info in zf.infolist():
                        if info.filename.endswith(".npy"):
                            with zf.open(info) as member:
                                declared = _declared_size(member)
                                members.append(
                                    (info.filename, declared, info.file_size - member.tell())
                                )
            else:
                return
    except NUMPY_READ_ERRORS:
        return  # np.load names the damage
    for name, declared, available in members:
        if declared is not None and declared[1] > available:
            what = "the header" if name is None else f"array {name!r}"
            raise InputError(
                f"{path}: {what} declares shape {declared[0]} ({declared[1]} bytes) but the "
                f"file holds {max(available, 0)} bytes of data; it is truncated or damaged, so "
                "write it again."
            )
