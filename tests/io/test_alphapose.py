import hashlib
import json
import logging

import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.io.alphapose import alphapose_records, read_alphapose, write_alphapose
from duetgraph.io.axes import camera_to_zup

RNG_SEED = 3


def make_records(names, n_joints=29, rng=None, centred=False):
    """One AlphaPose object per name, with distinct random poses (camera axes)."""
    rng = rng or np.random.default_rng(RNG_SEED)
    m = len(names)
    cam = rng.normal(0.0, 0.5, size=(m, n_joints, 3)).astype(np.float32)
    cam[..., 2] += 5.0
    if centred:
        cam -= cam[:, :1]
    kp = rng.uniform(0, 1000, size=(m, n_joints, 3)).astype(np.float32)
    box = rng.uniform(0, 500, size=(m, 4)).astype(np.float32)
    score = rng.uniform(1, 3, size=m).astype(np.float32)
    idx = [0] * m
    return alphapose_records(names, cam, score, box, kp, idx), cam


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return path


def test_round_trip_converts_camera_axes_once(tmp_path):
    records, cam = make_records(["0.jpg", "0.jpg", "1.jpg", "1.jpg"])
    path = write_alphapose(records, tmp_path / "a.json")
    det = read_alphapose(path, fps=25.0)
    assert det.n_frames == 2 and det.n_detections == 4 and det.fps == 25.0
    assert det.skeleton == "smpl29" and not det.pelvis_centred
    np.testing.assert_array_equal(det.frame, [0, 0, 1, 1])
    np.testing.assert_array_equal(det.joints, camera_to_zup(cam))  # float32 survives JSON exactly
    assert det.keypoints_2d.shape == (4, 29, 3) and det.box.shape == (4, 4)
    assert det.provenance[0]["step"] == "read_alphapose"


def test_frame_order_comes_from_image_numbers_not_list_position(tmp_path):
    names = ["frames/000012.png", "frames/000010.png", "frames/000011.png", "frames/000010.png"]
    records, cam = make_records(names)
    det = read_alphapose(write_alphapose(records, tmp_path / "a.json"))
    np.testing.assert_array_equal(det.frame, [0, 0, 1, 2])
    # Within a frame the file order is kept: both frame-10 objects in their original order.
    np.testing.assert_array_equal(det.joints[:2], camera_to_zup(cam[[1, 3]]))
    np.testing.assert_array_equal(det.joints[3], camera_to_zup(cam[0]))
    assert det.frame_names == ("frames/000010.png", "frames/000011.png", "frames/000012.png")
    assert det.provenance[0]["first_image_number"] == 10


def test_missing_image_numbers_become_empty_frames(tmp_path):
    records, _ = make_records(["3.jpg", "3.jpg", "7.jpg"])
    det = read_alphapose(write_alphapose(records, tmp_path / "a.json"))
    assert det.n_frames == 5  # images 3..7
    np.testing.assert_array_equal(det.counts_per_frame(), [2, 0, 0, 0, 1])
    assert det.detection_histogram() == {"0": 3, "1": 1, "2": 1, "3+": 0}


def test_names_without_numbers_sort_naturally(tmp_path, caplog):
    records, cam = make_records(["b.jpg", "a.jpg", "c.jpg"])
    with caplog.at_level(logging.WARNING):
        det = read_alphapose(write_alphapose(records, tmp_path / "a.json"))
    np.testing.assert_array_equal(det.joints, camera_to_zup(cam[[1, 0, 2]]))
    assert det.provenance[0]["frame_order"] == "natural sort"
    assert "natural sort" in caplog.text


def test_idx_forms_flat_arrays_and_24_joints(tmp_path):
    records, cam = make_records(["0.jpg", "0.jpg"], n_joints=24)
    records[0]["idx"] = [1.0]  # 2D-mode style
    records[1]["idx"] = 7
    for rec in records:  # some writers flatten the joints to 3J numbers
        rec["pred_xyz_jts"] = np.asarray(rec["pred_xyz_jts"]).ravel().tolist()
    det = read_alphapose(write_alphapose(records, tmp_path / "a.json"))
    assert det.skeleton == "smpl24"
    np.testing.assert_array_equal(det.track, [1, 7])
    np.testing.assert_array_equal(det.joints, camera_to_zup(cam))


def test_pelvis_centred_input_is_detected_and_warned(tmp_path, caplog):
    records, _ = make_records(["0.jpg", "0.jpg"], centred=True)
    with caplog.at_level(logging.WARNING):
        det = read_alphapose(write_alphapose(records, tmp_path / "a.json"))
    assert det.pelvis_centred
    assert "pelvis" in caplog.text


def test_input_file_is_never_modified(tmp_path):
    records, _ = make_records(["1.jpg", "0.jpg"])
    path = write_alphapose(records, tmp_path / "a.json")
    before, mtime = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
    read_alphapose(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert path.stat().st_mtime_ns == mtime


def test_byte_order_mark_and_pretty_printing_are_fine(tmp_path):
    records, cam = make_records(["0.jpg", "0.jpg"])
    path = tmp_path / "a.json"
    path.write_text("\ufeff" + json.dumps(records, indent=2) + "\n", encoding="utf-8")
    np.testing.assert_array_equal(read_alphapose(path).joints, camera_to_zup(cam))


def test_writer_refuses_to_overwrite(tmp_path):
    records, _ = make_records(["0.jpg"])
    path = write_alphapose(records, tmp_path / "a.json")
    with pytest.raises(Exception, match="--overwrite"):
        write_alphapose(records, path)
    write_alphapose(records, path, overwrite=True)


def test_reader_handles_more_objects_than_one_chunk(tmp_path, monkeypatch):
    import duetgraph.io.alphapose as ap

    monkeypatch.setattr(ap, "_CHUNK", 3)
    names = [f"{i // 2}.jpg" for i in range(11)]
    records, cam = make_records(names)
    det = read_alphapose(write_alphapose(records, tmp_path / "a.json"))
    np.testing.assert_array_equal(det.joints, camera_to_zup(cam))
    np.testing.assert_array_equal(det.frame, np.arange(11) // 2)


# ------------------------------------------------------------------------------- bad input


def good_objects(n=2, n_joints=29):
    return make_records([f"{i}.jpg" for i in range(n)], n_joints=n_joints)[0]


def bad_cases():
    ragged = good_objects(3)
    ragged[2]["pred_xyz_jts"] = ragged[2]["pred_xyz_jts"][:20]
    no_xyz = good_objects()
    del no_xyz[1]["pred_xyz_jts"]
    nan_obj = good_objects()
    nan_score = good_objects()
    nan_score[0]["score"] = float("nan")  # json writes the NaN literal, which json reads back
    nan_obj[1]["pred_xyz_jts"][4][1] = float("inf")
    return {
        "empty": ("", "is empty"),
        "blank": ("  \n", "is empty"),
        "not json": ('[{"image_id": "0.jpg",\n  "score": }]', "line 2, column"),
        "truncated": (json.dumps(good_objects())[:-300], "is not valid JSON"),
        "trailing": (json.dumps(good_objects()) + "]", "Extra data"),
        "object top": (json.dumps({"0.jpg": good_objects()}), "not a list"),
        "list of lists": (json.dumps([[1, 2, 3]]), "not an object"),
        "no xyz": (json.dumps(no_xyz), "has no 'pred_xyz_jts'; this looks like 2D"),
        "ragged": (json.dumps(ragged), "object 2 (image_id '2.jpg')"),
        "18 joints": (json.dumps(good_objects(n_joints=18)), "18 joints"),
        "inf": (json.dumps(nan_obj), "NaN or infinity"),
        "nan score": (json.dumps(nan_score), "score of object 0 (image_id '0.jpg') contains NaN"),
        "empty list": ("[]", "no detections"),
    }


@pytest.mark.parametrize("case", sorted(bad_cases()))
def test_bad_input_is_one_clear_sentence(tmp_path, case):
    text, expected = bad_cases()[case]
    path = tmp_path / "in.json"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_alphapose(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message
    if expected:
        assert expected in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_alphapose(tmp_path / "missing.json")
    with pytest.raises(InputError, match="is a folder"):
        read_alphapose(tmp_path)


def test_skeleton_must_match_joint_count(tmp_path):
    path = write_json(tmp_path / "a.json", good_objects())
    assert read_alphapose(path, skeleton="smpl29").skeleton == "smpl29"
    with pytest.raises(InputError, match="skeleton smpl24 has 24"):
        read_alphapose(path, skeleton="smpl24")
    with pytest.raises(InputError, match="unknown skeleton"):
        read_alphapose(path, skeleton="nope")


def test_fps_must_be_positive(tmp_path):
    path = write_json(tmp_path / "a.json", good_objects())
    with pytest.raises(InputError, match="fps"):
        read_alphapose(path, fps=0)


def test_17_joints_read_as_h36m17(tmp_path):
    """`duetgraph extract` writes 17 H36M joints: clean reads them without --skeleton."""
    path = tmp_path / "extracted.json"
    path.write_text(json.dumps(good_objects(n_joints=17)))
    assert read_alphapose(path, fps=30.0).skeleton == "h36m17"
