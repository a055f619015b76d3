"""The timeline claims no fact that a lost axis takes away, and says why in one sentence."""

import numpy as np
import pytest

from duetgraph.analysis import ReportConfig, scene
from duetgraph.analysis.timeline import describe_moments
from duetgraph.skeleton import get_skeleton

SKEL = get_skeleton("h36m17")
EDGES = [("A:left_wrist", "B:left_shoulder"), ("B:left_shoulder", "A:left_wrist")]


@pytest.fixture
def duet(face_to_face, make_duet):
    """3 s at 30 fps: A at (-0.4, 0) facing +x, B at (0.4, 0) facing -x, standing; right wrists
    touch from 1 s to 2 s."""
    a, b = face_to_face(90)
    a[30:60, SKEL.index("right_wrist")] = [0.0, 0.0, 1.1]
    b[30:60, SKEL.index("right_wrist")] = [0.03, 0.0, 1.1]
    return make_duet(a, b)


def _with(duet, positions):
    return type(duet)(positions, fps=duet.fps, skeleton=duet.skeleton, dancers=duet.dancers)


def _texts(duet, make_posterior):
    posterior = make_posterior(np.full((3, 2), 0.9), EDGES, window=1.0)
    entries, _ = describe_moments(duet, posterior, ReportConfig(), posterior.edge_names())
    return entries, [e["text"] for e in entries]


def test_a_full_duet_warns_of_nothing_and_claims_distance_and_contact(duet, make_posterior):
    assert scene.lost_axes(duet) == () and scene.pinned_axes(duet) == ()
    assert scene.geometry_warnings(duet) == []  # the pelvises share y = 0, but nobody moves
    entries, texts = _texts(duet, make_posterior)
    assert texts[0].startswith("0:00-0:01 · A faces 9 o'clock (high level), B faces 3 o'clock")
    assert all("0.8 m apart" in t for t in texts)
    assert "right hands in contact" in texts[1]
    assert entries[0]["distance_m"] == pytest.approx(0.8)


def test_depth_zeroed_for_every_joint_claims_no_distance_contact_or_facing(duet, make_posterior):
    flat = duet.positions.copy()
    flat[..., 1] = 0.0
    flat_duet = _with(duet, flat)
    assert scene.lost_axes(flat_duet) == ("y",)
    assert scene.geometry_warnings(flat_duet) == [
        "Depth (y) is constant over the whole duet (the extractor lost it): no facing, "
        "distance or contact is claimed."
    ]
    entries, texts = _texts(flat_duet, make_posterior)
    for text in texts:
        assert "apart" not in text and "contact" not in text and "o'clock" not in text
    assert texts[0].startswith("0:00-0:03 · A at high level, B at high level. Strings: ")
    assert entries[0]["distance_m"] is None and entries[0]["contacts"] == []
    facts = scene.scene_facts(flat_duet, np.array([1.0]), np.array([2.0]))
    assert not facts.claims_distance and np.isnan(facts.distance).all() and not facts.contact.any()
    assert facts.claims_level and facts.level[0].tolist() == [2, 2]


def test_height_lost_claims_no_level_distance_or_contact(duet, make_posterior):
    flat = duet.positions.copy()
    flat[..., 2] = 1.0
    flat_duet = _with(duet, flat)
    assert scene.geometry_warnings(flat_duet) == [
        "Height (z) is constant over the whole duet (the extractor lost it): no distance, "
        "contact or level is claimed."
    ]
    _, texts = _texts(flat_duet, make_posterior)
    for text in texts:
        assert "level" not in text and "apart" not in text and "contact" not in text
    assert texts[0].startswith("0:00-0:03 · A faces 9 o'clock, B faces 3 o'clock. Strings: ")


def test_pelvises_pinned_in_depth_while_the_dancers_travel(duet, make_posterior):
    """A published duet had pelvis depth exactly 0 for both dancers in every frame: each body
    keeps its own depth around the pelvis, but where the dancers stand in depth is lost."""
    moving = duet.positions.copy()
    moving[..., 0] += np.linspace(0.0, 1.0, duet.n_frames)[:, None, None]  # both travel 1 m in x
    moving[:, 1, :, 2] -= 0.03  # B's pelvis 3 cm lower: heights are measured
    moving_duet = _with(duet, moving)
    assert scene.lost_axes(moving_duet) == () and scene.pinned_axes(moving_duet) == ("y",)
    assert scene.geometry_warnings(moving_duet) == [
        "The dancers' pelvises never differ in depth (y) over the whole duet (the input lost "
        "where the dancers stand along it): no distance or contact is claimed."
    ]
    _, texts = _texts(moving_duet, make_posterior)
    for text in texts:
        assert "apart" not in text and "contact" not in text
    assert texts[0].startswith("0:00-0:03 · A faces 9 o'clock (high level), B faces 3 o'clock")
    apart = moving.copy()
    apart[:, 1, :, 1] += 0.002  # 2 mm between the pelvises: measured, nothing lost
    assert scene.geometry_warnings(_with(duet, apart)) == []


def test_pelvis_centred_dancers_lose_where_they_stand(duet, make_duet):
    a = duet.positions[:, 0] - duet.positions[:, 0, :1]  # each pose about its own pelvis
    b = duet.positions[:, 1] - duet.positions[:, 1, :1]
    centred = make_duet(a, b)
    assert scene.pinned_axes(centred) == ("x", "y", "z")
    (warning,) = scene.geometry_warnings(centred)
    assert warning.startswith("The dancers' pelvises never differ in side-to-side position (x)")
    assert warning.endswith("no distance, contact or level is claimed.")
    facts = scene.scene_facts(centred, np.array([0.0]), np.array([1.0]))
    assert facts.level[0].tolist() == [-1, -1] and facts.facing_hour[0].tolist() == [9, 3]


def test_scene_facts_built_without_axes_claim_everything():
    pair = np.zeros((1, 2))
    facts = scene.SceneFacts(
        start=np.zeros(1), end=np.ones(1), facing_deg=pair, facing_hour=pair, distance=np.ones(1),
        height_ratio=pair, level=pair, contact_pairs=(), contact_fraction=np.zeros((1, 0)),
        contact=np.zeros((1, 0), dtype=bool),
    )  # fmt: skip
    assert facts.lost_axes == () and facts.claims_distance and facts.claims_level
