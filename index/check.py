"""Check a store file by file, and repair what can be rebuilt from what is left.

``store.db`` holds the articles and paragraph texts; everything else can be made again from it:
the FTS5 table and the index builds (FAISS index, its ids, settings and BM25 postings) are derived, and
a paragraph whose vector is lost (a missing, short or corrupt segment) is embedded again from its
text. :func:`check` only reads; :func:`repair` takes the write lock and says what it did. Other
processes should not use the store while it is repaired.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import catalog as catalogue, lexical, segments as segment_table
from .bm25 import Postings
from .builds import FILES_KEY, SEGMENT_ROWS
from .catalog import DB_NAME
from .damage import DamagedFile, DiskFull, is_disk_full, reading
from .errors import StoreError
from .salvage import describe, lost_database, salvage_database
from .files import clear_non_file, file_sha256, load_checked_json, remove_path
from .lock import LOCK_NAME, write_lock
from .store import Store
from .story_tables import damaged_tables
from .vectors import VectorIndex
from .wording import counted

_UNRECORDED = "no checksum recorded (written by an older version); repair records one"


@dataclass(frozen=True)
class Finding:
    """One problem: the file (or table) and what is wrong with it."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class CheckReport:
    """What :func:`check` found; ``checked`` lists what was verified and found sound."""

    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _database_problems(db: sqlite3.Connection, db_path: Path) -> list[str]:
    """SQLite's own integrity check, then the FTS5 table's against the paragraphs; a full disk (the
    phrase index's check writes) is :class:`~index.damage.DiskFull`, not damage."""
    try:
        rows = [r[0] for r in db.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        if is_disk_full(exc, db_path.parent):
            raise DiskFull(db_path) from None
        return [describe(db_path) or str(exc)]
    if rows != ["ok"]:
        return rows
    try:
        with _rolled_back(db):
            db.execute(f"INSERT INTO {lexical.TABLE} ({lexical.TABLE}) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY:
            return []  # opened read-only (a full disk): the check of the phrase index needs to write
        if is_disk_full(exc, db_path.parent):
            raise DiskFull(db_path) from None
        return [f"the phrase index ({lexical.TABLE}) disagrees with the paragraphs: {exc}"]
    return []


@contextmanager
def _rolled_back(db: sqlite3.Connection) -> Iterator[None]:
    """A transaction that is always rolled back: for commands that only verify."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")


def _segment_problems(store: Store, catalog: catalogue.Catalog) -> Iterator[tuple[int, str | None]]:
    """(segment number, problem or None) for every segment the paragraphs use; ``None`` means sound,
    and ``"no checksum"`` a sound-looking segment written before checksums were kept."""
    needed = catalog.rows_needed()
    recorded = segment_table.recorded(catalog.db)
    dim = int(store.meta("dim"))
    for number, rows in sorted(needed.items()):
        try:
            vectors = store.segments.load(number)
        except DamagedFile as exc:
            yield number, exc.reason
            continue
        if vectors.shape[1] != dim or len(vectors) < rows:
            yield number, f"holds {len(vectors)} vectors of {vectors.shape[1]} values; the store needs {rows} of {dim}"
        elif number not in recorded:
            yield number, "no checksum"
        elif recorded[number] != (len(vectors), segment_table.checksum(vectors)):
            yield number, "its vectors do not match the checksum recorded when it was written"
        else:
            yield number, None


def _verify_build_files(store: Store, build: int) -> None:
    """Each file of index build ``build`` against the SHA-256 its ``index.<b>.json`` recorded."""
    settings = store.builds.file(build, "json")
    sums = load_checked_json(settings, required=False).get(FILES_KEY)
    if not isinstance(sums, dict):
        raise DamagedFile(settings, _UNRECORDED)
    for name, digest in sorted(sums.items()):
        path = store.path / name
        with reading(path):
            if file_sha256(path) != digest:
                raise DamagedFile(path, "its bytes do not match the checksum recorded when it was written")


def _build_problems(store: Store) -> list[Finding]:
    """Problems of the current index build's files, and of their agreement with each other."""
    build, builds = int(store.meta("index_build")), store.builds
    if not build:
        return []
    try:
        _verify_build_files(store, build)
        index = VectorIndex.load(builds.file(build, "faiss"))
        ids = builds.ids(build)
        postings = Postings.load(builds.file(build, "terms.npz"))
    except DamagedFile as exc:
        return [Finding(str(exc.path), exc.reason)]
    name = str(builds.file(build, "*"))
    if len(index) != len(ids) or not np.all(np.diff(ids) > 0):
        return [Finding(name, f"the index holds {counted(len(index), 'vector')} for {counted(len(ids), 'id')}")]
    if not np.array_equal(postings.ids, ids):
        return [Finding(name, "the BM25 postings are of other paragraphs than the index")]
    return []


def check(store: Store) -> CheckReport:
    """Verify every file of ``store``: the database and its phrase index, each segment's shape and
    checksum, the index build against its ids and postings, and that a snapshot loads whole."""
    report = CheckReport()
    db_path = store.path / DB_NAME
    if (store.path / LOCK_NAME).is_dir():
        report.findings.append(Finding(str(store.path / LOCK_NAME), "a folder, not the lock file"))
    catalog = catalogue.Catalog(catalogue.connect(store.path))
    try:
        problems = _database_problems(catalog.db, db_path)
        if problems:
            report.findings += [Finding(str(db_path), p) for p in problems]
            return report  # the rest is read through the database
        report.checked.append(f"{db_path}: integrity and phrase index")
        found = list(_segment_problems(store, catalog))
    finally:
        catalog.close()
    report.findings += [Finding(str(store.segments.path(n)), _UNRECORDED if p == "no checksum" else p)
                        for n, p in found if p]
    sound = sum(p is None for _, p in found)
    report.checked.append(f"{len(found)} vector segments: {sound} match their checksums")
    report.findings += _build_problems(store)
    report.findings += [Finding(str(path), reason) for path, reason in damaged_tables(store.path)]
    if report.ok:
        try:
            snapshot = store.snapshot()
            store.lexicon.bm25(snapshot)
        except StoreError as exc:
            report.findings.append(Finding(str(store.path), str(exc)))
            return report
        report.checked.append(f"index build {snapshot.build}: {counted(len(snapshot.ids), 'paragraph')} load and search")
    return report


def _reembed(store: Store, lost: list[int]) -> int:
    """Embed again the paragraphs whose vectors lie in the ``lost`` segments, into new segments of at
    most ``SEGMENT_ROWS`` each (so memory stays bounded), and point them there in one transaction;
    return how many."""
    ids = store.catalog.paragraphs_in(lost)
    parts = ((chunk, store.embedder.encode(store.paragraph_texts(chunk)))
             for chunk in (ids[start:start + SEGMENT_ROWS] for start in range(0, len(ids), SEGMENT_ROWS)))
    return store.builds.relocate(parts, lost)


def _record_checksums(store: Store, numbers: list[int]) -> None:
    with store.catalog.write():
        for number in numbers:
            vectors = store.segments.load(number)
            segment_table.record(store.catalog.db, number, len(vectors), segment_table.checksum(vectors))


def repair(store_path: Path, *, model: object = None) -> list[str]:
    """Rebuild what is damaged in the store at ``store_path`` and return what was done, one line each.

    A folder (or other non-regular file) where an index file belongs is removed first; the database's
    readable rows are copied into a new one when its integrity check fails (:mod:`index.salvage`, which
    lists what is lost); paragraphs of lost or corrupt segments are embedded again; the index build is
    made afresh when a file of it is damaged or vectors changed; older segments get their checksums
    recorded.
    """
    done: list[str] = []
    lock = store_path / LOCK_NAME
    if lock.is_dir() and not any(lock.iterdir()):
        lock.rmdir()
        done.append(f"replaced the folder {lock} with a lock file")
    lost_database(store_path)
    with write_lock(store_path):
        done += [f"removed {what}, which stood where a file of the index belongs; it is made again"
                 for what in map(clear_non_file, sorted(store_path.glob("index.*"))) if what]
        try:
            db = catalogue.connect(store_path)  # read-only on a full disk, where the check cannot write
        except sqlite3.DatabaseError as exc:
            if is_disk_full(exc, store_path):
                raise DiskFull(store_path / DB_NAME) from None
            db = sqlite3.connect(store_path / DB_NAME)  # damaged: the check below says how
        try:
            problems = _database_problems(db, store_path / DB_NAME)
        finally:
            db.close()
        if problems:
            done += salvage_database(store_path, problems[0])
    with Store.open(store_path, model=model) as store, store.writing():
        found = list(_segment_problems(store, store.catalog))
        lost = [n for n, p in found if p not in (None, "no checksum")]
        if lost:
            count = _reembed(store, lost)
            done.append(f"embedded {count} paragraphs again whose vectors were lost in "
                        + ", ".join(f"{store.segments.path(n).name} ({p})" for n, p in found if n in lost))
        unrecorded = [n for n, p in found if p == "no checksum"]
        if unrecorded:
            _record_checksums(store, unrecorded)
            done.append(f"recorded the checksums of {counted(len(unrecorded), 'segment')} written before checksums were kept")
        damaged = _build_problems(store)
        if lost or damaged:
            old_build = int(store.meta("index_build"))
            snapshot = store.builds.rebuild()
            if damaged:  # never to be read again
                for file in store.path.glob(f"index.{old_build}.*"):
                    remove_path(file)
            done.append(f"rebuilt the index of {counted(len(snapshot.ids), 'paragraph')} (build {snapshot.build}) "
                        "and its BM25 postings" + (f": {damaged[0]}" if damaged else ""))
        for path, reason in damaged_tables(store.path):
            for file in store.path.glob(f"{path.stem}.*"):
                remove_path(file)
            done.append(f"removed the story tables {path.name} ({reason}); they are made again when next read")
    return done
