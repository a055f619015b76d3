import imageio_ffmpeg
import pytest
from PIL import Image

from duetgraph.cli import main


@pytest.fixture
def files(duet, make_one_string, tmp_path):
    duet_path, strings_path = tmp_path / "duet.npz", tmp_path / "strings.npz"
    duet.save(duet_path)
    make_one_string(duet, 0.95).save(strings_path)
    return str(duet_path), str(strings_path)


def test_render_writes_video_viewer_and_figures(files, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["render", files[0], "--strings", files[1], "-o", str(out), "--size", "320x180"]
    assert main([*args, "--viewer", "--figures", "--fps-video", "5"]) == 0
    printed = capsys.readouterr().out
    assert "20 frames at 5 fps; reduced from 10 fps" in printed and "x real time" in printed
    assert imageio_ffmpeg.count_frames_and_secs(str(out / "duet.mp4"))[0] == 20
    assert "works offline" in printed and (out / "viewer.html").stat().st_size > 10_000
    for name in ("strings_heatmap.png", "hubs.png", "strings_bipartite.png"):
        assert (out / name).stat().st_size > 5_000


def test_render_refuses_before_writing_anything(files, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "viewer.html").write_text("keep")
    args = ["render", files[0], "--strings", files[1], "-o", str(out), "--video", "gif"]
    assert main([*args, "--viewer", "--size", "320x180"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["viewer.html"]
    assert main([*args, "--viewer", "--size", "320x180", "--overwrite"]) == 0
    with Image.open(out / "duet.gif") as gif:
        assert gif.n_frames == 40 and gif.size == (320, 180)  # the duet's 10 fps, under the cap


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--video", "none"], "nothing to render"),
        (["--figures", "--video", "none", "--no-strings"], "--figures needs"),
        (["--size", "321x180"], "even numbers"),
    ],
)
def test_render_explains_bad_requests(files, tmp_path, capsys, extra, message):
    args = ["render", files[0], "-o", str(tmp_path / "out")]
    if "--no-strings" in extra:
        extra = [e for e in extra if e != "--no-strings"]
    else:
        args += ["--strings", files[1]]
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err
