import csv
import json
import zipfile

import numpy as np
import pytest

from duetgraph import InputError, OutputError
from duetgraph.analysis import StringPosterior, write_strings_csv, write_strings_json

EDGES = [
    ("A:right_wrist", "B:left_shoulder"),
    ("B:left_shoulder", "A:right_wrist"),
    ("A:pelvis", "B:pelvis"),
]


@pytest.fixture
def posterior(make_posterior):
    p = np.array([[0.9, 0.1, 0.5], [0.95, 0.2, 0.81], [0.3, 0.79, 0.85]])
    return make_posterior(p, EDGES, n_types=4, prior=(0.35, 0.25, 0.15, 0.25))


def test_p_string_is_one_minus_no_string(posterior):
    np.testing.assert_allclose(posterior.p_string, 1 - posterior.probs[..., 0])
    np.testing.assert_allclose(posterior.p_string[1], [0.95, 0.2, 0.81], atol=1e-6)
    assert posterior.edge_names()[0] == "A right wrist -> B left shoulder"


def test_save_load_round_trip_keeps_everything(tmp_path, posterior):
    path = posterior.save(tmp_path / "strings.npz")
    back = StringPosterior.load(path)
    for name in (
        "probs",
        "window_start",
        "window_end",
        "senders",
        "receivers",
        "node_dancer",
        "node_joint",
    ):
        np.testing.assert_array_equal(getattr(back, name), getattr(posterior, name), err_msg=name)
    assert back.node_names == posterior.node_names
    assert (back.skeleton, back.dancers, back.run) == ("h36m17", ("A", "B"), "tests")
    assert back.edge_prior == pytest.approx((0.35, 0.25, 0.15, 0.25))
    with np.load(path, allow_pickle=False) as data:  # plain arrays and JSON only
        assert json.loads(str(data["metadata"]))["format"] == "duetgraph.strings"


def test_save_refuses_to_overwrite(tmp_path, posterior, make_posterior):
    path = posterior.save(tmp_path / "s.npz")
    before = path.read_bytes()
    other = make_posterior(np.full((2, 3), 0.5), EDGES)
    with pytest.raises(OutputError, match="--overwrite"):
        other.save(path)
    assert path.read_bytes() == before
    other.save(path, overwrite=True)
    assert StringPosterior.load(path).n_windows == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]


def test_load_gives_clear_errors_for_missing_and_corrupt_files(tmp_path, posterior):
    with pytest.raises(InputError, match="no such file"):
        StringPosterior.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match=r"bad\.npz.*truncated"):
        StringPosterior.load(bad)
    good = posterior.save(tmp_path / "good.npz")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(InputError, match=r"cut\.npz"):
        StringPosterior.load(cut)
    plain = tmp_path / "plain.npz"
    np.savez(plain, probs=np.zeros((1, 1, 2)))
    with pytest.raises(InputError, match="not a duetgraph strings file"):
        StringPosterior.load(plain)
    assert zipfile.is_zipfile(good)


def test_load_rejects_damaged_content_naming_the_file(tmp_path, posterior):
    path = posterior.save(tmp_path / "s.npz")
    with np.load(path) as data:
        arrays = dict(data)
    arrays["probs"] = arrays["probs"] * 3  # no longer probabilities
    np.savez(tmp_path / "damaged.npz", **arrays)
    with pytest.raises(InputError, match=r"damaged\.npz.*probabilities"):
        StringPosterior.load(tmp_path / "damaged.npz")
    meta = json.loads(str(arrays["metadata"]))
    arrays["probs"] = arrays["probs"] / 3
    arrays["metadata"] = np.array(json.dumps({**meta, "format": "duetgraph.duet"}))
    np.savez(tmp_path / "duet.npz", **arrays)
    with pytest.raises(InputError, match="does not describe"):
        StringPosterior.load(tmp_path / "duet.npz")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"probs": np.full((2, 1, 3), 0.5)}, "softmax"),
        ({"window_start": [1.0, 0.0], "window_end": [2.0, 1.0]}, "time order"),
        ({"window_end": [0.0, 2.0]}, "end > start"),
        ({"senders": [5]}, "outside"),
        ({"node_dancer": [0, 2]}, "0 \\(A\\) or 1"),
        ({"edge_prior": (0.5, 0.6, 0.1)}, "edge_prior"),
        ({"node_joint": [10, 17]}, "17 joints"),
    ],
)
def test_invalid_posteriors_are_rejected(change, message):
    fields = {
        "probs": np.full((2, 1, 3), 1 / 3),
        "window_start": [0.0, 1.0],
        "window_end": [1.0, 2.0],
        "senders": [0],
        "receivers": [1],
        "node_names": ("A:head", "B:head"),
        "node_dancer": [0, 1],
        "node_joint": [10, 10],
        "skeleton": "h36m17",
    }
    with pytest.raises(InputError, match=message):
        StringPosterior(**{**fields, **change})


def test_table_lists_exactly_the_strong_strings(posterior):
    rows = posterior.to_table(threshold=0.8)
    got = {(r["window"], r["sender"], r["receiver"]) for r in rows}
    assert got == {
        (0, "A:right_wrist", "B:left_shoulder"),
        (1, "A:right_wrist", "B:left_shoulder"),
        (1, "A:pelvis", "B:pelvis"),
        (2, "A:pelvis", "B:pelvis"),
    }
    assert all(r["edge_type"] == 1 for r in rows)  # type 1 holds 2/3 of each string's mass
    assert rows[0]["start"] == 0.0 and rows[0]["end"] == 1.0
    assert rows[0]["p_string"] == pytest.approx(0.9)


def test_csv_and_json_exports(tmp_path, posterior):
    path = write_strings_csv(posterior, tmp_path / "s.csv", threshold=0.9)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["window"], r["sender"], r["receiver"]) for r in rows] == [
        ("0", "A:right_wrist", "B:left_shoulder"),
        ("1", "A:right_wrist", "B:left_shoulder"),
    ]
    doc = json.loads(write_strings_json(posterior, tmp_path / "s.json").read_text())
    assert doc["threshold"] == 0.8 and len(doc["strings"]) == 4
    with pytest.raises(OutputError):
        write_strings_csv(posterior, path)
