import json
import zipfile

import numpy as np
import pytest

from duetgraph import Duet, InputError, OutputError


def make_duet(t=10, j=29, seed=0):
    rng = np.random.default_rng(seed)
    return Duet(
        rng.normal(size=(t, 2, j, 3)).astype(np.float32),
        fps=30.0,
        provenance=[{"step": "read", "source": "mem"}],
    )


def test_round_trip_keeps_everything(tmp_path):
    duet = make_duet().with_step("dct_smooth", keep_fraction=0.25)
    path = duet.save(tmp_path / "d.npz")
    back = Duet.load(path)
    np.testing.assert_array_equal(back.positions, duet.positions)
    assert back.fps == 30.0 and back.skeleton == "smpl29" and back.dancers == ("A", "B")
    assert back.provenance[-1] == {"step": "dct_smooth", "keep_fraction": 0.25}
    assert back.source == "mem"


def test_npz_has_no_pickled_objects(tmp_path):
    path = make_duet().save(tmp_path / "d.npz")
    with np.load(path, allow_pickle=False) as data:
        json.loads(str(data["metadata"]))


def test_save_refuses_to_overwrite_and_is_atomic(tmp_path):
    path = tmp_path / "d.npz"
    make_duet(seed=1).save(path)
    before = path.read_bytes()
    with pytest.raises(OutputError, match="--overwrite"):
        make_duet(seed=2).save(path)
    assert path.read_bytes() == before
    make_duet(seed=2).save(path, overwrite=True)
    assert path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz"]


@pytest.mark.parametrize(
    ("positions", "fps", "message"),
    [
        (np.zeros((0, 2, 29, 3)), 30, "no frames"),
        (np.zeros((5, 1, 29, 3)), 30, "both dancers"),
        (np.full((5, 2, 29, 3), np.nan), 30, "NaN"),
        (np.zeros((5, 2, 17, 3)), 30, "29 joints"),
        (np.zeros((5, 2, 29, 3)), 0, "fps"),
    ],
)
def test_invalid_duets_are_rejected(positions, fps, message):
    with pytest.raises(InputError, match=message):
        Duet(positions, fps=fps)


def test_load_names_the_file_for_missing_and_corrupt_input(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        Duet.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="bad.npz"):
        Duet.load(bad)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(3))
    with pytest.raises(InputError, match="convert"):
        Duet.load(plain)
    good = make_duet().save(tmp_path / "good.npz")
    truncated = tmp_path / "trunc.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(InputError, match="trunc.npz"):
        Duet.load(truncated)
    assert zipfile.is_zipfile(good)
