"""One entry point for every input format, and one for every output format.

`read_input` picks the reader from the file suffix unless a format is given:

| suffix        | format      | files | gives                                   |
|---------------|-------------|-------|-----------------------------------------|
| `.json`       | `alphapose` | 1     | `Detections` (clean them into a Duet)   |
| `.npz`        | `duet` if it holds duetgraph metadata, else `array` | 1 | `Duet` |
| `.npy`        | `array`     | 1     | `Duet`                                  |
| `.csv`        | `csv`       | 1     | `Duet`                                  |
| `.bvh`        | `bvh`       | 2     | `Duet` (one file per dancer)            |
| `.pk`, `.pkl` | `hybrik`    | 2     | `Duet` (one file per dancer, trusted)   |

Input files are only ever read.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

from duetgraph.duet import Duet
from duetgraph.errors import InputError, OutputError
from duetgraph.io.arrays import check_input_file, read_array, write_array
from duetgraph.io.bvh import read_bvh
from duetgraph.io.csv_long import read_csv, write_csv
from duetgraph.io.detections import Detections
from duetgraph.io.hybrik import read_hybrik

log = logging.getLogger(__name__)

FORMATS = ("alphapose", "duet", "array", "csv", "bvh", "hybrik")
OUTPUT_FORMATS = ("duet", "array", "csv")
_BY_SUFFIX = {
    ".json": "alphapose",
    ".npy": "array",
    ".npz": "npz",  # duet or array: decided by looking inside
    ".csv": "csv",
    ".bvh": "bvh",
    ".pk": "hybrik",
    ".pkl": "hybrik",
}
_OUTPUT_BY_SUFFIX = {".npz": "duet", ".npy": "array", ".csv": "csv"}
_TWO_FILES = ("bvh", "hybrik")


def _has_duet_metadata(path: Path) -> bool:
    """True if an .npz holds duetgraph's metadata entry (checked without loading arrays)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return "metadata.npy" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False  # read_array gives the message


def detect_format(paths: list[Path]) -> str:
    """The input format named by the files' suffixes (all files must agree)."""
    suffixes = {p.suffix.lower() for p in paths}
    if len(suffixes) != 1:
        raise InputError(
            f"{', '.join(map(str, paths))}: the files have different suffixes; give files of one "
            "format, or name it with --format-in."
        )
    suffix = suffixes.pop()
    if suffix not in _BY_SUFFIX:
        raise InputError(
            f"{paths[0]}: unknown suffix {suffix or '(none)'!r}; use one of "
            f"{', '.join(_BY_SUFFIX)} or name the format with --format-in ({', '.join(FORMATS)})."
        )
    kind = _BY_SUFFIX[suffix]
    if kind == "npz":
        kind = "duet" if _has_duet_metadata(paths[0]) else "array"
    return kind


def read_input(
    paths: list[Path] | Path | str,
    *,
    format: str | None = None,
    fps: float | None = None,
    skeleton: str | None = None,
    layout: str = "standard",
    axes: str | None = None,
    scale: float | None = None,
    trust_pickle: bool = False,
) -> Duet | Detections:
    """Read one input (one file, or two for BVH and HybrIK) in any supported format.

    Args:
        paths: the file, or the files of dancer A and dancer B.
        format: one of FORMATS; default from the suffix (see the module docstring).
        fps: frames per second, for formats that store none (or to override the file).
        skeleton: skeleton name; default inferred from the data.
        layout: "standard" (T, 2, J, 3) or "interleaved" (2T, J, 3) for plain arrays.
        axes: axes of the stored coordinates for arrays and CSV ("zup", "camera", "yup");
            default "zup", or "camera" for the interleaved layout. Other formats know theirs.
        scale: metres per stored unit for arrays, CSV (default 1) and BVH (default 0.01).
        trust_pickle: allow loading HybrIK pickles (they can run code).

    Returns:
        A Duet (positions (T, 2, J, 3) metres, z up), or Detections for AlphaPose JSON.

    Raises:
        InputError: one sentence naming the file, the problem and the fix.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no input file given; name the file to read.")
    for path in paths:
        check_input_file(path)
    if format is None:
        format = detect_format(paths)
    elif format not in FORMATS:
        raise InputError(f"{paths[0]}: unknown format {format!r}; use one of {', '.join(FORMATS)}.")
    n_needed = 2 if format in _TWO_FILES else 1
    if len(paths) != n_needed:
        what = "two files, one per dancer" if n_needed == 2 else "one file holding both dancers"
        raise InputError(
            f"{', '.join(map(str, paths))}: {format} input needs {what}; got {len(paths)}."
        )
    if layout != "standard" and format != "array":
        raise InputError(f"{paths[0]}: --layout applies to .npy/.npz arrays only, not {format}.")
    if axes is not None and format not in ("array", "csv"):
        raise InputError(
            f"{paths[0]}: --axes applies to arrays and CSV only; {format} files state their axes."
        )
    if scale is not None and format not in ("array", "csv", "bvh"):
        raise InputError(f"{paths[0]}: --scale applies to arrays, CSV and BVH only, not {format}.")
    path = paths[0]

    if format == "alphapose":
        # Imported here so that every other format reads without the AlphaPose module.
        from duetgraph.io.alphapose import read_alphapose

        # It has its own default frame rate; pass ours only when the user gave one.
        return read_alphapose(path, skeleton=skeleton, **({} if fps is None else {"fps": fps}))
    if format == "duet":
        duet = Duet.load(path)
        if fps is not None and fps != duet.fps:
            raise InputError(
                f"{path}: is a duetgraph duet at {duet.fps:g} fps; --fps cannot change it "
                "(resample it with duetgraph clean instead)."
            )
        if (
            skeleton is not None
            and skeleton.lower().replace("-", "").replace("_", "") != duet.skeleton
        ):
            raise InputError(f"{path}: is a duet of skeleton {duet.skeleton}, not {skeleton}.")
        return duet
    if format == "array":
        return read_array(
            path,
            layout=layout,
            axes=axes,
            scale=1.0 if scale is None else scale,
            fps=fps,
            skeleton=skeleton,
        )
    if format == "csv":
        return read_csv(
            path,
            axes=axes or "zup",
            scale=1.0 if scale is None else scale,
            fps=fps,
            skeleton=skeleton,
        )
    if format == "bvh":
        return read_bvh(paths, scale=0.01 if scale is None else scale, fps=fps, skeleton=skeleton)
    return read_hybrik(paths, trust_pickle=trust_pickle, fps=fps, skeleton=skeleton)


def output_format(path: Path, format: str | None = None) -> str:
    """The output format: `format` if given (checked), else from the suffix of `path`."""
    if format is None:
        format = _OUTPUT_BY_SUFFIX.get(path.suffix.lower())
        if format is None:
            raise OutputError(
                f"{path}: cannot tell the output format from {path.suffix or 'no suffix'!r}; end "
                "the name in .npz (duet), .npy (array) or .csv."
            )
    elif format not in OUTPUT_FORMATS:
        raise OutputError(
            f"{path}: unknown output format {format!r}; use one of {', '.join(OUTPUT_FORMATS)}."
        )
    return format


def write_output(
    duet: Duet, path: str | os.PathLike, format: str | None = None, overwrite: bool = False
) -> Path:
    """Write a Duet as `.npz` (everything), `.npy` (positions only) or `.csv` (long form).

    Args:
        duet: the duet.
        path: the output file; refused if it exists unless `overwrite`.
        format: "duet", "array" or "csv"; default from the suffix.

    Raises:
        OutputError: unknown format, existing file without `overwrite`, or unwritable place.
    """
    path = Path(path)
    format = output_format(path, format)
    if format == "duet":
        return duet.save(path, overwrite=overwrite)
    if format == "array":
        log.info("%s: a plain array keeps positions only (not fps, skeleton, provenance)", path)
        return write_array(duet, path, overwrite=overwrite)
    log.info("%s: CSV keeps positions, dancers and joint names (not fps, provenance)", path)
    return write_csv(duet, path, overwrite=overwrite)
