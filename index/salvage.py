"""A damaged ``store.db``: what is wrong with it, in words, and its readable rows copied into a new one.

SQLite's ``.recover`` is a shell command, not part of Python's ``sqlite3``; rows are saved here the
same way in effect: each table is read by ranges of rowid, a range that fails is halved until the rows
that cannot be read are single, and those are skipped. What is lost is then told by article id.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import DB_NAME
from .errors import StoreError

HEADER = b"SQLite format 3\x00"
_RANGE = 4096  # rows read per query while salvaging
END = 1 << 62  # past every rowid the store gives out


def describe(db_path: Path) -> str | None:
    """What is wrong with the file at ``db_path`` as a database file, before SQLite reads its pages
    (``None``: its header and size are those of a whole database)."""
    if not (db_path.exists() or db_path.is_symlink()):
        return "missing"
    if db_path.is_dir():
        return "a folder, not the database file"
    try:
        with open(db_path, "rb") as handle:
            header = handle.read(100)
        size = db_path.stat().st_size
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if size == 0:
        return "empty (0 bytes)"
    if len(header) < 100 or not header.startswith(HEADER):
        return "not an SQLite database: its first page is damaged"
    if size < _expected_size(header):
        return f"truncated: {size:,} of its {_expected_size(header):,} bytes are left"
    return None


def _expected_size(header: bytes) -> int:
    """The size the header says the database has (0 when the header does not say it reliably)."""
    page = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]  # the page count is trusted when the change counters agree
    return (65536 if page == 1 else page) * pages if valid else 0


def readable_copy(db_path: Path) -> Path | None:
    """For a truncated database, a copy padded with empty pages to its recorded size (SQLite refuses
    the schema of a file shorter than its tables' pages; padded, only the lost pages fail to read),
    its log beside it; ``None`` when the file is not truncated."""
    with open(db_path, "rb") as handle:
        data = handle.read()
    missing = _expected_size(data[:100]) - len(data)
    if missing <= 0:
        return None
    copy = db_path.with_name(db_path.name + ".salvage")
    copy.write_bytes(data + bytes(missing))
    log = db_path.with_name(db_path.name + "-wal")
    if log.is_file():
        shutil.copyfile(log, copy.with_name(copy.name + "-wal"))
    return copy


def lost_database(store_path: Path) -> None:
    """Refuse, in one line, a store whose ``store.db`` is missing or a folder: nothing else in the store
    holds its articles and paragraph texts, so repair cannot rebuild it."""
    db_path = store_path / DB_NAME
    problem = describe(db_path)
    if problem in ("missing", "a folder, not the database file"):
        raise StoreError(f"{db_path} is {problem}: the store's articles and paragraph texts are kept only there, "
                         "so its other files cannot bring them back; put store.db back from a backup, or ingest the "
                         "articles again into a new store")


@dataclass
class Salvage:
    """The rows copied from a damaged database, and the rowids of those that could not be read."""

    copied: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # table → rowid ranges
    failed: dict[str, str] = field(default_factory=dict)  # table → why none of it could be read

    @property
    def rows(self) -> int:
        return sum(self.copied.values())


def copy_rows(old: sqlite3.Connection, new: sqlite3.Connection, table: str, salvage: Salvage) -> None:
    """Copy every readable row of ``table`` (with its rowid) in rowid order, skipping those SQLite cannot
    read: a read that fails is tried again for fewer rows, and past a row that cannot be read at all the
    next readable rowid is looked for in steps that double (what was passed over is recorded)."""
    columns = [r[1] for r in new.execute(f"PRAGMA table_info({table})")]
    select = f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT ?"
    insert = f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})"
    low, limit, copied, lost = -(1 << 62), _RANGE, 0, []
    while True:
        try:
            rows = old.execute(select, (low, limit)).fetchall()
        except sqlite3.DatabaseError:
            if limit > 1:
                limit //= 2
                continue
            skipped = _next_readable(old, table, low)
            lost.append((low, skipped))
            if skipped >= END:
                break
            low, limit = skipped, _RANGE
            continue
        new.executemany(insert, rows)
        copied += len(rows)
        if len(rows) < limit:
            break
        low, limit = int(rows[-1][0]) + 1, _RANGE
    salvage.copied[table] = copied
    if lost:
        salvage.unreadable[table] = [(max(a, 1), b) for a, b in lost]



def _next_readable(old: sqlite3.Connection, table: str, low: int) -> int:
    """The first rowid past ``low`` from which ``table`` can be read again, found in doubling steps
    (``END`` when none)."""
    step = 1
    while low + step < END:
        try:
            old.execute(f"SELECT rowid FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1", (low + step,)).fetchall()
            return low + step
        except sqlite3.DatabaseError:
            step *= 2
    return END
