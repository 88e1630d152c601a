"""Tables of rows written as CSV, JSON Lines or Parquet, row by row as they come, so that an export of a
large store never holds its rows twice (Parquet in batches of ``BATCH`` rows).

Every cell is a plain value (text, whole number, number, true/false or none), and every format carries
the same rows: JSON Lines as written, CSV with an empty cell for none and ``true``/``false`` for
truth values, Parquet with one typed column per :class:`Column`. Parquet needs ``pyarrow``, an
optional extra (``pip install 'topics[parquet]'``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO

from index import QueryError

FORMATS = ("csv", "jsonl", "parquet")
BATCH = 10_000  # rows of a Parquet row group
CHUNK = 1_000  # rows of CSV or JSON Lines encoded at a time
MISSING_PYARROW = "writing Parquet needs pyarrow: pip install 'topics[parquet]' (or choose --format csv or jsonl)"


@dataclass(frozen=True)
class Column:
    """A column's name and the kind of its values: ``str``, ``int``, ``float`` or ``bool`` (any may be
    none)."""

    name: str
    kind: type


@dataclass(frozen=True)
class Table:
    """Rows that share columns; ``rows`` may be a generator, read once."""

    columns: list[Column]
    rows: Iterable[dict[str, Any]]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]


def format_of(name: str | None, fmt: str | None) -> str:
    """The format asked for, else the one a file name's extension names, else CSV."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise QueryError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
        return fmt
    suffix = (name or "").rsplit(".", 1)[-1].lower() if name and "." in name else ""
    return {"ndjson": "jsonl", "pq": "parquet"}.get(suffix, suffix if suffix in FORMATS else "csv")


def require(fmt: str) -> None:
    """Refuse, before anything is written, a format whose library is not installed."""
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise QueryError(MISSING_PYARROW) from None


def write_table(table: Table, handle: BinaryIO, fmt: str) -> int:
    """Write the table's rows into ``handle`` in ``fmt``; returns how many rows."""
    count = 0

    def counting() -> Iterator[dict[str, Any]]:
        nonlocal count
        for count, row in enumerate(table.rows, start=1):
            yield row
    for chunk in encode(Table(table.columns, counting()), fmt):
        handle.write(chunk)
    return count


def encode(table: Table, fmt: str) -> Iterator[bytes]:
    """The table in ``fmt`` as chunks of bytes, each made as its rows come (for a file, or the body
    of an HTTP answer)."""
    require(fmt)
    return {"csv": _csv, "jsonl": _jsonl, "parquet": _parquet}[fmt](table)


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: empty for none, ``true``/``false``, numbers as Python writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(table: Table) -> Iterator[bytes]:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(table.names)
    for batch in _batches(table.rows, CHUNK):
        writer.writerows([csv_cell(row[name]) for name in table.names] for row in batch)
        yield _drained(buffer)
    if buffer.tell():
        yield _drained(buffer)


def _jsonl(table: Table) -> Iterator[bytes]:
    for batch in _batches(table.rows, CHUNK):
        yield "".join(json.dumps({name: row[name] for name in table.names}, ensure_ascii=False) + "\n"
                      for row in batch).encode("utf-8")


def _drained(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


class _Sink(io.RawIOBase):
    """Where the Parquet writer puts its bytes until they are handed on: it needs a file that knows its
    position, and a pipe or an HTTP answer does not."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.data += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


def _parquet(table: Table) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    schema = pa.schema([(column.name, kinds[column.kind]) for column in table.columns])
    sink = _Sink()
    with pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema) as writer:
        empty = True
        for batch in _batches(table.rows, BATCH):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            empty = False
            yield sink.drain()
        if empty:
            writer.write_table(schema.empty_table())
    yield sink.drain()


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch
