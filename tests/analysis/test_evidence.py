"""Strings as evidence: the statistic, the surrogate test end to end, the file format."""

import json

import numpy as np
import pytest

from duetgraph.analysis.evidence import EvidenceConfig, string_evidence
from duetgraph.analysis.evidence_record import StringEvidence, is_evidence_file, load_strings
from duetgraph.analysis.granger_null import (
    segment_statistics,
    string_pairs,
    total_statistics,
)
from duetgraph.analysis.strings_track import string_track
from duetgraph.analysis.surrogates import surrogate_maps
from duetgraph.cli import main
from duetgraph.duet import Duet
from duetgraph.errors import InputError, OutputError
from duetgraph.sim.duet import DuetSimConfig, PlantedString, simulate_duet

SIX = ([0, 20, 21], [0, 20, 21])  # pelvis and both wrists of each dancer
FAST = EvidenceConfig(n_surrogates=19, min_shift_s=3.0)


def _random_walks(rng, n_frames, n_joints):
    """(T, J, 3) smooth independent trajectories."""
    steps = rng.normal(size=(n_frames, n_joints, 3))
    kernel = np.exp(-0.5 * (np.arange(-10, 11) / 4.0) ** 2)
    smooth = np.apply_along_axis(lambda x: np.convolve(x, kernel, "same"), 0, steps)
    return 0.01 * np.cumsum(smooth, axis=0)


def _coupled(seed=0, n_frames=1500, lag=3, gain=0.8):
    """Positions (T, 2, 3, 3): B's joint 1 follows A's joint 2 with `lag` frames; nothing else."""
    rng = np.random.default_rng(seed)
    a, b = _random_walks(rng, n_frames, 3), _random_walks(rng, n_frames, 3)
    b[lag:, 1] = gain * a[:-lag, 2] + (1 - gain) * b[lag:, 1]
    return np.stack([a, b], axis=1)


def test_the_fast_statistic_equals_the_explicit_one():
    pos = _coupled()
    joints, roots = [[0, 1, 2], [0, 1, 2]], [0, 0]
    taus = surrogate_maps(len(pos), 6, 200, "both", np.random.default_rng(0))
    fast = total_statistics(pos, joints, roots, taus, history=5, horizon=1)
    edges = string_pairs(joints)
    slow, per_segment, bounds = segment_statistics(pos, joints, roots, edges, taus, 5, 1, 300)
    assert fast.shape == slow.shape == (7, 18)
    np.testing.assert_allclose(fast, slow, rtol=1e-3, atol=1e-6)
    assert per_segment.shape == (7, 18, len(bounds)) and bounds[-1, 1] == len(pos)


def test_a_planted_coupling_beats_every_surrogate_and_nothing_else_does():
    pos = _coupled()
    joints, roots = [[0, 1, 2], [0, 1, 2]], [0, 0]
    taus = surrogate_maps(len(pos), 19, 150, "both", np.random.default_rng(0))
    stats = total_statistics(pos, joints, roots, taus, history=5, horizon=1)
    edges = string_pairs(joints)
    planted = [e for e, (s, r) in enumerate(edges) if (s, r) == (2, 3 + 1)][0]
    echo = [e for e, (s, r) in enumerate(edges) if (s, r) == (3 + 1, 2)][0]  # its reverse
    excess = stats[0] - stats[1:].max(axis=0)
    assert excess[planted] > 0.5  # far above its best surrogate
    # The follower's copy of the leader's past also predicts the leader a little (the leader's
    # own 5-frame history does not hold all of it): weaker by far; `evidence` folds such echoes.
    assert excess[echo] < 0.5 * excess[planted]
    others = np.delete(excess, [planted, echo])
    assert (others < 0.05).all()  # no other pair stands out


def _duet_with_one_string(seconds=120.0, seed=4):
    string = PlantedString("right_wrist", "left_wrist", "follow", strength=0.9,
                           spans=((0.0, seconds / 2),))  # fmt: skip
    config = DuetSimConfig(duration_s=seconds, fps=10, strings=(string,))
    return simulate_duet(config, np.random.default_rng(seed))[0]


def test_a_planted_string_is_found_when_on_and_its_shifted_surrogate_shows_nothing():
    duet = _duet_with_one_string()
    ev = string_evidence(duet, FAST, SIX)
    names = ev.edge_names()
    shown = [names[e] for e in np.flatnonzero(ev.significant)]
    assert "A:right_wrist -> B:left_wrist" in shown
    assert len(shown) <= 2  # at most one echo beside it
    e = names.index("A:right_wrist -> B:left_wrist")
    mid = (ev.segment_start + ev.segment_end) / 2
    assert ev.segment_on[e, mid < 55].mean() >= 0.5  # on while planted ...
    assert not ev.segment_on[e, mid > 65].any()  # ... and not after it ends
    assert ev.strength[e] > 0 and ev.strength_lo[e] <= ev.strength[e] <= ev.strength_hi[e]
    assert ev.direction()[e] == "leads"

    k = 300  # 30 s: B against A's motion of half a minute before, each dancer's motion kept
    pos = np.stack([duet.positions[:-k, 0], duet.positions[k:, 1]], axis=1)
    shifted = Duet(pos, fps=duet.fps, skeleton=duet.skeleton, dancers=duet.dancers)
    assert not string_evidence(shifted, FAST, SIX).significant.any()


def test_evidence_round_trips_and_draws_as_a_posterior(tmp_path):
    ev = string_evidence(_duet_with_one_string(60.0), FAST, SIX)
    path = ev.save(tmp_path / "s.npz")
    again = StringEvidence.load(path)
    for name in StringEvidence._ARRAYS:
        np.testing.assert_array_equal(getattr(ev, name), getattr(again, name))
    assert again.node_names == ev.node_names and is_evidence_file(path)
    posterior = load_strings(path)
    assert posterior.n_edges == ev.n_edges and posterior.n_windows == len(ev.segment_start)
    on = posterior.p_string > 0.5
    assert (on.any(axis=0) == (ev.significant & ev.segment_on.any(axis=1))).all()
    # Viewer, video and track name each string with its strength, q and direction.
    labels = posterior.edge_labels()
    for e in np.flatnonzero(ev.significant):
        assert "strength" in labels[e] and " q " in labels[e] and ev.direction()[e] in labels[e]
    assert all("(" not in labels[e] for e in np.flatnonzero(~ev.significant))
    track = string_track(posterior, 600, 10.0, 0.5)
    notes = [row["note"] for row in track.to_dict()["strings"]]
    assert notes and all(note.startswith("strength") for note in notes)
    with pytest.raises(OutputError, match="overwrite"):
        ev.save(path)


def test_a_duet_too_short_for_its_surrogates_is_refused_by_name():
    duet = _duet_with_one_string(20.0)
    with pytest.raises(InputError, match="too short"):
        string_evidence(duet, EvidenceConfig(min_shift_s=10.0), SIX)
    with pytest.raises(InputError, match="fdr"):
        EvidenceConfig(q=1.5)


def test_strings_command_writes_the_table_and_refuses_to_overwrite(tmp_path, capsys):
    path = _duet_with_one_string(60.0).save(tmp_path / "duet.npz")
    out = tmp_path / "strings.npz"
    args = ["strings", str(path), "-o", str(out), "--joints", "pelvis,left_wrist,right_wrist",
            "--surrogates", "19"]  # fmt: skip
    assert main(args) == 0
    table = json.loads(out.with_suffix(".json").read_text())
    assert table["n_tested"] == 18 and table["q"] == 0.05
    assert out.with_suffix(".csv").read_text().startswith("sender,receiver,strength")
    printed = capsys.readouterr().out
    assert "significant strings of 18 tested" in printed
    assert main(args) == 2 and "--overwrite" in capsys.readouterr().err


def test_the_report_leads_with_the_evidence_and_says_plainly_when_there_is_none():
    from duetgraph.analysis.report import build_report

    duet = _duet_with_one_string(60.0)
    ev = string_evidence(duet, FAST, SIX)
    first = build_report(duet, ev.as_posterior(), evidence=ev).to_markdown().split("\n---\n")[0]
    assert (
        "A:right_wrist → B:left_wrist" in first and "## What this evidence is and is not" in first
    )
    assert "Timeline" not in first  # the second-by-second timeline is the appendix
    k = 300
    pos = np.stack([duet.positions[:-k, 0], duet.positions[k:, 1]], axis=1)
    shifted = Duet(pos, fps=duet.fps, skeleton=duet.skeleton, dancers=duet.dancers)
    none = string_evidence(shifted, FAST, SIX)
    text = build_report(shifted, none.as_posterior(), evidence=none).to_markdown()
    assert "**No significant string.**" in text and "Of 18 joint pairs tested" in text
