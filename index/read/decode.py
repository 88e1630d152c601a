"""Bytes → text, with the decisions a news archive needs made explicit.

UTF-8 is tried first (a byte-order mark is honoured). Archives of Western news are full of
Windows-1252 files (``£`` as byte 0xA3), so a file that is not UTF-8 but is valid Windows-1252 is read
as such with a warning. Anything else must be named with ``encoding=``.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from ..errors import Fix, InputError

log = logging.getLogger(__name__)

FALLBACK_ENCODING = "cp1252"
_CONTROL = {c for c in range(32)} - {9, 10, 12, 13}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _utf16_order(head: bytes) -> str | None:
    """``"le"`` or ``"be"`` when ``head`` looks like UTF-16 text without a byte-order mark: NUL bytes in
    most odd (little-endian) or even (big-endian) positions, as Latin-script text has."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    for order, zeros in (("le", head[1::2]), ("be", head[0::2])):
        if zeros.count(0) > 0.8 * pairs:
            return order
    return None


def check_not_binary(path: Path, data: bytes) -> None:
    """Refuse files that are plainly not text (NUL bytes or mostly control characters)."""
    head = data[:8192]
    if b"\x00" in head or sum(b in _CONTROL for b in head) > len(head) // 10:
        order = _utf16_order(head)
        if order:
            raise InputError(path, "looks like UTF-16 text without a byte-order mark",
                             fix=Fix("encoding", {"encoding": f"utf-16-{order}"}))
        raise InputError(path, "binary file, not text; ingest .txt, .md, .html, .jsonl, .json, .csv "
                               "or feed files")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(path: Path, data: bytes, encoding: str | None = None, *, warn: bool = True) -> str:
    """Decode ``data`` read from ``path``.

    ``encoding=None`` honours a byte-order mark (UTF-8/16/32), else reads UTF-8 with a Windows-1252
    fallback (logged when ``warn``); binary files are refused. A named encoding is used as given.
    """
    if encoding is not None:
        try:
            return data.decode(encoding)
        except LookupError:
            raise InputError(path, f"unknown encoding '{encoding}'; use a Python codec name "
                                   "such as utf-8, cp1252 or latin-1") from None
        except UnicodeDecodeError as exc:
            raise InputError(path, f"byte {exc.start} is not valid {encoding}", line=_line_of(data, exc.start),
                             fix=Fix("name-encoding")) from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec, errors="strict")
            except UnicodeDecodeError as exc:
                line = data[:exc.start].decode(codec, errors="replace").count("\n") + 1
                raise InputError(path, f"byte {exc.start} is not valid {codec} although the file starts with "
                                       f"its byte-order mark (a truncated or damaged file?); fix or re-export "
                                       "it", line=line) from None
    check_not_binary(path, data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        raise InputError(path, f"byte {first_bad} is not UTF-8 (nor Windows-1252); convert the file to UTF-8",
                         line=_line_of(data, first_bad), fix=Fix("name-encoding")) from None
    if warn:
        log.warning("%s:%d: not UTF-8; read as Windows-1252 (pass --encoding to choose another)",
                    path, _line_of(data, first_bad))
    return text
