"""The one-command journeys: `demo` on a generated duet and `analyze` on a user's file."""

import json

import imageio_ffmpeg
import numpy as np
import pytest

from duetgraph.cli import main
from duetgraph.sim.duet import DuetSimConfig, simulate_duet

FAST = ["--joints", "pelvis,left_wrist,right_wrist", "--surrogates", "19", "--video-fps", "5",
        "--no-progress"]  # fmt: skip
NRI = ["--nri", "--epochs", "1", "--rotations", "1", "--hidden", "16"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["demo", "-o", str(out), "--duration", "60", *FAST]) == 0
    return out


def test_demo_writes_every_promised_file(demo_dir):
    for name in ("alphapose-results.json", "planted.json", "duet.npz", "strings.npz",
                 "strings.csv", "strings.json", "report.md", "report.json", "duet.mp4",
                 "viewer.html", "recovery.json", "strings_heatmap.png"):  # fmt: skip
        assert (demo_dir / name).is_file(), name
    assert not (demo_dir / "run").exists()  # the NRI model only with --nri


def test_demo_video_decodes_and_report_names_strings(demo_dir):
    n_frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(demo_dir / "duet.mp4"))
    assert n_frames == 300 and seconds == pytest.approx(60, abs=0.5)
    report = (demo_dir / "report.md").read_text()
    first_page = report.split("\n---\n")[0]
    assert "## Who pulls whom" in first_page and "## What this evidence is and is not" in first_page
    assert "## Appendix: timeline" in report.split("\n---\n")[1]
    table = json.loads((demo_dir / "strings.json").read_text())
    for row in table["strings"]:  # every shown string carries its evidence
        assert row["string"].replace("->", "→") in first_page
        assert {"strength", "strength_ci", "p", "q", "direction", "time_on_s"} <= set(row)
    html = (demo_dir / "viewer.html").read_text()
    assert "http://" not in html and "https://" not in html
    recovery = json.loads((demo_dir / "recovery.json").read_text())
    assert recovery["k"] == 3 and 0 <= recovery["auroc"] <= 1
    assert 0 <= recovery["false_string_share"] <= 1 and recovery["precision_at_k"] >= 0


def test_demo_refuses_to_overwrite(demo_dir, capsys):
    before = (demo_dir / "report.md").read_bytes()
    assert main(["demo", "-o", str(demo_dir), "--duration", "60", *FAST]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (demo_dir / "report.md").read_bytes() == before


def test_analyze_runs_on_a_users_csv(tmp_path):
    duet, _ = simulate_duet(DuetSimConfig(duration_s=30, fps=10), np.random.default_rng(3))
    path = tmp_path / "duet.csv"
    assert main(["convert", str(duet.save(tmp_path / "d.npz")), "-o", str(path)]) == 0
    out = tmp_path / "out"
    args = ["analyze", str(path), "--fps", "10", "-o", str(out), "--video", "none", *FAST, *NRI]
    assert main(args) == 0
    assert (out / "report.json").is_file() and (out / "viewer.html").is_file()
    assert not (out / "duet.mp4").exists()
    assert (out / "nri_posterior.npz").is_file() and (out / "training.png").is_file()


def test_analyze_names_a_missing_input(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o")]) == 2
    assert "nope.json" in capsys.readouterr().err
