"""How many threads a computation should use so that it does not fight other processes.

Oversubscribed cores collapse throughput: threads that wait for each other at every step are
descheduled in turn (bench/bench_load.py). Kept free of numpy and torch so that it can be asked
before either starts its thread pools.
"""

from __future__ import annotations

import os
import time


def idle_threads(samples: int = 5, interval_s: float = 0.02, loadavg: str = "/proc/loadavg") -> int:
    """Threads for a computation that must not fight other processes for cores: the cores this
    process may run on, less the tasks other processes are running now (the median over
    `samples` readings of /proc/loadavg's runnable count, this process's own thread excluded),
    at least 1. Where /proc/loadavg is missing, every core.

    Why (bench/bench_load.py, 2 cores): with one core busy, NRI training on both cores took
    15.2 s against 7.2 s with this rule; on an idle machine the rule uses both (6.2 s against
    6.6 s)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    readings = []
    for k in range(samples):
        try:
            with open(loadavg) as f:
                readings.append(int(f.read().split()[3].split("/")[0]))
        except (OSError, ValueError, IndexError):
            return cores
        if k + 1 < samples:
            time.sleep(interval_s)
    others = max(0, sorted(readings)[len(readings) // 2] - 1)
    return max(1, cores - others)
