"""Cleaning: from per-frame detections to a clean two-dancer `Duet` (DESIGN.md §5).

Tracking, gap filling, identity fixing, DCT smoothing, resampling and placement recovery, each a
pure function on arrays whose counts land in the duet's provenance. Must not import model, train
or viz.
"""

from duetgraph.clean.pipeline import CleanConfig, CleanReport, clean_detections, clean_duet
from duetgraph.clean.placement import estimate_root_translation, guess_camera
from duetgraph.clean.resample import resample
from duetgraph.clean.smoothing import dct_smooth
from duetgraph.clean.tracking import (
    fill_assignment,
    frame_offsets,
    prune_by_score,
    track_reference,
    track_two,
)

__all__ = [
    "CleanConfig",
    "CleanReport",
    "clean_detections",
    "clean_duet",
    "dct_smooth",
    "estimate_root_translation",
    "fill_assignment",
    "frame_offsets",
    "guess_camera",
    "prune_by_score",
    "resample",
    "track_reference",
    "track_two",
]
