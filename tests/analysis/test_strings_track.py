import csv
import io
import json

import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.analysis.strings_track import (
    CSV_FIELDS,
    frame_mean,
    string_track,
    write_track_csv,
    write_track_json,
)

EDGES = [("A:left_wrist", "B:right_wrist"), ("B:head", "A:pelvis"), ("A:head", "B:head")]


def test_frame_mean_matches_a_loop_and_the_viewers_rule(make_posterior):
    rng = np.random.default_rng(0)
    p = rng.uniform(size=(12, 3))
    post = make_posterior(p, EDGES, window=1.0, stride=0.4)
    times = np.arange(70) / 10.0
    got = frame_mean(post.p_string, post.window_start, post.window_end, times)
    for i, t in enumerate(times):  # loop reference
        covering = (post.window_start <= t) & (t < post.window_end)
        expected = post.p_string[covering].mean(0) if covering.any() else np.full(3, np.nan)
        np.testing.assert_allclose(got[i], expected, atol=1e-6)
    from duetgraph.viz.timeline import frame_p_string

    np.testing.assert_allclose(got, frame_p_string(post, times, np.arange(3)), atol=1e-6)


def test_track_lists_active_strings_per_frame_strongest_first(make_posterior):
    # Windows of 1 s: edge 0 on in the first two seconds, edge 1 on (stronger) in second 2,
    # edge 2 never reaches the threshold.
    p = [[0.9, 0.1, 0.5], [0.85, 0.2, 0.5], [0.3, 0.95, 0.79], [0.1, 0.1, 0.1]]
    post = make_posterior(p, EDGES, skeleton="smpl29")
    track = string_track(post, n_frames=50, fps=10.0, threshold=0.8)
    assert track.n_strings == 2 and track.n_frames == 50
    assert track.string_names() == ["B:head -> A:pelvis", "A:left_wrist -> B:right_wrist"]
    assert track.sender_joint == ("head", "left_wrist")
    assert list(track.receiver_dancer) == [0, 1]
    active = track.active
    assert active[:20, 1].all() and not active[20:, 1].any()
    assert active[20:30, 0].all() and not active[:20, 0].any() and not active[30:, 0].any()
    np.testing.assert_allclose(track.confidence[25, 0], 0.95, atol=1e-6)
    assert np.isnan(track.confidence[45]).all()  # 4 windows cover 0-4 s only
    rows = track.rows()
    assert len(rows) == int(active.sum()) == 30
    assert rows[0] == {
        "frame": 0,
        "time_s": 0.0,
        "string": 1,
        "sender_dancer": "A",
        "sender_joint": "left_wrist",
        "receiver_dancer": "B",
        "receiver_joint": "right_wrist",
        "confidence": 0.9,
        "edge_type": 1,
    }


def test_overlapping_windows_are_averaged_and_types_follow_the_posterior(make_posterior):
    p = [[0.9, 0.0, 0.0], [0.7, 0.0, 0.0]]  # windows [0, 2) and [1, 3)
    post = make_posterior(p, EDGES, window=2.0, stride=1.0, n_types=4)
    track = string_track(post, n_frames=30, fps=10.0, threshold=0.75)
    np.testing.assert_allclose(track.confidence[15, 0], 0.8, atol=1e-6)  # mean of 0.9 and 0.7
    assert track.active[:20, 0].all() and not track.active[20:, 0].any()  # 0.7 alone is off
    assert set(track.edge_type[:20, 0]) == {1}  # 2/3 of P(string) goes to type 1


def test_json_and_csv_files(tmp_path, make_posterior):
    p = [[0.9, 0.1, 0.1], [0.2, 0.85, 0.1]]
    post = make_posterior(p, EDGES, skeleton="smpl29")
    track = string_track(post, 20, 10.0, 0.8, dancers=("Ana", "Ben"))
    json_path = write_track_json(track, tmp_path / "t.json", armatures=("Ana", "Ben_B"))
    doc = json.loads(json_path.read_text())
    assert doc["format"] == "duetgraph.strings_track" and doc["fps"] == 10.0
    assert doc["armatures"] == ["Ana", "Ben_B"] and doc["dancers"] == ["Ana", "Ben"]
    assert [s["name"] for s in doc["strings"]] == [
        "Ana:left_wrist -> Ben:right_wrist",
        "Ben:head -> Ana:pelvis",
    ]
    assert doc["strings"][1]["sender"] == {"dancer": 1, "joint": "head"}
    assert len(doc["frames"]) == 20 and doc["frames"][12]["time_s"] == pytest.approx(1.2)
    assert doc["frames"][12]["active"] == [
        {
            "string": 1,
            "sender": "Ben:head",
            "receiver": "Ana:pelvis",
            "confidence": 0.85,
            "edge_type": 1,
        }
    ]
    csv_path = write_track_csv(track, tmp_path / "t.csv")
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 20
    assert rows[-1]["sender_joint"] == "head" and rows[-1]["frame"] == "19"
    with pytest.raises(Exception, match="already exists"):
        write_track_csv(track, csv_path)


def test_no_strong_strings_gives_an_empty_track_and_bad_settings_are_refused(make_posterior):
    post = make_posterior([[0.2, 0.3, 0.1]], EDGES)
    track = string_track(post, 10, 10.0, 0.8)
    assert track.n_strings == 0 and track.rows() == []
    assert all(frame["active"] == [] for frame in track.to_dict()["frames"])
    with pytest.raises(InputError, match="within \\[0, 1\\]"):
        string_track(post, 10, 10.0, 1.5)
    with pytest.raises(InputError, match="must be positive"):
        string_track(post, 0, 10.0)
