"""`iter_json_list` reads a block at a time yet agrees with `json.loads` on every document.

Arbitrary JSON values with random whitespace and line breaks, read with tiny blocks (so that
every element and every number straddles block ends), truncated or damaged: the elements, or the
error and its line and column, must be those `json.loads` gives on the whole text.
"""

from __future__ import annotations

import io
import json

from hypothesis import strategies as st

from duetgraph.io.json_stream import EmptyDocument, JsonSyntaxError, NotAList, iter_json_list

from .fuzzing import fuzz_pair

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=15,
)  # fmt: skip
SPACE = st.text(alphabet=" \t\n\r", max_size=3)


@st.composite
def documents(draw):
    items = draw(st.lists(VALUES, max_size=6))
    if draw(st.integers(0, 4)) == 0:
        text = json.dumps(draw(VALUES))  # not (necessarily) a list
    else:
        parts = [json.dumps(x, indent=draw(st.sampled_from([None, 1]))) for x in items]
        sep = [draw(SPACE) + "," + draw(SPACE) for _ in parts]
        text = draw(SPACE) + "[" + draw(SPACE)
        text += "".join(p + (s if k < len(parts) - 1 else "") for k, (p, s) in enumerate(zip(parts, sep, strict=True)))  # fmt: skip
        text += draw(SPACE) + "]" + draw(SPACE)
    damage = draw(st.sampled_from(["none", "none", "cut", "insert", "trailing"]))
    if damage == "cut" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif damage == "insert":
        k = draw(st.integers(0, len(text)))
        text = text[:k] + draw(st.sampled_from([",", "]", "[", "x", '"', "{", "1", " "])) + text[k:]
    elif damage == "trailing":
        text += draw(st.sampled_from(["x", "]", ",", "[]", "\n1"]))
    return text, draw(st.integers(1, 9))


def check_stream(case) -> None:
    text, block = case
    try:
        expected = json.loads(text)
    except json.JSONDecodeError as exc:
        expected = exc
    try:
        got = list(iter_json_list(io.StringIO(text), block=block))
    except EmptyDocument:
        assert isinstance(expected, json.JSONDecodeError) and not text.strip()
    except NotAList as exc:
        assert not isinstance(expected, list | json.JSONDecodeError)
        assert exc.value == expected or exc.value != exc.value  # NaN-free: equal
    except JsonSyntaxError as exc:
        assert isinstance(expected, json.JSONDecodeError), (text, exc)
        assert (exc.lineno, exc.colno) == (expected.lineno, expected.colno), (text, exc, expected)
    else:
        assert got == expected, (text, got)


test_json_stream_matches_json, test_json_stream_matches_json_slow = fuzz_pair(
    "json_stream vs json.loads", documents(), check_stream, fast=400
)
