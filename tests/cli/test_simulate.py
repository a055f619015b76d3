import json

import numpy as np

from duetgraph.cli import main
from duetgraph.sim.nri_format import load_nri_kuramoto_split, load_nri_split

SMALL = ["--n-sims", "4", "--n-valid", "2", "--n-test", "1", "--n-steps", "200"]


def test_simulate_springs_writes_nri_files(tmp_path, capsys):
    out = tmp_path / "data"
    args = ["simulate", "springs", *SMALL, "--sample-every", "10", "--seed", "3", "--out", str(out)]
    assert main(args) == 0
    assert "meta_springs5.json" in capsys.readouterr().out
    loc, vel, edges = load_nri_split(out, "springs5", "train")
    assert loc.shape == vel.shape == (4, 19, 2, 5) and edges.shape == (4, 5, 5)
    assert load_nri_split(out, "springs5", "test")[0].shape == (1, 39, 2, 5)
    meta = json.loads((out / "meta_springs5.json").read_text())
    assert meta["seed"] == 3 and meta["config"]["n_steps"] == 200

    # a second run refuses to replace the files, and replaces them with --overwrite
    before = (out / "loc_train_springs5.npy").read_bytes()
    assert main([*args[:-4], "--seed", "4", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "loc_train_springs5.npy").read_bytes() == before
    assert main([*args[:-4], "--seed", "4", "--out", str(out), "--overwrite"]) == 0
    assert (out / "loc_train_springs5.npy").read_bytes() != before


def test_simulate_charged_and_kuramoto_with_other_sizes(tmp_path):
    out = str(tmp_path)
    assert (
        main(
            ["simulate", "charged", *SMALL, "--sample-every", "100", "--n-balls", "3", "--out", out]
        )
        == 0
    )
    assert load_nri_split(out, "charged3", "valid")[0].shape == (2, 1, 2, 3)
    assert main(["simulate", "kuramoto", *SMALL, "--sample-every", "10", "--out", out]) == 0
    features, _ = load_nri_kuramoto_split(out, "kuramoto5", "train")
    assert features.shape == (4, 19, 3, 5)
    assert np.isfinite(features).all()


def test_bad_settings_are_one_line_errors(tmp_path, capsys):
    args = ["simulate", "springs", *SMALL, "--sample-every", "150", "--out", str(tmp_path / "x")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "multiple of sample_every" in err
    assert not (tmp_path / "x").exists()
