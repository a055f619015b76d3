import os

import pytest

from duetgraph.atomic import atomic_path, write_text_atomic
from duetgraph.errors import OutputError


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_without_overwrite(tmp_path):
    target = write_text_atomic(tmp_path / "o.txt", "first")
    with pytest.raises(OutputError, match="already exists"):
        write_text_atomic(target, "second")
    assert target.read_text() == "first"
    write_text_atomic(target, "second", overwrite=True)
    assert target.read_text() == "second"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_gives_clear_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputError, match="cannot write"):
        write_text_atomic(ro / "x.txt", "x")


def test_outputs_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "p.txt", "x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
