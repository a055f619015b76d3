import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.viz import style
from duetgraph.viz.raster import FrameRenderer, FrameStyle
from duetgraph.viz.timeline import plan_frames

SMALL = FrameStyle(width=320, height=180, supersample=1)


def _render(duet, posterior, k=15, frame_style=SMALL):
    renderer = FrameRenderer(duet, posterior, plan_frames(duet.n_frames, duet.fps), frame_style)
    return renderer, renderer.render_array(k)


def test_frame_has_the_requested_size_and_both_dancers(duet, color_near):
    _, img = _render(duet, None)
    assert img.shape == (180, 320, 3) and img.dtype == np.uint8
    for color in style.DANCER_COLORS:
        assert color_near(img, color, tol=10).sum() > 100


def test_a_confident_string_is_drawn_between_its_joints(duet, make_one_string, color_near):
    renderer, img = _render(duet, make_one_string(duet, p_on=0.97))
    mask = color_near(img, style.STRING_COLOR, tol=40)
    assert mask.sum() > 30
    # The string's pixels lie along the segment from A's pelvis to B's left wrist.
    (x0, y0), (x1, y1) = renderer.xy[15, 0, 0], renderer.xy[15, 1, 20]
    ys, xs = np.nonzero(mask)
    assert xs.min() >= min(x0, x1) - 8 and xs.max() <= max(x0, x1) + 8
    assert ys.min() >= min(y0, y1) - 8 and ys.max() <= max(y0, y1) + 8
    assert any("A pelvis -> B left wrist" in text for text, _ in renderer.caption(15))


def test_no_string_below_the_threshold(duet, make_one_string, color_near):
    renderer, img = _render(duet, make_one_string(duet, p_on=0.75))  # threshold 0.8
    assert color_near(img, style.STRING_COLOR, tol=60).sum() == 0
    assert "no string" in renderer.caption(15)[1][0]


def test_opacity_follows_p(duet, make_one_string, color_near):
    _, strong = _render(duet, make_one_string(duet, p_on=1.0))
    _, weak = _render(duet, make_one_string(duet, p_on=0.82))
    assert color_near(strong, style.STRING_COLOR, tol=12).sum() > 20
    assert color_near(weak, style.STRING_COLOR, tol=12).sum() == 0  # blended with the background


def test_caption_says_where_strings_were_not_inferred(duet, make_posterior):
    post = make_posterior(duet, 0.9, window=0.5, stride=1.0)  # windows cover [k, k + 0.5) s
    renderer = FrameRenderer(duet, post, plan_frames(duet.n_frames, duet.fps), SMALL)
    assert "not inferred" in renderer.caption(7)[1][0]
    assert "and 14 more" in renderer.caption(12)[-1][0]  # 18 strings, 4 listed


@pytest.mark.parametrize("kw", [{"width": 321}, {"height": 32}, {"threshold": 0.0}])
def test_style_rejects_bad_sizes_and_thresholds(kw):
    with pytest.raises(InputError):
        FrameStyle(**kw)


def test_at_most_max_strings_are_drawn(duet, make_posterior):
    p = np.linspace(0.81, 0.99, 18)[None].repeat(7, 0)
    style_ = FrameStyle(width=320, height=180, max_strings=5)
    renderer = FrameRenderer(
        duet, make_posterior(duet, p), plan_frames(duet.n_frames, duet.fps), style_
    )
    assert renderer.edges.tolist() == [17, 16, 15, 14, 13]
