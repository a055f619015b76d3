"""Which joints of each dancer become graph nodes, and the edges between them.

Node order is fixed everywhere downstream: the selected joints of dancer A in skeleton index
order, then those of dancer B in skeleton index order. A node is named "A:right_wrist".

Two kinds of edges:

- known edges (`known_edges`): each dancer's own skeleton bones among the selected joints, used
  by the GCN layers and never inferred;
- latent edges (`inter_dancer_edges`): between the dancers only (bipartite), the "strings" the
  encoder infers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from duetgraph.errors import InputError
from duetgraph.skeleton import Skeleton, get_skeleton

DANCER_LABELS = ("A", "B")
_RANDOM = re.compile(r"^random:(\d+)(?:-(\d+))?$")

JointSpec = str | list[str] | tuple[str, ...] | tuple[list[str], list[str]]


@dataclass(frozen=True)
class JointSelection:
    """The selected joints of both dancers.

    Args:
        skeleton: skeleton name the indices refer to (e.g. "smpl29").
        joints_a: dancer A's joint indices, strictly increasing, no repeats.
        joints_b: dancer B's joint indices, strictly increasing, no repeats.
        spec: how the selection was asked for (e.g. "random:3-5"), for logs and checkpoints.
    """

    skeleton: str
    joints_a: tuple[int, ...]
    joints_b: tuple[int, ...]
    spec: str = ""

    def __post_init__(self) -> None:
        skel = get_skeleton(self.skeleton)
        for label, joints in zip(DANCER_LABELS, (self.joints_a, self.joints_b), strict=True):
            if not joints:
                raise InputError(
                    f"joint selection {self.spec!r}: dancer {label} has no joints; each dancer "
                    "needs at least one node."
                )
            if list(joints) != sorted(set(joints)) or not all(
                0 <= j < skel.n_joints for j in joints
            ):
                raise ValueError(
                    f"joint indices of dancer {label} must be distinct, increasing and within "
                    f"0..{skel.n_joints - 1}, got {list(joints)}"
                )

    @property
    def n_a(self) -> int:
        return len(self.joints_a)

    @property
    def n_b(self) -> int:
        return len(self.joints_b)

    @property
    def n_nodes(self) -> int:
        return self.n_a + self.n_b

    @property
    def node_dancer(self) -> np.ndarray:
        """(N,) int64: 0 for dancer A's nodes, 1 for dancer B's."""
        return np.repeat(np.arange(2), [self.n_a, self.n_b])

    @property
    def node_joint(self) -> np.ndarray:
        """(N,) int64: each node's joint index in the skeleton."""
        return np.array(self.joints_a + self.joints_b, dtype=np.int64)

    @property
    def node_names(self) -> tuple[str, ...]:
        """("A:pelvis", ..., "B:head"), in node order."""
        names = get_skeleton(self.skeleton).joint_names
        return tuple(
            f"{DANCER_LABELS[d]}:{names[j]}"
            for d, j in zip(self.node_dancer, self.node_joint, strict=True)
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (joint names, not indices) for checkpoints and JSON."""
        names = get_skeleton(self.skeleton).joint_names
        return {
            "skeleton": self.skeleton,
            "joints_a": [names[j] for j in self.joints_a],
            "joints_b": [names[j] for j in self.joints_b],
            "spec": self.spec,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JointSelection:
        """Inverse of `to_dict`; unknown or missing keys raise InputError."""
        expected = {"skeleton", "joints_a", "joints_b", "spec"}
        if set(d) != expected:
            raise InputError(
                f"joint selection entry has keys {sorted(d)}, expected {sorted(expected)}; "
                "was it written by another duetgraph version?"
            )
        try:
            skel = get_skeleton(d["skeleton"])
        except KeyError as exc:
            raise InputError(f"joint selection: {exc.args[0]}") from None
        return cls(
            skel.name,
            tuple(sorted(_joint_index(skel, n) for n in d["joints_a"])),
            tuple(sorted(_joint_index(skel, n) for n in d["joints_b"])),
            d["spec"],
        )

    def __repr__(self) -> str:
        return (
            f"JointSelection({self.skeleton!r}, n_a={self.n_a}, n_b={self.n_b}, spec={self.spec!r})"
        )


def select_joints(
    skeleton: str | Skeleton,
    spec: JointSpec = "all",
    rng: np.random.Generator | int | None = None,
) -> JointSelection:
    """Turn a user's joint specification into a `JointSelection`.

    Args:
        skeleton: skeleton name or definition.
        spec: one of
            - "all": every joint of both dancers (29 + 29 for smpl29);
            - "random:K" or "random:LO-HI": K (or a count drawn uniformly from LO..HI, the same
              count for both dancers) joints per dancer, drawn WITHOUT replacement and
              independently for A and B — the paper's setting; needs `rng`;
            - a joint name ("right_wrist"), a body-part group ("left_arm", "torso", ...) or a
              comma-separated string of them, used for both dancers; where a joint and a body
              part share a name ("head" in smpl29) the joint is meant, and "part:head" names
              the body part;
            - names prefixed with a dancer, "A:right_wrist" / "B:head", for that dancer only;
            - a list of such names, or a pair (names_a, names_b) of lists.
            Repeated mentions of a joint count once. Within a dancer, nodes follow skeleton
            index order whatever order the names were given in.
        rng: numpy Generator or integer seed; required for "random:..." specs.

    Returns:
        The selection; `str(spec)` is kept in `JointSelection.spec`.

    Raises:
        InputError: unknown joint or group names (the message lists the valid ones), a random
            count outside 1..n_joints, a dancer left without joints, or a random spec without rng.
    """
    skel = get_skeleton(skeleton)
    text = spec if isinstance(spec, str) else repr(spec)
    if isinstance(spec, str) and spec.strip().lower() == "all":
        everything = tuple(range(skel.n_joints))
        return JointSelection(skel.name, everything, everything, "all")
    if isinstance(spec, str) and (match := _RANDOM.match(spec.strip().lower())):
        return _select_random(skel, match, rng, text)
    if isinstance(spec, str):
        items: list[str] = [s.strip() for s in spec.split(",") if s.strip()]
    elif (
        isinstance(spec, list | tuple)
        and len(spec) == 2
        and all(isinstance(part, list | tuple) for part in spec)
    ):
        items = [f"A:{n}" for n in spec[0]] + [f"B:{n}" for n in spec[1]]
    else:
        items = [str(s) for s in spec]
    chosen: list[set[int]] = [set(), set()]
    for item in items:
        dancers = (0, 1)
        label, _, rest = item.partition(":")
        if rest and label.strip().lower() != "part":
            if label.strip().upper() not in DANCER_LABELS:
                raise InputError(
                    f"joint selection {text!r}: {label!r} is not a dancer; prefix joints with "
                    "'A:' or 'B:' (or nothing, for both dancers)."
                )
            dancers, item = (DANCER_LABELS.index(label.strip().upper()),), rest
        for d in dancers:
            chosen[d].update(_resolve_name(skel, item.strip(), text))
    return JointSelection(skel.name, tuple(sorted(chosen[0])), tuple(sorted(chosen[1])), text)


def known_edges(selection: JointSelection, skeleton: str | Skeleton | None = None) -> np.ndarray:
    """Each dancer's skeleton bones among the selected joints, as undirected node pairs.

    With every joint selected these are exactly the skeleton's bones (28 per dancer for smpl29).
    With a sparse selection a selected joint is connected to its nearest selected ancestor; the
    joints left without a selected ancestor ("tops") are then chained so that each dancer stays
    connected: in order of depth (then index), each top after the first is joined to the earlier
    top nearest to it along the skeleton. Each dancer's nodes therefore form one tree (n − 1
    edges for n nodes). No edge ever joins the two dancers.

    Args:
        selection: the node selection.
        skeleton: defaults to `selection.skeleton`; given, it must be the same skeleton.

    Returns:
        (E_known, 2) int64 node-index pairs (i < j), dancer A's first, sorted.
    """
    skel = get_skeleton(skeleton if skeleton is not None else selection.skeleton)
    if skel.name != selection.skeleton:
        raise InputError(
            f"the joint selection is for skeleton {selection.skeleton} but {skel.name} was given."
        )
    pairs = []
    for offset, joints in ((0, selection.joints_a), (selection.n_a, selection.joints_b)):
        node_of = {j: offset + k for k, j in enumerate(joints)}
        for a, b in _joint_tree(skel, joints):
            pairs.append(tuple(sorted((node_of[a], node_of[b]))))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def known_adjacency(selection: JointSelection) -> np.ndarray:
    """(N, N) float32 symmetric 0/1 adjacency of `known_edges`, zero diagonal."""
    adj = np.zeros((selection.n_nodes, selection.n_nodes), dtype=np.float32)
    edges = known_edges(selection)
    adj[edges[:, 0], edges[:, 1]] = 1.0
    adj[edges[:, 1], edges[:, 0]] = 1.0
    return adj


def inter_dancer_edges(selection: JointSelection, directed: bool = True) -> np.ndarray:
    """The latent edges: every (A node, B node) pair, so the graph is bipartite.

    Args:
        selection: the node selection.
        directed: True gives A→B pairs then B→A pairs (2·n_a·n_b edges, 1 682 for 29 + 29);
            False gives only the A→B pairs, one per unordered pair (symmetric edges).

    Returns:
        (E, 2) int64 (sender, receiver) node indices. A→B pairs run over A nodes in the outer
        loop and B nodes in the inner loop; the B→A block is the same pairs with roles swapped
        (row e + n_a·n_b is row e reversed).
    """
    a = np.arange(selection.n_a)
    b = selection.n_a + np.arange(selection.n_b)
    a_to_b = np.stack(np.meshgrid(a, b, indexing="ij"), axis=-1).reshape(-1, 2)  # (n_a·n_b, 2)
    if not directed:
        return a_to_b.astype(np.int64)
    return np.concatenate([a_to_b, a_to_b[:, ::-1]]).astype(np.int64)


# ---------------------------------------------------------------------------------- helpers
def _select_random(
    skel: Skeleton, match: re.Match, rng: np.random.Generator | int | None, text: str
) -> JointSelection:
    lo = int(match.group(1))
    hi = int(match.group(2) or lo)
    if not 1 <= lo <= hi <= skel.n_joints:
        raise InputError(
            f"joint selection {text!r}: the count must satisfy 1 <= low <= high <= "
            f"{skel.n_joints} (joints of {skel.name}); e.g. random:3-5."
        )
    if rng is None:
        raise InputError(
            f"joint selection {text!r} is random: pass a seed (e.g. --seed 0) so that the "
            "selection can be reproduced."
        )
    rng = np.random.default_rng(rng)
    count = int(rng.integers(lo, hi + 1))
    # Without replacement: each dancer gets `count` distinct joints (the reference drew repeats).
    a, b = (sorted(rng.choice(skel.n_joints, size=count, replace=False).tolist()) for _ in "AB")
    return JointSelection(skel.name, tuple(a), tuple(b), text)


def _resolve_name(skel: Skeleton, name: str, text: str) -> list[int]:
    key = name.lower()
    part, _, group = key.partition(":")
    if part == "part" and group.strip() in skel.groups:
        return skel.group_indices(group.strip())
    if key in skel.joint_names:  # a joint wins over a body part of the same name ("head")
        return [skel.index(key)]
    if key in skel.groups:
        return skel.group_indices(key)
    raise InputError(
        f"joint selection {text!r}: unknown joint or body part {name!r} for skeleton "
        f"{skel.name}; body parts: {', '.join(skel.groups)}; joints: "
        f"{', '.join(skel.joint_names)}; or 'all', 'random:3-5', 'part:head'."
    )


def _joint_index(skel: Skeleton, name: str) -> int:
    try:
        return skel.index(name)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None


def _depths(skel: Skeleton) -> list[int]:
    depth = []
    for j in range(skel.n_joints):
        d, k = 0, skel.parents[j]
        while k != -1:
            d, k = d + 1, skel.parents[k]
        depth.append(d)
    return depth


def _ancestors(skel: Skeleton, j: int) -> list[int]:
    """Joint j's ancestors, nearest first (excluding j)."""
    out, k = [], skel.parents[j]
    while k != -1:
        out.append(k)
        k = skel.parents[k]
    return out


def _tree_distance(skel: Skeleton, a: int, b: int, depth: list[int]) -> int:
    up_a = {a, *_ancestors(skel, a)}
    lca = next(k for k in [b, *_ancestors(skel, b)] if k in up_a)
    return depth[a] + depth[b] - 2 * depth[lca]


def _joint_tree(skel: Skeleton, joints: tuple[int, ...]) -> list[tuple[int, int]]:
    """(joint, joint) pairs connecting the selected joints into one tree (see `known_edges`)."""
    selected = set(joints)
    depth = _depths(skel)
    pairs, tops = [], []
    for j in joints:
        up = next((k for k in _ancestors(skel, j) if k in selected), None)
        if up is None:
            tops.append(j)
        else:
            pairs.append((j, up))
    tops.sort(key=lambda j: (depth[j], j))
    for i, j in enumerate(tops[1:], start=1):
        nearest = min(tops[:i], key=lambda k: (_tree_distance(skel, j, k, depth), k))
        pairs.append((j, nearest))
    return pairs
