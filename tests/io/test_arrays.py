import logging

import numpy as np
import pytest

from duetgraph import InputError, OutputError
from duetgraph.io.arrays import read_array, write_array
from duetgraph.io.axes import camera_to_zup


def poses(t=6, p=2, j=29, seed=0):
    return np.random.default_rng(seed).normal(size=(t, p, j, 3)).astype(np.float32)


def test_standard_array_round_trips_with_inferred_skeleton(tmp_path):
    for j, name in [(29, "smpl29"), (24, "smpl24"), (17, "h36m17")]:
        path = tmp_path / f"d{j}.npy"
        np.save(path, poses(j=j))
        duet = read_array(path, fps=25)
        np.testing.assert_array_equal(duet.positions, poses(j=j))
        assert duet.skeleton == name and duet.fps == 25.0 and duet.dancers == ("A", "B")
        step = duet.provenance[0]
        assert step["step"] == "read" and step["source"] == str(path)
        assert step["format"] == "array" and step["n_frames"] == 6 and step["axes"] == "zup"


def test_interleaved_rows_alternate_dancers_and_camera_axes_become_zup(tmp_path):
    rows = np.random.default_rng(1).normal(size=(10, 29, 3)).astype(np.float32)  # 2T = 10
    path = tmp_path / "sample.npy"
    np.save(path, rows)
    duet = read_array(path, layout="interleaved", fps=30)
    assert duet.positions.shape == (5, 2, 29, 3)
    np.testing.assert_allclose(duet.positions[2, 0], camera_to_zup(rows[4]))  # dancer A: [0::2]
    np.testing.assert_allclose(duet.positions[2, 1], camera_to_zup(rows[5]))  # dancer B: [1::2]
    assert duet.provenance[0]["axes"] == "camera"
    # A joint below the camera centre (image y down, +1 m) ends 1 m below the horizon.
    rows[0, 0] = [0.0, 1.0, 3.0]
    np.save(path, rows)
    assert read_array(path, layout="interleaved").positions[0, 0, 0, 2] == pytest.approx(-1.0)


def test_interleaved_layout_is_never_guessed(tmp_path):
    path = tmp_path / "sample.npy"
    np.save(path, np.zeros((10, 29, 3), np.float32))
    with pytest.raises(InputError, match="--layout interleaved"):
        read_array(path)
    np.save(path, np.zeros((9, 29, 3), np.float32))
    with pytest.raises(InputError, match="odd number"):
        read_array(path, layout="interleaved")


def test_npz_with_one_array_or_positions_key(tmp_path):
    one = tmp_path / "one.npz"
    np.savez(one, anything=poses())
    np.testing.assert_array_equal(read_array(one).positions, poses())
    named = tmp_path / "named.npz"
    np.savez(named, positions=poses(), other=np.zeros(3))
    np.testing.assert_array_equal(read_array(named).positions, poses())
    many = tmp_path / "many.npz"
    np.savez(many, a=poses(), b=poses())
    with pytest.raises(InputError, match="none is named 'positions'"):
        read_array(many)


def test_axes_and_scale_options(tmp_path):
    path = tmp_path / "cm.npy"
    data = np.zeros((2, 2, 29, 3), np.float32)
    data[..., 1] = 150.0  # 1.5 m up in y-up centimetres
    np.save(path, data)
    duet = read_array(path, axes="yup", scale=0.01)
    np.testing.assert_allclose(duet.positions[..., 2], 1.5)
    np.testing.assert_allclose(duet.positions[..., :2], 0.0)
    with pytest.raises(InputError, match="unknown axes"):
        read_array(path, axes="xup")
    with pytest.raises(InputError, match="scale"):
        read_array(path, scale=0)


def test_default_fps_is_recorded_and_warned(tmp_path, caplog):
    path = tmp_path / "d.npy"
    np.save(path, poses())
    with caplog.at_level(logging.WARNING):
        duet = read_array(path)
    assert duet.fps == 30.0 and duet.provenance[0]["fps_source"] == "default"
    assert "--fps" in caplog.text


@pytest.mark.parametrize(
    ("array", "kwargs", "message"),
    [
        (poses(p=1), {}, "needs exactly two"),
        (poses(t=0), {}, "zero frames"),
        (poses(j=29), {"skeleton": "smpl24"}, "pass the matching --skeleton"),
        (poses(j=15), {}, "match no known skeleton"),
        (poses(j=29), {"skeleton": "nosuch"}, "unknown skeleton"),
        (poses()[..., :2], {}, "expected \\(frames, 2, joints, 3\\)"),
        (np.zeros((4, 5)), {}, "expected \\(frames, 2, joints, 3\\)"),
        (np.array(["a", "b"]), {}, "dtype"),
    ],
)
def test_bad_arrays_are_rejected_naming_the_file(tmp_path, array, kwargs, message):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(InputError, match=message) as info:
        read_array(path, **kwargs)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values_are_rejected_with_their_place(tmp_path, value):
    data = poses()
    data[3, 1, 7, 2] = value
    path = tmp_path / "gap.npy"
    np.save(path, data)
    with pytest.raises(InputError, match="frame 3, dancer B, joint 7"):
        read_array(path)


def test_missing_empty_garbled_and_pickled_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_array(tmp_path / "missing.npy")
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_array(empty)
    garbled = tmp_path / "garbled.npy"
    garbled.write_bytes(b"this is not numpy at all")
    with pytest.raises(InputError, match="garbled.npy: cannot be read"):
        read_array(garbled)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="Python objects"):
        read_array(pickled)
    with pytest.raises(InputError, match="unknown layout"):
        read_array(garbled, layout="sideways")


def test_reading_never_modifies_the_file(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, positions=poses())
    before = path.read_bytes()
    read_array(path)
    assert path.read_bytes() == before


def test_write_array_is_plain_float32_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "d.npy"
    np.save(path, poses())
    duet = read_array(path)
    out = write_array(duet, tmp_path / "out.npy")
    back = np.load(out, allow_pickle=False)
    assert back.dtype == np.float32 and back.shape == (6, 2, 29, 3)
    np.testing.assert_array_equal(back, duet.positions)
    before = out.read_bytes()
    with pytest.raises(OutputError, match="--overwrite"):
        write_array(duet, out)
    assert out.read_bytes() == before
