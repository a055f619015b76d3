"""The one-command journeys: `demo` on a generated duet and `analyze` on a user's file."""

import json

import imageio_ffmpeg
import numpy as np
import pytest

from duetgraph.cli import main
from duetgraph.sim.duet import DuetSimConfig, simulate_duet

FAST = ["--epochs", "1", "--rotations", "1", "--hidden", "16", "--video-fps", "5", "--no-progress"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    # A one-epoch model is unsure of everything: a low threshold makes the report name strings.
    assert main(["demo", "-o", str(out), "--duration", "30", "--threshold", "0.01", *FAST]) == 0
    return out


def test_demo_writes_every_promised_file(demo_dir):
    for name in ("alphapose-results.json", "planted.json", "duet.npz", "strings.npz",
                 "strings.csv", "strings.json", "report.md", "report.json", "duet.mp4",
                 "viewer.html", "recovery.json", "strings_heatmap.png", "training.png"):  # fmt: skip
        assert (demo_dir / name).is_file(), name
    assert (demo_dir / "run" / "best.pt").is_file()


def test_demo_video_decodes_and_report_names_strings(demo_dir):
    n_frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(demo_dir / "duet.mp4"))
    assert n_frames == 150 and seconds == pytest.approx(30, abs=0.5)
    report = (demo_dir / "report.md").read_text()
    assert "A pelvis" in report or "A left wrist" in report or "A right wrist" in report
    html = (demo_dir / "viewer.html").read_text()
    assert "http://" not in html and "https://" not in html
    recovery = json.loads((demo_dir / "recovery.json").read_text())
    assert recovery["k"] == 3 and 0 <= recovery["auroc"] <= 1


def test_demo_refuses_to_overwrite(demo_dir, capsys):
    before = (demo_dir / "report.md").read_bytes()
    assert main(["demo", "-o", str(demo_dir), "--duration", "30", *FAST]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (demo_dir / "report.md").read_bytes() == before


def test_analyze_runs_on_a_users_csv(tmp_path):
    duet, _ = simulate_duet(DuetSimConfig(duration_s=30, fps=10), np.random.default_rng(3))
    path = tmp_path / "duet.csv"
    assert main(["convert", str(duet.save(tmp_path / "d.npz")), "-o", str(path)]) == 0
    out = tmp_path / "out"
    args = ["analyze", str(path), "--fps", "10", "-o", str(out), "--video", "none", *FAST]
    assert main(args) == 0
    assert (out / "report.json").is_file() and (out / "viewer.html").is_file()
    assert not (out / "duet.mp4").exists()


def test_analyze_names_a_missing_input(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o")]) == 2
    assert "nope.json" in capsys.readouterr().err
