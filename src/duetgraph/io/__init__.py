"""Readers and writers: every input format converted once to the canonical layout.

Each reader returns a `Duet` (or `Detections` for per-frame detector output) with positions in
metres, right-handed, z up. Must not import model, train or viz.
"""

from duetgraph.io.alphapose import read_alphapose, write_alphapose
from duetgraph.io.arrays import read_array, write_array
from duetgraph.io.bvh import read_bvh
from duetgraph.io.csv_long import read_csv, write_csv
from duetgraph.io.detections import Detections
from duetgraph.io.hybrik import read_hybrik
from duetgraph.io.read import read_input, write_output

__all__ = [
    "Detections",
    "read_alphapose",
    "read_array",
    "read_bvh",
    "read_csv",
    "read_hybrik",
    "read_input",
    "write_alphapose",
    "write_array",
    "write_csv",
    "write_output",
]
