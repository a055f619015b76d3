import numpy as np
import pytest

from duetgraph.cli import main
from duetgraph.duet import Duet
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.sim.faults import make_example_alphapose


def simulated(n_frames: int, rng: np.random.Generator):
    """A synthetic SMPL29 duet of `n_frames` at 30 fps (the planted-strings simulator)."""
    return simulate_duet(DuetSimConfig(duration_s=n_frames / 30.0), rng)[0]


@pytest.fixture()
def raw(tmp_path):
    return make_example_alphapose(tmp_path / "raw.json", seed=0, n_frames=150)


def test_clean_writes_a_duet_and_prints_the_report(raw, tmp_path, capsys):
    out = tmp_path / "duet.npz"
    assert main(["clean", str(raw), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    for line in (
        "frames read",
        "0: ",
        "3+: ",
        "frames filled",
        "detections dropped",
        "identity swaps fixed",
        "smoothing",
        "DCT",
    ):
        assert line in text
    duet = Duet.load(out)
    assert duet.positions.shape == (150, 2, 29, 3) and duet.fps == 30.0
    assert [s["step"] for s in duet.provenance][-1] == "dct_smooth"


def test_flags_reach_the_config(raw, tmp_path, capsys):
    out = tmp_path / "duet.npz"
    args = [
        "clean",
        str(raw),
        "-o",
        str(out),
        "--fps",
        "60",
        "--prune",
        "score",
        "--no-smooth",
        "--target-fps",
        "20",
    ]
    assert main(args) == 0
    duet = Duet.load(out)
    assert duet.fps == 20.0 and duet.n_frames == 50
    steps = {s["step"]: s for s in duet.provenance}
    assert steps["prune"]["rule"] == "score" and "dct_smooth" not in steps
    assert "smoothing            off" in capsys.readouterr().out


def test_refuses_to_overwrite_without_the_flag(raw, tmp_path, capsys):
    out = tmp_path / "duet.npz"
    out.write_bytes(b"keep me")
    assert main(["clean", str(raw), "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["clean", str(raw), "-o", str(out), "--overwrite"]) == 0
    Duet.load(out)


def test_bad_input_is_one_line_on_stderr(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["clean", str(bad), "-o", str(tmp_path / "o.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "bad.json" in err and "\n" not in err
    assert not (tmp_path / "o.npz").exists()


def test_a_duet_file_is_smoothed_only(tmp_path, capsys):
    src = simulated(90, np.random.default_rng(0)).save(tmp_path / "in.npz")
    out = tmp_path / "out.npz"
    assert main(["clean", str(src), "-o", str(out), "--target-fps", "10"]) == 0
    assert Duet.load(out).n_frames == 30
    assert "1 frame in 3 kept" in capsys.readouterr().out


def test_image_size_flag_is_parsed(raw, tmp_path, capsys):
    out = tmp_path / "o.npz"
    args = ["clean", str(raw), "-o", str(out), "--recover-placement", "--image-size", "1920x1080"]
    assert main(args) == 0  # the example keeps placement: nothing to recover, and it says so
    assert "nothing to recover" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["clean", str(raw), "-o", str(out), "--image-size", "wide"])


def test_without_the_general_reader_json_and_duets_still_work(raw, tmp_path, monkeypatch):
    import sys

    from duetgraph.cli.clean import read_any
    from duetgraph.errors import InputError
    from duetgraph.io.detections import Detections

    monkeypatch.setitem(sys.modules, "duetgraph.io.read", None)  # import now raises ImportError
    assert isinstance(read_any(raw, None, None), Detections)
    src = simulated(30, np.random.default_rng(0)).save(tmp_path / "in.npz")
    assert isinstance(read_any(src, None, None), Duet)
    with pytest.raises(InputError, match="cannot clean a .csv file"):
        read_any(tmp_path / "x.csv", None, None)
