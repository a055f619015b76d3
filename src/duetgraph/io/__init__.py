"""Readers and writers: every input format converted once to the canonical layout.

Each reader returns a `Duet` (or `Detections` for per-frame detector output) with positions in
metres, right-handed, z up. Must not import model, train or viz.
"""

from duetgraph.io.detections import Detections

__all__ = ["Detections"]
