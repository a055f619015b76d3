"""Draw duet frames with pillow: both skeletons, their floor shadows, a grid and the strings.

Everything that does not change per frame (the camera, every shown frame's projected joints,
the bones' drawing order, the strings' P per frame, the floor grid image) is computed once in
numpy when a `FrameRenderer` is made; each frame then costs a copy of the background and a few
dozen `ImageDraw` calls. Lines are drawn far to near (painter's order, by the mean depth of the
bone's two joints), strings on top of the bodies, the caption last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from duetgraph.analysis.posterior import STRING_THRESHOLD, StringPosterior
from duetgraph.analysis.report import check_match, format_time
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.viz import style
from duetgraph.viz.camera import Camera, fit_camera, scene_bounds
from duetgraph.viz.timeline import (
    FramePlan,
    active_strings,
    frame_p_string,
    shown_edges,
    string_opacity,
)

HEAD_JOINTS = ("head", "jaw", "nose")  # first one the skeleton has gets a head circle
HEAD_RADIUS_M = 0.1
GRID_STEP_M = 0.5


@dataclass(frozen=True)
class FrameStyle:
    """How frames look.

    Args:
        width, height: pixels (even numbers, as H.264 with yuv420p needs).
        threshold: P(string) from which a string is drawn; opacity grows from 0.35 there to 1
            at P = 1 (see `timeline.string_opacity`).
        azimuth_deg, elevation_deg: camera direction (see `camera.Camera`).
        max_caption_strings: strings listed in the caption; more are counted.
        max_strings: draw at most this many edges (those with the highest peak P(string)), so
            that a posterior with many strong edges stays readable and fast.
        supersample: draw at this many times the size and shrink (anti-aliasing; 1 = off).
        shadows: draw each skeleton's shadow on the floor.
    """

    width: int = 960
    height: int = 540
    threshold: float = STRING_THRESHOLD
    azimuth_deg: float = style.AZIMUTH_DEG
    elevation_deg: float = style.ELEVATION_DEG
    max_caption_strings: int = 4
    max_strings: int = 64
    supersample: int = 2
    shadows: bool = True

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64 or self.width % 2 or self.height % 2:
            raise InputError(
                f"video size {self.width}x{self.height} must be even numbers of at least 64 "
                "pixels (e.g. --size 960x540)."
            )
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(f"threshold {self.threshold} must be in (0, 1], e.g. 0.8.")
        if self.supersample not in (1, 2, 3, 4):
            raise InputError(f"supersample {self.supersample} must be 1, 2, 3 or 4.")
        if self.max_caption_strings < 0 or self.max_strings < 1:
            raise InputError("max_caption_strings must be >= 0 and max_strings >= 1.")


def floor_height(positions: np.ndarray) -> float:
    """Floor z in metres: the 1st percentile over frames of the lowest joint of either dancer.

    Args:
        positions: (T, 2, J, 3) metres, z up.
    """
    return float(np.percentile(positions[..., 2].min(axis=(1, 2)), 1.0))


def load_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's bundled font at `size` pixels (its fixed bitmap font without FreeType)."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # pillow < 10.1 or no FreeType
        return ImageFont.load_default()


class FrameRenderer:
    """Renders the frames of a `FramePlan` of one duet and (optionally) its strings.

    Args:
        duet: T frames of (2, J, 3) metres.
        posterior: the strings over the same duet, or None for the dancers alone.
        plan: which duet frames to show (see `timeline.plan_frames`).
        frame_style: size, threshold, view.
        camera: a fixed camera; None: fitted to the whole duet (not only the shown span).
    """

    def __init__(
        self,
        duet: Duet,
        posterior: StringPosterior | None,
        plan: FramePlan,
        frame_style: FrameStyle | None = None,
        camera: Camera | None = None,
    ) -> None:
        st = frame_style or FrameStyle()
        self.style, self.plan, self.duet = st, plan, duet
        s = st.supersample
        self.size = (st.width * s, st.height * s)  # drawing size in pixels
        self.scale = s * st.width / 960.0  # line widths and fonts are designed at 960 wide
        self.floor_z = floor_height(duet.positions)
        if camera is None:
            lo, hi = scene_bounds(duet.positions, self.floor_z)
            camera = fit_camera(lo, hi, st.width, st.height, st.azimuth_deg, st.elevation_deg)
        self.camera = camera
        draw_camera = Camera(
            camera.target,
            camera.distance,
            camera.azimuth_deg,
            camera.elevation_deg,
            camera.focal * s,
            (camera.center[0] * s, camera.center[1] * s),
        )

        bones = np.array(duet.skeleton_def.bones, dtype=np.int64).reshape(-1, 2)  # (B, 2)
        self.bones = bones
        pos = duet.positions[plan.source_frame].astype(np.float64)  # (F, 2, J, 3)
        self.xy, depth = draw_camera.project(pos)  # (F, 2, J, 2) pixels, (F, 2, J) metres
        bone_depth = depth[:, :, bones].mean(axis=-1).reshape(plan.n_frames, -1)  # (F, 2B)
        self.order = np.argsort(-bone_depth, axis=1, kind="stable")  # far to near, (F, 2B)
        shadow = pos.copy()
        shadow[..., 2] = self.floor_z
        self.shadow_xy, _ = draw_camera.project(shadow)  # (F, 2, J, 2)
        names = duet.skeleton_def.joint_names
        self.head = next((names.index(n) for n in HEAD_JOINTS if n in names), None)
        self.head_radius = draw_camera.focal * HEAD_RADIUS_M / np.maximum(depth, 1e-6)

        self.posterior = posterior
        if posterior is not None:
            check_match(duet, posterior)  # raises InputError if the strings are another duet's
            self.edges = shown_edges(posterior, st.threshold, st.max_strings)  # (E',)
            self.p = frame_p_string(posterior, plan.times, self.edges)  # (F, E')
            self.alpha = string_opacity(self.p, st.threshold)  # (F, E')
            snd, rcv = posterior.senders[self.edges], posterior.receivers[self.edges]
            self.ends = np.stack(
                [
                    np.stack([posterior.node_dancer[snd], posterior.node_joint[snd]], 1),
                    np.stack([posterior.node_dancer[rcv], posterior.node_joint[rcv]], 1),
                ],
                axis=1,
            )  # (E', 2 ends, (dancer, joint))
            names_all = posterior.edge_labels()  # tested strings: strength, q, direction
            self.edge_labels = [names_all[e] for e in self.edges]
            self.show_p = posterior.edge_notes is None  # a tested string's P is 0 or 1
        self.font = load_font(max(10, round(15 * self.scale)))
        self.background = self._background(draw_camera)

    # ------------------------------------------------------------------ static parts
    def _background(self, camera: Camera) -> Image.Image:
        """Background colour and the floor grid (lines every 0.5 m around the dancers)."""
        img = Image.new("RGB", self.size, style.BACKGROUND)
        draw = ImageDraw.Draw(img)
        lo, hi = scene_bounds(self.duet.positions, self.floor_z)
        x0, x1 = (math.floor(lo[0] / GRID_STEP_M) - 1, math.ceil(hi[0] / GRID_STEP_M) + 1)
        y0, y1 = (math.floor(lo[1] / GRID_STEP_M) - 1, math.ceil(hi[1] / GRID_STEP_M) + 1)
        xs, ys = np.arange(x0, x1 + 1) * GRID_STEP_M, np.arange(y0, y1 + 1) * GRID_STEP_M
        z = self.floor_z
        segments = [((x, ys[0], z), (x, ys[-1], z)) for x in xs]
        segments += [((xs[0], y, z), (xs[-1], y, z)) for y in ys]
        xy, depth = camera.project(np.array(segments))  # (L, 2, 2), (L, 2)
        width = max(1, round(self.scale))
        for (a, b), d in zip(xy.tolist(), depth.tolist(), strict=True):
            if min(d) > 0:
                draw.line([tuple(a), tuple(b)], fill=style.GRID_COLOR, width=width)
        return img

    # ------------------------------------------------------------------ one frame
    def caption(self, k: int) -> list[tuple[str, tuple[int, int, int]]]:
        """Caption lines of output frame k: (text, colour)."""
        plan, st = self.plan, self.style
        clock = (
            f"{format_time(plan.times[k], precise=True)} / "
            f"{format_time(self.duet.duration, precise=True)}"
        )
        if plan.reduced:
            clock += f"   ({plan.fps:g} of {plan.source_fps:g} fps)"
        lines = [(clock, style.TEXT_COLOR)]
        if self.posterior is None:
            return lines
        row = self.p[k]
        if self.edges.size and np.isnan(row).all():
            return lines + [("strings: not inferred at this time", style.TEXT_COLOR)]
        on = active_strings(row, st.threshold)
        if on.size == 0:
            return lines + [(f"no string at P >= {st.threshold:.2f}", style.TEXT_COLOR)]
        shown = on[: st.max_caption_strings]
        lines += [(f"{self.edge_labels[i]}" + (f"   {row[i]:.2f}" if self.show_p else ""),
                   style.TEXT_COLOR) for i in shown]  # fmt: skip
        if on.size > shown.size:
            lines.append((f"and {on.size - shown.size} more", style.TEXT_COLOR))
        return lines

    def render(self, k: int) -> Image.Image:
        """Output frame k (0 <= k < plan.n_frames) as an RGB image of the style's size."""
        img = self.background.copy()
        draw = ImageDraw.Draw(img, "RGBA")
        xy, bones = self.xy[k], self.bones
        n_bones = bones.shape[0]
        bone_w = max(2 * self.style.supersample, round(4 * self.scale))
        if self.style.shadows:
            sxy = self.shadow_xy[k].tolist()
            for d in (0, 1):
                for c, p in bones.tolist():
                    draw.line([tuple(sxy[d][c]), tuple(sxy[d][p])], style.SHADOW_COLOR, bone_w)
        pts = xy.tolist()
        for i in self.order[k].tolist():
            d, b = divmod(i, n_bones)
            c, p = bones[b]
            draw.line([tuple(pts[d][c]), tuple(pts[d][p])], style.DANCER_COLORS[d], bone_w)
        if self.head is not None:
            for d in (0, 1):
                x, y = pts[d][self.head]
                r = float(self.head_radius[k, d, self.head])
                draw.ellipse(
                    (x - r, y - r, x + r, y + r), outline=style.DANCER_COLORS[d], width=bone_w
                )
        if self.posterior is not None:
            self._draw_strings(draw, k, pts)
        self._draw_caption(draw, k)
        if self.style.supersample > 1:
            img = img.reduce(self.style.supersample)
        return img

    def render_array(self, k: int) -> np.ndarray:
        """Output frame k as (H, W, 3) uint8 RGB."""
        return np.asarray(self.render(k))

    def _draw_strings(self, draw: ImageDraw.ImageDraw, k: int, pts: list) -> None:
        alpha = self.alpha[k]
        width = max(2 * self.style.supersample, round(3 * self.scale))
        head = 10 * self.scale  # arrowhead length in pixels
        dot = 4 * self.scale  # radius of the marks on the two joints
        for i in np.nonzero(alpha > 0)[0].tolist():
            (ds, js), (dr, jr) = self.ends[i].tolist()
            (x0, y0), (x1, y1) = pts[ds][js], pts[dr][jr]
            fill = (*style.STRING_COLOR, round(255 * float(alpha[i])))
            draw.line([(x0, y0), (x1, y1)], fill=fill, width=width)
            for x, y in ((x0, y0), (x1, y1)):
                draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=fill)
            length = math.hypot(x1 - x0, y1 - y0)
            if length > 3 * head:  # arrowhead 60 % of the way, pointing at the receiver
                ux, uy = (x1 - x0) / length, (y1 - y0) / length
                tx, ty = x0 + 0.6 * (x1 - x0), y0 + 0.6 * (y1 - y0)
                draw.polygon(
                    [
                        (tx + ux * head, ty + uy * head),
                        (tx - uy * head * 0.5, ty + ux * head * 0.5),
                        (tx + uy * head * 0.5, ty - ux * head * 0.5),
                    ],
                    fill=fill,
                )

    def _draw_caption(self, draw: ImageDraw.ImageDraw, k: int) -> None:
        pad = round(8 * self.scale)
        line_h = round(20 * self.scale)
        lines = self.caption(k)
        box_w = max(draw.textlength(text, font=self.font) for text, _ in lines) + 2 * pad
        draw.rectangle((0, 0, box_w, len(lines) * line_h + 2 * pad), fill=(*style.BACKGROUND, 190))
        for n, (text, color) in enumerate(lines):
            draw.text((pad, pad + n * line_h), text, fill=color, font=self.font)
        # Legend, bottom left: each dancer's label in their colour.
        y = self.size[1] - pad - line_h
        x = pad
        box = round(10 * self.scale)
        for d, label in enumerate(self.duet.dancers):
            top = y + (line_h - box) // 2
            draw.rectangle((x, top, x + box, top + box), fill=style.DANCER_COLORS[d])
            x += box + pad // 2
            draw.text((x, y), label, fill=style.DANCER_COLORS[d], font=self.font)
            x += draw.textlength(label, font=self.font) + 2 * pad
