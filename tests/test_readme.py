"""Every `duetgraph` command in README.md and docs/ parses with today's CLI, so the documents
cannot fall behind a renamed or removed flag (what each command does is tested in tests/cli)."""

import re
import shlex
from pathlib import Path

import pytest

from duetgraph.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def commands(path: Path) -> list[str]:
    """The duetgraph command lines of the bash blocks of `path` (continuations joined)."""
    text = path.read_text()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("pip install") and "&&" in line:
                line = line.split("&&", 1)[1].strip()
            if "-m duetgraph " in line:  # torchrun ... -m duetgraph train ...
                line = "duetgraph " + line.split("-m duetgraph ", 1)[1]
            if line.startswith("duetgraph "):
                out.append(line)
    return out


def test_the_readme_shows_commands_and_stays_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 160, f"README.md has {len(lines)} lines; move detail to docs/"
    assert lines[3:5] == [
        "pip install -e '.[dev]' && duetgraph demo -o demo/ --overwrite",
        "pip install -e '.[dev]' && python -m pytest -q",
    ]
    assert len(commands(ROOT / "README.md")) >= 10


@pytest.mark.parametrize(
    "path, line",
    [(p, line) for p in DOCUMENTS for line in commands(p)],
    ids=lambda v: v.name if isinstance(v, Path) else v[:60],
)
def test_every_documented_command_parses(path, line):
    parser = build_parser()
    try:
        args = parser.parse_args(shlex.split(line)[1:])
    except SystemExit as exc:
        pytest.fail(f"{path.name}: `{line}` does not parse (exit {exc.code})")
    assert args.command, f"{path.name}: `{line}` names no command"


def test_the_help_fits_one_screen_and_reads_as_the_path_to_strings():
    from duetgraph.cli import COMMAND_ORDER

    text = build_parser().format_help()
    assert len(text.splitlines()) <= 45
    listed = [line.split()[0] for line in text.splitlines() if line.startswith("    ") and
              not line.startswith("     ")]  # fmt: skip
    assert listed == list(COMMAND_ORDER)  # every command placed, the path first
    assert listed[:4] == ["analyze", "extract", "clean", "strings"]
    assert "duetgraph analyze duet.mp4 -o out/" in text
