"""Shared machinery of the hostile-input tests: two hypothesis profiles and a case counter.

Every fuzz test exists twice: a fast one in the default suite (`FAST`, derandomised so a run is
reproducible, ~40 cases) and a `slow`-marked twin with many more random cases (`SLOW`). Both
count the cases they ran in `CASES`; `conftest.py` prints the counts at the end of the session.

The rule every fuzz test checks: a reader (or `clean`) either returns a valid result or raises a
`DuetgraphError` whose message is one non-empty line; any other exception is a bug.
"""

from __future__ import annotations

import collections
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from duetgraph.errors import DuetgraphError

CASES: collections.Counter[str] = collections.Counter()

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# The fast profile is derandomised (same cases every run, nothing stored in .hypothesis/).
FAST = settings(
    max_examples=int(os.environ.get("DUETGRAPH_FUZZ_FAST", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_HEALTH,
)
SLOW = settings(
    max_examples=int(os.environ.get("DUETGRAPH_FUZZ_SLOW", "2000")),
    deadline=None,
    database=None,
    suppress_health_check=_HEALTH,
)


def fuzz_pair(
    name: str, strategy: st.SearchStrategy, check: Callable, fast: int | None = None
) -> tuple[Callable, Callable]:
    """A fast test and a slow-marked test that run `check(example)` on cases of `strategy`."""

    def run(example) -> None:
        CASES[name] += 1
        check(example)

    def run_slow(example) -> None:
        run(example)

    fast_settings = FAST if fast is None else settings(FAST, max_examples=fast)
    fast_test = fast_settings(given(strategy)(run))
    slow_test = pytest.mark.slow(SLOW(given(strategy)(run_slow)))
    return fast_test, slow_test


def expect_clean_failure(exc: BaseException, where: str | None = None) -> None:
    """Fail unless `exc` is one of ours with a one-line message (naming `where` if given)."""
    if not isinstance(exc, DuetgraphError):
        raise AssertionError(f"not a DuetgraphError: {type(exc).__name__}: {exc}") from exc
    message = str(exc)
    assert message and "\n" not in message, f"message not one line: {message!r}"
    assert "Traceback" not in message
    if where is not None:
        assert where in message, f"message does not name {where!r}: {message!r}"


def call_reader(fn: Callable, *args, where: str | None = None, **kwargs):
    """`fn(*args, **kwargs)`, or None after checking that a failure was a clean DuetgraphError.

    Records a hypothesis event per outcome (see `pytest --hypothesis-show-statistics`).
    """
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the point is to classify every exception
        expect_clean_failure(exc, where)
        reason = str(exc).split(": ", 1)[-1][:40] if where and where in str(exc) else ""
        _event(f"{fn.__name__}: refused ({type(exc).__name__}) {reason}")
        return None
    _event(f"{fn.__name__}: ok")
    return result


def _event(text: str) -> None:
    if currently_in_test_context():
        event(text)


class Scratch:
    """A temporary folder per case (hypothesis cannot use function-scoped fixtures)."""

    def __enter__(self) -> Path:
        self._dir = tempfile.TemporaryDirectory(prefix="duetgraph-fuzz-")
        return Path(self._dir.name)

    def __exit__(self, *exc) -> None:
        self._dir.cleanup()


# Names that stress path handling: unicode, spaces, quotes, a leading dash.
FILE_STEMS = st.sampled_from(
    ["clip", "dança dupla", "双人舞", "tänzer ü", "-dash", 'quote\'d "x"', "emoji 💃🕺", "a" * 120]
)
