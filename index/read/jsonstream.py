"""JSON read one value at a time from a text stream, so an archive of any size is never held whole.

The reader keeps a window of the stream: each value (an article of a list) is parsed from the window with
``json.JSONDecoder.raw_decode``, and what was parsed is dropped before more is read. A value that does not
fit the window makes it grow (doubling, so a long value costs linear time), and nothing else does, so
memory follows the largest article, not the file. Errors carry the line and column in the whole file,
as ``json.loads`` would give them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from .decode import BLOCK

_SPACE = re.compile(r"[ \t\n\r]*")
_CUT_MARGIN = 16  # an error this close to the window's end may be a value cut by the window, not bad JSON


class Malformed(ValueError):
    """Bad JSON at a line and column of the file (both counted from 1)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"{message}: line {line} column {column}")


class JSONStream:
    """A window on a stream of JSON text, read forward a value or a delimiter at a time."""

    def __init__(self, stream: TextIO, block: int = BLOCK) -> None:
        self._stream = stream
        self._block = block
        self._decoder = json.JSONDecoder()
        self._window = ""
        self._pos = 0  # the next character to read, in the window
        self._ended = False  # the stream has nothing more
        self._lines = 0  # line breaks dropped with the window's start
        self._column = 0  # characters of the current line dropped with the window's start

    def _read_more(self, at_least: int) -> bool:
        """Read ``at_least`` more characters (fewer at the stream's end) and drop what was read;
        ``False``, and the window unchanged, when the stream had nothing more."""
        more = "" if self._ended else self._stream.read(max(at_least, self._block))
        if not more:  # the window stays as it is, so what points into it still holds
            self._ended = True
            return False
        dropped = self._window[:self._pos]
        breaks = dropped.count("\n")
        self._lines += breaks
        self._column = len(dropped) - dropped.rfind("\n") - 1 if breaks else self._column + len(dropped)
        self._window = self._window[self._pos:] + more
        self._pos = 0
        return True

    def error(self, message: str, pos: int | None = None) -> Malformed:
        """``message`` at ``pos`` of the window (the next character when ``None``), placed in the file."""
        pos = self._pos if pos is None else pos
        before = self._window[:pos]
        breaks = before.count("\n")
        column = pos - before.rfind("\n") if breaks else self._column + pos + 1
        return Malformed(message, self._lines + breaks + 1, column)

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), without reading it."""
        while True:
            self._pos = _SPACE.match(self._window, self._pos).end()
            if self._pos < len(self._window) or not self._read_more(self._block):
                return self._window[self._pos:self._pos + 1]

    def take(self, char: str, message: str) -> None:
        """Read ``char`` as the next character that is not white space, else raise ``message``."""
        if self.peek() != char:
            raise self.error(message)
        self._pos += 1

    def value(self) -> Any:
        """The next JSON value. Raises :class:`Malformed` for bad JSON, ``RecursionError`` for JSON nested
        too deep and ``ValueError`` for a value Python cannot hold (an integer of too many digits)."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._window, self._pos)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self._window) - _CUT_MARGIN
                if cut and self._read_more(len(self._window) - self._pos):
                    continue
                raise self.error(exc.msg, exc.pos) from None
            if end >= len(self._window) - _CUT_MARGIN and self._read_more(len(self._window) - self._pos):
                continue  # a number near the window's end may go on ("12" of "123", "1" of "1.5")
            self._pos = end
            return value

    def _members(self, opening: str, closing: str) -> Iterator[None]:
        """Step through the array or object that starts here: at each member, the caller reads it."""
        self.take(opening, "Expecting value")
        if self.peek() == closing:
            self._pos += 1
            return
        while True:
            yield
            if self.peek() == closing:
                self._pos += 1
                return
            self.take(",", "Expecting ',' delimiter")

    def items(self) -> Iterator[Any]:
        """The values of the array that starts here, one at a time."""
        for _ in self._members("[", "]"):
            yield self.value()

    def keys(self) -> Iterator[str]:
        """The keys of the object that starts here; after each, the caller reads its value."""
        for _ in self._members("{", "}"):
            if self.peek() != '"':
                raise self.error("Expecting property name enclosed in double quotes")
            key = self.value()
            self.take(":", "Expecting ':' delimiter")
            yield key

    def end(self) -> None:
        """Check that nothing but white space follows the value read."""
        if self.peek():
            raise self.error("Extra data")
