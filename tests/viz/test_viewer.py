import base64
import json
import re

import numpy as np
import pytest

from duetgraph import Duet
from duetgraph.errors import InputError
from duetgraph.viz.viewer import P_SCALE, ViewerConfig, viewer_data, viewer_html, write_viewer


def _embedded(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="duet-data">(.*?)</script>', html, re.S)
    assert match, "no embedded data"
    return json.loads(match.group(1))


def _positions(doc) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(doc["positions_mm"]), dtype="<i2")
    return raw.reshape(doc["n_frames"], 2, doc["n_joints"], 3) / 1000.0 + np.array(doc["origin"])


def test_viewer_is_one_offline_file_with_the_duet_rounded_to_mm(duet, make_one_string, tmp_path):
    path = write_viewer(duet, tmp_path / "viewer.html", make_one_string(duet, 0.9))
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # no network, no CDN
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)  # nothing external
    doc = _embedded(html)
    assert doc["n_frames"] == duet.n_frames and doc["fps"] == duet.fps
    np.testing.assert_allclose(_positions(doc), duet.positions, atol=0.0005 + 1e-6)
    strings = doc["strings"]
    assert [e["label"] for e in strings["edges"]] == ["A pelvis → B left wrist"]
    assert strings["edges"][0]["from"] == [0, 0] and strings["edges"][0]["to"] == [1, 20]
    rows = np.frombuffer(base64.b64decode(strings["rows"]), np.uint8).reshape(strings["n_rows"], 1)
    p = rows[np.array(strings["frame_row"])] / P_SCALE
    np.testing.assert_allclose(p, 0.9, atol=0.5 / P_SCALE)
    assert strings["n_rows"] == 1  # equal consecutive rows are stored once
    timeline = doc["report"]["timeline"]
    assert timeline[0][0] == 0.0 and "A pelvis -> B left wrist (0.90" in timeline[0][2]


def test_long_duets_are_shown_at_a_reduced_rate_and_say_so(duet):
    doc = viewer_data(duet, config=ViewerConfig(max_frames=15))
    assert doc["n_frames"] <= 15 and doc["fps"] < duet.fps
    assert "nearest duet frame" in doc["notes"][0]
    assert doc["strings"] is None and doc["report"] is None


def test_frames_no_window_covers_are_marked(duet, make_posterior):
    post = make_posterior(duet, 0.9, window=0.5, stride=1.0)  # windows cover [k, k + 0.5) s
    doc = viewer_data(duet, post)
    frame_row = np.array(doc["strings"]["frame_row"])
    np.testing.assert_array_equal(
        frame_row[[0, 4, 5, 9, 10]] >= 0, [True, True, False, False, True]
    )


def test_edges_are_capped_by_peak_and_the_cap_is_noted(duet, make_posterior):
    p = np.linspace(0.55, 0.99, 18)[None].repeat(7, 0)
    doc = viewer_data(duet, make_posterior(duet, p), config=ViewerConfig(max_edges=4))
    assert [e["edge"] for e in doc["strings"]["edges"]] == [17, 16, 15, 14]
    assert "18 edges reach" in doc["notes"][-1]


def test_text_cannot_break_out_of_the_data_element(duet):
    evil = Duet(duet.positions, duet.fps, duet.skeleton, ("</script><b>A", "B"))
    html = viewer_html(viewer_data(evil))
    assert html.count("</script>") == 2  # the data element's and the code's
    assert _embedded(html)["dancers"][0] == "</script><b>A"
    assert "<title>&lt;/script&gt;&lt;b&gt;A &amp; B" in html


def test_threshold_settings_are_checked():
    with pytest.raises(InputError, match="min_threshold"):
        ViewerConfig(threshold=0.6, min_threshold=0.7)


def test_strings_of_another_skeleton_are_refused(duet, make_one_string):
    other = Duet(duet.positions[:, :, :24], duet.fps, "smpl24")
    with pytest.raises(InputError, match="skeleton"):
        viewer_data(other, make_one_string(duet, 0.9))


def test_a_posterior_without_strong_edges_embeds_no_edges(duet, make_posterior):
    doc = viewer_data(duet, make_posterior(duet, 0.1))
    assert doc["strings"]["edges"] == [] and doc["strings"]["rows"] == ""
    assert set(doc["strings"]["frame_row"]) == {0}
