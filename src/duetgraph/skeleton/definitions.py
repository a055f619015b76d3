"""The skeletons duetgraph knows, as frozen dataclasses.

A skeleton is a tree: `parents[j]` is the index of joint j's parent, -1 for the root. Body-part
groups split the joints into head, torso, left/right arm and left/right leg; every joint belongs
to exactly one group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BODY_PARTS = ("head", "torso", "left_arm", "right_arm", "left_leg", "right_leg")


@dataclass(frozen=True)
class Skeleton:
    """A named joint tree with body-part groups.

    Args:
        name: lookup name, e.g. "smpl29".
        joint_names: one name per joint, in index order.
        parents: parent index per joint, -1 for the root.
        groups: body part name -> joint names of that part.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    groups: dict[str, tuple[str, ...]] = field(hash=False, compare=False)

    def __post_init__(self) -> None:
        validate_tree(self)

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    @property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(child, parent) index pairs, one per non-root joint, in joint order."""
        return tuple((j, p) for j, p in enumerate(self.parents) if p >= 0)

    def index(self, joint: str) -> int:
        """Index of a joint by name; raises KeyError naming the valid joints."""
        try:
            return self.joint_names.index(joint)
        except ValueError:
            raise KeyError(
                f"unknown joint {joint!r} for skeleton {self.name}; known: {', '.join(self.joint_names)}"
            ) from None

    def indices(self, joints: list[str] | tuple[str, ...]) -> list[int]:
        return [self.index(j) for j in joints]

    def group_of(self, joint: int | str) -> str:
        """Body part of a joint given by index or name."""
        name = self.joint_names[joint] if isinstance(joint, int) else joint
        for part, members in self.groups.items():
            if name in members:
                return part
        raise KeyError(f"joint {name!r} is in no body part of skeleton {self.name}")

    def group_indices(self, part: str) -> list[int]:
        if part not in self.groups:
            raise KeyError(f"unknown body part {part!r}; known: {', '.join(self.groups)}")
        return self.indices(self.groups[part])

    def __repr__(self) -> str:
        return f"Skeleton({self.name!r}, n_joints={self.n_joints})"


def validate_tree(skeleton: Skeleton) -> None:
    """Check names are unique, parents form one tree with a single root, and groups partition it.

    Raises:
        ValueError: naming the first inconsistency.
    """
    names, parents = skeleton.joint_names, skeleton.parents
    n = len(names)
    if len(set(names)) != n:
        raise ValueError(f"skeleton {skeleton.name}: joint names are not unique")
    if len(parents) != n:
        raise ValueError(f"skeleton {skeleton.name}: {len(parents)} parents for {n} joints")
    roots = [j for j, p in enumerate(parents) if p == -1]
    if len(roots) != 1:
        raise ValueError(f"skeleton {skeleton.name}: expected one root, found {len(roots)}")
    for j, p in enumerate(parents):
        if p != -1 and not 0 <= p < n:
            raise ValueError(
                f"skeleton {skeleton.name}: joint {names[j]} has parent {p} out of range"
            )
    # Every joint must reach the root without revisiting a joint (no cycles).
    for j in range(n):
        seen, k = set(), j
        while k != -1:
            if k in seen:
                raise ValueError(f"skeleton {skeleton.name}: cycle through joint {names[k]}")
            seen.add(k)
            k = parents[k]
    grouped = [name for members in skeleton.groups.values() for name in members]
    if sorted(grouped) != sorted(names):
        missing = set(names) - set(grouped)
        extra = [g for g in grouped if g not in names or grouped.count(g) > 1]
        raise ValueError(
            f"skeleton {skeleton.name}: body-part groups must cover each joint once "
            f"(missing {sorted(missing)}, unknown or repeated {sorted(set(extra))})"
        )


_SMPL29_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "jaw", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_thumb", "right_thumb", "head", "left_middle",
    "right_middle", "left_bigtoe", "right_bigtoe",
)  # fmt: skip
_SMPL29_PARENTS = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21, 15,
    22, 23, 10, 11,
)  # fmt: skip
_SMPL29_GROUPS = {
    "head": ("neck", "jaw", "head"),
    "torso": ("pelvis", "spine1", "spine2", "spine3", "left_collar", "right_collar"),
    "left_arm": ("left_shoulder", "left_elbow", "left_wrist", "left_thumb", "left_middle"),
    "right_arm": ("right_shoulder", "right_elbow", "right_wrist", "right_thumb", "right_middle"),
    "left_leg": ("left_hip", "left_knee", "left_ankle", "left_foot", "left_bigtoe"),
    "right_leg": ("right_hip", "right_knee", "right_ankle", "right_foot", "right_bigtoe"),
}

SMPL29 = Skeleton("smpl29", _SMPL29_NAMES, _SMPL29_PARENTS, _SMPL29_GROUPS)
"""HybrIK / SMPL 29 joints: the 24 SMPL joints then 5 mesh-vertex joints (DESIGN.md §3)."""

SMPL24 = Skeleton(
    "smpl24",
    _SMPL29_NAMES[:24],
    _SMPL29_PARENTS[:24],
    {
        part: tuple(n for n in members if n in _SMPL29_NAMES[:24])
        for part, members in _SMPL29_GROUPS.items()
    },
)
"""The 24 SMPL joints (same order and parents as the first 24 of SMPL29)."""

H36M17 = Skeleton(
    "h36m17",
    (
        "pelvis",
        "right_hip",
        "right_knee",
        "right_ankle",
        "left_hip",
        "left_knee",
        "left_ankle",
        "spine",
        "thorax",
        "neck",
        "head",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
        "right_shoulder",
        "right_elbow",
        "right_wrist",
    ),
    (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15),
    {
        "head": ("neck", "head"),
        "torso": ("pelvis", "spine", "thorax"),
        "left_arm": ("left_shoulder", "left_elbow", "left_wrist"),
        "right_arm": ("right_shoulder", "right_elbow", "right_wrist"),
        "left_leg": ("left_hip", "left_knee", "left_ankle"),
        "right_leg": ("right_hip", "right_knee", "right_ankle"),
    },
)
"""Human3.6M 17-joint skeleton in its usual order."""

COCO17 = Skeleton(
    "coco17",
    (
        "nose",
        "left_eye",
        "right_eye",
        "left_ear",
        "right_ear",
        "left_shoulder",
        "right_shoulder",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
    ),
    # COCO defines no tree; this one hangs the face on the nose, shoulders on the nose and
    # each hip on its shoulder, so that every keypoint has a parent.
    (-1, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14),
    {
        "head": ("nose", "left_eye", "right_eye", "left_ear", "right_ear"),
        "torso": ("left_hip", "right_hip"),
        "left_arm": ("left_shoulder", "left_elbow", "left_wrist"),
        "right_arm": ("right_shoulder", "right_elbow", "right_wrist"),
        "left_leg": ("left_knee", "left_ankle"),
        "right_leg": ("right_knee", "right_ankle"),
    },
)
"""COCO 17 keypoints (2D detectors); the tree is a convention of ours, stated above."""

SKELETONS: dict[str, Skeleton] = {s.name: s for s in (SMPL29, SMPL24, H36M17, COCO17)}


def get_skeleton(name: str | Skeleton) -> Skeleton:
    """Look a skeleton up by name (case-insensitive); a Skeleton is returned as is.

    Raises:
        KeyError: the name is unknown; the message lists the known names.
    """
    if isinstance(name, Skeleton):
        return name
    key = name.lower().replace("-", "").replace("_", "")
    if key not in SKELETONS:
        raise KeyError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}")
    return SKELETONS[key]


def skeleton_for_joint_count(n_joints: int) -> Skeleton | None:
    """The default skeleton with `n_joints` joints (29 → smpl29, 24 → smpl24, 17 → h36m17)."""
    return {29: SMPL29, 24: SMPL24, 17: H36M17}.get(n_joints)
