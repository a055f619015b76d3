"""Atomic, non-destructive file writing.

Outputs and checkpoints are written to a temporary file in the destination folder and renamed
into place only once complete, so a crash never leaves a half-written file, and an existing file
is never replaced unless the caller says `overwrite=True`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from duetgraph.errors import OutputError


def check_writable(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Return `path` as a Path after checking it may be written.

    Raises:
        OutputError: the file exists and `overwrite` is False, or its folder cannot be created.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(
            f"{path}: the output already exists; choose another name or pass --overwrite."
        )
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file; give a file name.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{path.parent}: cannot create the output folder ({exc.strerror})."
        ) from exc
    return path


def _same_file(a: Path, b: Path) -> bool:
    """True if `a` and `b` name the same file (links followed; either may not exist yet)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_not_input(
    outputs: Iterable[str | os.PathLike], inputs: Iterable[str | os.PathLike | None]
) -> None:
    """Raise OutputError if an output would replace one of the inputs (inputs are only read).

    Compares the files themselves (symbolic and hard links included), so `-o ./in.npz` for
    `in.npz` is caught too; `--overwrite` never allows it.
    """
    sources = [Path(p) for p in inputs if p is not None]
    for out in map(Path, outputs):
        for src in sources:
            if _same_file(out, src):
                raise OutputError(
                    f"{out}: is also an input ({src}); inputs are never overwritten, so choose "
                    "another output name."
                )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `path`; move it onto `path` when the block succeeds.

    The temporary file keeps `path`'s suffix so that writers which append suffixes (numpy) behave.
    On any exception the temporary file is removed and `path` is left untouched.

    Example:
        with atomic_path("duet.npz") as tmp:
            np.savez(tmp, ...)
    """
    path = check_writable(path, overwrite)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write here ({exc.strerror}); choose a writable folder."
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600 files; give the output the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if not overwrite and path.exists():
            raise OutputError(f"{path}: appeared while writing; pass --overwrite to replace it.")
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not be written ({exc.strerror}); nothing was changed."
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str, overwrite: bool = False) -> Path:
    """Write `text` (UTF-8) to `path` atomically; return the path."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, overwrite: bool = False) -> Path:
    """Write `data` to `path` atomically; return the path."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)
