import json
import pickle

import numpy as np
import pytest

from duetgraph import Duet
from duetgraph.cli import main
from duetgraph.skeleton import H36M17


@pytest.fixture
def duet_file(tmp_path):
    positions = np.zeros((60, 2, 17, 3), np.float32)
    positions[:, 1, :, 0] = 2.0  # dancer B stands 2 m along x
    positions[:, :, 10, 2] = 1.75  # heads at 1.75 m
    duet = Duet(positions, fps=30.0, skeleton="h36m17", dancers=("anna", "ben"))
    duet = duet.with_step("read", source="mem.npy", format="array")
    duet = duet.with_step("dct_smooth", keep_fraction=0.25)
    return duet.save(tmp_path / "duet.npz")


def lines_of(text):
    return {line.split()[0]: line for line in text.splitlines() if line.strip()}


def test_info_prints_counts_bounds_and_provenance(duet_file, capsys):
    assert main(["info", str(duet_file)]) == 0
    out = capsys.readouterr().out
    rows = lines_of(out)
    assert rows["frames"].split()[-1] == "60"
    assert rows["fps"].split()[-1] == "30"
    assert "2.00 s" in rows["duration"]
    assert "h36m17 (17 joints)" in rows["skeleton"]
    assert rows["dancers"].endswith("anna, ben")
    assert [float(v) for v in rows["min"].split()[1:]] == [0.0, 0.0, 0.0]
    assert [float(v) for v in rows["max"].split()[1:]] == [2.0, 0.0, 1.75]
    assert [float(v) for v in rows["extent"].split()[1:]] == [2.0, 0.0, 1.75]
    assert "1. read" in out and "source=mem.npy" in out
    assert "2. dct_smooth" in out and "keep_fraction=0.25" in out


def test_info_reads_any_input_with_reader_flags(tmp_path, capsys):
    rows = np.random.default_rng(0).normal(size=(20, 29, 3)).astype(np.float32)
    np.save(tmp_path / "sample.npy", rows)
    code = main(["info", str(tmp_path / "sample.npy"), "--layout", "interleaved", "--fps", "10"])
    assert code == 0
    text = capsys.readouterr().out
    rows = lines_of(text)
    assert rows["frames"].split()[-1] == "10" and "1.00 s" in rows["duration"]
    assert "format=array layout=interleaved axes=camera" in text


def test_info_on_alphapose_shows_detection_counts(tmp_path, capsys):
    objects = [
        {
            "image_id": f"{f}.jpg",
            "category_id": 1,
            "keypoints": [1.0] * 87,
            "score": 2.0,
            "box": [0.0, 0.0, 10.0, 10.0],
            "idx": i,
            "pred_xyz_jts": (np.full((29, 3), 0.1 * (i + 1)) + [0, 0, 4]).tolist(),
        }
        for f, n in enumerate([2, 1, 3, 2])
        for i in range(n)
    ]
    path = tmp_path / "alphapose-results.json"
    path.write_text(json.dumps(objects))
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    rows = lines_of(out.replace("frames, ", "frames_"))
    assert rows["detections"].split()[-1] == "8"
    assert [rows[f"frames_{k}"].split()[-1] for k in ("0", "1", "2", "3+")] == ["0", "1", "2", "1"]
    assert "duetgraph clean" in out


def test_info_user_errors_exit_2_with_one_line(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.npz: no such file" in err
    assert err.count("\n") == 1
    np.save(tmp_path / "a.npy", np.zeros((2, 2, 29, 3)))
    assert main(["info", *[str(tmp_path / "a.npy")] * 3]) == 2
    assert "3 input files" in capsys.readouterr().err


def test_convert_npy_to_npz_csv_and_npy(tmp_path, capsys):
    rows = np.random.default_rng(1).normal(size=(12, 24, 3)).astype(np.float32)
    src = tmp_path / "sample.npy"
    np.save(src, rows)
    before = src.read_bytes()
    out = tmp_path / "out" / "duet.npz"
    args = ["convert", str(src), "-o", str(out), "--layout", "interleaved", "--fps", "15"]
    assert main(args) == 0
    assert "wrote" in capsys.readouterr().out
    duet = Duet.load(out)
    assert duet.n_frames == 6 and duet.fps == 15.0 and duet.skeleton == "smpl24"
    assert duet.provenance[0]["layout"] == "interleaved"
    assert src.read_bytes() == before
    assert main(["convert", str(out), "-o", str(tmp_path / "duet.csv")]) == 0
    assert main(["convert", str(tmp_path / "duet.csv"), "-o", str(tmp_path / "d.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "d.npy"), duet.positions, atol=1e-6)


def h36m_bvh(path, root_y_cm):
    """A BVH of the 17 H36M joints, every bone 10 cm up, three frames at 50 fps."""
    parents = H36M17.parents
    lines = ["HIERARCHY"]

    def joint(j, depth):
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if j == 0 else 'JOINT'} {H36M17.joint_names[j]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET 0 {0 if j == 0 else 10} 0")
        channels = "6 Xposition Yposition Zposition" if j == 0 else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Xrotation Yrotation")
        kids = [c for c, p in enumerate(parents) if p == j]
        for c in kids:
            joint(c, depth + 1)
        if not kids:
            lines.extend([pad + "  End Site", pad + "  {", pad + "    OFFSET 0 5 0", pad + "  }"])
        lines.append(pad + "}")

    joint(0, 0)
    n_values = 6 + 3 * 16
    lines += ["MOTION", "Frames: 3", "Frame Time: 0.02"]
    lines += [" ".join(["0", str(root_y_cm)] + ["0"] * (n_values - 2))] * 3
    path.write_text("\n".join(lines) + "\n")
    return path


def test_convert_bvh_pair(tmp_path, capsys):
    files = [h36m_bvh(tmp_path / "anna.bvh", 90), h36m_bvh(tmp_path / "ben.bvh", 95)]
    out = tmp_path / "duet.npz"
    assert main(["convert", *map(str, files), "-o", str(out)]) == 0
    assert "3 frames at 50 fps" in capsys.readouterr().out
    duet = Duet.load(out)
    assert duet.dancers == ("anna", "ben") and duet.skeleton == "h36m17"
    np.testing.assert_allclose(duet.positions[0, :, 0, 2], [0.90, 0.95], atol=1e-6)


def test_convert_refuses_to_overwrite_and_to_replace_its_input(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.zeros((2, 2, 29, 3), np.float32))
    out = tmp_path / "a.npz"
    out.write_bytes(b"precious")
    assert main(["convert", str(tmp_path / "a.npy"), "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_bytes() == b"precious"
    assert main(["convert", str(tmp_path / "a.npy"), "-o", str(out), "--overwrite"]) == 0
    assert Duet.load(out).n_frames == 2
    assert main(["convert", str(out), "-o", str(out), "--overwrite"]) == 2
    assert "is also an input" in capsys.readouterr().err


def test_convert_user_errors(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.zeros((2, 2, 29, 3), np.float32))
    assert main(["convert", str(tmp_path / "a.npy"), "-o", str(tmp_path / "a.xlsx")]) == 2
    assert "cannot tell the output format" in capsys.readouterr().err
    path = tmp_path / "alphapose-results.json"
    path.write_text(
        json.dumps(
            [
                {
                    "image_id": "0.jpg",
                    "category_id": 1,
                    "keypoints": [1.0] * 87,
                    "score": 1.0,
                    "box": [0, 0, 1, 1],
                    "idx": 0,
                    "pred_xyz_jts": [[0.0, 0.0, 3.0]] * 29,
                }
            ]
        )
    )
    assert main(["convert", str(path), "-o", str(tmp_path / "d.npz")]) == 2
    err = capsys.readouterr().err
    assert "duetgraph clean" in err and not (tmp_path / "d.npz").exists()
    pk = tmp_path / "a.pk"
    pk.write_bytes(pickle.dumps({"pred_xyz_29": np.zeros((1, 29, 3)), "transl": np.zeros((1, 3))}))
    assert main(["convert", str(pk), str(pk), "-o", str(tmp_path / "h.npz")]) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    code = main(["convert", str(pk), str(pk), "-o", str(tmp_path / "h.npz"), "--trust-pickle"])
    assert code == 0
