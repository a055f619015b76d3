"""Benchmark: clean a 10-minute, 30 fps duet from faulty AlphaPose JSON.

    python bench/bench_clean.py                      # 10 min at 30 fps = 18 000 frames
    taskset -c 0,1 python bench/bench_clean.py       # pinned to 2 cores, as the target says

Setup (not timed): a `simulate_duet` duet of 29 joints per dancer is filmed as AlphaPose + HybrIK
output with 5 % each of dropped frames, one-dancer frames, extra detections and identity swaps,
plus 2 cm joint jitter, and written as JSON (~125 MB, full float precision like AlphaPose).

Measured in a fresh subprocess, so that peak memory is that of reading and cleaning alone:
`read_alphapose` time, `clean_detections` time (default config: continuity pruning, DCT
smoothing) and peak resident memory (VmHWM). Targets: read + clean < 10 s, < 500 MB.

Baselines in the same run, as ratios: the plain per-frame numpy tracker (`track_reference`)
against the tracker the pipeline uses (`track_two`), and the paper's score-rule pruning against
continuity for the whole clean step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(path: Path) -> dict:
    """Read and clean `path`; time each part; peak memory before the baselines run."""
    import numpy as np

    from duetgraph.clean import (
        CleanConfig,
        clean_detections,
        frame_offsets,
        track_reference,
        track_two,
    )
    from duetgraph.io.alphapose import read_alphapose

    rss_imports = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    det = read_alphapose(path, fps=30.0)
    t1, c1 = time.perf_counter(), time.process_time()
    duet, report = clean_detections(det, CleanConfig())
    t2, c2 = time.perf_counter(), time.process_time()
    peak = peak_rss_mb()

    offsets = frame_offsets(det.frame, det.n_frames)
    t3 = time.perf_counter()
    fast = track_two(det.joints, offsets, det.score)
    t4 = time.perf_counter()
    slow = track_reference(det.joints, offsets, det.score)
    t5 = time.perf_counter()
    assert np.array_equal(fast.assign, slow.assign), "fast and reference trackers disagree"
    clean_detections(det, CleanConfig(prune="score"))
    t6 = time.perf_counter()
    return {
        "frames": det.n_frames,
        "detections": det.n_detections,
        "joints": det.n_joints,
        "file_mb": path.stat().st_size / 1e6,
        "read_s": t1 - t0,
        "clean_s": t2 - t1,
        "read_cpu_s": c1 - c0,
        "clean_cpu_s": c2 - c1,
        "load_average": os.getloadavg()[0],
        "peak_rss_mb": peak,
        "rss_after_imports_mb": rss_imports,
        "track_fast_s": t4 - t3,
        "track_reference_s": t5 - t4,
        "clean_score_rule_s": t6 - t5,
        "report": report.to_text(),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    VmHWM from /proc where there is one: unlike ru_maxrss it is not inherited from the parent
    that started this process (Linux carries the parent's high-water mark across exec).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def make_input(path: Path, minutes: float, fps: float, seed: int) -> None:
    import numpy as np

    from duetgraph.io.alphapose import write_alphapose
    from duetgraph.sim.duet import DuetSimConfig, simulate_duet
    from duetgraph.sim.faults import FaultConfig, make_faulty_alphapose

    rng = np.random.default_rng(seed)
    duet, _ = simulate_duet(DuetSimConfig(duration_s=minutes * 60, fps=fps), rng)
    faults = make_faulty_alphapose(duet, FaultConfig(jitter_m=0.02), rng)
    write_alphapose(faults.records, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the subprocess's part
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alphapose-results.json"
        t = time.perf_counter()
        make_input(path, args.minutes, args.fps, args.seed)
        setup_s = time.perf_counter() - t
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    total = r["read_s"] + r["clean_s"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(r["report"])
    print()
    print(
        f"input     {r['frames']} frames, {r['detections']} detections, {r['joints']} joints, "
        f"{r['file_mb']:.0f} MB JSON (setup {setup_s:.1f} s, not timed); {cores} cores, "
        f"load average {r['load_average']:.1f} (wall times grow with other load; CPU times less)"
    )
    print(f"read      {r['read_s']:6.2f} s   read_alphapose (CPU {r['read_cpu_s']:.2f} s)")
    print(
        f"clean     {r['clean_s']:6.2f} s   clean_detections, continuity + DCT smoothing "
        f"(CPU {r['clean_cpu_s']:.2f} s)"
    )
    print(f"total     {total:6.2f} s   target < 10 s: {'met' if total < 10 else 'MISSED'}")
    print(
        f"peak RSS  {r['peak_rss_mb']:6.0f} MB  (after imports {r['rss_after_imports_mb']:.0f} MB)"
        f"   target < 500 MB: {'met' if r['peak_rss_mb'] < 500 else 'MISSED'}"
    )
    ratio = r["track_reference_s"] / r["track_fast_s"]
    print(
        f"tracking  {r['track_fast_s']:6.2f} s   track_two vs {r['track_reference_s']:.2f} s "
        f"track_reference (plain per-frame numpy): {ratio:.1f}x faster"
    )
    print(
        f"score     {r['clean_score_rule_s']:6.2f} s   clean with the paper's score rule "
        f"({r['clean_score_rule_s'] / r['clean_s']:.2f}x the continuity clean)"
    )
    print(
        f"reproduce: python bench/bench_clean.py --minutes {args.minutes:g} --fps {args.fps:g} "
        f"--seed {args.seed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
