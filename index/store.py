"""The store: one folder holding SQLite rows, the paragraph vectors (``.npy``) and the FAISS index.

Layout::

    store.db              SQLite (WAL): meta, articles, paragraphs (unique texts, each with the segment and
                          row of its vector and its term counts), links (article → paragraph),
                          paragraphs_fts (FTS5, for phrases)
    segments/<n>.npy      float32 unit vectors, append-only: one file per commit that embedded something;
                          the ``segments`` table holds each one's row count and checksum
    index.<b>.faiss       FAISS index build b (Flat, or IVF past a size), with index.<b>.ids.npy (the ids
                          it holds), index.<b>.json (kind, nprobe, measured recall) and index.<b>.terms.npz
                          (BM25 postings of those paragraphs)
    write.lock            held by the one process writing

A write embeds new paragraphs into a new segment file (synced, renamed into place) and then commits
the SQLite transaction that records them and bumps the generation; nothing older is rewritten, so a
write costs what it adds. Readers load the latest index build (vectors and BM25 postings) and catch it
up with the paragraphs added or removed since (the difference of two id lists); writers save a new
build once that difference exceeds a tenth of the store, so catching up stays cheap. A process killed at any point leaves the last
committed state intact; stray files of an unfinished write are removed by the next write.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
import contextlib
import dataclasses
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from . import lexical, segments as segment_table, terms
from .articles import Article, content_hash, parse_date
from .bm25 import BM25, Postings
from .damage import DamagedFile, database, is_out_of_space, reading, writing
from .embed import Embedder
from .errors import QueryError, StoreError
from .files import atomic_write, save_npy, sync_folder
from .paragraphs import Paragraph, ParagraphSplitter
from .segments import Segments
from .snapshot import Snapshot
from .sql import chunks, marks
from .vectors import FLAT_LIMIT, VectorIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 4
DEFAULT_PATH = ".topics"
DB_NAME = "store.db"
LOCK_NAME = "write.lock"
INDEX_CHOICES = ("auto", "flat", "ivf")
REBUILD_SHARE = 0.1  # save a new index build once this share of the store changed since the last
SEGMENT_ROWS = 65536  # rows per segment written by compaction
CREATION_FILES = {LOCK_NAME, DB_NAME + ".tmp", DB_NAME + ".tmp-journal"}  # a store being created

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT,
    url TEXT,
    published TEXT,
    path TEXT,
    metadata TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE INDEX articles_source ON articles (source COLLATE NOCASE);
CREATE INDEX articles_published ON articles (published);
CREATE INDEX articles_path ON articles (path);
CREATE TABLE paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    segment INTEGER NOT NULL DEFAULT 0,
    row INTEGER NOT NULL DEFAULT 0,
    terms BLOB NOT NULL DEFAULT x''
);
CREATE TABLE links (
    article_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    paragraph_id INTEGER NOT NULL,
    is_title INTEGER NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX links_paragraph ON links (paragraph_id);
"""


def default_store_path() -> Path:
    """``$TOPICS_STORE`` when set, else ``./.topics``."""
    return Path(os.environ.get("TOPICS_STORE") or DEFAULT_PATH)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the store's write lock, waiting (with a note on stderr) while another process has it;
    failures of the database or a full disk within are reported as store errors."""
    lock = path / LOCK_NAME
    try:
        handle = open(lock, "a+")
    except IsADirectoryError:
        raise StoreError(f"{lock} is a folder, not the store's lock file; remove it (rmdir {lock}) and "
                         "rerun") from None
    except OSError as exc:
        raise StoreError(f"cannot write to the store at {path} ({exc.strerror}); writes need a writable "
                         "folder") from None
    with handle, database(path / DB_NAME), writing(path / DB_NAME):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another process writing to %s", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction around the block: committed at its end, rolled back on any failure
    (unless SQLite rolled it back already, as it does when the disk is full)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _groups(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    group: list[Any] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _is_date_only(value: str) -> bool:
    try:
        date.fromisoformat(value.strip())
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Filters:
    """Restrict results to articles by source (case-insensitive) and publication time (inclusive).

    ``since`` and ``until`` are ISO-8601 dates or times; a date-only ``until`` includes that whole day.
    Articles without a date never match a date filter.
    """

    source: str | None = None
    since: str | None = None
    until: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                try:
                    parse_date(value)
                except ValueError as exc:
                    raise QueryError(f"{name}: {exc}") from None

    def __bool__(self) -> bool:
        return any((self.source, self.since, self.until))

    def sql(self) -> tuple[str, list[str]]:
        """A WHERE clause over ``articles a`` and its parameters."""
        clauses, params = ["1"], []
        if self.source:
            clauses.append("a.source = ? COLLATE NOCASE")
            params.append(self.source)
        if self.since:
            clauses.append("a.published >= ?")
            params.append(parse_date(self.since))
        if self.until:
            bound = parse_date(self.until)
            if _is_date_only(self.until):  # a date: the whole day is included
                clauses.append("a.published < date(?, '+1 day')")
            else:
                clauses.append("a.published <= ?")
            params.append(bound)
        return " AND ".join(clauses), params

    def paragraphs_sql(self, column: str = "rowid") -> tuple[str, list[str]]:
        """A condition that ``column`` (a paragraph id) belongs to a matching article, and its parameters."""
        if not self:
            return "1", []
        where, params = self.sql()
        return (f"{column} IN (SELECT l.paragraph_id FROM links l JOIN articles a ON a.id = l.article_id "
                f"WHERE {where})"), params


@dataclass(frozen=True)
class ArticleInfo:
    """An article's stored metadata."""

    id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    path: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Link:
    """A paragraph's place in one article."""

    paragraph_id: int
    article: ArticleInfo
    position: int
    is_title: bool
    text: str


@dataclass
class AddReport:
    """What :meth:`Store.add` did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate_ids: int = 0
    paragraphs_embedded: int = 0
    paragraphs_reused: int = 0


@dataclass(frozen=True)
class StoreStats:
    path: str
    format_version: int
    articles: int
    paragraphs: int
    vectors: int
    model: str
    dim: int
    index: str
    size_bytes: int
    generation: int


class _Shared:
    """What a store and its readers share: the loaded snapshot and BM25 scorer, replaced whole under a
    lock, the open segment files, and the corpus hash of a generation."""

    def __init__(self, path: Path) -> None:
        self.snapshot: Snapshot | None = None
        self.bm25: tuple[int, BM25] | None = None  # (generation, scorer)
        self.postings: tuple[int, Postings] | None = None  # (index build, its saved postings)
        self.lock = threading.Lock()
        self.hashes: dict[int, str] = {}
        self.segments = Segments(path)


@dataclass
class _Plan:
    article: Article
    paragraphs: list[Paragraph]
    fingerprint: str
    counted: str | None  # the AddReport field that counts it; None for a repeated id, counted before
    restores: bool = False  # a repeat back to the stored version: drop the pending one, write nothing


def _columns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paragraph ids, segments and rows as separate contiguous arrays."""
    return tuple(np.ascontiguousarray(rows[name]) for name in ("id", "segment", "row"))  # type: ignore[return-value]


def _fingerprint(article: Article) -> str:
    return content_hash(article.title, article.text, article.url or "", article.source or "",
                        article.published or "", article.path or "",
                        json.dumps(article.metadata, sort_keys=True, default=str))


def _upgrade_from_1(db: sqlite3.Connection, path: Path) -> None:
    """Format 1 had no lexical index and kept all vectors in one ``vectors.<generation>.npy`` (row i =
    i-th paragraph id); that file becomes segment 1, and the next write's clean-up removes the old files."""
    db.execute("ALTER TABLE paragraphs ADD COLUMN segment INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE paragraphs ADD COLUMN row INTEGER NOT NULL DEFAULT 0")
    lexical.create(db)
    generation = int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
    ids = [r[0] for r in db.execute("SELECT id FROM paragraphs ORDER BY id")]
    if ids:
        vectors = np.load(path / f"vectors.{generation}.npy", mmap_mode="r")
        if len(vectors) != len(ids):
            raise StoreError(f"{path}: generation {generation} has {len(vectors)} vectors for {len(ids)} "
                             "paragraphs; re-ingest into a new store")
        Segments(path).write(1, vectors)
        db.executemany("UPDATE paragraphs SET segment = 1, row = ? WHERE id = ?", enumerate(ids))
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("next_segment", "2"), ("index_build", "0")])


def _upgrade_from_2(db: sqlite3.Connection, path: Path) -> None:
    """Format 2 ranked by FTS5's bm25() and kept a second FTS5 table of whole articles; format 3 stores
    each paragraph's term counts for in-memory BM25 instead."""
    db.execute("DROP TRIGGER IF EXISTS articles_fts_delete")
    db.execute("DROP TABLE IF EXISTS articles_fts")
    db.execute("DROP INDEX IF EXISTS articles_lexical")
    if "lexical_id" in {row[1] for row in db.execute("PRAGMA table_info(articles)")}:
        db.execute("ALTER TABLE articles DROP COLUMN lexical_id")
    db.execute("ALTER TABLE paragraphs ADD COLUMN terms BLOB NOT NULL DEFAULT x''")
    texts = db.execute("SELECT id, text FROM paragraphs ORDER BY id").fetchall()
    db.executemany("UPDATE paragraphs SET terms = ? WHERE id = ?", ((terms.pack(text), pid) for pid, text in texts))


def _upgrade_from_3(db: sqlite3.Connection, path: Path) -> None:
    """Format 4 records each segment's rows and checksum; older segments have none until ``topics
    repair`` records them."""
    db.execute(segment_table.SCHEMA)


# format version → the step that brings a store of that version to the next
MIGRATIONS: dict[int, Callable[[sqlite3.Connection, Path], None]] = {
    1: _upgrade_from_1, 2: _upgrade_from_2, 3: _upgrade_from_3}


class Store:
    """Articles, their paragraphs and vectors in one folder; open with :meth:`open`.

    One process writes at a time (a file lock); readers always see the last committed generation.
    """

    def __init__(self, path: Path, db: sqlite3.Connection, embedder: Embedder,
                 shared: _Shared | None = None) -> None:
        self.path = path
        self._db = db
        self.embedder = embedder
        self._splitter: ParagraphSplitter | None = None
        self._shared = shared or _Shared(path)
        self.segments = self._shared.segments
        self.lexical = lexical.LexicalIndex(db)

    def reader(self) -> Store:
        """Another handle on this store for another thread: its own database connection, the same model
        and the same loaded index."""
        return Store(self.path, self._connect(self.path), self.embedder, self._shared)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, model: str | Path | Embedder | None = None,
             create: bool = False) -> Store:
        """Open the store at ``path`` (default :func:`default_store_path`).

        ``model`` is a sentence-transformers folder or a loaded :class:`Embedder` (to share one model
        between stores); ``None`` uses the store's own model, the bundled one for a new store.
        ``create=True`` makes a new store when the folder is missing or empty.
        """
        path = Path(path) if path is not None else default_store_path()
        if not (path / DB_NAME).is_file():
            if path.exists() and not path.is_dir():
                raise StoreError(f"{path} is a file, not a store folder; pass a folder with --store")
            if path.is_dir() and any(f.name not in CREATION_FILES for f in path.iterdir()):
                raise StoreError(f"{path} is not a topics store (it has no {DB_NAME}); "
                                 "pass an empty or new folder with --store")
            if not create:
                raise StoreError(f"no store at {path}; create one with: topics ingest FILES --store {path}")
            cls._create(path, model if isinstance(model, Embedder) else Embedder(model))
        try:
            db = cls._connect(path)
            meta = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path / DB_NAME} is not a readable topics store ({exc}); "
                             "pass another folder with --store") from None
        version = int(meta.get("format_version", -1))
        if version in MIGRATIONS:
            db.close()
            cls._migrate(path)
            return cls.open(path, model=model)
        if version != FORMAT_VERSION:
            db.close()
            raise StoreError(f"{path} has store format version {version}; this version of topics reads "
                             f"version {FORMAT_VERSION}. Re-ingest into a new store.")
        return cls(path, db, cls._embedder_for(path, meta, model))

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        """A connection in WAL mode; on a full disk, where SQLite cannot create the WAL's shared-memory
        file, a read-only one to the database file as it stands (no writer can change it then)."""
        db = sqlite3.connect(path / DB_NAME, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before older files are removed
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            if not is_out_of_space(path):
                raise
        uri = (path / DB_NAME).resolve().as_uri() + "?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)

    @staticmethod
    def _create(path: Path, embedder: Embedder) -> None:
        """Build the database under a temporary name and rename it, so a store exists whole or not at all.

        Runs under the write lock, so two first ingests into one folder make one store.
        """
        meta = {
            "format_version": FORMAT_VERSION,
            "model_id": embedder.model_id,
            "model_name": embedder.name,
            "model_path": "" if embedder.bundled else str(embedder.path),
            "backend": embedder.backend,
            "dim": embedder.dim,
            "generation": 0,
            "next_segment": 1,
            "index_build": 0,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {path}: {exc.strerror}") from None
        with _locked(path):
            if (path / DB_NAME).is_file():
                return
            tmp = path / (DB_NAME + ".tmp")
            try:
                tmp.unlink(missing_ok=True)
                db = sqlite3.connect(tmp)
                db.executescript(SCHEMA)
                db.execute(segment_table.SCHEMA)
                lexical.create(db)
                db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
                db.commit()
                db.close()
                os.replace(tmp, path / DB_NAME)
                sync_folder(path)
            finally:
                tmp.unlink(missing_ok=True)

    @classmethod
    def _migrate(cls, path: Path) -> None:
        """Bring a store of an older format up to date in one transaction (all or nothing)."""
        log.warning("upgrading the store at %s to format version %d", path, FORMAT_VERSION)
        with _locked(path):
            db = cls._connect(path)
            try:
                db.execute("BEGIN IMMEDIATE")
                version = int(db.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0])
                while version in MIGRATIONS:
                    MIGRATIONS[version](db, path)
                    version += 1
                db.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(version),))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            finally:
                db.close()

    @staticmethod
    def _embedder_for(path: Path, meta: dict[str, str], model: str | Path | Embedder | None) -> Embedder:
        recorded = meta["model_id"]
        if model is None:
            embedder = Embedder(meta["model_path"] or None, backend=meta.get("backend", "onnx"))
            if embedder.model_id != recorded:
                raise StoreError(f"{path} was built with model {recorded}, but the model now at "
                                 f"{embedder.path} is {embedder.model_id}; restore that model or re-ingest")
            return embedder
        embedder = model if isinstance(model, Embedder) else Embedder(model)
        if embedder.model_id != recorded:
            raise StoreError(f"{path} was built with model {recorded}, not {embedder.model_id}; "
                             "vectors of different models or precisions cannot be mixed. Leave out --model "
                             "and --backend, or use another --store for the other model")
        return embedder

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------
    def meta(self, key: str) -> str:
        return self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    @property
    def splitter(self) -> ParagraphSplitter:
        if self._splitter is None:
            self._splitter = ParagraphSplitter(self.embedder.count_tokens, self.embedder.token_spans,
                                               self.embedder.max_tokens)
        return self._splitter

    def _build_file(self, build: int, kind: str) -> Path:
        return self.path / f"index.{build}.{kind}"

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One read transaction around the block, or the caller's when one is open."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """A consistent view for several reads: the snapshot and every query see one committed state."""
        with self._transaction():
            yield self.snapshot()

    def _committed(self, cached: Snapshot | None = None) -> tuple[int, int, np.ndarray | None]:
        """Generation, index build and (id, segment, row) of every paragraph, read in one transaction;
        the rows are ``None`` when ``cached`` is already of that generation."""
        with self._transaction():
            generation, build = int(self.meta("generation")), int(self.meta("index_build"))
            if cached is not None and cached.generation == generation:
                return generation, build, None
            return generation, build, np.fromiter(
                self._db.execute("SELECT id, segment, row FROM paragraphs ORDER BY id"),
                dtype=[("id", np.int64), ("segment", np.int64), ("row", np.int64)])

    def _build_ids(self, build: int) -> np.ndarray:
        """The paragraph ids saved with index build ``build``."""
        path = self._build_file(build, "ids.npy")
        with reading(path):
            ids = np.load(path, allow_pickle=False)
            if ids.ndim != 1 or ids.dtype != np.int64:
                raise ValueError(f"holds {ids.dtype} of shape {ids.shape}")
            return ids

    def snapshot(self) -> Snapshot:
        """The last committed generation, reloaded only when a writer has committed a newer one.

        A file that fails to load is damaged unless a writer committed meanwhile (and replaced the
        build or compacted the segments): then the newer state is read instead.
        """
        for _attempt in range(5):
            own = not self._db.in_transaction
            cached = self._shared.snapshot
            generation, build, rows = self._committed(cached)
            if rows is None:
                return cached
            try:
                return self._keep(self._catch_up(generation, build, rows, cached))
            except DamagedFile:
                if not own or self._committed(self._shared.snapshot)[:2] == (generation, build):
                    raise
        raise StoreError(f"{self.path} changed while it was being read (generation {generation} is gone); "
                         "run the command again")

    def _catch_up(self, generation: int, build: int, rows: np.ndarray, cached: Snapshot | None) -> Snapshot:
        """The snapshot of ``rows``: the nearest known index (the shared one, else the saved build) with
        the paragraphs removed and added since."""
        ids, segment, row = _columns(rows)
        for number in np.unique(segment):
            self.segments.array(int(number))  # open now, so a later compaction cannot pull it away
        if cached is not None and cached.build == build:
            index, indexed = cached.index.copy(), cached.ids
        elif build:
            index = VectorIndex.load(self._build_file(build, "faiss"))
            indexed = self._build_ids(build)
        else:
            index, indexed = VectorIndex(int(self.meta("dim"))), np.zeros(0, np.int64)
        index.remove(np.setdiff1d(indexed, ids, assume_unique=True))
        added = np.flatnonzero(~np.isin(ids, indexed, assume_unique=True))
        for start in range(0, len(added), 65536):
            chunk = added[start:start + 65536]
            index.add(ids[chunk], self.segments.gather(segment[chunk], row[chunk]))
        if len(index) != len(ids):
            raise StoreError(f"{self.path}: generation {generation} is inconsistent ({len(ids)} paragraphs, "
                             f"{len(index)} indexed); rebuild the index with: topics repair --store {self.path}")
        return Snapshot(generation, build, ids, segment, row, index, self.segments)

    def bm25(self, snapshot: Snapshot) -> BM25:
        """The BM25 scorer of ``snapshot``'s generation: the postings saved with its index build plus the
        paragraphs added since, read in the same transaction as the snapshot."""
        with self._transaction():
            cached = self._shared.bm25
            if cached is not None and cached[0] == snapshot.generation:
                return cached[1]
            if int(self.meta("generation")) != snapshot.generation:
                raise StoreError("the store changed while it was being read; run the command again")
            parts = self._postings(snapshot.build)
            links = np.array(self._db.execute("SELECT l.paragraph_id, a.rowid FROM links l JOIN articles a "
                                              "ON a.id = l.article_id").fetchall(), np.int64).reshape(-1, 2)
            scorer = BM25(snapshot.ids, parts, links[:, 0], links[:, 1])
        with self._shared.lock:
            self._shared.bm25 = (snapshot.generation, scorer)
        return scorer

    def _postings(self, build: int) -> list[Postings]:
        """Postings of every paragraph: those saved with index build ``build`` (``0``: none), then those
        of the paragraphs added since, read from SQLite (new paragraphs always get higher ids)."""
        parts = [self._build_postings(build)] if build else []
        after = int(parts[0].ids[-1]) if parts and len(parts[0].ids) else 0
        parts.append(Postings.from_stored(self._db.execute(
            "SELECT id, terms FROM paragraphs WHERE id > ? ORDER BY id", (after,)).fetchall()))
        return parts

    def _build_postings(self, build: int) -> Postings:
        """The postings saved with index build ``build``, or none (a store upgraded from format 2 has
        builds without them: everything is then read from SQLite)."""
        cached = self._shared.postings
        if cached is not None and cached[0] == build:
            return cached[1]
        file = self._build_file(build, "terms.npz")
        postings = Postings.load(file) if file.is_file() else Postings.from_stored([])
        self._shared.postings = (build, postings)
        return postings

    def article_keys(self, filters: Filters) -> np.ndarray:
        """Keys (SQLite rowids, as :meth:`bm25` knows articles) of the articles matching ``filters``."""
        where, params = filters.sql()
        return np.fromiter((r[0] for r in self._db.execute(f"SELECT a.rowid FROM articles a WHERE {where}",
                                                            params)), dtype=np.int64)

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store's write lock (waiting for another writer), for work built on top of the store
        that must not interleave with other writers, such as fitting and saving topics."""
        return _locked(self.path)

    def _keep(self, snapshot: Snapshot) -> Snapshot:
        """Share ``snapshot`` unless a newer generation is already shared."""
        with self._shared.lock:
            current = self._shared.snapshot
            if current is None or current.generation <= snapshot.generation:
                self._shared.snapshot = snapshot
            return snapshot

    def stats(self) -> StoreStats:
        snapshot = self.snapshot()
        size = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        return StoreStats(
            path=str(self.path), format_version=FORMAT_VERSION,
            articles=self.article_count(),
            paragraphs=self._db.execute("SELECT COUNT(*) FROM links").fetchone()[0],
            vectors=len(snapshot.ids), model=self.meta("model_id"), dim=int(self.meta("dim")),
            index=f"{snapshot.index.kind} ({len(snapshot.index)} vectors)", size_bytes=size,
            generation=snapshot.generation)

    def article_ids(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT id FROM articles ORDER BY id")]

    _INFO = "a.id, a.title, a.source, a.url, a.published, a.path, a.metadata"

    @staticmethod
    def _info(row: Sequence[Any]) -> ArticleInfo:
        return ArticleInfo(*row[:6], metadata=json.loads(row[6]))

    def article(self, article_id: str) -> ArticleInfo | None:
        row = self._db.execute(f"SELECT {self._INFO} FROM articles a WHERE a.id = ?", (article_id,)).fetchone()
        return self._info(row) if row else None

    def _placed(self, columns: str, paragraph_ids: Sequence[int] | None, article_ids: Sequence[str] | None,
                filters: Filters | None, tail: str = "") -> list[tuple[Any, ...]]:
        """Rows of ``columns`` over links ``l`` joined with articles ``a`` and paragraphs ``p``, for the
        given paragraphs or articles, in articles matching ``filters``."""
        where, params = (filters or Filters()).sql()
        column, keys = ("l.paragraph_id", paragraph_ids) if paragraph_ids is not None else ("l.article_id", article_ids)
        if keys is None:
            raise ValueError("give paragraph_ids or article_ids")
        out: list[tuple[Any, ...]] = []
        for chunk in chunks(list(keys)):
            out += self._db.execute(
                f"SELECT {columns} FROM links l JOIN articles a ON a.id = l.article_id JOIN paragraphs p ON "
                f"p.id = l.paragraph_id WHERE {column} IN ({marks(chunk)}) AND {where} {tail}",
                [*chunk, *params]).fetchall()
        return out

    def links(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
              filters: Filters | None = None) -> list[Link]:
        """Paragraph placements joined with their article, for the given paragraphs or articles."""
        rows = self._placed(f"l.paragraph_id, l.position, l.is_title, p.text, {self._INFO}", paragraph_ids,
                            article_ids, filters, "ORDER BY a.published IS NULL, a.published, a.id, l.position")
        return [Link(row[0], self._info(row[4:]), row[1], bool(row[2]), row[3]) for row in rows]

    def placements(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
                   filters: Filters | None = None) -> list[tuple[int, str]]:
        """(paragraph id, article id) of each placement of the given paragraphs or articles: a light
        :meth:`links`."""
        return [(row[0], row[1]) for row in self._placed("l.paragraph_id, l.article_id", paragraph_ids,
                                                          article_ids, filters)]

    def positions(self) -> list[tuple[int, str, int, bool]]:
        """(paragraph id, article id, position, is title) of every placement: how the corpus is laid out,
        without the texts."""
        return [(pid, aid, position, bool(is_title)) for pid, aid, position, is_title in self._db.execute(
            "SELECT paragraph_id, article_id, position, is_title FROM links ORDER BY article_id, position")]

    def paragraph_texts(self, paragraph_ids: Sequence[int]) -> list[str]:
        """Texts of the given paragraphs, in the order given."""
        texts: dict[int, str] = {}
        ids = [int(i) for i in paragraph_ids]
        for chunk in chunks(ids):
            texts.update(self._db.execute(f"SELECT id, text FROM paragraphs WHERE id IN ({marks(chunk)})", chunk))
        return [texts[i] for i in ids]

    def content_hash(self) -> str:
        """Identifies the set of stored paragraphs: equal hashes mean equal corpora. Computed once per
        generation."""
        with self.reading() as snapshot:
            hashes = self._shared.hashes
            if snapshot.generation not in hashes:
                hashes.clear()
                hashes[snapshot.generation] = content_hash(*(f"{pid}:{h}" for pid, h in self._db.execute(
                    "SELECT id, hash FROM paragraphs ORDER BY id")))
            return hashes[snapshot.generation]

    def article_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def paragraph_ids(self, filters: Filters) -> np.ndarray:
        """Ids of the paragraphs of articles matching ``filters``."""
        where, params = filters.sql()
        rows = self._db.execute(f"SELECT DISTINCT l.paragraph_id FROM links l JOIN articles a ON "
                                f"a.id = l.article_id WHERE {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    # -- writing -------------------------------------------------------------------------------
    def add(self, articles: Iterable[Article], *, progress: bool | None = None, batch_paragraphs: int = 2048,
            total: int | None = None) -> AddReport:
        """Add or update articles; unchanged ones cost nothing and known paragraphs are never re-embedded.

        ``articles`` may be any iterable, read as it goes: work is split, embedded and committed in
        batches of about ``batch_paragraphs`` new paragraphs, so memory stays flat however many there
        are, and an interrupted run keeps what it finished (the next run skips it and does the rest).
        When an id comes twice, the later article is kept. ``progress`` shows a bar with an ETA on
        stderr (``None``: only on a terminal); ``total`` is the number of articles, when known.
        """
        report = AddReport()
        if total is None and isinstance(articles, Sized):
            total = len(articles)
        with _locked(self.path), tqdm(total=total, unit="article", desc="ingesting", leave=False,
                                      disable=None if progress is None else not progress) as bar:
            seen: set[str] = set()
            written: set[str] = set()
            batch: dict[str, _Plan] = {}  # by id: a later version replaces an earlier one not yet committed
            pending: set[str] = set()
            for group in _groups(articles, 256):
                for plan in self._plan(group, report, seen, bar, batch):
                    earlier = batch.pop(plan.article.key, None)
                    plan.counted = earlier.counted if earlier is not None else plan.counted
                    if plan.restores:
                        self._recount(report, plan, bar)
                        continue
                    batch[plan.article.key] = plan
                    pending.update(p.hash for p in plan.paragraphs)
                    if len(pending) >= batch_paragraphs:
                        self._commit(list(batch.values()), report, written, bar)
                        batch, pending = {}, set()
            if batch:
                self._commit(list(batch.values()), report, written, bar)
            self._save_build_if_stale()
        return report

    def _plan(self, group: list[Article], report: AddReport, seen: set[str], bar: tqdm,
              pending: dict[str, _Plan]) -> list[_Plan]:
        """What to write for ``group``: the last version of each id, if it differs from the stored one
        (or from a version in the ``pending`` batch, which it must then replace)."""
        latest: dict[str, Article] = {}
        for article in group:
            if article.key in latest or article.key in seen:
                report.duplicate_ids += 1
                bar.update(1)
            latest[article.key] = article
        stored: dict[str, str] = {}
        keys = list(latest)
        for chunk in chunks(keys):
            stored.update(self._db.execute(
                f"SELECT id, fingerprint FROM articles WHERE id IN ({marks(chunk)})", chunk).fetchall())
        plans = []
        for article in latest.values():
            fingerprint = _fingerprint(article)
            counted = article.key not in seen
            seen.add(article.key)
            if stored.get(article.key) == fingerprint:
                if article.key in pending:
                    plans.append(_Plan(article, [], fingerprint, None, restores=True))
                    continue
                report.unchanged += counted
                bar.update(counted)
                continue
            field = None
            if counted:
                field = "updated" if article.key in stored or self._replaced(article, set()) else "added"
                setattr(report, field, getattr(report, field) + 1)
            plans.append(_Plan(article, self.splitter.split(article), fingerprint, field))
        return plans

    @staticmethod
    def _recount(report: AddReport, plan: _Plan, bar: tqdm) -> None:
        """An article that came back to its stored version is unchanged after all."""
        if plan.counted is not None:
            setattr(report, plan.counted, getattr(report, plan.counted) - 1)
            report.unchanged += 1
            bar.update(1)

    def _replaced(self, article: Article, written: set[str]) -> list[str]:
        """Earlier versions of a one-article file (same path, other id) not written by this run."""
        if not (article.whole_file and article.path):
            return []
        rows = self._db.execute("SELECT id FROM articles WHERE path = ? AND id != ?", (article.path, article.key))
        return [r[0] for r in rows if r[0] not in written]

    def _hash_ids(self, hashes: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(hashes):
            found.update(self._db.execute(
                f"SELECT hash, id FROM paragraphs WHERE hash IN ({marks(chunk)})", chunk).fetchall())
        return found

    def _commit(self, batch: list[_Plan], report: AddReport, written: set[str], bar: tqdm) -> None:
        """Embed the batch's new paragraphs into a new segment file, then record everything in one
        transaction (the segment is removed again when that fails)."""
        ordered = list(dict.fromkeys(p.hash for plan in batch for p in plan.paragraphs))
        known = self._hash_ids(ordered)
        texts = {p.hash: p for plan in batch for p in plan.paragraphs}
        missing = [h for h in ordered if h not in known]
        vectors = self.embedder.encode([texts[h].text for h in missing])
        segment = int(self.meta("next_segment"))
        digest = self.segments.write(segment, vectors) if missing else None
        try:
            self._record(batch, written, [texts[h] for h in missing], known, segment, digest)
        except BaseException:
            if digest is not None and segment not in segment_table.recorded(self._db):
                self.segments.remove(segment)  # never committed, so no paragraph points into it
            raise
        report.paragraphs_embedded += len(missing)
        report.paragraphs_reused += len(ordered) - len(missing)
        bar.update(sum(plan.counted is not None for plan in batch))
        bar.set_postfix(embedded=report.paragraphs_embedded, refresh=False)
        self._remove_stale_files()

    def _record(self, batch: list[_Plan], written: set[str], new: list[Paragraph], known: dict[str, int],
                segment: int, digest: str | None) -> None:
        """Record the batch's articles, the ``new`` paragraphs (row i of ``segment`` holds the vector of
        ``new[i]``) and the segment, in one transaction."""
        db = self._db
        with _immediate(db):
            if digest is not None:
                segment_table.record(db, segment, len(new), digest)
            old: list[int] = []
            for plan in batch:
                old += self._unlink([plan.article.key, *self._replaced(plan.article, written)])
                written.add(plan.article.key)
            for row, p in enumerate(new):
                cursor = db.execute("INSERT INTO paragraphs (hash, text, tokens, segment, row, terms) "
                                    "VALUES (?, ?, ?, ?, ?, ?)",
                                    (p.hash, p.text, p.tokens, segment, row, terms.pack(p.text)))
                known[p.hash] = cursor.lastrowid
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for plan in batch:
                a = plan.article
                db.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (a.key, a.title, a.source, a.url, a.published, a.path,
                            json.dumps(a.metadata, ensure_ascii=False, default=str), plan.fingerprint, now))
                db.executemany("INSERT INTO links VALUES (?, ?, ?, ?)",
                               [(a.key, p.position, known[p.hash], int(p.is_title)) for p in plan.paragraphs])
            self._drop_orphans(old)
            self._advance(next_segment=segment + 1 if new else segment)

    def _advance(self, **values: int) -> None:
        """Record ``values`` in meta and bump the generation, inside the caller's transaction."""
        generation = int(self.meta("generation")) + 1
        self._db.executemany("UPDATE meta SET value = ? WHERE key = ?",
                             [(str(v), k) for k, v in {"generation": generation, **values}.items()])

    def delete(self, article_ids: Sequence[str]) -> int:
        """Remove articles with their paragraphs and vectors (paragraphs other articles share stay)."""
        with _locked(self.path):
            with _immediate(self._db):
                present = [i for i in dict.fromkeys(article_ids) if self.article(i) is not None]
                if present:
                    self._drop_orphans(self._unlink(present))
                    self._advance()
            self._save_build_if_stale()
        return len(present)

    def _unlink(self, article_ids: Sequence[str]) -> list[int]:
        """Delete articles and their links; return the paragraph ids they used."""
        used: list[int] = []
        for article_id in article_ids:
            used += [r[0] for r in self._db.execute("SELECT paragraph_id FROM links WHERE article_id = ?",
                                                    (article_id,))]
            self._db.execute("DELETE FROM links WHERE article_id = ?", (article_id,))
            self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return used

    def _drop_orphans(self, candidates: Sequence[int]) -> None:
        orphans: list[int] = []
        for chunk in chunks(sorted(set(candidates))):
            orphans += [r[0] for r in self._db.execute(
                f"SELECT id FROM paragraphs WHERE id IN ({marks(chunk)}) AND NOT EXISTS "
                f"(SELECT 1 FROM links WHERE paragraph_id = paragraphs.id)", chunk)]
        for chunk in chunks(orphans):
            self._db.execute(f"DELETE FROM paragraphs WHERE id IN ({marks(chunk)})", chunk)

    # -- the index ------------------------------------------------------------------------------
    def _save_build_if_stale(self) -> None:
        """Save the caught-up index as a new build when it differs from the saved one by more than
        ``REBUILD_SHARE`` of the store (or none is saved), so readers' catching up stays cheap; build
        a new kind of index when the store has grown past, or shrunk well below, the Flat limit."""
        generation, build, rows = self._committed()
        ids, segment, row = _columns(rows)
        indexed = self._build_ids(build) if build else np.zeros(0, np.int64)
        changed = len(np.setdiff1d(indexed, ids)) + len(np.setdiff1d(ids, indexed))
        if changed <= REBUILD_SHARE * len(ids) and build:
            return
        limit = self._flat_limit()
        if build:
            exact = self.meta("index_kind") == "Flat"
            if not ((exact and len(ids) > limit) or (not exact and len(ids) < limit // 2)):
                self._save_build(self._keep(self._catch_up(generation, build, rows, self._shared.snapshot)),
                                 rebuild=False)
                return
        # A new index is built straight from the segments: catching up the old one first would hold a
        # second copy of the vectors in memory.
        empty = VectorIndex(int(self.meta("dim")))
        self._save_build(Snapshot(generation, build, ids, segment, row, empty, self.segments), rebuild=True)

    def _flat_limit(self) -> int:
        choice = self._db.execute("SELECT value FROM meta WHERE key = 'index_choice'").fetchone()
        return {"flat": sys.maxsize, "ivf": 0}.get(choice[0] if choice else "auto", FLAT_LIMIT)

    def reindex(self, *, kind: str = "auto", compact: bool = True) -> Snapshot:
        """Rebuild the index from the stored vectors and (``compact``) rewrite the segments without the
        rows of deleted paragraphs: for after many deletes, or to re-tune.

        ``kind``: ``"auto"`` (exact Flat up to ``FLAT_LIMIT`` paragraphs, IVF beyond), or ``"flat"`` /
        ``"ivf"`` to keep that kind whatever the size; the choice is recorded and kept by later writes.
        """
        if kind not in INDEX_CHOICES:
            raise QueryError(f"unknown index kind '{kind}'; use one of: {', '.join(INDEX_CHOICES)}")
        with _locked(self.path):
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('index_choice', ?)", (kind,))
            if compact:
                self._compact()
            return self._save_build(self.snapshot(), rebuild=True)

    def _compact(self) -> None:
        """Copy the live vectors into fresh segments and point the paragraphs at them, in one transaction;
        the old files go after the commit."""
        snapshot = self.snapshot()
        first = number = int(self.meta("next_segment"))
        moves: list[tuple[int, int, int]] = []
        written: list[tuple[int, int, str]] = []
        for ids, vectors in snapshot.chunks(SEGMENT_ROWS):
            written.append((number, len(vectors), self.segments.write(number, vectors)))
            moves += [(number, row, int(pid)) for row, pid in enumerate(ids)]
            number += 1
        with _immediate(self._db):
            self._db.execute("DELETE FROM segments WHERE number < ?", (first,))
            for entry in written:
                segment_table.record(self._db, *entry)
            self._db.executemany("UPDATE paragraphs SET segment = ?, row = ? WHERE id = ?", moves)
            self._advance(next_segment=number)
        for old in self.segments.numbers():
            if old < first:
                self.segments.remove(old)

    def _save_build(self, snapshot: Snapshot, *, rebuild: bool) -> Snapshot:
        """Write ``snapshot``'s index (or, with ``rebuild``, a newly chosen and trained one) as the next
        build, and record it."""
        build = int(self.meta("index_build")) + 1
        index = snapshot.index
        if rebuild:
            index = VectorIndex.build(snapshot.ids, lambda rows: snapshot.at(rows, keep=False), snapshot.index.dim,
                                      flat_limit=self._flat_limit())
        atomic_write(self._build_file(build, "faiss"), index.save)
        save_npy(self._build_file(build, "ids.npy"), snapshot.ids)
        Postings.merged(snapshot.ids, self._postings(snapshot.build)).save(self._build_file(build, "terms.npz"))
        atomic_write(self._build_file(build, "json"),
                     lambda path: path.write_text(json.dumps(index.info(), indent=1)))
        sync_folder(self.path)
        with _immediate(self._db):
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [("index_build", str(build)), ("index_kind", index.kind)])
        fresh = self._keep(dataclasses.replace(snapshot, build=build, index=index))
        self._remove_stale_files()
        return fresh

    def _remove_stale_files(self) -> None:
        """Keep the current and previous index build (readers may still be loading it) and the committed
        segments; drop the rest, including files of an unfinished write and format 1's vector files."""
        build, next_segment = int(self.meta("index_build")), int(self.meta("next_segment"))
        for file in self.path.iterdir():
            parts = file.name.split(".")
            stale_build = parts[0] == "index" and len(parts) >= 3 and parts[1].isdigit() and \
                (int(parts[1]) not in (build, build - 1) or file.name.endswith(".tmp"))
            if stale_build or (parts[0] == "vectors" and parts[-1] == "npy"):
                file.unlink(missing_ok=True)
        for number in self.segments.numbers():
            if number >= next_segment:
                self.segments.remove(number)
        for leftover in self.segments.folder.glob("*.tmp"):
            leftover.unlink(missing_ok=True)
