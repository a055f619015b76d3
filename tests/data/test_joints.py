import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.data.joints import (
    JointSelection,
    inter_dancer_edges,
    known_adjacency,
    known_edges,
    select_joints,
)
from duetgraph.skeleton import SMPL29


def connected(n_nodes, edges):
    """Number of connected components (union-find)."""
    parent = list(range(n_nodes))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in edges:
        parent[find(i)] = find(j)
    return len({find(i) for i in range(n_nodes)})


def test_all_gives_the_full_body_and_every_bone():
    sel = select_joints("smpl29", "all")
    assert sel.n_nodes == 58
    assert sel.node_names[0] == "A:pelvis" and sel.node_names[29] == "B:pelvis"
    assert sel.node_names[21] == "A:right_wrist"
    edges = {tuple(e) for e in known_edges(sel).tolist()}
    bones = {tuple(sorted(b)) for b in SMPL29.bones}
    assert edges == bones | {(i + 29, j + 29) for i, j in bones}
    assert len(inter_dancer_edges(sel)) == 1682


def test_names_groups_and_per_dancer_prefixes():
    sel = select_joints("smpl29", "right_wrist, left_arm")
    assert (
        sel.joints_a
        == sel.joints_b
        == tuple(sorted({SMPL29.index("right_wrist"), *SMPL29.group_indices("left_arm")}))
    )
    sel = select_joints("smpl29", ["A:right_wrist", "B:head", "B:pelvis"])
    assert sel.node_names == ("A:right_wrist", "B:pelvis", "B:head")
    pair = select_joints("smpl29", (["head"], ["left_wrist", "right_wrist"]))
    assert pair.node_names == ("A:head", "B:left_wrist", "B:right_wrist")
    # "head" is both a joint and a body part: the joint wins, "part:head" is the part.
    assert select_joints("smpl29", "part:head").n_a == 3


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(InputError, match="unknown joint or body part 'tail'.*right_wrist"):
        select_joints("smpl29", "right_wrist,tail")
    with pytest.raises(InputError, match="not a dancer"):
        select_joints("smpl29", ["C:head"])
    with pytest.raises(InputError, match="dancer B has no joints"):
        select_joints("smpl29", ["A:head"])


def test_random_draws_without_replacement_and_is_reproducible():
    counts = set()
    for seed in range(200):
        sel = select_joints("smpl29", "random:3-5", rng=seed)
        for joints in (sel.joints_a, sel.joints_b):
            assert len(set(joints)) == len(joints)  # no joint drawn twice
            assert 3 <= len(joints) <= 5
        assert sel.n_a == sel.n_b
        counts.add(sel.n_a)
    assert counts == {3, 4, 5}
    assert select_joints("smpl29", "random:3-5", rng=7) == select_joints("smpl29", "random:3-5", 7)
    # A full draw without replacement is a permutation of every joint.
    assert select_joints("smpl29", "random:29", rng=1).joints_a == tuple(range(29))
    with pytest.raises(InputError, match="seed"):
        select_joints("smpl29", "random:3")
    with pytest.raises(InputError, match="count"):
        select_joints("smpl29", "random:3-30", rng=0)


def test_sparse_selection_connects_to_nearest_selected_ancestor():
    sel = select_joints("smpl29", "pelvis,left_shoulder,left_wrist")
    names = sel.node_names
    edges = {(names[i], names[j]) for i, j in known_edges(sel)}
    assert edges == {
        ("A:pelvis", "A:left_shoulder"),
        ("A:left_shoulder", "A:left_wrist"),
        ("B:pelvis", "B:left_shoulder"),
        ("B:left_shoulder", "B:left_wrist"),
    }
    # No selected common ancestor: the tops are chained to the nearest earlier one.
    sel = select_joints("smpl29", "head,left_wrist,right_wrist")
    names = sel.node_names
    edges = {(names[i], names[j]) for i, j in known_edges(sel) if i < 3}
    assert edges == {("A:left_wrist", "A:head"), ("A:right_wrist", "A:head")}


def test_every_random_selection_gives_one_tree_per_dancer_and_no_cross_edge():
    for seed in range(100):
        sel = select_joints("smpl29", "random:1-8", rng=seed)
        edges = known_edges(sel)
        assert len(edges) == sel.n_nodes - 2  # a tree per dancer
        assert connected(sel.n_nodes, edges) == 2
        dancer = sel.node_dancer
        assert (dancer[edges[:, 0]] == dancer[edges[:, 1]]).all()
        adj = known_adjacency(sel)
        assert (adj == adj.T).all() and adj.sum() == 2 * len(edges)


def test_inter_dancer_edges_are_bipartite_both_ways():
    sel = select_joints("smpl29", (["head", "pelvis"], ["left_wrist", "right_wrist", "neck"]))
    edges = inter_dancer_edges(sel)
    dancer = sel.node_dancer
    assert len(edges) == 2 * 2 * 3
    assert (dancer[edges[:, 0]] != dancer[edges[:, 1]]).all()
    assert (dancer[edges[:6, 0]] == 0).all() and (dancer[edges[6:, 0]] == 1).all()
    np.testing.assert_array_equal(edges[6:], edges[:6, ::-1])
    assert len({tuple(e) for e in edges.tolist()}) == len(edges)
    assert len(inter_dancer_edges(sel, directed=False)) == 6


def test_selection_round_trips_through_a_plain_dict():
    sel = select_joints("smpl29", "random:3-5", rng=3)
    assert JointSelection.from_dict(sel.to_dict()) == sel
    with pytest.raises(InputError, match="keys"):
        JointSelection.from_dict({**sel.to_dict(), "extra": 1})
