"""The cleaning pipeline: detections in, a two-dancer `Duet` and a report of every fix out.

Steps (DESIGN.md §5), each recorded in the duet's provenance with its counts:

1. group detections by frame;
2. (pelvis-centred input with 2D boxes) estimate where each pose stands; tracking always uses it,
   the output keeps it only with `recover_placement`;
3. prune frames with three or more detections to two: rule "score" keeps the two highest scores
   (the paper); rule "continuity" (default) keeps the two that best continue the tracks;
4. track the two dancers: one-detection frames go to the closer dancer, two-detection frames get
   the 2 × 2 assignment with the smaller summed joint distance (identity swaps fixed);
5. fill: a missing dancer copies its previous pose (leading gaps take the first one); no frame is
   ever dropped;
6. smooth with the DCT (keep the lowest `keep_fraction` of coefficients);
7. optionally resample to `target_fps`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from duetgraph.clean.placement import estimate_root_translation, guess_camera
from duetgraph.clean.resample import resample
from duetgraph.clean.smoothing import cutoff_hz, dct_smooth, n_kept_coefficients
from duetgraph.clean.tracking import fill_assignment, frame_offsets, prune_by_score, track_two
from duetgraph.duet import Duet
from duetgraph.errors import InputError
from duetgraph.io.detections import Detections

log = logging.getLogger(__name__)

PRUNE_RULES = ("continuity", "score")
MAX_UPSAMPLING = 16  # --target-fps at most this many times the input's rate (memory stays bounded)


@dataclass(frozen=True)
class CleanConfig:
    """How to clean. Each field maps onto one `duetgraph clean` flag.

    Args:
        prune: frames with 3+ detections keep "continuity" (the two that best continue the
            tracks) or "score" (the two highest scores, as the paper did).
        keep_fraction: lowest DCT coefficients kept (0.25 ≈ 3.75 Hz at 30 fps, the paper's).
        smooth: apply the DCT smoothing at all.
        target_fps: resample to this frame rate (None keeps the input's; 10 at 30 fps keeps every
            3rd frame like the reference implementation).
        recover_placement: rebuild where pelvis-centred dancers stand from the 2D boxes.
        focal_length: camera focal length in pixels for placement recovery (None: image width).
        image_size: (width, height) of the video in pixels (None: extent of the boxes).
    """

    prune: str = "continuity"
    keep_fraction: float = 0.25
    smooth: bool = True
    target_fps: float | None = None
    recover_placement: bool = False
    focal_length: float | None = None
    image_size: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.prune not in PRUNE_RULES:
            raise InputError(
                f"--prune {self.prune!r} is unknown; use one of: {', '.join(PRUNE_RULES)}."
            )
        if not 0.0 < self.keep_fraction <= 1.0:
            raise InputError(
                f"--keep-fraction {self.keep_fraction} is outside (0, 1]; 0.25 is the paper's value."
            )
        if self.target_fps is not None and not (
            np.isfinite(self.target_fps) and self.target_fps > 0
        ):
            raise InputError(f"--target-fps {self.target_fps} must be a positive frame rate.")
        if self.focal_length is not None and not (self.focal_length > 0):
            raise InputError(f"--focal-length {self.focal_length} must be positive (pixels).")
        if self.image_size is not None and not all(s > 0 for s in self.image_size):
            raise InputError(f"--image-size {self.image_size} must be two positive pixel counts.")


@dataclass(frozen=True)
class CleanReport:
    """What cleaning found and fixed, for the console and the record.

    Counts refer to the input frames; `n_frames_out` and `fps_out` describe the result.
    """

    source: str
    n_frames: int
    n_detections: int
    frames_by_count: dict[str, int]
    frames_filled: int = 0
    poses_filled: int = 0
    detections_dropped: int = 0
    prune: str = "continuity"
    swaps_fixed: int = 0
    swap_runs: int = 0
    smoothing: str | None = None
    resampling: str | None = None
    placement: str | None = None
    placement_warning: str | None = None
    n_frames_out: int = 0
    fps_out: float = 0.0

    def to_text(self) -> str:
        c = self.frames_by_count
        lines = [
            f"cleaned {self.source}",
            f"  frames read          {self.n_frames} ({self.n_detections} detections)",
            f"  detections per frame 0: {c['0']}  1: {c['1']}  2: {c['2']}  3+: {c['3+']}",
            f"  frames filled        {self.frames_filled} ({self.poses_filled} dancer poses "
            "copied from the previous frame)",
            f"  detections dropped   {self.detections_dropped} (rule: {self.prune})",
            f"  identity swaps fixed {self.swaps_fixed} frames in {self.swap_runs} runs",
            f"  smoothing            {self.smoothing or 'off'}",
        ]
        if self.resampling:
            lines.append(f"  resampling           {self.resampling}")
        if self.placement:
            lines.append(f"  placement            {self.placement}")
        frames = f"{self.n_frames_out} frame{'' if self.n_frames_out == 1 else 's'}"
        lines.append(f"  result               {frames} at {self.fps_out:g} fps")
        if self.placement_warning:
            lines.append(f"  warning: {self.placement_warning}")
        return "\n".join(lines)


def clean_detections(
    det: Detections, config: CleanConfig | None = None
) -> tuple[Duet, CleanReport]:
    """Turn per-frame detections into a clean two-dancer duet.

    Args:
        det: detections (joints (M, J, 3) metres z-up, sorted by frame).
        config: cleaning settings (default `CleanConfig()`).

    Returns:
        (duet with positions (T', 2, J, 3) float32 metres z-up and one provenance entry per step,
        report).

    Raises:
        InputError: no detections, no frame with two detections, or placement recovery asked
            for without boxes or keypoints.
    """
    config = config or CleanConfig()
    with _named(det.source):
        return _clean_detections(det, config)


def _clean_detections(det: Detections, config: CleanConfig) -> tuple[Duet, CleanReport]:
    if det.n_detections == 0:
        raise InputError(
            f"{det.source}: contains no detections; check that the pose extractor found people."
        )
    counts = det.counts_per_frame()
    if not (counts >= 2).any():
        raise InputError(
            f"{det.source}: no frame has two detections (at most {int(counts.max())}); cleaning "
            "needs at least one frame showing both dancers to start their tracks, so check that "
            "the video shows a duet."
        )
    hist = det.detection_histogram()
    steps: list[tuple[str, dict]] = [
        (
            "group_by_frame",
            {"n_frames": det.n_frames, **{f"frames_with_{k}": v for k, v in hist.items()}},
        )
    ]

    track_joints, out_joints, placement, warning, step = _placement(det, config)
    if step is not None:
        steps.append(step)

    frame, score, rows = det.frame, det.score, np.arange(det.n_detections)
    if config.prune == "score":
        keep = prune_by_score(frame, score, det.n_frames)
        rows = rows[keep]
        n_dropped = int(det.n_detections - keep.sum())
    offsets = frame_offsets(frame[rows], det.n_frames)
    tracks = track_two(track_joints[rows], offsets, score[rows])
    if config.prune == "continuity":
        n_dropped = tracks.n_dropped
    steps.append(("prune", {"rule": config.prune, "detections_dropped": n_dropped}))
    n_swap_runs = tracks.n_swap_runs(np.diff(offsets))
    steps.append(
        (
            "track",
            {
                "init_frame": tracks.init_frame,
                "frames_single_assigned": hist["1"],
                "swaps_fixed": tracks.n_swaps_fixed,
                "swap_runs": n_swap_runs,
            },
        )
    )
    filled, missing = fill_assignment(tracks.assign)
    frames_filled, poses_filled = int(missing.any(axis=1).sum()), int(missing.sum())
    steps.append(("fill_missing", {"frames_filled": frames_filled, "poses_filled": poses_filled}))
    positions = out_joints[rows][filled]  # (T, 2, J, 3): row of each dancer per frame, gathered
    duet = Duet(positions, fps=det.fps, skeleton=det.skeleton, provenance=det.provenance)
    for name, info in steps:
        duet = duet.with_step(name, **info)
    duet, smoothing, resampling = _smooth_and_resample(duet, config, det.source)
    report = CleanReport(
        source=det.source,
        n_frames=det.n_frames,
        n_detections=det.n_detections,
        frames_by_count=hist,
        frames_filled=frames_filled,
        poses_filled=poses_filled,
        detections_dropped=n_dropped,
        prune=config.prune,
        swaps_fixed=tracks.n_swaps_fixed,
        swap_runs=n_swap_runs,
        smoothing=smoothing,
        resampling=resampling,
        placement=placement,
        placement_warning=warning,
        n_frames_out=duet.n_frames,
        fps_out=duet.fps,
    )
    return duet, report


def clean_duet(duet: Duet, config: CleanConfig | None = None) -> tuple[Duet, CleanReport]:
    """Smooth and resample a duet that already has both dancers in every frame.

    Raises:
        InputError: placement recovery asked for (it needs 2D detections).
    """
    config = config or CleanConfig()
    if config.recover_placement:
        raise InputError(
            f"{duet.source}: --recover-placement needs AlphaPose detections with image boxes; "
            "this input already holds two dancers' 3D poses."
        )
    n = duet.n_frames
    with _named(duet.source):
        out, smoothing, resampling = _smooth_and_resample(duet, config, duet.source)
    report = CleanReport(
        source=duet.source,
        n_frames=n,
        n_detections=2 * n,
        frames_by_count={"0": 0, "1": 0, "2": n, "3+": 0},
        prune=config.prune,
        smoothing=smoothing,
        resampling=resampling,
        n_frames_out=out.n_frames,
        fps_out=out.fps,
    )
    return out, report


@contextlib.contextmanager
def _named(source: str) -> Iterator[None]:
    """Name `source` instead of "duet" in errors of the Duets built while cleaning it."""
    try:
        yield
    except InputError as exc:
        message = str(exc)
        if not message.startswith("duet: "):
            raise
        raise InputError(f"{source}: {message.removeprefix('duet: ')}") from None


def _smooth_and_resample(
    duet: Duet, config: CleanConfig, source: str
) -> tuple[Duet, str | None, str | None]:
    smoothing = resampling = None
    if config.smooth:
        n, f = duet.n_frames, config.keep_fraction
        hz = cutoff_hz(n, f, duet.fps)
        duet = duet.with_step(
            "dct_smooth",
            positions=dct_smooth(duet.positions, f),
            keep_fraction=f,
            n_coefficients=n_kept_coefficients(n, f),
            cutoff_hz=round(hz, 4),
        )
        smoothing = f"DCT, lowest {f:.0%} of coefficients kept (below {hz:.2f} Hz)"
    if config.target_fps is not None and config.target_fps != duet.fps:
        src_fps, n = duet.fps, duet.n_frames
        if config.target_fps > MAX_UPSAMPLING * src_fps:
            raise InputError(
                f"{source}: --target-fps {config.target_fps:g} is more than "
                f"{MAX_UPSAMPLING} × the input's {src_fps:g} fps; upsampling that far only "
                "interpolates, so choose a lower --target-fps or check --fps."
            )
        positions, method = resample(duet.positions, src_fps, config.target_fps)
        duet = duet.with_step(
            "resample",
            positions=positions,
            fps=float(config.target_fps),
            from_fps=src_fps,
            method=method,
            n_frames_before=n,
        )
        resampling = (
            f"{src_fps:g} → {config.target_fps:g} fps ({method}), {n} → {duet.n_frames} frames"
        )
    return duet, smoothing, resampling


def _placement(det: Detections, config: CleanConfig):
    """Joints to track with, joints to output, and what placement recovery did.

    Returns:
        (track_joints (M, J, 3), out_joints (M, J, 3), placement text or None, warning or None,
        provenance step or None).
    """
    has_2d = det.box is not None or det.keypoints_2d is not None
    if not det.pelvis_centred:
        note = None
        if config.recover_placement:
            note = "kept from the input (poses are not pelvis-centred; nothing to recover)"
        return det.joints, det.joints, note, None, None
    if not has_2d:
        if config.recover_placement:
            raise InputError(
                f"{det.source}: --recover-placement needs image boxes or 2D keypoints, which "
                "this input lacks; re-run AlphaPose with its default JSON output."
            )
        warning = (
            "the input is pelvis-centred and has no image boxes: both dancers stand at the "
            "origin and identities were tracked from pose shape alone."
        )
        return det.joints, det.joints, None, warning, None
    camera = guess_camera(det.box, det.keypoints_2d, config.focal_length, config.image_size)
    root = estimate_root_translation(det.joints, camera, det.keypoints_2d, det.box)
    with np.errstate(over="ignore", invalid="ignore"):
        placed = det.joints + root[:, None, :]
    # Degenerate 2D evidence, or a position beyond float32 (absurd input): left where it was.
    unplaced = ~np.isfinite(placed).all(axis=(1, 2))
    root[unplaced] = 0.0
    placed[unplaced] = det.joints[unplaced]
    source = "2D keypoints" if det.keypoints_2d is not None else "image boxes"
    step = (
        "placement",
        {
            "from": source,
            "focal_length_px": camera.focal_length,
            "image_size_px": list(camera.image_size),
            "focal_given": camera.focal_given,
            "size_given": camera.size_given,
            "n_unplaced": int(unplaced.sum()),
            "kept_in_output": config.recover_placement,
            "used_for_tracking": True,
        },
    )
    if config.recover_placement:
        text = f"rebuilt by weak perspective from {source}; {camera.describe()}; depths approximate"
        return placed, placed, text, None, step
    warning = (
        "the input is pelvis-centred (stock AlphaPose): the output keeps both dancers at the "
        "origin, losing where they stand; pass --recover-placement to rebuild it from the boxes."
    )
    return placed, det.joints, None, warning, step
