import ast
import json

import numpy as np
import pytest

from duetgraph import Duet
from duetgraph.analysis.posterior import StringPosterior
from duetgraph.cli import main
from duetgraph.cli.export import blender_script_text
from duetgraph.io.bvh import read_bvh
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.skeleton import SMPL29


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 2 s synthetic duet (dancers "Ana" and "Ben") and a hand-made strings file for it."""
    folder = tmp_path_factory.mktemp("export")
    duet, _ = simulate_duet(DuetSimConfig(duration_s=2.0), np.random.default_rng(0))
    duet = Duet(duet.positions, fps=duet.fps, dancers=("Ana", "Ben"))
    duet.save(folder / "duet.npz")
    names = ["A:right_wrist", "A:pelvis", "B:left_wrist", "B:pelvis"]
    start = np.arange(3) * 0.5
    p = np.array([[0.95, 0.2], [0.9, 0.85], [0.3, 0.9]])  # (W, E)
    StringPosterior(
        probs=np.stack([1 - p, p], axis=-1),
        window_start=start,
        window_end=start + 1.0,
        senders=[0, 3],
        receivers=[2, 1],
        node_names=names,
        node_dancer=[0, 0, 1, 1],
        node_joint=[SMPL29.index(n[2:]) for n in names],
        skeleton="smpl29",
        dancers=("Ana", "Ben"),
        run="tests",
    ).save(folder / "strings.npz")
    return folder / "duet.npz", folder / "strings.npz", duet


def test_export_writes_bvh_track_and_script(tmp_path, files, capsys):
    duet_path, strings_path, duet = files
    out = tmp_path / "out"
    args = ["export", str(duet_path), "--bvh", str(out), "--strings", str(strings_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "within 0.00 cm" in text and "Scale 0.01, Forward -Z, Up Y" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "Ana.bvh",
        "Ben.bvh",
        "blender_strings.py",
        "strings_track.csv",
        "strings_track.json",
    ]
    back = read_bvh((out / "Ana.bvh", out / "Ben.bvh"))
    assert back.dancers == ("Ana", "Ben")
    assert np.abs(back.positions - duet.positions).max() < 1e-4
    track = json.loads((out / "strings_track.json").read_text())
    assert track["armatures"] == ["Ana", "Ben"] and track["n_frames"] == duet.n_frames
    assert [s["name"] for s in track["strings"]] == [
        "Ana:right_wrist -> Ben:left_wrist",
        "Ben:pelvis -> Ana:pelvis",
    ]
    assert (out / "strings_track.csv").read_text().startswith("frame,time_s,string,")
    script = (out / "blender_strings.py").read_text()
    assert script == blender_script_text()


def test_blender_script_is_valid_python_with_its_settings():
    source = blender_script_text()
    tree = ast.parse(source)
    compile(tree, "blender_strings.py", "exec")
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    assert {"TRACK", "ARMATURES", "FRAME_START", "RADIUS", "COLLECTION"} <= assigned
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"find_track", "find_armature", "string_curve", "keyframe", "main"} <= functions
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imports == {"bpy", "json", "os"}  # runs in Blender's Python, no duetgraph needed
    assert 'TRACK = "strings_track.json"' in source


def test_up_z_and_metres(tmp_path, files, capsys):
    duet_path, _, duet = files
    assert (
        main(["export", str(duet_path), "--bvh", str(tmp_path), "--up", "z", "--units", "m"]) == 0
    )
    assert "Scale 1, Forward Y, Up Z" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Ana.bvh", "Ben.bvh"]
    text = (tmp_path / "Ana.bvh").read_text()
    spine = text.split("JOINT spine1")[1].split("OFFSET")[1].split("\n")[0].split()
    assert float(spine[2]) > 0.05  # metres, z up


def test_existing_outputs_are_kept_without_overwrite(tmp_path, files, capsys):
    duet_path, strings_path, _ = files
    (tmp_path / "strings_track.json").write_text("mine")
    args = ["export", str(duet_path), "--bvh", str(tmp_path), "--strings", str(strings_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "strings_track.json: the output already exists" in err
    assert "--overwrite" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strings_track.json"]  # nothing written
    assert main([*args, "--overwrite"]) == 0
    assert json.loads((tmp_path / "strings_track.json").read_text())["fps"] == 30.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.npz", "missing.npz: no such file"),
        (lambda d: (d / "bad.npz").write_text("junk") and d / "bad.npz", "bad.npz"),
    ],
)
def test_bad_duet_files_get_one_sentence(tmp_path, make, message, capsys):
    assert main(["export", str(make(tmp_path)), "--bvh", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_strings_threshold_and_folder(tmp_path, files, capsys):
    duet_path, strings_path, _ = files
    (tmp_path / "not_strings.npz").write_bytes(duet_path.read_bytes())
    cases = [
        (
            ["--strings", str(tmp_path / "not_strings.npz")],
            "not_strings.npz: not a duetgraph strings",
        ),
        (["--strings", str(strings_path), "--threshold", "2"], "--threshold 2.0 must be within"),
    ]
    for extra, message in cases:
        assert main(["export", str(duet_path), "--bvh", str(tmp_path / "o"), *extra]) == 2
        assert message in capsys.readouterr().err
    (tmp_path / "a_file").write_text("x")
    assert main(["export", str(duet_path), "--bvh", str(tmp_path / "a_file")]) == 2
    assert "a_file: is a file, not a folder" in capsys.readouterr().err
    assert main(["export", str(duet_path), "--bvh", str(tmp_path / "a_file" / "sub")]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_strings_of_another_skeleton_are_refused(tmp_path, files, capsys):
    duet_path, _, _ = files
    names = ["A:pelvis", "B:pelvis"]
    StringPosterior(
        probs=np.full((1, 1, 2), 0.5),
        window_start=[0.0],
        window_end=[1.0],
        senders=[0],
        receivers=[1],
        node_names=names,
        node_dancer=[0, 1],
        node_joint=[0, 0],
        skeleton="h36m17",
    ).save(tmp_path / "h36m.npz")
    args = ["export", str(duet_path), "--bvh", str(tmp_path / "o"), "--strings"]
    assert main([*args, str(tmp_path / "h36m.npz")]) == 2
    assert "skeleton h36m17 but the duet uses smpl29" in capsys.readouterr().err


@pytest.mark.slow
def test_blender_imports_the_bvh_files_and_draws_the_strings(tmp_path, files):
    """Blender's stock BVH importer and the strings script, where `bpy` (PyPI) is installed."""
    bpy = pytest.importorskip("bpy")
    import runpy

    import addon_utils

    from duetgraph.analysis.strings_track import string_track, write_track_json
    from duetgraph.io.bvh_write import write_duet_bvh

    _, strings_path, duet = files
    write_duet_bvh(duet, tmp_path)
    track = string_track(StringPosterior.load(strings_path), duet.n_frames, duet.fps, 0.8)
    write_track_json(track, tmp_path / "strings_track.json", ("Ana", "Ben"))
    (tmp_path / "blender_strings.py").write_text(blender_script_text())

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon_utils.enable("io_anim_bvh", default_set=True)
    for name in ("Ana", "Ben"):
        bpy.ops.import_anim.bvh(
            filepath=str(tmp_path / f"{name}.bvh"), global_scale=0.01, update_scene_fps=True
        )
    runpy.run_path(str(tmp_path / "blender_strings.py"), run_name="__main__")
    scene = bpy.context.scene
    assert scene.render.fps == 30
    for frame in (0, 17, duet.n_frames - 1):
        scene.frame_set(1 + frame)  # the importer's Start Frame is 1
        for person, name in enumerate(("Ana", "Ben")):
            arm = bpy.data.objects[name]
            heads = [tuple(arm.matrix_world @ arm.pose.bones[j].head) for j in SMPL29.joint_names]
            np.testing.assert_allclose(heads, duet.positions[frame, person], atol=1e-4)
        graph = bpy.context.evaluated_depsgraph_get()
        active = {a["string"] for a in track.to_dict()["frames"][frame]["active"]}
        for s, name in enumerate(track.string_names()):
            ob = bpy.data.objects[name]
            assert ob.hide_viewport == (s not in active)
            if s in active:  # the tube's end rings are centred on the two joints
                mesh = ob.evaluated_get(graph).to_mesh()
                points = np.array([tuple(v.co) for v in mesh.vertices])
                ends = [(track.sender_dancer[s], track.sender_joint[s])]
                ends.append((track.receiver_dancer[s], track.receiver_joint[s]))
                for dancer, joint in ends:
                    target = duet.positions[frame, dancer, SMPL29.index(joint)]
                    ring = points[np.linalg.norm(points - target, axis=1) < 0.05]
                    np.testing.assert_allclose(ring.mean(0), target, atol=1e-3)
