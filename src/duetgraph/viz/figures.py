"""Static figures (PNG, matplotlib's Agg canvas, no pyplot global state).

- `plot_string_heatmap`: P(string) over time for the strongest edges (edges × windows).
- `plot_hubs`: per dancer, the joints with the most strong strings (summed P(string)).
- `plot_bipartite`: the strongest strings as a two-column graph, A's joints left, B's right.
- `plot_training`: training curves (NLL, KL, accuracy) from a run's `metrics.csv`.
- `write_figures`: all of the above that apply, into one folder.

Every PNG is written atomically and refuses to replace a file unless `overwrite`.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from duetgraph.analysis.posterior import STRING_THRESHOLD, StringPosterior
from duetgraph.analysis.strings import string_hubs
from duetgraph.atomic import atomic_path, check_writable
from duetgraph.errors import InputError
from duetgraph.skeleton import get_skeleton
from duetgraph.viz import style

DPI = 120
FIGURE_FILES = {
    "heatmap": "strings_heatmap.png",
    "hubs": "hubs.png",
    "bipartite": "strings_bipartite.png",
    "training": "training.png",
}


def save_figure(fig: Figure, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write `fig` as PNG to `path` atomically."""
    FigureCanvasAgg(fig)
    with atomic_path(path, overwrite) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    return Path(path)


def _new_figure(width_in: float, height_in: float) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


def _top_edges(posterior: StringPosterior, top_k: int) -> np.ndarray:
    """(K,) the edges with the highest mean P(string), highest first (ties: lower index)."""
    mean = posterior.p_string.mean(axis=0) if posterior.n_windows else np.zeros(posterior.n_edges)
    return np.lexsort((np.arange(mean.size), -mean))[:top_k]


# ---------------------------------------------------------------------- heat map
def plot_string_heatmap(
    posterior: StringPosterior, threshold: float = STRING_THRESHOLD, top_k: int = 30
) -> Figure:
    """P(string) of the `top_k` edges with the highest mean P, one row each, over time.

    Columns are windows, drawn at their centres (seconds); with overlapping windows each column
    spans half-way to its neighbours' centres. Rows are ordered by mean P, highest on top.
    The threshold is marked on the colour bar.
    """
    if posterior.n_windows == 0 or posterior.n_edges == 0:
        raise InputError("posterior: no windows or no edges, nothing to draw.")
    edges = _top_edges(posterior, top_k)
    p = posterior.p_string[:, edges].T  # (K, W)
    centre = 0.5 * (posterior.window_start + posterior.window_end)  # (W,)
    if centre.size > 1:
        mid = 0.5 * (centre[1:] + centre[:-1])
        x_edges = np.concatenate([[posterior.window_start[0]], mid, [posterior.window_end[-1]]])
    else:
        x_edges = np.array([posterior.window_start[0], posterior.window_end[0]])
    x_edges = np.maximum.accumulate(x_edges)  # equal window starts give zero-width columns
    names = posterior.edge_labels()
    fig = _new_figure(11, 1.6 + 0.24 * len(edges))
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(
        x_edges, np.arange(len(edges) + 1), p, cmap="magma", vmin=0.0, vmax=1.0, shading="flat"
    )
    ax.set_yticks(np.arange(len(edges)) + 0.5, [names[e] for e in edges], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    shown = f"top {len(edges)} of {posterior.n_edges} edges by mean P(string)"
    ax.set_title(f"P(string) over time — {shown}; run {posterior.run}", fontsize=10)
    bar = fig.colorbar(mesh, ax=ax, pad=0.01, fraction=0.03)
    bar.set_label("P(string)")
    bar.ax.axhline(threshold, color="white", linewidth=1.0)
    return fig


# ---------------------------------------------------------------------- hubs
def plot_hubs(
    posterior: StringPosterior, threshold: float = STRING_THRESHOLD, top_k: int = 10
) -> Figure:
    """Per dancer, horizontal bars of summed strong P(string) for its `top_k` hub joints.

    A joint's bar is the sum of P(string) over the (window, edge) pairs touching it with
    P >= threshold (see `analysis.strings.string_hubs`); the label gives its partners.
    """
    hubs = string_hubs(posterior, threshold)
    fig = _new_figure(10, 1.4 + 0.32 * max(1, min(top_k, max(len(h) for h in hubs))))
    axes = fig.subplots(1, 2, sharex=True)
    top = max((h.p_sum for dancer in hubs for h in dancer), default=1.0)
    for d, ax in enumerate(axes):
        rows = hubs[d][:top_k]
        label = posterior.dancers[d]
        if rows:
            y = np.arange(len(rows))
            ax.barh(y, [h.p_sum for h in rows], color=style.unit_color(style.DANCER_COLORS[d]))
            ax.set_yticks(y, [h.name.split(" ", 1)[-1] for h in rows], fontsize=9)
            for yi, h in zip(y, rows, strict=True):
                ax.text(
                    h.p_sum, yi, f" {h.n_partners} partner{'s' * (h.n_partners != 1)}",
                    va="center", fontsize=8,
                )  # fmt: skip
            ax.invert_yaxis()
        else:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "no strong strings", ha="center", va="center",
                    transform=ax.transAxes)  # fmt: skip
        ax.set_xlim(0, top * 1.25)
        ax.set_title(f"dancer {label}", color=style.unit_color(style.DANCER_COLORS[d]))
        ax.set_xlabel(f"summed P(string) over windows with P >= {threshold:.2f}")
    fig.suptitle(f"String hubs — run {posterior.run}", fontsize=11)
    return fig


# ---------------------------------------------------------------------- bipartite
def plot_bipartite(posterior: StringPosterior, top_k: int = 15) -> Figure:
    """The `top_k` edges with the highest mean P(string) between A's joints and B's joints.

    A's joints are on the left, B's on the right, each in body order from the top (head, left
    arm, right arm, torso, left leg, right leg; skeleton order within a part). An arrow
    goes from sender to receiver; its width and opacity grow with the edge's mean P(string),
    its colour is the sender's dancer's.
    """
    edges = _top_edges(posterior, top_k)
    mean = posterior.p_string.mean(axis=0) if posterior.n_windows else np.zeros(posterior.n_edges)
    rows = _node_rows(posterior)  # (N,) row of each node within its column
    used = np.unique(np.concatenate([posterior.senders[edges], posterior.receivers[edges]]))
    n_rows = max(1, max((rows[n] for n in used), default=0) + 1)
    fig = _new_figure(7.5, 1.6 + 0.34 * n_rows)
    ax = fig.add_subplot()
    labels = posterior.node_labels()
    pos = {}
    for n in used:
        x = 0.0 if posterior.node_dancer[n] == 0 else 1.0
        pos[n] = (x, -float(rows[n]))
        color = style.unit_color(style.DANCER_COLORS[posterior.node_dancer[n]])
        ax.plot(*pos[n], "o", color=color, markersize=8, zorder=3)
        ax.text(
            x + (-0.04 if x == 0 else 0.04), pos[n][1], labels[n].split(" ", 1)[-1],
            ha="right" if x == 0 else "left", va="center", fontsize=9,
        )  # fmt: skip
    pairs = {(int(s), int(r)) for s, r in zip(posterior.senders, posterior.receivers, strict=True)}
    for e in edges[::-1]:  # strongest drawn last, on top
        s, r = int(posterior.senders[e]), int(posterior.receivers[e])
        if s not in pos or r not in pos or s == r:
            continue
        both_ways = (r, s) in pairs
        m = float(mean[e])
        color = to_rgba(
            style.unit_color(style.DANCER_COLORS[posterior.node_dancer[s]]), 0.15 + 0.85 * m
        )
        ax.add_patch(
            FancyArrowPatch(
                pos[s], pos[r], arrowstyle="-|>", mutation_scale=12, color=color,
                linewidth=0.5 + 5.0 * m, shrinkA=6, shrinkB=6,
                connectionstyle=f"arc3,rad={0.12 if both_ways else 0.0}", zorder=2,
            )
        )  # fmt: skip
    for x, d in ((0.0, 0), (1.0, 1)):
        ax.text(
            x, 1.0, f"dancer {posterior.dancers[d]}", ha="center", fontsize=11,
            color=style.unit_color(style.DANCER_COLORS[d]),
        )  # fmt: skip
    ax.set_xlim(-0.7, 1.7)
    ax.set_ylim(-n_rows + 0.3, 1.6)
    ax.axis("off")
    ax.set_title(
        f"Strongest {len(edges)} strings by mean P(string) (width, opacity = mean P); "
        f"run {posterior.run}",
        fontsize=9,
    )
    return fig


def _node_rows(posterior: StringPosterior) -> np.ndarray:
    """(N,) vertical slot of each node: its dancer's joints ordered head, arms, torso, legs."""
    order = ("head", "left_arm", "right_arm", "torso", "left_leg", "right_leg")
    try:
        skel = get_skeleton(posterior.skeleton)
        part = [
            order.index(skel.group_of(int(j))) if skel.group_of(int(j)) in order else len(order)
            for j in posterior.node_joint
        ]
    except KeyError:  # a skeleton defined elsewhere: skeleton order
        part = [0] * posterior.n_nodes
    key = np.array(part) * 10_000 + posterior.node_joint  # (N,)
    rows = np.zeros(posterior.n_nodes, dtype=np.int64)
    for d in (0, 1):
        mine = np.nonzero(posterior.node_dancer == d)[0]
        rows[mine[np.argsort(key[mine], kind="stable")]] = np.arange(mine.size)
    return rows


# ---------------------------------------------------------------------- training curves
CURVE_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reconstruction NLL", ("train_nll", "valid_nll")),
    ("KL(posterior ‖ prior)", ("train_kl", "valid_kl")),
    ("loss", ("train_loss", "valid_loss")),
    ("edge accuracy", ("train_acc", "valid_acc", "valid_acc_perm")),
)


def read_metrics(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Columns of a run's metrics.csv as float arrays (empty or non-numeric cells are NaN).

    Raises:
        InputError: no such file, no `epoch` column, or no rows.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; pass a run's metrics.csv.")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = reader.fieldnames or []
    if "epoch" not in header:
        raise InputError(f"{path}: no 'epoch' column; is this a duetgraph run's metrics.csv?")
    if not rows:
        raise InputError(f"{path}: has a header but no epochs yet; train for an epoch first.")

    def number(cell: str | None) -> float:
        try:
            return float(cell) if cell not in (None, "") else math.nan
        except ValueError:
            return math.nan

    return {name: np.array([number(r.get(name)) for r in rows]) for name in header}


def plot_training(metrics: dict[str, np.ndarray], title: str = "training") -> Figure:
    """One panel per group of `CURVE_PANELS` that has any finite value, against epoch.

    Args:
        metrics: columns as returned by `read_metrics` (must hold "epoch").
    """
    epoch = metrics["epoch"]
    panels = [
        (name, [c for c in cols if c in metrics and np.isfinite(metrics[c]).any()])
        for name, cols in CURVE_PANELS
    ]
    panels = [(name, cols) for name, cols in panels if cols]
    if not panels:
        raise InputError(
            f"metrics: none of the columns {', '.join(c for _, cs in CURVE_PANELS for c in cs)} "
            "has a value; nothing to plot."
        )
    fig = _new_figure(4.0 * len(panels), 3.4)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (name, cols) in zip(axes, panels, strict=True):
        for col in cols:
            ok = np.isfinite(metrics[col])
            dashed = col.startswith("valid")
            ax.plot(
                epoch[ok], metrics[col][ok], "--" if dashed else "-", marker=".",
                label=col.replace("_", " "),
            )  # fmt: skip
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("epoch")
        if name.startswith(("reconstruction", "loss")) and _positive(metrics, cols):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    return fig


def _positive(metrics: dict[str, np.ndarray], cols: Sequence[str]) -> bool:
    values = np.concatenate([metrics[c][np.isfinite(metrics[c])] for c in cols])
    return values.size > 0 and bool((values > 0).all())


# ---------------------------------------------------------------------- all
def write_figures(
    out_dir: str | os.PathLike,
    posterior: StringPosterior | None = None,
    metrics_csv: str | os.PathLike | None = None,
    threshold: float = STRING_THRESHOLD,
    overwrite: bool = False,
) -> list[Path]:
    """Write the figures that apply into `out_dir` (names in `FIGURE_FILES`).

    With a posterior: heat map, hubs and bipartite graph; with a metrics.csv: training curves.
    Nothing is written if any of them exists and `overwrite` is False.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    todo: list[tuple[str, Callable[[], Figure]]] = []
    if posterior is not None:
        todo += [
            ("heatmap", lambda: plot_string_heatmap(posterior, threshold)),
            ("hubs", lambda: plot_hubs(posterior, threshold)),
            ("bipartite", lambda: plot_bipartite(posterior)),
        ]
    if metrics_csv is not None:
        metrics = read_metrics(metrics_csv)
        title = f"Training curves — {Path(metrics_csv).parent.name or Path(metrics_csv).name}"
        todo.append(("training", lambda: plot_training(metrics, title)))
    for key, _ in todo:
        check_writable(out / FIGURE_FILES[key], overwrite)
    return [save_figure(make(), out / FIGURE_FILES[key], overwrite) for key, make in todo]
