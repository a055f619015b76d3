"""The core install stays free of the video extra: nothing imports mediapipe until extraction."""

import subprocess
import sys

CHECK = """
import sys
import duetgraph, duetgraph.extract, duetgraph.io, duetgraph.clean
from duetgraph.cli import build_parser, main
build_parser()
try:
    main(["extract", "--help"])
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("mediapipe", "cv2", "jax", "tensorflow"))
print("IMPORTED:" + ",".join(heavy))
"""


def test_import_and_help_do_not_import_mediapipe():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "usage: duetgraph extract" in done.stdout
    assert "IMPORTED:\n" in done.stdout or done.stdout.rstrip().endswith("IMPORTED:")
