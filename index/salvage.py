"""A damaged ``store.db``: what is wrong with it, in words, and its readable rows copied into a new one.

SQLite's ``.recover`` is a shell command, not part of Python's ``sqlite3``; rows are saved here the
same way in effect: each table is read by ranges of rowid, a range that fails is halved until the rows
that cannot be read are single, and those are skipped. What is lost is then told by article id.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog as catalogue, lexical, segments as segment_table
from .catalog import DB_NAME
from .damage import DiskFull, is_disk_full
from .errors import StoreError
from .wording import counted

TABLES = ("meta", "articles", "paragraphs", "links")  # what store.db holds that nothing else can restore

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


def _copy_database(path: Path) -> tuple[Salvage, list[str]]:
    """Copy the readable rows of a damaged ``store.db`` into a new one with fresh indexes and phrase
    index, drop the articles that lost rows (so what is kept is whole), and put it in place; return
    what was copied and the ids of the articles dropped. Raises :class:`StoreError` when not even the
    store's settings can be read."""
    source, target = path / DB_NAME, path / (DB_NAME + ".repair")
    target.unlink(missing_ok=True)
    padded = readable_copy(source)
    old, new = sqlite3.connect(padded or source), sqlite3.connect(target)
    salvage = Salvage()
    try:
        new.executescript(catalogue.SCHEMA)
        new.execute(segment_table.SCHEMA)
        for table in TABLES:
            copy_rows(old, new, table, salvage)
        needed = {"format_version", "model_id", "dim"}
        if not needed <= {key for (key,) in new.execute("SELECT key FROM meta")}:
            raise sqlite3.DatabaseError("the store's settings (table meta) are lost")
        copy_rows(old, new, "segments", salvage)
        if "segments" in salvage.unreadable or "segments" in salvage.failed:
            new.execute("DELETE FROM segments")  # recorded again from the segment files
        try:
            sequence = old.execute("SELECT seq FROM sqlite_sequence WHERE name = 'paragraphs'").fetchone()
        except sqlite3.DatabaseError:
            sequence = None
        if sequence:  # ids of deleted paragraphs are never given out again
            new.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'paragraphs'", sequence)
        lost = _drop_incomplete(new)
        lexical.create(new)
        new.commit()
    except sqlite3.DatabaseError as exc:
        target.unlink(missing_ok=True)
        if is_disk_full(exc, path):
            raise DiskFull(target) from None
        raise StoreError(f"{source} is damaged beyond repair: {exc}; restore it from a backup, or ingest the "
                         "articles again into a new store") from None
    finally:
        old.close()
        new.close()
        if padded is not None:
            for suffix in ("", "-wal", "-shm"):
                padded.with_name(padded.name + suffix).unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):  # the old database's log must not be replayed onto the new one
        (path / (DB_NAME + suffix)).unlink(missing_ok=True)
    os.replace(target, source)
    return salvage, lost


def _drop_incomplete(db: sqlite3.Connection) -> list[str]:
    """Remove the articles that lost their row, a paragraph or a link (positions run 0..n-1), and the
    paragraphs no article holds any more; the ids of the articles removed."""
    lost = sorted({aid for (aid,) in db.execute(
        "SELECT article_id FROM links WHERE paragraph_id NOT IN (SELECT id FROM paragraphs) "
        "OR article_id NOT IN (SELECT id FROM articles) "
        "UNION SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM links) "
        "UNION SELECT article_id FROM links GROUP BY article_id HAVING MAX(position) + 1 != COUNT(*)")})
    db.executemany("DELETE FROM links WHERE article_id = ?", [(a,) for a in lost])
    db.executemany("DELETE FROM articles WHERE id = ?", [(a,) for a in lost])
    db.execute("DELETE FROM paragraphs WHERE id NOT IN (SELECT paragraph_id FROM links)")
    return lost


def salvage_database(store_path: Path, problem: str) -> list[str]:
    """Copy what can be read of the damaged database of the store at ``store_path`` into a new one (the
    caller holds the write lock) and say what was kept and what was lost, a line each."""
    salvage, lost = _copy_database(store_path)
    done = [f"copied the {salvage.rows} readable rows of {store_path / DB_NAME} into a new database ({problem}) "
            "and rebuilt its phrase index"]
    unreadable = [f"{table} ({', '.join(_span(a, b) for a, b in spans)})"
                  for table, spans in salvage.unreadable.items()]
    unreadable += [f"{table} (all: {why})" for table, why in salvage.failed.items()]
    if unreadable:
        done.append("rows that could not be read: " + "; ".join(unreadable))
    if lost:
        done.append(f"could not recover {counted(len(lost), 'article')}, removed from the store (ingest them "
                    f"again): {', '.join(lost)}")
    return done


def _span(first: int, stop: int) -> str:
    return f"rowid {first}" if stop == first + 1 else f"rowids {first} on" if stop >= END else \
        f"rowids {first}-{stop - 1}"
