"""The viewer in a real browser: headless Chromium loads it offline, draws, reports ready.

Skipped where no Chromium is installed (CI installs `chromium`).
"""

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from duetgraph.viz import style
from duetgraph.viz.viewer import ViewerConfig, viewer_data, viewer_html, write_viewer

BROWSER = next(
    (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="headless Chromium not installed (apt-get install chromium)"
)
WINDOW = (1000, 700)
CANVAS = (slice(60, 630), slice(0, 690))  # rows, columns of the 3D view (no panel, no footer)


def _chromium(tmp_path, url: str, *args: str) -> str:
    cmd = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run",
        f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=1500", *args, url,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return done.stdout


def _dom(tmp_path, path, fragment: str = "") -> tuple[str, str]:
    """(the <body ...> tag, the whole DOM) after the page ran."""
    dom = _chromium(tmp_path, path.as_uri() + fragment, "--dump-dom")
    body = re.search(r"<body[^>]*>", dom)
    assert body, f"no <body> in the DOM dump: {dom[:200]!r}"
    return body.group(0), dom


def _screenshot(tmp_path, path) -> np.ndarray:
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, path.as_uri() + "#t=1.5", f"--screenshot={shot}")
    with Image.open(shot) as img:
        return np.asarray(img.convert("RGB"))


def _count(pixels, rgb, tol=24):
    return int((np.abs(pixels.astype(int) - np.array(rgb)).max(axis=-1) <= tol).sum())


def test_viewer_starts_and_draws_both_dancers_and_the_string(duet, make_one_string, tmp_path):
    path = write_viewer(duet, tmp_path / "viewer.html", make_one_string(duet, 0.99))
    body, dom = _dom(tmp_path, path)
    assert 'data-ready="1"' in body and "data-error" not in body
    assert "ready: 40 frames, 1 edge with strings" in dom
    assert "A pelvis → B left wrist" in dom  # the list of strings now
    canvas = _screenshot(tmp_path, path)[CANVAS]
    assert _count(canvas, style.DANCER_COLORS[0]) > 200
    assert _count(canvas, style.DANCER_COLORS[1]) > 200
    assert _count(canvas, style.STRING_COLOR) > 30


def test_strings_below_the_threshold_are_not_drawn(duet, make_one_string, tmp_path):
    post = make_one_string(duet, 0.7)
    path = write_viewer(duet, tmp_path / "viewer.html", post, config=ViewerConfig(threshold=0.8))
    canvas = _screenshot(tmp_path, path)[CANVAS]
    assert _count(canvas, style.DANCER_COLORS[0]) > 200
    assert _count(canvas, style.STRING_COLOR, tol=60) == 0


def test_broken_data_shows_an_error_on_the_page(duet, tmp_path):
    doc = viewer_data(duet)
    doc["n_frames"] += 1  # positions no longer match
    path = tmp_path / "broken.html"
    path.write_text(viewer_html(doc), encoding="utf-8")
    body, dom = _dom(tmp_path, path)
    assert 'data-error="1"' in body and 'data-ready="0"' in body
    assert "positions hold" in dom


def test_playing_runs_the_animation_loop_without_errors(duet, make_one_string, tmp_path):
    path = write_viewer(duet, tmp_path / "viewer.html", make_one_string(duet, 0.99))
    body, dom = _dom(tmp_path, path, "#t=0.5&play")
    assert 'data-ready="1"' in body and "data-error" not in body
    assert "❚❚ Pause" in dom
    # Headless Chromium runs requestAnimationFrame only a few times under a virtual-time budget,
    # so how far the clock got is not reliable; it must not go backwards or past the end.
    clock = re.search(r'<span id="clock">0:0([0-9.]+) /', dom)
    assert clock and 0.5 <= float(clock.group(1)) < 4.0
