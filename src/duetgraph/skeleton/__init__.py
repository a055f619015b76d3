"""Skeleton definitions: joint names, parents and body-part groups.

This package imports nothing else of ours.
"""

from duetgraph.skeleton.definitions import (
    BODY_PARTS,
    COCO17,
    H36M17,
    SKELETONS,
    SMPL24,
    SMPL29,
    Skeleton,
    get_skeleton,
    skeleton_for_joint_count,
)

__all__ = [
    "BODY_PARTS",
    "COCO17",
    "H36M17",
    "SKELETONS",
    "SMPL24",
    "SMPL29",
    "Skeleton",
    "get_skeleton",
    "skeleton_for_joint_count",
]
