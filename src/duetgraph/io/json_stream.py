"""The elements of a top-level JSON list, read from a text file a block at a time.

AlphaPose writes one JSON list of per-person objects; a two-hour clip is ~1.5 GB of text, which
as one Python string (plus its parse) would not fit the memory budget. `iter_json_list` holds
one block of text (8 Mi characters) plus the element being decoded, and yields the elements one
by one, so the caller can convert them to arrays in chunks.

Errors carry the line and column in the whole file, like `json.JSONDecodeError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

BLOCK = 1 << 23  # characters read at a time
MAX_ELEMENT = 1 << 26  # an element may span at most this many characters (64 Mi)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9eE.+-]*")  # what may still follow a number cut by a block end


class JsonSyntaxError(ValueError):
    """Invalid JSON: `msg` at 1-based `lineno`, `colno` of the whole text."""

    def __init__(self, msg: str, lineno: int, colno: int) -> None:
        super().__init__(f"{msg}: line {lineno} column {colno}")
        self.msg, self.lineno, self.colno = msg, lineno, colno


class EmptyDocument(ValueError):
    """The text holds nothing but whitespace."""


class NotAList(ValueError):
    """The document is valid JSON but its top level is not a list; `value` is what it is."""

    def __init__(self, value: Any) -> None:
        super().__init__("the top level is not a list")
        self.value = value


class _Buffer:
    """A sliding window over the text: `text[i:]` is unread; dropped text is only counted."""

    def __init__(self, f: TextIO, block: int) -> None:
        self.f, self.block = f, block
        self.text, self.i, self.eof = "", 0, False
        self.dropped_lines = 0  # newlines in the dropped text
        self.dropped_tail = 0  # characters after the last dropped newline

    def more(self) -> bool:
        """Append the next block (dropping what was read); False at the end of the file."""
        chunk = self.f.read(self.block)
        if not chunk:
            self.eof = True
            return False
        gone = self.text[: self.i]
        newlines = gone.count("\n")
        self.dropped_lines += newlines
        self.dropped_tail = (
            len(gone) - gone.rfind("\n") - 1 if newlines else self.dropped_tail + len(gone)
        )
        self.text, self.i = self.text[self.i :] + chunk, 0
        return True

    def skip_whitespace(self) -> str:
        """Move past whitespace; the next character, or "" at the end of the file."""
        while True:
            self.i = _WHITESPACE.match(self.text, self.i).end()
            if self.i < len(self.text) or not self.more():
                return self.text[self.i : self.i + 1]

    def error(self, msg: str, pos: int) -> JsonSyntaxError:
        """JsonSyntaxError at position `pos` of the current text, placed in the whole file."""
        line = self.text.count("\n", 0, pos)
        if line:
            col = pos - self.text.rfind("\n", 0, pos)
        else:
            col = self.dropped_tail + pos + 1
        return JsonSyntaxError(msg, self.dropped_lines + line + 1, col)


def iter_json_list(f: TextIO, block: int = BLOCK, max_element: int = MAX_ELEMENT) -> Iterator[Any]:
    """Yield the elements of the JSON list in text stream `f`, reading `block` characters at once.

    Raises:
        EmptyDocument: only whitespace.
        NotAList: valid JSON whose top level is not a list (read whole: an error path).
        JsonSyntaxError: invalid JSON, or one element longer than `max_element` characters.
        RecursionError, ValueError: from `json` (nesting too deep, an integer too long).
    """
    buf = _Buffer(f, block)
    decoder = json.JSONDecoder()
    first = buf.skip_whitespace()
    if not first:
        raise EmptyDocument("no JSON value")
    if first != "[":
        buf.text += f.read()
        try:
            value = json.loads(buf.text[buf.i :])
        except json.JSONDecodeError as exc:
            raise buf.error(exc.msg, buf.i + exc.pos) from None
        raise NotAList(value)
    buf.i += 1
    if buf.skip_whitespace() == "]":
        buf.i += 1
    else:
        while True:
            while True:
                try:
                    obj, end = decoder.raw_decode(buf.text, buf.i)
                except json.JSONDecodeError as exc:
                    if buf.eof or len(buf.text) - buf.i > max_element or not buf.more():
                        raise buf.error(exc.msg, exc.pos) from None
                    continue  # the element runs past the block: read on and decode it again
                # A number whose digits run to the block's end ("12" of "12.5e3") may go on.
                if not _NUMBER_TAIL.fullmatch(buf.text, end) or buf.eof or not buf.more():
                    break
            buf.i = end
            yield obj
            sep = buf.skip_whitespace()
            if sep == ",":
                buf.i += 1
                buf.skip_whitespace()
            elif sep == "]":
                buf.i += 1
                break
            else:
                raise buf.error("Expecting ',' delimiter", buf.i)
    if buf.skip_whitespace():
        raise buf.error("Extra data", buf.i)
