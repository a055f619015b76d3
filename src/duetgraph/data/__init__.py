"""duetgraph.data: windows, features, normalisation, augmentation, splits, torch datasets.

See DESIGN.md §1, §6. Must not import viz, train or cli.
"""

from duetgraph.data.augment import (
    expand_rotations,
    random_rotation,
    rotate_about_z,
    rotate_features,
)
from duetgraph.data.duet_dataset import (
    DuetData,
    DuetWindowDataset,
    WindowBatch,
    build_duet_windows,
)
from duetgraph.data.joints import (
    JointSelection,
    inter_dancer_edges,
    known_adjacency,
    known_edges,
    select_joints,
)
from duetgraph.data.normalize import Normalizer, fit_normalizer
from duetgraph.data.split import TimeSplit, split_windows
from duetgraph.data.windows import (
    FEATURE_NAMES,
    Windows,
    duet_windows,
    flatten_time,
    frame_features,
    unflatten_time,
)

__all__ = [
    "FEATURE_NAMES",
    "DuetData",
    "DuetWindowDataset",
    "JointSelection",
    "Normalizer",
    "TimeSplit",
    "WindowBatch",
    "Windows",
    "build_duet_windows",
    "duet_windows",
    "expand_rotations",
    "fit_normalizer",
    "flatten_time",
    "frame_features",
    "inter_dancer_edges",
    "known_adjacency",
    "known_edges",
    "random_rotation",
    "rotate_about_z",
    "rotate_features",
    "select_joints",
    "split_windows",
    "unflatten_time",
]
