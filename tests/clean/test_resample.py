import numpy as np
import pytest

from duetgraph.clean.resample import resample


def test_whole_ratio_keeps_every_kth_frame_exactly():
    x = np.random.default_rng(0).normal(size=(100, 2, 3, 3)).astype(np.float32)
    out, method = resample(x, 30.0, 10.0)
    np.testing.assert_array_equal(out, x[::3])
    assert out.shape[0] == 34 and "1 frame in 3" in method


def test_other_ratios_interpolate_linearly_in_time():
    t = np.arange(31) / 30.0  # one second at 30 fps of a linear ramp: interpolation is exact
    x = np.stack([2.0 * t, -t, t + 1], axis=1)
    out, method = resample(x, 30.0, 25.0)
    t_out = np.arange(26) / 25.0
    assert method == "linear" and out.shape == (26, 3)
    np.testing.assert_allclose(out[:, 0], 2.0 * t_out, atol=1e-5)


def test_same_rate_is_identity_and_bad_rate_raises():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(resample(x, 30.0, 30.0)[0], x)
    with pytest.raises(ValueError):
        resample(x, 30.0, 0.0)
