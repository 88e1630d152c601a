"""Bytes → text, with the decisions a news archive needs made explicit, a block at a time.

UTF-8 is tried first (a byte-order mark is honoured). Archives of Western news are full of
Windows-1252 files (``£`` as byte 0xA3), so a file that is not UTF-8 but is valid Windows-1252 is read
as such with a warning. Anything else must be named with ``encoding=``. The encoding is decided by one
pass over the file's blocks and the file is then read as a stream, so no file is ever held whole to be
decoded, and a binary one is refused from its first block.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from ..errors import Fix, InputError

log = logging.getLogger(__name__)

FALLBACK_ENCODING = "cp1252"
BLOCK = 1 << 16  # bytes read at a time: all a read holds of a file's raw bytes
HEAD = 8192  # bytes looked at to tell text from binary
_CONTROL = {c for c in range(32)} - {9, 10, 12, 13}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
NOT_TEXT = "binary file, not text; ingest .txt, .md, .html, .jsonl, .json, .csv or feed files"


def blocks(path: Path) -> Iterator[bytes]:
    """The bytes of ``path``, ``BLOCK`` at a time."""
    try:
        with path.open("rb") as file:
            while block := file.read(BLOCK):
                yield block
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None


def head(path: Path) -> bytes:
    """The first block of ``path``; refuses a file with nothing but white space."""
    found = b""
    for block in blocks(path):
        found = found or block
        if block.strip():  # a file of white space alone is read to its end; any other stops here
            return found
    raise InputError(path, "file is empty")


def _utf16_order(head: bytes) -> str | None:
    """``"le"`` or ``"be"`` when ``head`` looks like UTF-16 text without a byte-order mark: NUL bytes in
    most odd (little-endian) or even (big-endian) positions, as Latin-script text has."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    for order, zeros, letters in (("le", head[1::2], head[0::2]), ("be", head[0::2], head[1::2])):
        if zeros.count(0) > 0.8 * pairs and letters.count(0) < 0.2 * pairs:  # NULs alone are no text
            return order
    return None


def check_not_binary(path: Path, data: bytes) -> None:
    """Refuse files that are plainly not text (NUL bytes or mostly control characters in their head)."""
    head = data[:HEAD]
    if b"\x00" in head or sum(b in _CONTROL for b in head) > len(head) // 10:
        order = _utf16_order(head)
        if order:
            raise InputError(path, "looks like UTF-16 text without a byte-order mark",
                             fix=Fix("encoding", {"encoding": f"utf-16-{order}"}))
        raise InputError(path, NOT_TEXT)


def _check_decoded(path: Path, data: bytes, codec: str) -> None:
    """Refuse a file whose head, read with the codec it names or was given, is not text."""
    text = data[:HEAD].decode(codec, errors="replace")
    if "\x00" in text or sum(ord(c) in _CONTROL for c in text) > len(text) // 10:
        raise InputError(path, NOT_TEXT)


def _first_error(path: Path, codec: str) -> tuple[int, int] | None:
    """The offset and line of the first byte of ``path`` that is not valid ``codec``, or ``None``."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = lines = 0  # bytes fed to the decoder and line breaks it gave, before the current block
    for block in chain(blocks(path), [b""]):  # the empty block last: the decoder says what it still holds
        pending = decoder.getstate()[0]
        try:
            lines += decoder.decode(block, final=not block).count("\n")
        except UnicodeDecodeError as exc:
            data = pending + block
            return (offset - len(pending) + exc.start,
                    lines + data[:exc.start].decode(codec, errors="replace").count("\n") + 1)
        offset += len(block)
    return None


def text_codec(path: Path, encoding: str | None = None, *, warn: bool = True) -> str:
    """The codec to read ``path`` with, checked against the whole file a block at a time.

    ``encoding=None`` honours a byte-order mark (UTF-8/16/32), else reads UTF-8 with a Windows-1252
    fallback (logged when ``warn``); binary files are refused from their first block. A named encoding is
    used as given. Errors name the first byte that does not decode and its line.
    """
    first = head(path)
    if encoding is not None:
        try:
            b"".decode(encoding)  # a text encoding; codecs.lookup would also pass base64 and the like
        except LookupError:
            raise InputError(path, f"unknown encoding '{encoding}'; use a Python codec name "
                                   "such as utf-8, cp1252 or latin-1") from None
        _check_decoded(path, first, encoding)
        bad = _first_error(path, encoding)
        if bad is not None:
            raise InputError(path, f"byte {bad[0]} is not valid {encoding}", line=bad[1],
                             fix=Fix("name-encoding"))
        return encoding
    for bom, codec in _BOMS:
        if first.startswith(bom):
            _check_decoded(path, first, codec)
            bad = _first_error(path, codec)
            if bad is not None:
                raise InputError(path, f"byte {bad[0]} is not valid {codec} although the file starts with its "
                                       "byte-order mark (a truncated or damaged file?); fix or re-export it",
                                 line=bad[1])
            return codec
    check_not_binary(path, first)
    not_utf8 = _first_error(path, "utf-8")
    if not_utf8 is None:
        return "utf-8"
    if _first_error(path, FALLBACK_ENCODING) is not None:
        raise InputError(path, f"byte {not_utf8[0]} is not UTF-8 (nor Windows-1252); convert the file to UTF-8",
                         line=not_utf8[1], fix=Fix("name-encoding"))
    if warn:
        log.warning("%s:%d: not UTF-8; read as Windows-1252 (pass --encoding to choose another)", path, not_utf8[1])
    return FALLBACK_ENCODING
