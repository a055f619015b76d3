"""Benchmark: clean and infer a 2-hour duet (216 000 frames at 30 fps, 29 joints) in bounded memory.

    python bench/bench_long.py                         # 120 min, baseline 10 min, both routes
    python bench/bench_long.py --minutes 30 --work /tmp/long   # keep the inputs for a rerun

Inputs (setup, not timed, cached in --work): a `simulate_duet` duet filmed as faulty AlphaPose +
HybrIK output (5 % each of dropped frames, one-dancer frames, extra detections and identity
swaps, 2 cm jitter), written as one JSON list ten minutes at a time (AlphaPose's own format, the
worst case: ~1.5 GB for two hours), the same duet as a duetgraph `.npz`, and a duet run: the
default model (paper's 3 joints per dancer, H = 64, window 8 at 10 fps) trained for one epoch on
a separate 60 s synthetic duet (the weights do not change the cost of inference).

Each route runs in a fresh subprocess, so that its peak resident memory (VmHWM) is its own:

- json: `read_alphapose` → `clean_detections` (track, prune, fill, DCT smoothing) →
  `infer_strings` (every window, stride 1, at the model's 10 fps);
- npz:  `Duet.load` → `clean_duet` (DCT smoothing) → `infer_strings`.

Targets: clean + inference under 2 minutes and under 2 GB on 2 cores. The baseline is the same
routes on the first --baseline-minutes of the same duet, measured in the same run: time and
memory ratios show how both scale with length (12× the frames should cost ~12× the time and far
less than 12× the memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_clean import peak_rss_mb  # bench/ is on sys.path when run as a script

CHUNK_MINUTES = 10.0  # the AlphaPose file is filmed and written this many minutes at a time


# ---------------------------------------------------------------------------------- setup
def make_inputs(work: Path, minutes: float, fps: float, seed: int) -> dict[str, Path]:
    """The duet (.npz), its AlphaPose JSON and a trained run in `work`; reused if present."""
    import numpy as np

    from duetgraph.duet import Duet
    from duetgraph.sim.duet import DuetSimConfig, simulate_duet

    tag = f"{minutes:g}min_{fps:g}fps_seed{seed}"
    paths = {"npz": work / f"duet_{tag}.npz", "json": work / f"alphapose_{tag}.json"}
    if not paths["npz"].exists():
        duet, _ = simulate_duet(
            DuetSimConfig(duration_s=minutes * 60, fps=fps), np.random.default_rng(seed)
        )
        duet.save(paths["npz"])
    if not paths["json"].exists():
        write_alphapose_in_chunks(Duet.load(paths["npz"]), paths["json"], seed)
    paths["run"] = make_run(work)
    return paths


def write_alphapose_in_chunks(duet, path: Path, seed: int) -> None:
    """Film `duet` as faulty AlphaPose output, CHUNK_MINUTES at a time, into one JSON list.

    Each chunk is filmed by its own `make_faulty_alphapose` call (its camera placed in front of
    that chunk's dancers) and numbered on from the previous chunk's last image.
    """
    import numpy as np

    from duetgraph.sim.faults import FaultConfig, make_faulty_alphapose

    rng = np.random.default_rng(seed + 1)
    step = int(round(CHUNK_MINUTES * 60 * duet.fps))
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("[")
        first = True
        for lo in range(0, duet.n_frames, step):
            part = duet.with_step("chunk", duet.positions[lo : lo + step])
            config = FaultConfig(jitter_m=0.02, first_image_number=lo)
            for record in make_faulty_alphapose(part, config, rng).records:
                f.write(("" if first else ",") + json.dumps(record, allow_nan=False))
                first = False
        f.write("]")
    tmp.replace(path)


def make_run(work: Path) -> Path:
    """A duet run of the default model trained for one epoch on a 60 s synthetic duet."""
    import numpy as np

    from duetgraph.sim.duet import DuetSimConfig, simulate_duet
    from duetgraph.train.duet import duet_run_config, train_duet

    run = work / "run_60s_1epoch"
    if not (run / "best.pt").exists():
        duet, _ = simulate_duet(DuetSimConfig(duration_s=60, fps=30), np.random.default_rng(7))
        config = duet_run_config(train__epochs=1, train__threads=1, data__n_rotations=1)
        train_duet(duet, run, config, overwrite=True)
    return run


def make_baseline(work: Path, full: dict[str, Path], minutes: float, fps: float, seed: int):
    """The first `minutes` of the same duet, as .npz and AlphaPose JSON."""
    from duetgraph.duet import Duet

    tag = f"first{minutes:g}min_of_{full['npz'].stem}"
    paths = {"npz": work / f"{tag}.npz", "json": work / f"{tag}.json", "run": full["run"]}
    if not paths["npz"].exists():
        duet = Duet.load(full["npz"])
        n = int(round(minutes * 60 * duet.fps))
        duet.with_step("first", duet.positions[:n]).save(paths["npz"])
    if not paths["json"].exists():
        write_alphapose_in_chunks(Duet.load(paths["npz"]), paths["json"], seed)
    return paths


# ---------------------------------------------------------------------------------- measure
def measure(route: str, path: Path, run: Path) -> dict:
    """One route in this (fresh) process: time of each step and peak memory."""
    from duetgraph.clean import clean_detections, clean_duet
    from duetgraph.duet import Duet
    from duetgraph.io.alphapose import read_alphapose
    from duetgraph.train.infer import infer_strings

    rss_imports = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    if route == "json":
        data = read_alphapose(path, fps=30.0)
        n_detections = data.n_detections
        t1, c1 = time.perf_counter(), time.process_time()
        duet, _ = clean_detections(data)
    else:
        data = Duet.load(path)
        n_detections = 2 * data.n_frames
        t1, c1 = time.perf_counter(), time.process_time()
        duet, _ = clean_duet(data)
    del data
    t2, c2 = time.perf_counter(), time.process_time()
    rss_clean = peak_rss_mb()
    posterior = infer_strings(duet, run)
    t3, c3 = time.perf_counter(), time.process_time()
    return {
        "route": route,
        "frames": duet.n_frames,
        "detections": n_detections,
        "windows": posterior.n_windows,
        "file_mb": path.stat().st_size / 1e6,
        "read_s": t1 - t0,
        "clean_s": t2 - t1,
        "infer_s": t3 - t2,
        "total_s": t3 - t0,
        "cpu_s": c3 - c0,
        "read_cpu_s": c1 - c0,
        "clean_cpu_s": c2 - c1,
        "infer_cpu_s": c3 - c2,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_read_clean_mb": rss_clean,
        "rss_after_imports_mb": rss_imports,
        "load_average": os.getloadavg()[0],
    }


def run_measure(route: str, path: Path, run: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", route, str(path), str(run)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0, help="length of the long duet")
    parser.add_argument("--baseline-minutes", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--routes", default="json,npz", help="json, npz or both (json,npz)")
    parser.add_argument("--work", type=Path, help="folder for the inputs (kept; default: temp)")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)  # the subprocess's part
    args = parser.parse_args()
    if args.measure:
        route, path, run = args.measure
        print(json.dumps(measure(route, Path(path), Path(run))))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        long = make_inputs(work, args.minutes, args.fps, args.seed)
        short = make_baseline(work, long, args.baseline_minutes, args.fps, args.seed)
        setup_s = time.perf_counter() - t
        results = []
        for route in args.routes.split(","):
            base = run_measure(route, short[route], short["run"])
            full = run_measure(route, long[route], long["run"])
            results.append((route, base, full))

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"setup (not timed) {setup_s:.0f} s; {cores} cores; load average at the end "
          f"{os.getloadavg()[0]:.1f} (wall times grow with other load, CPU times less)")  # fmt: skip
    print(f"{'route':<6}{'length':>9}{'frames':>9}{'input MB':>10}{'read s':>8}{'clean s':>8}"
          f"{'infer s':>8}{'total s':>8}{'CPU s':>8}{'peak MB':>9}")  # fmt: skip
    for route, base, full in results:
        for minutes, r in ((args.baseline_minutes, base), (args.minutes, full)):
            print(f"{route:<6}{minutes:>7g} m{r['frames']:>9}{r['file_mb']:>10.0f}{r['read_s']:>8.1f}"
                  f"{r['clean_s']:>8.1f}{r['infer_s']:>8.1f}{r['total_s']:>8.1f}{r['cpu_s']:>8.1f}"
                  f"{r['peak_rss_mb']:>9.0f}")  # fmt: skip
    print()
    for route, base, full in results:
        frames = full["frames"] / base["frames"]
        ok_t = "✔" if full["total_s"] < 120 else "✘"
        ok_m = "✔" if full["peak_rss_mb"] < 2048 else "✘"
        print(f"{route}: {args.minutes:g} min in {full['total_s']:.1f} s (target < 120 s {ok_t}), "
              f"peak {full['peak_rss_mb']:.0f} MB (target < 2048 MB {ok_m}); vs {args.baseline_minutes:g} "
              f"min: {frames:.1f}× the frames, {full['total_s'] / base['total_s']:.1f}× the time, "
              f"{full['peak_rss_mb'] / base['peak_rss_mb']:.2f}× the peak memory "
              f"({full['windows']} windows inferred)")  # fmt: skip
    print(
        "reproduce: python bench/bench_long.py"
        + ("" if args.minutes == 120 else f" --minutes {args.minutes:g}")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
