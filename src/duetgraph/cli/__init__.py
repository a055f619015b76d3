"""The `duetgraph` command: thin sub-commands that parse flags and make one library call.

Each module in this package that defines `register(subparsers)` contributes one sub-command; it
adds its parser and sets `func` to a handler taking the parsed namespace and returning an exit
status. The CLI owns the console: errors of ours become one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from duetgraph import __version__
from duetgraph.errors import DuetgraphError

# The order of `duetgraph --help`: the path from a video or pose file to strings first, then the
# tools around it, then the NRI model and its physics validation. Commands not listed follow.
COMMAND_ORDER = ("analyze", "extract", "clean", "strings", "render", "export", "info", "convert",
                 "demo", "example", "train", "infer", "evaluate", "simulate")  # fmt: skip

EPILOG = """from a video or pose file to strings:
  duetgraph analyze duet.mp4 -o out/      (or alphapose.json, duet.npz, a.bvh b.bvh)
step by step: extract -> clean -> strings -> render / export
the optional NRI model: train -> infer; evaluate and simulate validate it on physics"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duetgraph",
        description="Reveal the invisible strings between two dancers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"duetgraph {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug log messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
    for name in sorted(names, key=lambda n: (rank.get(n, len(rank)), n)):
        module = importlib.import_module(f"{__name__}.{name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except DuetgraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
