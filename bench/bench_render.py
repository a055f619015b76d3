"""Benchmark: rendering a 10-minute, 30 fps duet with its strings to MP4, against matplotlib.

    python bench/bench_render.py                      # 600 s duet: full and reduced fps, baseline
    python bench/bench_render.py --duration 60        # a quicker look
    taskset -c 0,1 python bench/bench_render.py       # pinned to 2 cores, as the target says
    python bench/bench_render.py --demo demo/         # only write demo/duet.npz + strings.npz

The duet is `duetgraph.sim.simulate_duet(DuetSimConfig(duration_s=600, switch_off=True))`; the
strings are a synthetic `StringPosterior` made from its planted truth (no model involved): 6
joints per dancer, all 72 directed A<->B edges, windows of 0.8 s every 0.4 s, planted edges at
P(string) ~ 0.1 + 0.85 x the string's strength, the rest low noise.

1. `render_video` to MP4 (960x540, 2x supersampled, libx264 veryfast), at the duet's 30 fps
   and at a reduced 10 fps: wall time and the ratio to real time (duet seconds / render seconds;
   > 1 is faster than real time; target > 1 on 2 cores).
2. Baseline, same run: a matplotlib 3D renderer (one Figure with `Axes3D`, line artists updated
   per frame, canvas drawn and read back as RGB at 960x540; no encoding) for `--baseline-frames`
   frames, extrapolated to the whole duet; against our frame renderer alone (no encoding) on
   the same frames.
3. The offline viewer (`write_viewer`) of the whole duet: seconds and file size.

Wall times depend on what else runs (the 2 cores may be shared): load averages are printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from duetgraph.analysis import StringPosterior
from duetgraph.duet import Duet
from duetgraph.sim import DuetSimConfig, PlantedString, simulate_duet
from duetgraph.sim.duet import string_weights
from duetgraph.viz import style
from duetgraph.viz.raster import FrameRenderer, FrameStyle, floor_height
from duetgraph.viz.timeline import plan_frames
from duetgraph.viz.video import VideoConfig, render_video
from duetgraph.viz.viewer import write_viewer

JOINTS = ("pelvis", "head", "left_wrist", "right_wrist", "left_ankle", "right_ankle")


def synthetic_posterior(
    duet: Duet,
    strings: list[PlantedString],
    rng: np.random.Generator,
    window_s: float = 0.8,
    stride_s: float = 0.4,
) -> StringPosterior:
    """A posterior that knows the planted strings (see the module docstring)."""
    skel = duet.skeleton_def
    names = [f"A:{j}" for j in JOINTS] + [f"B:{j}" for j in JOINTS]
    n = len(JOINTS)
    senders, receivers = [], []
    for a in range(n):
        for b in range(n, 2 * n):
            senders += [a, b]  # edge 2 * (a * n + b - n): A -> B; the next one: B -> A
            receivers += [b, a]
    n_windows = int((duet.duration - window_s) / stride_s) + 1
    start = np.arange(n_windows) * stride_s
    weights = string_weights(strings, duet.n_frames, duet.fps, ramp_s=0.5)  # (T, S)
    cum = np.vstack([np.zeros((1, len(strings))), np.cumsum(weights, axis=0)])
    f0 = np.rint(start * duet.fps).astype(int)
    f1 = np.minimum(np.rint((start + window_s) * duet.fps).astype(int), duet.n_frames)
    mean_w = (cum[f1] - cum[f0]) / np.maximum(f1 - f0, 1)[:, None]  # (W, S)
    p = rng.beta(1.5, 12.0, size=(n_windows, len(senders)))  # background: mostly < 0.3
    for s, planted in enumerate(strings):
        a, b = JOINTS.index(planted.a_joint), JOINTS.index(planted.b_joint)
        edge = 2 * (a * n + b)
        noise = rng.normal(0.0, 0.04, n_windows)
        p[:, edge] = np.clip(0.1 + 0.85 * mean_w[:, s] + noise, 0.0, 0.999)
        p[:, edge + 1] = np.clip(0.05 + 0.3 * mean_w[:, s] + noise, 0.0, 0.999)
    probs = np.stack([1 - p, 2 * p / 3, p / 3], axis=-1)
    return StringPosterior(
        probs=probs,
        window_start=start,
        window_end=start + window_s,
        senders=senders,
        receivers=receivers,
        node_names=tuple(names),
        node_dancer=[0] * n + [1] * n,
        node_joint=[skel.index(nm.split(":")[1]) for nm in names],
        skeleton=duet.skeleton,
        dancers=duet.dancers,
        edge_prior=(0.4, 0.3, 0.3),
        run="synthetic (planted truth, no model)",
    )


def make_duet(duration: float, seed: int) -> tuple[Duet, StringPosterior]:
    config = DuetSimConfig(duration_s=duration, fps=30.0, switch_off=True)
    duet, strings = simulate_duet(config, np.random.default_rng(seed))
    return duet, synthetic_posterior(duet, strings, np.random.default_rng(seed + 1))


class MatplotlibRenderer:
    """The baseline: matplotlib's 3D axes, one figure reused, line artists updated per frame."""

    def __init__(self, duet: Duet, posterior: StringPosterior, threshold: float, size=(960, 540)):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.duet, self.threshold = duet, threshold
        dpi = 100
        self.fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.fig.add_subplot(projection="3d")
        lo, hi = duet.positions.reshape(-1, 3).min(0), duet.positions.reshape(-1, 3).max(0)
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), zlim=(floor_height(duet.positions), hi[2]))
        ax.view_init(elev=style.ELEVATION_DEG, azim=style.AZIMUTH_DEG)
        self.bones = duet.skeleton_def.bones
        self.lines = [
            [ax.plot([], [], [], color=style.unit_color(style.DANCER_COLORS[d]), lw=2)[0]
             for _ in self.bones]
            for d in (0, 1)
        ]  # fmt: skip
        self.edges = np.nonzero(posterior.p_string.max(0) >= threshold)[0]
        self.string_lines = [
            ax.plot([], [], [], color=style.unit_color(style.STRING_COLOR), lw=2)[0]
            for _ in self.edges
        ]
        self.posterior = posterior
        self.title = ax.set_title("")
        centre = 0.5 * (posterior.window_start + posterior.window_end)
        self.window_of = lambda t: int(np.argmin(np.abs(centre - t)))

    def render(self, frame: int) -> np.ndarray:
        pos = self.duet.positions[frame]
        for d in (0, 1):
            for line, (c, p) in zip(self.lines[d], self.bones, strict=True):
                line.set_data_3d(*pos[d, [c, p]].T)
        t = frame / self.duet.fps
        pw = self.posterior.p_string[self.window_of(t)]
        post = self.posterior
        for line, e in zip(self.string_lines, self.edges, strict=True):
            s, r = post.senders[e], post.receivers[e]
            a = pos[post.node_dancer[s], post.node_joint[s]]
            b = pos[post.node_dancer[r], post.node_joint[r]]
            line.set_data_3d(*np.stack([a, b]).T)
            line.set_alpha(float(pw[e]) if pw[e] >= self.threshold else 0.0)
        self.title.set_text(f"{t:.1f} s")
        self.canvas.draw()
        return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="duet seconds [600]")
    parser.add_argument("--reduced-fps", type=float, default=10.0, help="reduced video fps [10]")
    parser.add_argument("--baseline-frames", type=int, default=200, help="matplotlib frames [200]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-full", action="store_true", help="skip the full-fps video")
    parser.add_argument("--demo", metavar="DIR", help="only write DIR/duet.npz and DIR/strings.npz")
    args = parser.parse_args(argv)

    duet, posterior = make_duet(args.duration, args.seed)
    if args.demo:
        out = Path(args.demo)
        duet.save(out / "duet.npz", overwrite=True)
        posterior.save(out / "strings.npz", overwrite=True)
        print(f"wrote {out / 'duet.npz'} and {out / 'strings.npz'} ({duet!r}, {posterior!r})")
        return 0

    print(f"duet: {duet!r}, {duet.duration:.0f} s; strings: {posterior!r}")
    print(f"cpus: {os.cpu_count()} (affinity {len(os.sched_getaffinity(0))}); load {load()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [] if args.no_full else [("full", None)]
        runs.append((f"reduced {args.reduced_fps:g} fps", args.reduced_fps))
        for name, fps in runs:
            cpu0, t0 = time.process_time(), time.perf_counter()
            info = render_video(
                duet, Path(tmp) / f"{name.split()[0]}.mp4", posterior, VideoConfig(fps=fps)
            )
            wall = time.perf_counter() - t0
            rows.append((name, info.n_frames, info.fps, wall, time.process_time() - cpu0))
            size = (Path(tmp) / f"{name.split()[0]}.mp4").stat().st_size / 1e6
            print(
                f"  mp4 {name:<16} {info.n_frames:6d} frames at {info.fps:g} fps: {wall:7.1f} s "
                f"wall, {rows[-1][4]:6.1f} s CPU (this process; ffmpeg extra), "
                f"{duet.duration / wall:5.2f}x real time, {size:.1f} MB   load {load()}"
            )

        # Frame rendering alone, ours against matplotlib, on the same frames.
        n = min(args.baseline_frames, duet.n_frames)
        plan = plan_frames(duet.n_frames, duet.fps)
        ours = FrameRenderer(duet, posterior, plan, FrameStyle())
        t0 = time.perf_counter()
        for k in range(n):
            ours.render(k).tobytes()
        ours_s = (time.perf_counter() - t0) / n
        base = MatplotlibRenderer(duet, posterior, 0.8)
        t0 = time.perf_counter()
        for k in range(n):
            base.render(k).tobytes()
        base_s = (time.perf_counter() - t0) / n
        print(f"  frames alone, {n} frames, 960x540, no encoding:")
        print(
            f"    ours (pillow, 2x supersampled) {1000 * ours_s:6.1f} ms/frame -> whole duet "
            f"{ours_s * duet.n_frames:7.1f} s, {duet.duration / (ours_s * duet.n_frames):5.2f}x "
            "real time"
        )
        print(
            f"    baseline matplotlib Axes3D   {1000 * base_s:6.1f} ms/frame -> whole duet "
            f"{base_s * duet.n_frames:7.1f} s (extrapolated), "
            f"{duet.duration / (base_s * duet.n_frames):5.2f}x real time"
        )
        print(f"    ours / baseline speed: {base_s / ours_s:.1f}x")

        t0 = time.perf_counter()
        path = write_viewer(duet, Path(tmp) / "viewer.html", posterior)
        viewer_s = time.perf_counter() - t0
        print(
            f"  viewer.html: {viewer_s:.1f} s (report included), "
            f"{path.stat().st_size / 1e6:.1f} MB   load {load()}"
        )
    print(
        "reproduce: python bench/bench_render.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
