import time

import numpy as np
import pytest

from duetgraph import Duet, InputError, OutputError
from duetgraph.io.csv_long import read_csv, write_csv
from duetgraph.skeleton import SMPL24


def make_duet(t=5, j=24, seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    skeleton = {24: "smpl24", 29: "smpl29"}[j]
    positions = rng.normal(size=(t, 2, j, 3)).astype(np.float32)
    return Duet(positions, fps=30.0, skeleton=skeleton, **kwargs)


def rows_csv(path, rows, header="frame,dancer,joint,x,y,z"):
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def grid(n_frames=2, dancers=("0", "1"), n_joints=17, first=0):
    """Rows (frame, dancer, joint index, x, y, z) with x = frame, y = dancer index, z = joint."""
    return [
        (f, d, j, f, p, j)
        for f in range(first, first + n_frames)
        for p, d in enumerate(dancers)
        for j in range(n_joints)
    ]


def test_round_trip_keeps_positions_labels_and_confidence(tmp_path):
    duet = make_duet(dancers=("anna, the lead", "ben"))
    duet = duet.with_step("x", confidence=np.full((5, 2, 24), 0.5, np.float32))
    path = write_csv(duet, tmp_path / "d.csv")
    assert path.read_text().splitlines()[0] == "frame,dancer,joint,x,y,z,confidence"
    back = read_csv(path, fps=30)
    np.testing.assert_allclose(back.positions, duet.positions, atol=1e-6)
    np.testing.assert_allclose(back.confidence, 0.5)
    assert back.dancers == duet.dancers and back.skeleton == "smpl24"
    step = back.provenance[0]
    assert step["format"] == "csv" and step["n_rows"] == 5 * 2 * 24 and step["source"] == str(path)


def test_rows_in_any_order_with_indices_and_frames_from_one(tmp_path):
    rows = grid(n_frames=3, n_joints=17, first=1)
    rows = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))]
    duet = read_csv(rows_csv(tmp_path / "d.csv", rows))
    assert duet.skeleton == "h36m17" and duet.dancers == ("A", "B")
    assert duet.provenance[0]["first_frame"] == 1
    # x = original frame number, y = dancer, z = joint index (z-up: no axis change).
    np.testing.assert_array_equal(duet.positions[:, 0, 0, 0], [1, 2, 3])
    np.testing.assert_array_equal(duet.positions[0, :, 0, 1], [0, 1])
    np.testing.assert_array_equal(duet.positions[0, 0, :, 2], np.arange(17))


def test_dancer_a_is_the_label_that_appears_first(tmp_path):
    rows = grid(n_frames=1, dancers=("zoe", "adam"), n_joints=17)
    duet = read_csv(rows_csv(tmp_path / "d.csv", rows))
    assert duet.dancers == ("zoe", "adam")
    np.testing.assert_array_equal(duet.positions[0, :, 0, 1], [0, 1])


def test_joint_names_pick_the_smallest_skeleton_holding_them(tmp_path):
    rows = [(0, d, n, 0, 0, 0) for d in "AB" for n in SMPL24.joint_names]
    assert read_csv(rows_csv(tmp_path / "d.csv", rows)).skeleton == "smpl24"
    upper = [(0, d, n.upper(), 0, 0, 0) for d in "AB" for n in SMPL24.joint_names]
    assert read_csv(rows_csv(tmp_path / "u.csv", upper)).skeleton == "smpl24"
    # Asked for smpl29, the file lacks rows for its joints 24-28 (head first).
    with pytest.raises(InputError, match="joint head has no row \\(10 cells missing"):
        read_csv(rows_csv(tmp_path / "d.csv", rows), skeleton="smpl29")


def test_axes_and_scale(tmp_path):
    rows = [(f, d, j, 0, 150, 0) for f, d, j, *_ in grid(n_frames=1, n_joints=17)]
    duet = read_csv(rows_csv(tmp_path / "d.csv", rows), axes="yup", scale=0.01)
    np.testing.assert_allclose(duet.positions[..., 2], 1.5)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r[:-1], "frame 1, dancer B, joint 16 has no row"),
        (lambda r: r + [r[0]], "frame 0, dancer A, joint 0 has 2 rows"),
        (
            lambda r: [x for x in r if x[0] != 1] + [(2, *x[1:]) for x in r if x[0] == 1],
            "frame 1 has no rows",
        ),
        (lambda r: [x for x in r if x[1] == "0"], "1 distinct label"),
        (lambda r: r + [(0, "2", 0, 0, 0, 0)], "3 distinct label"),
        (lambda r: [(0.5, *r[0][1:])] + r[1:], "not an integer"),
        (lambda r: [r[0][:5] + ("abc",)] + r[1:], "line 2 has z = 'abc', not a number"),
        (lambda r: [r[0][:5] + ("",)] + r[1:], "line 2 has z = '', not a number"),
        (lambda r: r[:3] + [r[3][:5]] + r[4:], "line 5 has 5 fields"),
        (lambda r: [r[0][:5] + ("nan",)] + r[1:], "NaN or infinite \\(first at frame 0, dancer A"),
        (lambda r: [r[0][:5] + ("inf",)] + r[1:], "NaN or infinite"),
        (lambda r: [(x[0], x[1], "elbow", *x[3:]) for x in r], "joint names \\['elbow'\\]"),
    ],
)
def test_bad_rows_are_rejected_with_the_first_place(tmp_path, edit, message):
    path = rows_csv(tmp_path / "bad.csv", edit(grid()))
    with pytest.raises(InputError, match=message) as info:
        read_csv(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frame,dancer,joint,x,y\n0,0,0,1,2\n", "lacks column\\(s\\) z"),
        ("0,0,0,1,2,3\n", "lacks column"),
        ("\n", "no header"),
        ("frame,dancer,joint,x,y,z\n", "no rows"),
    ],
)
def test_bad_headers_and_zero_frames(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_csv(path)


def test_missing_empty_and_skeleton_mismatch(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_csv(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_csv(empty)
    path = rows_csv(tmp_path / "d.csv", grid(n_joints=24))
    with pytest.raises(InputError, match="skeleton smpl29 has 29 joints but the file has 24"):
        read_csv(path, skeleton="smpl29")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="UTF-8"):
        read_csv(binary)


def test_extra_columns_and_blank_lines_are_ignored(tmp_path):
    rows = [(*r, "note") for r in grid(n_joints=17)]
    path = rows_csv(tmp_path / "d.csv", rows, header="frame,dancer,joint,x,y,z,comment")
    path.write_text(path.read_text().replace("\n", "\n\n", 3))
    assert read_csv(path).n_frames == 2


def test_reading_never_modifies_the_file(tmp_path):
    path = write_csv(make_duet(), tmp_path / "d.csv")
    before = path.read_bytes()
    read_csv(path)
    assert path.read_bytes() == before


def test_write_refuses_to_overwrite(tmp_path):
    path = write_csv(make_duet(seed=1), tmp_path / "d.csv")
    before = path.read_bytes()
    with pytest.raises(OutputError, match="--overwrite"):
        write_csv(make_duet(seed=2), path)
    assert path.read_bytes() == before
    write_csv(make_duet(seed=2), path, overwrite=True)
    assert path.read_bytes() != before


@pytest.mark.slow
def test_an_18000_frame_file_reads_in_a_few_seconds(tmp_path):
    duet = make_duet(t=18000, j=29)
    path = write_csv(duet, tmp_path / "long.csv")
    start = time.perf_counter()
    back = read_csv(path, fps=30)
    elapsed = time.perf_counter() - start
    np.testing.assert_allclose(back.positions, duet.positions, atol=1e-6)
    assert elapsed < 10.0, f"reading 1 044 000 rows took {elapsed:.1f} s"
