import numpy as np
import pytest
from scipy.fft import dct

from duetgraph.clean.smoothing import cutoff_hz, dct_smooth, n_kept_coefficients


def sine(freq_hz, n_frames=600, fps=30.0):
    return np.sin(2 * np.pi * freq_hz * np.arange(n_frames) / fps)


def test_keeps_slow_motion_and_removes_fast_jitter():
    slow, fast = sine(1.0), 0.3 * sine(9.0)
    out = dct_smooth((slow + fast)[:, None], keep_fraction=0.25)[:, 0]
    err = np.abs(out - slow)
    assert err[10:-10].max() < 0.03  # the clip's ends see a little ringing (see module doc)
    assert np.sqrt((err**2).mean()) < 0.1 * fast.std()


def test_keep_fraction_one_changes_nothing_and_constants_survive():
    x = np.random.default_rng(0).normal(size=(50, 2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(dct_smooth(x, 1.0), x, atol=1e-5)
    const = np.full((50, 3), 1.7, dtype=np.float32)
    np.testing.assert_allclose(dct_smooth(const, 0.1), const, atol=1e-6)


def test_exactly_the_lowest_fraction_of_coefficients_remains():
    x = np.random.default_rng(1).normal(size=(200, 3))
    coeffs = dct(dct_smooth(x, 0.25).astype(np.float64), type=2, norm="ortho", axis=0)
    assert n_kept_coefficients(200, 0.25) == 50
    assert np.abs(coeffs[50:]).max() < 1e-5 and np.abs(coeffs[:50]).min() > 1e-4


def test_cutoff_matches_the_papers_figure():
    assert cutoff_hz(18000, 0.25, 30.0) == pytest.approx(3.75)


def test_bad_keep_fraction_raises():
    with pytest.raises(ValueError):
        dct_smooth(np.zeros((10, 3)), 0.0)
