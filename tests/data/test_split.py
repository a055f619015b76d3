import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.data.split import minimum_frames, split_windows
from duetgraph.data.windows import window_starts


def frames_used(starts, length):
    """Every frame a window's features read, including the frame its first velocity looks back to."""
    return {f for s in starts for f in range(max(s - 1, 0), s + length)}


@pytest.mark.parametrize(
    ("n_frames", "length", "stride"), [(1000, 8, 1), (333, 10, 3), (24600, 8, 1)]
)
def test_no_frame_is_shared_between_train_and_validation(n_frames, length, stride):
    starts = window_starts(n_frames, length, stride)
    split = split_windows(starts, length, n_frames)
    train, valid = starts[split.train], starts[split.valid]
    assert len(train) and len(valid)
    assert train.max() + length <= split.cut_frame <= valid.min() - 1
    if n_frames < 2000:
        assert not frames_used(train, length) & frames_used(valid, length)
    # Time order, and the cut at 85 % of the frames.
    assert (np.diff(train) > 0).all() and (np.diff(valid) > 0).all()
    assert split.cut_frame == round(0.85 * n_frames)
    # Exactly the windows that would straddle the cut (or start in the gap) are dropped.
    dropped = np.setdiff1d(np.arange(len(starts)), np.concatenate([split.train, split.valid]))
    straddle = (starts + length > split.cut_frame) & (starts < split.cut_frame + split.gap_frames)
    np.testing.assert_array_equal(dropped, np.flatnonzero(straddle))


def test_without_gap_the_look_back_frame_is_shared():
    starts = window_starts(100, 8, 1)
    split = split_windows(starts, 8, 100, gap_frames=0)
    assert frames_used(starts[split.train], 8) & frames_used(starts[split.valid], 8)


def test_short_duets_get_numbers_and_a_fix():
    with pytest.raises(InputError, match="5 frames.*window of 8"):
        split_windows(window_starts(5, 8), 8, 5, where="tiny.npz")
    with pytest.raises(InputError, match=r"20 frames.*1 validation|20 frames.*0 validation") as err:
        split_windows(window_starts(20, 8), 8, 20, where="short.npz", fps=10)
    message = str(err.value)
    assert "short.npz" in message and "2.0 s" in message and "--window" in message
    need = minimum_frames(8, 1, 0.15, 1)
    assert f"at least {need} frames" in message
    split_windows(window_starts(need, 8), 8, need)  # exactly enough works
    with pytest.raises(InputError):
        split_windows(window_starts(need - 1, 8), 8, need - 1)


def test_zero_validation_fraction_trains_on_everything():
    starts = window_starts(50, 8, 2)
    split = split_windows(starts, 8, 50, valid_fraction=0.0)
    assert len(split.train) == len(starts) and len(split.valid) == 0
    with pytest.raises(InputError, match="fraction"):
        split_windows(starts, 8, 50, valid_fraction=1.0)
