"""One string per source: alternative senders and echoes on a small skeleton with known folds."""

import numpy as np

from duetgraph.analysis.folding import _fold_echoes, alternatives
from duetgraph.analysis.granger_null import string_pairs

# joint 0 the root; 1 below 0; 2 below 1; 3 below 0 (a sibling of 1); 4 below 3
PARENTS = [-1, 0, 1, 0, 3]
JOINTS = ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
EDGES = string_pairs(JOINTS)


def _positions(together=(0, 1, 2), seed=0, n_frames=400):
    """(T, 2, 5, 3): A's joints in `together` move as one body part (one smooth path, millimetre
    wobble), A's others and all of B's on their own paths."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(size=(n_frames, 2, 5, 3)), axis=0) * 0.01
    shared = np.cumsum(rng.normal(size=(n_frames, 3)), axis=0) * 0.01
    for j in together:
        walk[:, 0, j] = shared + 0.001 * rng.normal(size=(n_frames, 3))
    return walk


POS = _positions()


def _edge(a: int, b: int) -> int:
    """Index of the string A:a -> B:b (nodes: A's five joints, then B's)."""
    return int(np.flatnonzero((EDGES[:, 0] == a) & (EDGES[:, 1] == 5 + b))[0])


def _table(kept: dict, folded_into: dict):
    """passed, folded and excess arrays: `kept` {edge: excess}, `folded_into` {edge: (into,
    excess)}; every other edge did not pass."""
    passed = np.zeros(len(EDGES), dtype=bool)
    folded = np.full(len(EDGES), -1)
    excess = np.zeros(len(EDGES))
    for e, x in kept.items():
        passed[e], excess[e] = True, x
    for e, (into, x) in folded_into.items():
        passed[e], folded[e], excess[e] = True, into, x
    return passed, folded, excess


def test_a_folded_sender_beside_the_kept_one_that_explains_as_much_is_an_alternative():
    kept = _edge(1, 2)
    passed, folded, excess = _table(
        {kept: 1.0},
        {
            _edge(2, 2): (kept, 0.9),  # below the sender, moving with it, as strong: alternative
            _edge(0, 2): (kept, 0.3),  # above the sender, moving with it, much weaker: folded
            _edge(3, 2): (kept, 0.95),  # as strong, two bones away, moving on its own: folded
        },
    )
    alt = alternatives(POS, EDGES, passed, folded, excess, JOINTS, PARENTS)
    assert np.flatnonzero(alt).tolist() == [_edge(2, 2)]

    # Joint 4 moving with joint 1 is an alternative (three bones away); with joint 2, four
    # bones away, it is not, however alike they move.
    kept_far = _edge(2, 2)
    alike = _positions(together=(1, 2, 4))
    for into, expected in ((kept, True), (kept_far, False)):
        passed, folded, excess = _table({into: 1.0}, {_edge(4, 2): (into, 0.9)})
        alt = alternatives(alike, EDGES, passed, folded, excess, JOINTS, PARENTS)
        assert alt[_edge(4, 2)] == expected


def test_an_alternative_to_another_receiver_or_from_the_other_dancer_is_not_one():
    kept = _edge(1, 2)
    other_receiver = _edge(2, 1)
    passed, folded, excess = _table({kept: 1.0}, {other_receiver: (kept, 1.0)})
    assert not alternatives(POS, EDGES, passed, folded, excess, JOINTS, PARENTS).any()


def test_the_echo_rule_folds_a_neighbours_string_unless_it_shares_a_sender():
    strong, weak = _edge(1, 2), _edge(2, 1)  # senders 1 and 2 on one chain, receivers too
    passed, folded, excess = _table({strong: 1.0, weak: 0.5}, {})
    none = np.zeros(len(EDGES), dtype=bool)
    echo = folded.copy()
    _fold_echoes(EDGES, passed, echo, none, excess, JOINTS, PARENTS)
    assert echo[weak] == strong and echo[strong] == -1

    # A:1 -> B:1 is an alternative sender of the weak string: it shares a sender with the
    # strong one, so it is the same source pulling two joints of one chain and stays.
    twin = _edge(1, 1)
    passed, folded, excess = _table({strong: 1.0, weak: 0.5}, {twin: (weak, 0.45)})
    alt = alternatives(POS, EDGES, passed, folded, excess, JOINTS, PARENTS)
    assert alt[twin]
    _fold_echoes(EDGES, passed, folded, alt, excess, JOINTS, PARENTS)
    assert folded[weak] == -1 and folded[strong] == -1


def _evidence(significant: dict, alternative_into: dict):
    """A hand-made StringEvidence on pelvis, spine1, spine2 of each dancer (smpl29): `significant`
    {(a, b): p}, `alternative_into` {(a, b): (a, b) of the string it is an alternative of}."""
    from duetgraph.analysis.evidence_record import StringEvidence

    joints = ([0, 3, 6], [0, 3, 6])
    names = ("pelvis", "spine1", "spine2")
    edges = string_pairs(joints)
    index = {(names[a], names[b - 3]): e for e, (a, b) in enumerate(edges) if a < 3}
    n = len(edges)
    p, sig = np.full(n, 0.5), np.zeros(n, dtype=bool)
    folded, alt = np.full(n, -1), np.zeros(n, dtype=bool)
    for pair, value in significant.items():
        p[index[pair]], sig[index[pair]] = value, True
    for pair, into in alternative_into.items():
        folded[index[pair]], alt[index[pair]], p[index[pair]] = index[into], True, 1e-6
    return StringEvidence(
        senders=edges[:, 0], receivers=edges[:, 1],
        node_names=tuple(f"{d}:{j}" for d in "AB" for j in names),
        node_dancer=np.repeat([0, 1], 3), node_joint=np.array(joints[0] + joints[1]),
        skeleton="smpl29", dancers=("A", "B"), statistic=np.zeros(n), p=p, q=p,
        significant=sig, folded_into=folded, alternative=alt, p_given=np.full(n, np.nan),
        strength=np.where(sig, 0.1, np.nan), strength_lo=np.full(n, np.nan),
        strength_hi=np.full(n, np.nan), segment_start=np.array([0.0]),
        segment_end=np.array([10.0]), segment_p=np.full((n, 1), np.nan),
        segment_on=sig[:, None].copy(),
    )  # fmt: skip


def test_a_string_found_through_an_alternative_sender_is_one_right_claim():
    from duetgraph.analysis.recovery import recover_from_evidence
    from duetgraph.sim.duet import PlantedString

    planted = [PlantedString(a_joint="spine1", b_joint="pelvis", kind="follow")]
    ev = _evidence({("spine2", "pelvis"): 1e-9}, {("spine1", "pelvis"): ("spine2", "pelvis")})
    row = ev.strings()[0]
    assert row["string"] == "A:spine2 (or spine1) -> B:pelvis" and row["or_senders"] == ["A:spine1"]
    r = recover_from_evidence(ev, planted)
    assert r["planted"]["A:spine1 -> B:pelvis"]["significant"]
    assert r["planted"]["A:spine1 -> B:pelvis"]["as_alternative"]
    assert r["false_strings"] == [] and r["precision_at_k"] == 1.0 and r["k"] == 1

    # Without the alternative the same string is a false one and the planted one is missed.
    ev = _evidence({("spine2", "pelvis"): 1e-9}, {})
    r = recover_from_evidence(ev, planted)
    assert r["false_strings"] == ["A:spine2 -> B:pelvis"]
    assert not r["planted"]["A:spine1 -> B:pelvis"]["significant"]


def test_a_torso_string_is_no_echo_of_a_hand_string_far_up_the_same_chain():
    """A:spine3 -> B:pelvis lies on the chains of A:right_wrist -> B:left_wrist (every chain
    reaches the root) but four bones and more from both ends: it stays a string of its own;
    A:right_thumb -> B:left_middle, beside both ends, is the hand string's echo."""
    from duetgraph.skeleton import SMPL29

    every = (list(range(29)), list(range(29)))
    edges = string_pairs(every)
    n = SMPL29.index

    def edge(a, b):
        return int(np.flatnonzero((edges[:, 0] == n(a)) & (edges[:, 1] == 29 + n(b)))[0])

    hand, torso, thumb = (edge("right_wrist", "left_wrist"), edge("spine3", "pelvis"),
                          edge("right_thumb", "left_middle"))  # fmt: skip
    passed = np.zeros(len(edges), dtype=bool)
    passed[[hand, torso, thumb]] = True
    excess = np.zeros(len(edges))
    excess[[hand, torso, thumb]] = 1.0, 0.5, 0.4
    folded = np.full(len(edges), -1)
    none = np.zeros(len(edges), dtype=bool)
    _fold_echoes(edges, passed, folded, none, excess, every, list(SMPL29.parents))
    assert folded[torso] == -1 and folded[thumb] == hand
