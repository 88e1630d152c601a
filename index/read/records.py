"""Structured records: JSON Lines, JSON and CSV, with fields id, title, text, url, source, published.

``text`` may also be called ``body`` or ``content``, and ``published`` may be called ``date``; any other
field is kept as metadata. A field mapping (:mod:`index.read.fields`) reads them from other keys or nested
paths, or from the columns of a CSV file without a header row and of JSON arrays. HTML entities in the
title, text and source are decoded (:mod:`index.read.entities`). Errors name the line (JSONL, CSV) or item
(JSON) and the field.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..articles import INVISIBLE, Article, parse_date
from ..errors import InputError
from ..wording import counted
from .entities import decode_entities
from .fields import FieldMap
from .jsonstream import JSONStream, Malformed
from .wrap import unwrap

TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("published", "date")
WRAPPERS = ("articles", "items")  # keys of an object that holds a list of articles
_KNOWN = {"id", "title", "url", "source", "path", *TEXT_FIELDS, *DATE_FIELDS}
NO_HEADER_HINT = ("; if the first line is not a header but an article, read the columns by number: "
                  "--no-header --field text=N, counted from 0")
_PROSE = {"title", "source", *TEXT_FIELDS}  # where HTML entities are decoded; ids, URLs and metadata stay as written
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # control characters but tab and line breaks
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")  # a title or id is one line


def _first(record: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    for name in names:
        if record.get(name) not in (None, ""):
            return name, record[name]
    return None, None


def article_from_record(record: Mapping[str, Any] | Sequence[Any], path: Path | None, *, line: int | None = None,
                        item: int | None = None, whole_file: bool = False, fields: FieldMap | None = None,
                        entities: bool = True) -> Article:
    """Build an Article from one record, validating every field it uses (``path=None``: not from a file);
    ``fields`` says where the record keeps them (see :mod:`index.read.fields`), and must for a row of
    values. ``entities=False`` keeps HTML entities as written, for readers whose parser decoded them."""
    def fail(message: str, field: str) -> InputError:
        return InputError(path, message, line=line, item=item, field=field)

    if isinstance(record, (list, tuple)):
        if not fields:
            raise fail(f"a row of {counted(len(record), 'value')} and no field mapping: say which column holds "
                       "the text, e.g. text=2 (columns counted from 0)", "text")
        wrong = fields.out_of_range(record)
        if wrong is not None:
            raise fail(wrong[1], wrong[0])

    def no_text() -> InputError:
        if fields and "text" in fields.paths:
            return fail(f"no value at '{fields.paths['text']}' in this record; check where the field "
                        "mapping looks for the text", "text")
        return fail("empty article: give a 'text' (or 'body'/'content') or a 'title'", "text")

    if fields:
        record, missing = fields.apply(record)
        if "text" in missing and "title" not in record:
            raise no_text()

    def string(field: str, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = valid(str(value), field)
            if entities and field in _PROSE:
                text = decode_entities(text)
            text = INVISIBLE.sub("", _CONTROL.sub("", text))  # NUL and the like are never text, nor are BOMs
            return (text if field in TEXT_FIELDS else _BREAKS.sub(" ", text)).strip() or None
        raise fail(f"expected text, got {type(value).__name__}", field)

    def valid(text: str, field: str) -> str:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise fail("holds a broken character (an unpaired \\ud800-\\udfff escape); fix or drop it",
                       field) from None
        return text

    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    # a field left empty by cleaning (white space, control or invisible characters alone) is a missing one
    text = unwrap(next(filter(None, (string(name, lowered.get(name)) for name in TEXT_FIELDS)), ""))
    title = string("title", lowered.get("title")) or ""
    if not text and not title:
        raise no_text()
    date_field, date = _first(lowered, DATE_FIELDS)
    published = None
    if date is not None:
        try:
            published = parse_date(str(date))
        except ValueError as exc:
            raise fail(str(exc), date_field or "published") from None
    metadata = {k: v for k, v in record.items() if str(k).strip().lower() not in _KNOWN}
    return Article(
        title=title,
        text=text,
        id=string("id", lowered.get("id")),
        url=string("url", lowered.get("url")),
        source=string("source", lowered.get("source")),
        published=published,
        path=str(path.resolve()) if path is not None else None,
        whole_file=whole_file,
        metadata=json.loads(valid(json.dumps(metadata, ensure_ascii=False, default=str), "metadata")),
    )


def _from_mapping(value: Any, path: Path, line: int | None = None, item: int | None = None,
                  fields: FieldMap | None = None) -> Article:
    """An article from a JSON object, or from a JSON array read by a field mapping's column numbers."""
    if isinstance(value, list) and not fields:
        raise InputError(path, "expected a JSON object, got an array; to read an array by position, map its "
                               "items, e.g. text=2 (counted from 0)", line=line, item=item)
    if not isinstance(value, (Mapping, list)):
        raise InputError(path, f"expected a JSON object, got {type(value).__name__}", line=line, item=item)
    return article_from_record(value, path, line=line, item=item, fields=fields)


def _json_problem(path: Path, exc: Exception, line: int | None = None) -> InputError:
    """The error of bad JSON: where it is (a line and column) and what is wrong."""
    if isinstance(exc, Malformed):
        return InputError(path, f"malformed JSON at column {exc.column}: {exc.message}", line=exc.line)
    if isinstance(exc, json.JSONDecodeError):
        return InputError(path, f"malformed JSON at column {exc.colno}: {exc.msg}", line=line)
    return InputError(path, f"unreadable JSON: {exc}", line=line)


def read_jsonl(path: Path, stream: TextIO, fields: FieldMap | None = None) -> Iterator[Article | InputError]:
    """One article a line, read a line at a time."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            yield _json_problem(path, exc, number)
            continue
        try:
            yield _from_mapping(value, path, number, fields=fields)
        except InputError as exc:
            yield exc


def read_json(path: Path, stream: TextIO, fields: FieldMap | None = None) -> Iterator[Article | InputError]:
    """A list of articles, an object holding one under ``articles`` or ``items`` (the first of them),
    or one article. A list is read an article at a time (:mod:`index.read.jsonstream`)."""
    reader = JSONStream(stream)
    try:
        first = reader.peek()
        if first == "[":
            yield from _json_items(path, reader.items(), fields)
        elif first == "{":
            yield from _json_object(path, reader, fields)
        else:
            reader.value()
            reader.end()
            yield InputError(path, "expected a list of article objects")
            return
        reader.end()
    except (ValueError, RecursionError) as exc:
        yield _json_problem(path, exc)


def _json_items(path: Path, items: Iterator[Any], fields: FieldMap | None) -> Iterator[Article | InputError]:
    for number, entry in enumerate(items, start=1):
        try:
            yield _from_mapping(entry, path, item=number, fields=fields)
        except InputError as exc:
            yield exc


def _json_object(path: Path, reader: JSONStream, fields: FieldMap | None) -> Iterator[Article | InputError]:
    """The articles of a list under ``articles`` or ``items``, else the object as one article."""
    record: dict[str, Any] = {}
    listed = False
    for key in reader.keys():
        if key in WRAPPERS and not listed and reader.peek() == "[":
            listed = True
            yield from _json_items(path, reader.items(), fields)
        else:
            record[key] = reader.value()
    if listed:
        return
    wrapper = next((k for k in WRAPPERS if k in record), None)
    if wrapper is not None:
        yield InputError(path, f"expected a list of article objects, got {type(record[wrapper]).__name__}",
                         field=wrapper)
        return
    try:
        yield _from_mapping(record, path, item=1, fields=fields)
    except InputError as exc:
        yield exc


def _csv_problem(exc: csv.Error) -> str:
    if "unexpected end of data" in str(exc):
        return ("a quoted field that starts on this line is never closed, so it would swallow the rest of "
                'the file; close the quote (write a quote inside a field as "")')
    return f"malformed CSV ({exc}); quote fields that hold commas, quotes or line breaks"


def _csv_articles(path: Path, reader: Any, fields: FieldMap | None,
                  misshapen: Callable[[Any], str | None]) -> Iterator[Article | InputError]:
    """The article of each row of a ``csv`` reader, or what is wrong with it (``misshapen`` says what is
    wrong with a row's number of values); at a row that cannot be told apart, an error and no more rows."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the rest of the file cannot be told apart into rows
            yield InputError(path, _csv_problem(exc), line=start)
            return
        if not row:  # a blank line
            continue
        problem = misshapen(row)
        try:
            if problem:
                raise InputError(path, f"{problem}; quote fields that contain commas", line=reader.line_num)
            yield article_from_record(row, path, line=reader.line_num, fields=fields)
        except InputError as exc:
            yield exc


def read_csv(path: Path, stream: TextIO, fields: FieldMap | None = None) -> Iterator[Article | InputError]:
    """One article a row, read a row at a time from ``stream`` (opened with ``newline=""``)."""
    csv.field_size_limit(sys.maxsize)
    if fields is not None and not fields.header:
        yield from _read_headerless(path, stream, fields)
        return
    reader = csv.DictReader(stream, strict=True)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise InputError(path, _csv_problem(exc), line=1) from None
    header = [h.strip().lower() for h in fieldnames or []]
    shown = ", ".join(name if len(name) <= 40 else name[:39] + "…" for name in fieldnames or []) or "nothing"
    mapped = fields.paths.get("text") if fields else None
    if mapped is not None and mapped not in (fieldnames or []):
        raise InputError(path, f"no column '{mapped}' for the text field; the header has {shown}"
                               + (NO_HEADER_HINT if mapped.isdigit() else ""), line=1)
    if mapped is None and not any(name in header for name in TEXT_FIELDS):
        raise InputError(path, f"no text column: the header has {shown}; name the article text column "
                               "'text', 'body' or 'content'" + NO_HEADER_HINT, line=1)
    yield from _csv_articles(path, reader, fields, lambda row: f"{len(header) + len(row[None])} values for "
                             f"{len(header)} columns" if None in row else None)


def _read_headerless(path: Path, stream: TextIO, fields: FieldMap) -> Iterator[Article | InputError]:
    """A CSV file whose first line is a row like the others, read by the mapping's column numbers."""
    width = 0

    def misshapen(row: list[str]) -> str | None:
        nonlocal width
        width = width or len(row)
        return f"{len(row)} values where the first row has {width}" if len(row) > width else None

    yield from _csv_articles(path, csv.reader(stream, strict=True), fields, misshapen)
