"""The whole journey for one duet: clean → train → infer → report, figures, video, viewer.

`duetgraph analyze` runs it on the user's file and `duetgraph demo` on a generated duet with
planted strings. It lives in the CLI because it ends in `duetgraph.viz`, which nothing else of
ours may import. Every file goes into one output folder:

```
OUT/
  duet.npz          the cleaned duet (when the input needed cleaning)
  strings.npz       every tested string (analysis.evidence); strings.csv/.json: the significant ones
  report.md, report.json   the choreographic description, significant strings first
  duet.mp4, viewer.html, *.png   the significant strings over time
  run/, nri_posterior.npz  with --nri only: the NRI model and its raw (untested) edge posterior
```

`run_batch` runs the journey on many duets, each into its own subfolder `OUT/<name>/`, in
`--jobs` worker processes (spawned: one process per duet, so one duet that fails, or even
crashes its process, is reported while the others go on). It ends with `OUT/summary.json` and a
table; the caller exits non-zero if any duet failed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duetgraph.analysis.evidence import EvidenceConfig
from duetgraph.duet import Duet
from duetgraph.errors import DuetgraphError, InputError, OutputError
from duetgraph.extract.video import VIDEO_SUFFIXES

log = logging.getLogger(__name__)

OUTPUTS = (
    "detections.json",
    "duet.npz",
    "run",
    "nri_posterior.npz",
    "strings.npz",
    "strings.csv",
    "strings.json",
    "report.md",
    "report.json",
    "duet.mp4",
    "viewer.html",
    "strings_heatmap.png",
    "hubs.png",
    "strings_bipartite.png",
    "training.png",
    "analyze.log",
)
SUMMARY = "summary.json"
# Suffixes of inputs that hold a whole duet in one file, and of those that take one per dancer.
ONE_FILE_SUFFIXES = (".json", ".npz", ".npy", ".csv") + VIDEO_SUFFIXES
TWO_FILE_SUFFIXES = (".bvh", ".pk", ".pkl")


@dataclass(frozen=True)
class JourneyOptions:
    """Settings of the journey: the string test (`evidence`), and the optional NRI model
    (`nri`: trained on `nri_joints` and written as its raw posterior beside the tested strings).
    """

    evidence: EvidenceConfig = EvidenceConfig()
    nri: bool = False
    nri_joints: str = "pelvis,left_wrist,right_wrist"
    epochs: int = 8
    hidden: int = 64
    edge_types: int = 2
    rotations: int = 4
    model_fps: float = 10.0
    video: str = "mp4"  # "mp4", "gif" or "none"
    video_fps: float | None = 15.0
    seed: int = 0
    threads: int = 0  # torch CPU threads (0: the cores not busy now, train.runtime.idle_threads)
    progress: bool = True


def check_out_dir(out: Path, overwrite: bool) -> None:
    """Refuse a folder that already holds journey outputs, unless `overwrite`."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; give a folder for the outputs.")
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing and not overwrite:
        raise OutputError(
            f"{out}: already holds {', '.join(existing[:3])}; pass --overwrite or choose another folder."
        )


def make_out_dir(out: Path) -> None:
    """Create the output folder (and its parents), or say in one sentence why it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{out}: cannot create the output folder ({exc.strerror}); choose a writable folder."
        ) from None


def _step(name: str, t0: float) -> None:
    print(f"[{time.perf_counter() - t0:6.1f} s] {name}", flush=True)


def run_journey(
    duet: Duet, out: Path, options: JourneyOptions, overwrite: bool, t0: float
) -> dict[str, Any]:
    """Test the strings of `duet` and write every output into `out`.

    Returns:
        {"evidence": StringEvidence, "posterior": the significant strings as a StringPosterior,
        "report": Report, "nri_posterior": StringPosterior or None}
    """
    from duetgraph.analysis.report import ReportConfig, build_report, write_report
    from duetgraph.analysis.string_tables import format_strings, write_evidence
    from duetgraph.cli.strings import run_string_test
    from duetgraph.viz.figures import write_figures
    from duetgraph.viz.video import VideoConfig, render_video
    from duetgraph.viz.viewer import ViewerConfig, write_viewer

    o = options
    cfg = o.evidence
    _step(f"testing every string ({cfg.joints} joints) against {cfg.n_surrogates} surrogate "
          f"duets", t0)  # fmt: skip
    evidence = run_string_test(duet, cfg)
    write_evidence(evidence, out / "strings.npz", overwrite=overwrite)
    print(format_strings(evidence), flush=True)
    _step("wrote strings.npz, strings.csv, strings.json", t0)
    nri_posterior, metrics = None, None
    if o.nri:
        nri_posterior, metrics = _nri(duet, out, o, overwrite, t0)
    posterior = evidence.as_posterior()
    report = build_report(duet, posterior, ReportConfig(threshold=0.5), evidence=evidence)
    write_report(report, out, overwrite=overwrite)
    write_figures(out, posterior, metrics, 0.5, overwrite=overwrite)
    viewer = ViewerConfig(threshold=0.5, min_threshold=0.5)
    write_viewer(duet, out / "viewer.html", posterior, report, viewer,
                 overwrite=overwrite)  # fmt: skip
    _step("wrote report.md, report.json, figures and viewer.html", t0)
    if o.video != "none":
        video = out / f"duet.{o.video}"
        render_video(duet, video, posterior, VideoConfig(format=o.video, fps=o.video_fps),
                     overwrite=overwrite)  # fmt: skip
        _step(f"wrote {video.name}", t0)
    return {"evidence": evidence, "posterior": posterior, "report": report,
            "nri_posterior": nri_posterior}  # fmt: skip


def _nri(duet: Duet, out: Path, o: JourneyOptions, overwrite: bool, t0: float):
    """Train the NRI model and write its raw edge posterior (not a test of any string)."""
    from duetgraph.train.duet import duet_run_config, train_duet
    from duetgraph.train.infer import infer_strings

    prior = (0.9,) + (0.1 / (o.edge_types - 1),) * (o.edge_types - 1)  # sparse: type 0 = none
    config = duet_run_config(
        data__joints=o.nri_joints,
        data__n_rotations=o.rotations,
        data__fps=o.model_fps,
        model__n_hidden=o.hidden,
        model__n_edge_types=o.edge_types,
        model__edge_prior=prior,
        train__epochs=o.epochs,
        train__seed=o.seed,
        train__threads=o.threads,
    )
    run_dir = out / "run"
    _step(f"training the NRI model {o.epochs} epochs ({o.nri_joints})", t0)
    result = train_duet(duet, run_dir, config, overwrite=overwrite, progress=o.progress)
    _step(f"trained: best valid nll {result.best_value:.4g} at epoch {result.best_epoch}", t0)
    posterior = infer_strings(duet, run_dir)
    posterior.save(out / "nri_posterior.npz", overwrite=overwrite)
    _step("wrote nri_posterior.npz (the model's raw posterior, not significance-tested)", t0)
    return posterior, run_dir / "metrics.csv"


def load_any(
    paths: list[Path], fps: float | None, out: Path, overwrite: bool, progress: bool = True
) -> Duet:
    """A clean duet from any supported input; raw detections are cleaned into OUT/duet.npz, a
    video's extracted poses are kept in OUT/detections.json."""
    from duetgraph.clean.pipeline import CleanConfig, clean_detections
    from duetgraph.extract import ExtractConfig, is_video, write_detections
    from duetgraph.io.detections import Detections
    from duetgraph.io.read import read_input

    if len(paths) == 1 and is_video(paths[0]):  # needs the video extra; says so if missing
        from duetgraph.cli.extract import extract_with_progress

        data = extract_with_progress(paths[0], ExtractConfig(fps=fps), progress=progress)
        write_detections(data, out / "detections.json", overwrite=overwrite)
    else:
        data = read_input(paths if len(paths) > 1 else paths[0], fps=fps)
    if isinstance(data, Detections):
        duet, report = clean_detections(data, CleanConfig())
        print(report.to_text())
        duet.save(out / "duet.npz", overwrite=overwrite)
        return duet
    if not isinstance(data, Duet):
        raise InputError(f"{paths[0]}: could not be read as a duet.")
    return data


# ---------------------------------------------------------------------- many duets
@dataclass(frozen=True)
class JourneyInput:
    """One duet of a batch: its file(s) and the name of its output subfolder."""

    paths: tuple[Path, ...]
    name: str


def group_inputs(items: list[str]) -> tuple[list[JourneyInput], bool]:
    """The duets named on the command line, and whether they make a batch.

    Each item is one duet: a file, a folder (each of its one-file duets: .json, .npz, .npy,
    .csv), or two files of a two-file format joined by a comma (`anna.bvh,ben.bvh`). Exactly two
    items that are both BVH or both HybrIK files are one duet, dancer A then B. It is a batch
    (outputs in subfolders) when there is more than one duet or a folder was given.
    """
    paths = [Path(i) for i in items]
    suffixes = {p.suffix.lower() for p in paths}
    if len(paths) == 2 and len(suffixes) == 1 and suffixes <= set(TWO_FILE_SUFFIXES):
        return [JourneyInput(tuple(paths), _stem(paths))], False
    groups: list[tuple[Path, ...]] = []
    batch = False
    for item, path in zip(items, paths, strict=True):
        if path.is_dir():
            batch = True
            found = sorted(f for f in path.iterdir() if f.suffix.lower() in ONE_FILE_SUFFIXES)
            if not found:
                raise InputError(
                    f"{path}: holds no one-file duets ({', '.join(ONE_FILE_SUFFIXES)}); give "
                    "BVH or HybrIK pairs as a,b."
                )
            groups += [(f,) for f in found]
        elif not path.exists() and "," in item:
            pair = tuple(Path(part) for part in item.split(","))
            if len(pair) != 2:
                raise InputError(f"{item}: join exactly two files (dancer A,dancer B) by a comma.")
            groups.append(pair)
        elif path.suffix.lower() in TWO_FILE_SUFFIXES:
            raise InputError(
                f"{path}: a {path.suffix} file holds one dancer; give the pair as "
                f"{path.name},OTHER{path.suffix}."
            )
        else:
            groups.append((path,))
    names: dict[str, int] = {}
    inputs = []
    for group in groups:
        name = _stem(group)
        names[name] = names.get(name, 0) + 1
        inputs.append(JourneyInput(group, name if names[name] == 1 else f"{name}-{names[name]}"))
    return inputs, batch or len(inputs) > 1


def _stem(paths) -> str:
    return "+".join(Path(p).stem for p in paths)


def run_one(
    item: JourneyInput,
    out: Path,
    options: JourneyOptions,
    fps: float | None,
    overwrite: bool,
) -> dict[str, Any]:
    """The journey on one duet of a batch; returns its summary row (raises on failure)."""
    t0 = time.perf_counter()
    make_out_dir(out)
    duet = load_any(list(item.paths), fps, out, overwrite, progress=options.progress)
    result = run_journey(duet, out, options, overwrite, t0)
    rows = result["evidence"].strings()
    return {
        "n_significant": len(rows),
        "strongest": [[r["string"], r["strength"]] for r in rows[:3]],
    }


def _row(item: JourneyInput, out: Path) -> dict[str, Any]:
    return {
        "name": item.name,
        "inputs": [str(p) for p in item.paths],
        "out": str(out / item.name),
        "status": "failed",
        "error": "",
        "seconds": 0.0,
    }


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, DuetgraphError):
        return str(exc)
    return f"{type(exc).__name__}: {exc} (a bug? the traceback is in analyze.log)"


def _worker(conn, item: JourneyInput, out: Path, options: JourneyOptions, fps, overwrite):
    """Entry of a spawned worker: one duet, its console output kept in OUT/<name>/analyze.log."""
    import torch

    from duetgraph.atomic import write_text_atomic

    buffer = io.StringIO()
    sys.stdout = sys.stderr = buffer
    logging.basicConfig(
        stream=buffer, level=logging.INFO, format="%(levelname)s: %(message)s", force=True
    )
    if options.threads > 0:
        torch.set_num_threads(options.threads)
    message: dict[str, Any]
    try:
        message = {"status": "ok", **run_one(item, out, options, fps, overwrite)}
    except Exception as exc:
        traceback.print_exc(file=buffer)
        message = {"status": "failed", "error": _error_text(exc)}
    try:
        make_out_dir(out)
        write_text_atomic(out / "analyze.log", buffer.getvalue(), overwrite=True)
    except (OSError, DuetgraphError):
        pass  # the summary still says how it went
    conn.send(message)
    conn.close()


def run_batch(
    inputs: list[JourneyInput],
    out: Path,
    options: JourneyOptions,
    *,
    fps: float | None,
    overwrite: bool,
    jobs: int,
) -> list[dict[str, Any]]:
    """The journey on every input, `jobs` at a time; returns one summary row per input.

    With jobs = 1 the duets run one after the other in this process (their output on the
    console); with more, each runs in its own spawned process with its output in
    `OUT/<name>/analyze.log` and torch limited to `options.threads` (default: cores / jobs)
    threads. Writes `OUT/summary.json`.
    """
    if jobs < 1:
        raise InputError(f"--jobs {jobs}: give at least 1 worker.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; give a folder for the outputs.")
    if (out / SUMMARY).exists() and not overwrite:
        raise OutputError(f"{out / SUMMARY}: exists; pass --overwrite or choose another folder.")
    for item in inputs:
        check_out_dir(out / item.name, overwrite)
    make_out_dir(out)
    rows = [_row(item, out) for item in inputs]
    if jobs == 1:
        for i, (item, row) in enumerate(zip(inputs, rows, strict=True)):
            print(f"== [{i + 1}/{len(inputs)}] {item.name} ==", flush=True)
            t0 = time.perf_counter()
            try:
                row.update(status="ok", **run_one(item, out / item.name, options, fps, overwrite))
            except Exception as exc:
                log.debug("%s failed", item.name, exc_info=True)
                row["error"] = _error_text(exc)
            row["seconds"] = round(time.perf_counter() - t0, 2)
            _print_done(row, i + 1, len(inputs))
    else:
        threads = options.threads or max(1, (os.cpu_count() or 1) // jobs)
        _run_workers(inputs, rows, out, _replace(options, threads=threads, progress=False),
                     fps, overwrite, jobs)  # fmt: skip
    from duetgraph.atomic import write_text_atomic

    summary = {"n_inputs": len(rows), "n_failed": sum(r["status"] != "ok" for r in rows)}
    text = json.dumps({**summary, "duets": rows}, indent=2) + "\n"
    write_text_atomic(out / SUMMARY, text, overwrite=True)
    return rows


def _replace(options: JourneyOptions, **changes: Any) -> JourneyOptions:
    return dataclasses.replace(options, **changes)


def _run_workers(inputs, rows, out, options, fps, overwrite, jobs) -> None:
    """Run each input in its own spawned process, at most `jobs` at once."""
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")  # fork after torch has started threads can hang
    todo = list(range(len(inputs)))
    running: dict[int, tuple[Any, Any, float]] = {}  # sentinel → (process, pipe, t0)
    index_of: dict[int, int] = {}
    done = 0
    try:
        while todo or running:
            while todo and len(running) < jobs:
                i = todo.pop(0)
                receive, send = ctx.Pipe(duplex=False)
                item = inputs[i]
                args = (send, item, out / item.name, options, fps, overwrite)
                proc = ctx.Process(target=_worker, args=args, name=f"analyze-{item.name}")
                proc.start()
                send.close()
                running[proc.sentinel] = (proc, receive, time.perf_counter())
                index_of[proc.sentinel] = i
            for sentinel in wait(list(running)):
                proc, receive, t0 = running.pop(sentinel)
                row = rows[index_of.pop(sentinel)]
                message = receive.recv() if receive.poll() else None
                proc.join()
                if message is None:
                    message = {
                        "status": "failed",
                        "error": f"its worker process stopped (exit code {proc.exitcode})",
                    }
                row.update(message)
                row["seconds"] = round(time.perf_counter() - t0, 2)
                done += 1
                _print_done(row, done, len(inputs))
    finally:
        for proc, _, _ in running.values():
            proc.terminate()
            proc.join()


def _print_done(row: dict[str, Any], i: int, n: int) -> None:
    if row["status"] == "ok":
        top = row["strongest"][0] if row.get("strongest") else None
        found = (f"; strongest string {top[0]} (strength {top[1]:.2f})" if top
                 else "; no significant string")  # fmt: skip
        print(f"[{i}/{n}] ok     {row['name']} in {row['seconds']:.1f} s → {row['out']}{found}",
              flush=True)  # fmt: skip
    else:
        print(f"[{i}/{n}] FAILED {row['name']}: {row['error']}", flush=True)


def format_summary(rows: list[dict[str, Any]]) -> str:
    """A table of the batch: one line per duet, failures with their reason."""
    width = max([len(r["name"]) for r in rows] + [4])
    lines = [f"{'duet':<{width}s}  status  seconds  output / error"]
    for r in rows:
        detail = r["out"] if r["status"] == "ok" else r["error"]
        lines.append(f"{r['name']:<{width}s}  {r['status']:<6s}  {r['seconds']:7.1f}  {detail}")
    failed = sum(r["status"] != "ok" for r in rows)
    lines.append(f"{len(rows) - failed} of {len(rows)} duets analysed" +
                 (f"; {failed} failed" if failed else ""))  # fmt: skip
    return "\n".join(lines)
