"""The default thread count leaves the cores other processes are busy on (bench/bench_load.py)."""

import os

from duetgraph.cores import idle_threads

CORES = len(os.sched_getaffinity(0))


def _loadavg(tmp_path, running: int):
    path = tmp_path / "loadavg"
    path.write_text(f"1.00 0.80 0.50 {running}/321 4242\n")
    return str(path)


def test_the_default_leaves_the_cores_other_processes_run_on(tmp_path):
    # Only this process running: every core.
    assert idle_threads(samples=1, loadavg=_loadavg(tmp_path, 1)) == CORES
    # One other task running: one core fewer, never below one.
    assert idle_threads(samples=1, loadavg=_loadavg(tmp_path, 2)) == max(1, CORES - 1)
    assert idle_threads(samples=1, loadavg=_loadavg(tmp_path, 50)) == 1


def test_without_a_load_reading_every_core_is_used(tmp_path):
    assert idle_threads(samples=1, loadavg=str(tmp_path / "missing")) == CORES
    (tmp_path / "garbled").write_text("not a load average")
    assert idle_threads(samples=1, loadavg=str(tmp_path / "garbled")) == CORES
