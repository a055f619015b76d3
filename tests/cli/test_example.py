import json

import numpy as np
import pytest

from duetgraph import Duet
from duetgraph.cli import main
from duetgraph.sim import string_activity, strings_from_json


def test_example_writes_a_duet_and_its_planted_strings(tmp_path, capsys):
    out = tmp_path / "example"
    assert main(["example", "-o", str(out), "--duration", "4", "--fps", "10", "--seed", "3"]) == 0
    duet = Duet.load(out / "duet.npz")
    assert duet.positions.shape == (40, 2, 29, 3) and duet.fps == 10.0
    assert duet.provenance[0]["seed"] == 3
    strings = strings_from_json((out / "strings.json").read_text())
    assert len(strings) == 3 and all(s.lag_frames >= 2 for s in strings)
    assert json.loads((out / "strings.json").read_text())["fps"] == 10.0
    assert string_activity(strings, duet.n_frames, duet.fps).all()
    assert not (out / "alphapose-results.json").exists()
    printed = capsys.readouterr().out
    assert "duet.npz" in printed and "right_wrist -> left_wrist" in printed


def test_example_refuses_to_overwrite_without_the_flag(tmp_path, capsys):
    out = tmp_path / "ex"
    args = ["example", "-o", str(out), "--duration", "2", "--fps", "10"]
    assert main(args) == 0
    before = (out / "duet.npz").read_bytes()
    assert main([*args, "--seed", "1"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "duet.npz").read_bytes() == before
    assert main([*args, "--seed", "1", "--overwrite"]) == 0
    assert (out / "duet.npz").read_bytes() != before


def test_example_refuses_before_writing_anything(tmp_path):
    out = tmp_path / "ex"
    out.mkdir()
    (out / "strings.json").write_text("mine")
    assert main(["example", "-o", str(out), "--duration", "2", "--fps", "10"]) == 2
    assert not (out / "duet.npz").exists()
    assert (out / "strings.json").read_text() == "mine"


def test_example_with_alphapose_writes_the_same_duet_as_raw_detections(tmp_path):
    from duetgraph.io.alphapose import read_alphapose

    out = tmp_path / "ex"
    args = ["example", "-o", str(out), "--duration", "3", "--fps", "10", "--alphapose"]
    assert main([*args, "--switch-off"]) == 0
    detections = read_alphapose(out / "alphapose-results.json")
    duet = Duet.load(out / "duet.npz")
    assert detections.n_frames == duet.n_frames == 30
    assert detections.skeleton == "smpl29"
    # two dancers in most frames, as filmed
    assert np.median(detections.counts_per_frame()) == 2
    strings = strings_from_json((out / "strings.json").read_text())
    assert not string_activity(strings, duet.n_frames, duet.fps).all()


def test_example_rejects_a_non_positive_duration(tmp_path, capsys):
    assert main(["example", "-o", str(tmp_path / "x"), "--duration", "0"]) == 2
    assert "duration" in capsys.readouterr().err


def test_example_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["example", "--help"])
    assert "--alphapose" in capsys.readouterr().out
