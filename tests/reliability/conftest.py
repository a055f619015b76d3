"""Print how many hypothesis cases each fuzz test family ran (see `fuzzing.py`)."""

from .fuzzing import CASES


def pytest_terminal_summary(terminalreporter) -> None:
    if not CASES:
        return
    terminalreporter.section("hostile-input cases run (hypothesis)")
    for name, n in sorted(CASES.items()):
        terminalreporter.write_line(f"{name:<28} {n:>7}")
    terminalreporter.write_line(f"{'total':<28} {sum(CASES.values()):>7}")
