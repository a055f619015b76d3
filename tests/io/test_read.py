import json
import pickle

import numpy as np
import pytest

from duetgraph import Duet, InputError, OutputError
from duetgraph.io.detections import Detections
from duetgraph.io.read import read_input, write_output
from duetgraph.skeleton import SMPL24


def duet(t=6, seed=0):
    rng = np.random.default_rng(seed)
    positions = rng.normal(size=(t, 2, 24, 3)).astype(np.float32)
    return Duet(
        positions, fps=25.0, skeleton="smpl24", provenance=[{"step": "read", "source": "m"}]
    )


def alphapose_json(path, n_frames=3):
    """Hand-written AlphaPose 3D output (DESIGN.md §4): two people per frame, camera axes."""
    rng = np.random.default_rng(0)
    objects = [
        {
            "image_id": f"{f}.jpg",
            "category_id": 1,
            "keypoints": rng.uniform(0, 500, size=87).tolist(),
            "score": 2.5,
            "box": [10.0, 20.0, 100.0, 300.0],
            "idx": i,
            "pred_xyz_jts": (rng.normal(size=(29, 3)) + [0, 0, 5]).tolist(),
        }
        for f in range(n_frames)
        for i in range(2)
    ]
    path.write_text(json.dumps(objects))
    return path


def bvh_text(n_frames=3, root_y=90.0):
    children = {j: [c for c, p in enumerate(SMPL24.parents) if p == j] for j in range(24)}
    lines = ["HIERARCHY"]

    def joint(j, depth):
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if j == 0 else 'JOINT'} {SMPL24.joint_names[j]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET 0 {0 if j == 0 else 10} 0")
        channels = "6 Xposition Yposition Zposition" if j == 0 else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Xrotation Yrotation")
        for c in children[j]:
            joint(c, depth + 1)
        if not children[j]:
            lines.extend([pad + "  End Site", pad + "  {", pad + "    OFFSET 0 5 0", pad + "  }"])
        lines.append(pad + "}")

    joint(0, 0)
    lines += ["MOTION", f"Frames: {n_frames}", "Frame Time: 0.04"]
    lines += [" ".join(["0", str(root_y)] + ["0"] * 73)] * n_frames
    return "\n".join(lines) + "\n"


def hybrik_pk(path, n_frames=4, seed=0):
    rng = np.random.default_rng(seed)
    data = {
        "pred_xyz_29": rng.normal(size=(n_frames, 29, 3)).astype(np.float32) * 0.2,
        "transl": rng.normal(size=(n_frames, 3)).astype(np.float32),
        "img_path": np.array([f"img-{i:04d}.jpg" for i in range(n_frames)]),
    }
    path.write_bytes(pickle.dumps(data))
    return path


def test_suffix_picks_the_reader(tmp_path):
    np.save(tmp_path / "a.npy", duet().positions)
    np.savez(tmp_path / "plain.npz", positions=duet().positions)
    duet().save(tmp_path / "duet.npz")
    write_output(duet(), tmp_path / "a.csv")
    (tmp_path / "a.bvh").write_text(bvh_text())
    (tmp_path / "b.bvh").write_text(bvh_text(root_y=80.0))
    hybrik_pk(tmp_path / "a.pk", seed=1)
    hybrik_pk(tmp_path / "b.pkl", seed=2)
    formats = {
        "a.npy": "array",
        "plain.npz": "array",
        "a.csv": "csv",
        ("a.bvh", "b.bvh"): "bvh",
        ("a.pk", "b.pkl"): None,  # different suffixes: need --format-in
    }
    for names, fmt in formats.items():
        paths = [tmp_path / n for n in ((names,) if isinstance(names, str) else names)]
        if fmt is None:
            with pytest.raises(InputError, match="different suffixes"):
                read_input(paths, trust_pickle=True)
            result = read_input(paths, format="hybrik", trust_pickle=True)
            assert result.provenance[0]["format"] == "hybrik"
            continue
        result = read_input(paths)
        assert isinstance(result, Duet) and result.provenance[0]["format"] == fmt
    loaded = read_input(tmp_path / "duet.npz")
    assert loaded.fps == 25.0 and loaded.provenance == duet().provenance
    bvh = read_input([tmp_path / "a.bvh", tmp_path / "b.bvh"])
    np.testing.assert_allclose(bvh.positions[0, :, 0, 2], [0.9, 0.8], atol=1e-6)  # cm → m, y → z
    assert bvh.fps == pytest.approx(25.0)


def test_alphapose_json_gives_detections(tmp_path):
    det = read_input(alphapose_json(tmp_path / "alphapose-results.json"), fps=25)
    assert isinstance(det, Detections)
    assert det.n_frames == 3 and det.n_detections == 6 and det.fps == 25.0
    assert det.detection_histogram()["2"] == 3


def test_alphapose_reader_is_called_with_fps_and_skeleton(tmp_path, monkeypatch):
    calls = []
    import duetgraph.io.alphapose as alphapose

    monkeypatch.setattr(alphapose, "read_alphapose", lambda path, **kw: calls.append((path, kw)))
    path = tmp_path / "x.json"
    path.write_text("[]")
    read_input(path, fps=12.0, skeleton="smpl24")
    assert calls == [(path, {"fps": 12.0, "skeleton": "smpl24"})]


def test_options_and_file_counts_are_checked(tmp_path):
    np.save(tmp_path / "a.npy", duet().positions)
    (tmp_path / "a.bvh").write_text(bvh_text())
    duet().save(tmp_path / "d.npz")
    cases = [
        ([tmp_path / "a.npy", tmp_path / "a.npy"], {}, "needs one file holding both dancers"),
        ([tmp_path / "a.bvh"], {}, "needs two files, one per dancer; got 1"),
        ([tmp_path / "a.bvh"] * 2, {"layout": "interleaved"}, "--layout applies to"),
        ([tmp_path / "a.bvh"] * 2, {"axes": "camera"}, "--axes applies to"),
        ([tmp_path / "a.npy"], {"format": "excel"}, "unknown format"),
        ([tmp_path / "d.npz"], {"fps": 10.0}, "cannot change it"),
        ([tmp_path / "d.npz"], {"skeleton": "smpl29"}, "not smpl29"),
        ([tmp_path / "missing.npy"], {}, "no such file"),
        ([], {}, "no input file"),
    ]
    for paths, kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            read_input(paths, **kwargs)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="unknown suffix '.txt'"):
        read_input(tmp_path / "notes.txt")
    # A named format overrides the suffix.
    (tmp_path / "a.dat").write_bytes((tmp_path / "a.npy").read_bytes())
    assert read_input(tmp_path / "a.dat", format="array").n_frames == 6


def test_scale_and_axes_reach_the_readers(tmp_path):
    np.save(tmp_path / "cm.npy", np.full((2, 2, 24, 3), 100.0, np.float32))
    result = read_input(tmp_path / "cm.npy", scale=0.01, axes="yup")
    np.testing.assert_allclose(result.positions[0, 0, 0], [1.0, -1.0, 1.0])
    (tmp_path / "a.bvh").write_text(bvh_text(root_y=1.0))
    (tmp_path / "b.bvh").write_text(bvh_text(root_y=2.0))
    metres = read_input([tmp_path / "a.bvh", tmp_path / "b.bvh"], scale=1.0)
    np.testing.assert_allclose(metres.positions[0, :, 0, 2], [1.0, 2.0])


@pytest.mark.parametrize("name", ["out.npz", "out.npy", "out.csv"])
def test_write_output_round_trips_through_read_input(tmp_path, name):
    original = duet()
    path = write_output(original, tmp_path / name)
    back = read_input(path, fps=None if name == "out.npz" else 25.0)
    np.testing.assert_allclose(back.positions, original.positions, atol=1e-6)
    assert back.skeleton == "smpl24" and back.fps == 25.0
    before = path.read_bytes()
    with pytest.raises(OutputError, match="--overwrite"):
        write_output(duet(seed=1), path)
    assert path.read_bytes() == before
    write_output(duet(seed=1), path, overwrite=True)
    assert path.read_bytes() != before


def test_write_output_format_from_name_or_option(tmp_path):
    with pytest.raises(OutputError, match="cannot tell the output format"):
        write_output(duet(), tmp_path / "out.txt")
    with pytest.raises(OutputError, match="unknown output format"):
        write_output(duet(), tmp_path / "out.npz", format="parquet")
    path = write_output(duet(), tmp_path / "out.txt", format="csv")
    assert path.read_text().startswith("frame,dancer,joint,x,y,z")
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind
