import pickle

import numpy as np
import pytest

from duetgraph import InputError
from duetgraph.io.axes import camera_to_zup
from duetgraph.io.hybrik import read_hybrik


def hybrik_result(frames, seed=0, n_joints=29):
    """A dict shaped like HybrIK's `demo_video.py --save-pk` output for the given frame numbers."""
    rng = np.random.default_rng(seed)
    n = len(frames)
    return {
        "pred_xyz_29": rng.normal(scale=0.3, size=(n, n_joints, 3)).astype(np.float32),
        "transl": rng.normal(size=(n, 3)).astype(np.float32) + [0.0, 0.0, 5.0],
        "pred_scores": rng.uniform(size=(n, 29)).astype(np.float32),
        "pred_betas": np.zeros((n, 10), np.float32),
        "bbox": np.zeros((n, 4), np.float32),
        "img_path": np.array([f"out/raw_images/clip-{f:06d}.png" for f in frames]),
    }


def write_pk(path, data):
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return path


def pair(tmp_path, frames_a=range(1, 11), frames_b=range(1, 11)):
    a = write_pk(tmp_path / "anna.pk", hybrik_result(list(frames_a), seed=1))
    b = write_pk(tmp_path / "ben.pk", hybrik_result(list(frames_b), seed=2))
    return a, b


class _Payload:
    """Unpickling this creates a file: proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_untrusted_pickles_are_never_loaded(tmp_path):
    marker = tmp_path / "pwned"
    a = write_pk(tmp_path / "a.pk", {"x": _Payload(marker)})
    b = write_pk(tmp_path / "b.pk", {"x": _Payload(marker)})
    with pytest.raises(InputError, match="--trust-pickle"):
        read_hybrik((a, b))
    assert not marker.exists()


def test_world_joints_are_box_scaled_plus_translation_in_zup(tmp_path):
    a, b = pair(tmp_path)
    duet = read_hybrik((a, b), trust_pickle=True, fps=25)
    data = hybrik_result(list(range(1, 11)), seed=1)
    expected = camera_to_zup(data["pred_xyz_29"] * 2.2 + data["transl"][:, None])
    np.testing.assert_allclose(duet.positions[:, 0], expected, atol=1e-6)
    assert duet.skeleton == "smpl29" and duet.fps == 25.0 and duet.dancers == ("anna", "ben")
    # The pelvis-centred pose keeps its placement: the pelvis sits at transl (camera z = depth).
    assert duet.positions[:, 0, :, 1].mean() == pytest.approx(5.0, abs=0.5)
    step = duet.provenance[0]
    assert step["format"] == "hybrik" and step["aligned_by"] == "img_path"
    assert step["n_frames_dropped"] == [0, 0]


def test_frames_are_aligned_by_image_name(tmp_path):
    a, b = pair(tmp_path, frames_a=range(1, 11), frames_b=range(3, 13))
    duet = read_hybrik((a, b), trust_pickle=True)
    assert duet.n_frames == 8  # frames 3..10
    data_b = hybrik_result(list(range(3, 13)), seed=2)
    first_b = camera_to_zup(data_b["pred_xyz_29"][0] * 2.2 + data_b["transl"][0])
    np.testing.assert_allclose(duet.positions[0, 1], first_b, atol=1e-6)
    data_a = hybrik_result(list(range(1, 11)), seed=1)
    third_a = camera_to_zup(data_a["pred_xyz_29"][2] * 2.2 + data_a["transl"][2])
    np.testing.assert_allclose(duet.positions[0, 0], third_a, atol=1e-6)
    assert duet.provenance[0]["n_frames_dropped"] == [2, 2]


def test_gaps_in_common_frames_are_counted(tmp_path):
    a, b = pair(tmp_path, frames_a=[1, 2, 3, 7, 8], frames_b=[1, 2, 3, 4, 7, 8])
    duet = read_hybrik((a, b), trust_pickle=True)
    assert duet.n_frames == 5 and duet.provenance[0]["n_gaps"] == 1


def test_without_image_names_frames_align_by_index(tmp_path):
    data_a, data_b = hybrik_result(range(6), seed=1), hybrik_result(range(4), seed=2)
    del data_a["img_path"], data_b["img_path"]
    a, b = write_pk(tmp_path / "a.pk", data_a), write_pk(tmp_path / "b.pk", data_b)
    duet = read_hybrik((a, b), trust_pickle=True)
    assert duet.n_frames == 4 and duet.provenance[0]["aligned_by"] == "index"


def test_no_common_frame_is_an_error(tmp_path):
    a, b = pair(tmp_path, frames_a=range(1, 5), frames_b=range(10, 15))
    with pytest.raises(InputError, match="share no frame"):
        read_hybrik((a, b), trust_pickle=True)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: {**d, "pred_xyz_29": d["pred_xyz_29"][:, :24]}, "expected \\(frames, 29, 3\\)"),
        (lambda d: {**d, "transl": d["transl"][:-1]}, "transl has shape"),
        (lambda d: {k: v for k, v in d.items() if k != "transl"}, "not a HybrIK result"),
        (lambda d: [1, 2, 3], "not a HybrIK result"),
        (lambda d: {k: v[:0] for k, v in d.items()}, "zero frames"),
        (lambda d: {**d, "transl": np.full_like(d["transl"], np.nan)}, "NaN or infinite"),
    ],
)
def test_bad_results_are_rejected_naming_the_file(tmp_path, edit, message):
    a, _ = pair(tmp_path)
    bad = write_pk(tmp_path / "bad.pk", edit(hybrik_result(list(range(1, 11)))))
    with pytest.raises(InputError, match=message) as info:
        read_hybrik((a, bad), trust_pickle=True)
    assert "bad.pk" in str(info.value)


def test_missing_empty_garbled_files_one_file_and_wrong_skeleton(tmp_path):
    a, b = pair(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        read_hybrik((a, tmp_path / "missing.pk"), trust_pickle=True)
    empty = tmp_path / "empty.pk"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_hybrik((a, empty), trust_pickle=True)
    garbled = tmp_path / "garbled.pk"
    garbled.write_bytes(b"definitely not a pickle")
    with pytest.raises(InputError, match="garbled.pk: cannot be unpickled"):
        read_hybrik((a, garbled), trust_pickle=True)
    with pytest.raises(InputError, match="two .pk files"):
        read_hybrik((a,), trust_pickle=True)
    with pytest.raises(InputError, match="smpl24 has 24 joints but the file has 29"):
        read_hybrik((a, b), trust_pickle=True, skeleton="smpl24")


def test_reading_never_modifies_the_files(tmp_path):
    a, b = pair(tmp_path)
    before = a.read_bytes(), b.read_bytes()
    read_hybrik((a, b), trust_pickle=True)
    assert (a.read_bytes(), b.read_bytes()) == before
