import ast
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from duetgraph import InputError, OutputError
from duetgraph.analysis import ReportConfig, build_report, write_report
from duetgraph.analysis.report import format_time
from duetgraph.skeleton import get_skeleton

SKEL = get_skeleton("h36m17")
EDGES = [
    ("A:left_wrist", "B:left_shoulder"),
    ("B:left_shoulder", "A:left_wrist"),
    ("A:pelvis", "B:pelvis"),
    ("B:pelvis", "A:pelvis"),
]
STRING = "A left wrist -> B left shoulder"
P_STRING = np.array(
    [[0.93, 0.1, 0.1, 0.2]] * 3 + [[0.93, 0.1, 0.85, 0.2]] * 3  # pelvis string from 3 s on
)


@pytest.fixture
def scene(face_to_face, make_duet, make_posterior):
    """6 s at 30 fps, A at (-0.4, 0) facing +x, B at (0.4, 0) facing -x, both standing.

    A's left wrist moves away from B's left shoulder for 2 s, then back for 4 s; right wrists
    touch from 2 s to 4 s. Windows of 1 s.
    """
    a, b = face_to_face(180)
    t = np.arange(180) / 30.0
    a[:, SKEL.index("left_wrist"), 1] += np.where(
        t < 2, 0.45 * t, 0.9 - 0.225 * (t - 2)
    )  # +y = away
    a[60:120, SKEL.index("right_wrist")] = [0.0, 0.0, 1.1]
    b[60:120, SKEL.index("right_wrist")] = [0.03, 0.0, 1.1]
    return make_duet(a, b), make_posterior(P_STRING, EDGES, window=1.0)


def test_timeline_merges_equal_moments_and_names_the_facts(scene):
    report = build_report(*scene)
    times = [e["time"] for e in report.timeline]
    assert times == ["0:00-0:02", "0:02-0:03", "0:03-0:04", "0:04-0:06"]
    facing = "A faces 9 o'clock (high level), B faces 3 o'clock (high level), 0.8 m apart"
    assert [e["text"] for e in report.timeline] == [
        f"0:00-0:02 · {facing}. Strings: {STRING} (0.93, tension).",
        f"0:02-0:03 · {facing}, right hands in contact. Strings: {STRING} (0.93, release).",
        f"0:03-0:04 · {facing}, right hands in contact. Strings: {STRING} (0.93, release), "
        "A pelvis -> B pelvis (0.85, steady).",
        f"0:04-0:06 · {facing}. Strings: {STRING} (0.93, release), A pelvis -> B pelvis (0.85, steady).",
    ]
    first = report.timeline[0]
    assert first["facing_hour"] == {"A": 9, "B": 3} and first["distance_m"] == pytest.approx(0.8)
    assert first["level"] == {"A": "high", "B": "high"}


def test_fixed_segments_keep_their_length(scene):
    report = build_report(*scene, ReportConfig(segmentation="fixed", step=2.0))
    assert [e["time"] for e in report.timeline] == ["0:00-0:02", "0:02-0:04", "0:04-0:06"]
    assert [[s["tension"] for s in e["strings"]] for e in report.timeline] == [
        ["tension"],
        ["release"],  # the pelvis string averages (0.1 + 0.85) / 2 here
        ["release", "steady"],
    ]


def test_header_summarises_strings_hubs_leads_and_parts(scene):
    report = build_report(*scene)
    top = report.top_strings[0]
    assert (top["label"], top["time_on"], top["n_segments"], top["mostly"]) == (
        STRING,
        6.0,
        1,
        "release",
    )
    assert report.top_strings[1]["label"] == "A pelvis -> B pelvis"
    assert [h["name"] for h in report.hubs["A"]] == ["A left wrist", "A pelvis"]
    assert report.lead_follow["counts"] == {"a_leads": 9, "b_leads": 0, "mutual": 0}
    assert [(p["from"], p["to"], p["n_strong"]) for p in report.body_parts] == [
        ("A left arm", "B left arm", 6),
        ("A torso", "B torso", 3),
    ]
    assert report.warnings == ()


def test_markdown_and_json_carry_the_same_content(scene):
    report = build_report(*scene)
    md = report.to_markdown()
    doc = json.loads(report.to_json())
    assert doc["format"] == "duetgraph.report"
    for entry in doc["timeline"]:
        assert f"- {entry['text']}\n" in md
    assert f"| {STRING} | 6.0 s | 1 | 0.93 | 0.93 | release |" in md
    assert "| A left arm | B left arm | 6 | 5.58 |" in md
    assert "12 o'clock = facing the audience" in md and "world -y" in md
    assert "A leads 9 (100 %)" in md
    assert doc["conventions"] == report.conventions


def test_times_outside_every_window_say_so(scene, make_posterior):
    duet, _ = scene
    short = make_posterior(P_STRING[:3], EDGES, window=1.0)  # windows cover 0-3 s only
    texts = [e["text"] for e in build_report(duet, short).timeline]
    assert texts[-1].endswith("Strings: not inferred (no window covers this time).")
    assert not any("not inferred" in t for t in texts if t.startswith(("0:00", "0:02")))


def test_weak_strings_give_none(scene, make_posterior):
    duet, _ = scene
    weak = make_posterior(np.full((6, 4), 0.5), EDGES)
    report = build_report(duet, weak)
    assert all(e["text"].endswith("Strings: none at P >= 0.80.") for e in report.timeline)
    assert "No string reaches P >= 0.80." in report.to_markdown()


def test_warnings_for_collapse_relabelled_dancers_and_lost_placement(
    scene, make_posterior, make_duet
):
    duet, posterior = scene
    collapsed = make_posterior(np.full((6, 4), 0.6), EDGES, prior=(0.4, 0.6))
    report = build_report(duet, collapsed)
    assert [w for w in report.warnings if "posterior collapse" in w]
    assert "> **Warning:** the posterior differs from the prior" in report.to_markdown()
    relabelled = build_report(replace(duet, dancers=("Ana", "Ben")), posterior)
    assert [w for w in relabelled.warnings if "['Ana', 'Ben']" in w]
    assert relabelled.timeline[0]["strings"][0]["label"] == "Ana left wrist -> Ben left shoulder"
    assert relabelled.timeline[0]["text"].startswith("0:00-0:02 · Ana faces 9 o'clock")
    centred = make_duet(duet.positions[:, 0], duet.positions[:, 0])
    assert any("pelvis-centred" in w for w in build_report(centred, collapsed).warnings)


def test_mismatched_inputs_are_refused(scene, make_posterior):
    duet, _ = scene
    with pytest.raises(InputError, match="skeleton smpl29"):
        build_report(duet, make_posterior(P_STRING, EDGES, skeleton="smpl29"))
    with pytest.raises(InputError, match="reach 12.00 s"):
        build_report(duet, make_posterior(P_STRING, EDGES, window=2.0, stride=2.0))
    with pytest.raises(InputError, match="segmentation"):
        ReportConfig(segmentation="scenes")
    with pytest.raises(InputError, match="threshold"):
        ReportConfig(threshold=1.5)


def test_write_report_is_atomic_and_refuses_to_overwrite(tmp_path, scene):
    report = build_report(*scene)
    md, js = write_report(report, tmp_path / "out")
    assert md.read_text() == report.to_markdown()
    assert json.loads(js.read_text())["timeline"][0]["time"] == "0:00-0:02"
    with pytest.raises(OutputError, match="--overwrite"):
        write_report(report, tmp_path / "out")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "report.md").write_text("keep me")
    with pytest.raises(OutputError):
        write_report(report, tmp_path / "other")
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["report.md"]
    (tmp_path / "third").mkdir()
    (tmp_path / "third" / "report.json").write_text("{}")
    with pytest.raises(OutputError):
        write_report(report, tmp_path / "third")
    assert sorted(p.name for p in (tmp_path / "third").iterdir()) == ["report.json"]
    write_report(report, tmp_path / "other", overwrite=True)
    assert (tmp_path / "other" / "report.md").read_text() != "keep me"


def test_format_time():
    assert [format_time(t) for t in (0, 4.0, 65.4, 3725)] == ["0:00", "0:04", "1:05", "1:02:05"]
    assert format_time(64.5, precise=True) == "1:04.5"


def test_analysis_needs_only_numpy_and_our_data_types():
    src = Path(__file__).resolve().parents[2] / "src" / "duetgraph" / "analysis"
    allowed_ours = {"analysis", "atomic", "cores", "duet", "errors", "skeleton", "clean"}  # numpy
    for path in src.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top, *rest = name.split(".")
                assert top != "torch", f"{path.name} imports torch"
                if top == "duetgraph" and rest:
                    assert rest[0] in allowed_ours, f"{path.name} imports {name}"
