"""The store: one folder holding SQLite rows, the paragraph vectors (``.npy``) and the FAISS index.

Layout::

    store.db            SQLite (WAL): meta, articles, paragraphs (unique texts), links (article → paragraph)
    vectors.<gen>.npy   float32 unit vectors, row i = i-th paragraph id in ascending order
    index.<gen>.faiss   FAISS index over the same vectors, keyed by paragraph id
    write.lock          held by the one process writing

Every write builds generation ``gen + 1``: vector and index files are written under temporary names,
synced and renamed, and only then does the SQLite transaction that records the new generation commit.
A process killed at any point leaves the last committed generation intact; stray files of an
unfinished generation are removed by the next write.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
import contextlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .articles import Article, content_hash, parse_date
from .embed import Embedder
from .errors import QueryError, StoreError
from .files import atomic_write, save_npy, sync_folder
from .paragraphs import Paragraph, ParagraphSplitter
from .vectors import VectorIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_PATH = ".topics"
DB_NAME = "store.db"
LOCK_NAME = "write.lock"
_SQL_CHUNK = 900  # stay under SQLite's bound-parameter limit on old builds
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
    tokens INTEGER NOT NULL
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
    """Hold the store's write lock, waiting (with a note on stderr) while another process has it."""
    with open(path / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another process writing to %s", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _chunks(values: Sequence[Any], size: int = _SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


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


@dataclass(frozen=True)
class Snapshot:
    """One committed generation: sorted paragraph ids, their vectors (row i ↔ ids[i]) and the index."""

    generation: int
    ids: np.ndarray
    vectors: np.ndarray
    index: VectorIndex

    def vectors_of(self, paragraph_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        wanted = np.asarray(paragraph_ids, dtype=np.int64)
        rows = np.clip(np.searchsorted(self.ids, wanted), 0, max(len(self.ids) - 1, 0))
        if not len(self.ids) or not np.array_equal(self.ids[rows], wanted):
            raise StoreError("the store changed while it was being read; run the command again")
        return np.asarray(self.vectors[rows])


class _Shared:
    """What a store and its readers share: the loaded snapshot, replaced whole under a lock, and the
    corpus hash of a generation."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.lock = threading.Lock()
        self.hashes: dict[int, str] = {}


@dataclass
class _Plan:
    article: Article
    paragraphs: list[Paragraph]
    fingerprint: str


def _fingerprint(article: Article) -> str:
    return content_hash(article.title, article.text, article.url or "", article.source or "",
                        article.published or "", article.path or "",
                        json.dumps(article.metadata, sort_keys=True, default=str))


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
        self._shared = shared or _Shared()

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
        if version != FORMAT_VERSION:
            db.close()
            raise StoreError(f"{path} has store format version {version}; this version of topics reads "
                             f"version {FORMAT_VERSION}. Re-ingest into a new store.")
        return cls(path, db, cls._embedder_for(path, meta, model))

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path / DB_NAME, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before older files are removed
        db.execute("PRAGMA busy_timeout=30000")
        return db

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
            "dim": embedder.dim,
            "generation": 0,
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
                db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
                db.commit()
                db.close()
                os.replace(tmp, path / DB_NAME)
                sync_folder(path)
            finally:
                tmp.unlink(missing_ok=True)

    @staticmethod
    def _embedder_for(path: Path, meta: dict[str, str], model: str | Path | Embedder | None) -> Embedder:
        recorded = meta["model_id"]
        if model is None:
            embedder = Embedder(meta["model_path"] or None)
            if embedder.model_id != recorded:
                raise StoreError(f"{path} was built with model {recorded}, but the model now at "
                                 f"{embedder.path} is {embedder.model_id}; restore that model or re-ingest")
            return embedder
        embedder = model if isinstance(model, Embedder) else Embedder(model)
        if embedder.model_id != recorded:
            raise StoreError(f"{path} was built with model {recorded}, not {embedder.model_id}; "
                             "vectors of different models cannot be mixed. Leave out --model, or use "
                             "another --store for the other model")
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

    def _files(self, generation: int) -> tuple[Path, Path]:
        return self.path / f"vectors.{generation}.npy", self.path / f"index.{generation}.faiss"

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """A consistent view for several reads: the snapshot and every query see one committed state."""
        if self._db.in_transaction:
            yield self.snapshot()
            return
        self._db.execute("BEGIN")
        try:
            yield self.snapshot()
        finally:
            self._db.execute("COMMIT")

    def snapshot(self) -> Snapshot:
        """The last committed generation, reloaded only when a writer has committed a newer one."""
        for _attempt in range(5):
            own = not self._db.in_transaction
            if own:
                self._db.execute("BEGIN")
            try:
                generation = int(self.meta("generation"))
                cached = self._shared.snapshot
                if cached is not None and cached.generation == generation:
                    return cached
                ids = np.fromiter((r[0] for r in self._db.execute("SELECT id FROM paragraphs ORDER BY id")),
                                  dtype=np.int64)
            finally:
                if own:
                    self._db.execute("COMMIT")
            if generation == 0:
                dim = int(self.meta("dim"))
                return self._keep(Snapshot(0, ids, np.zeros((0, dim), np.float32), VectorIndex(dim)))
            vectors_file, index_file = self._files(generation)
            try:
                vectors = np.load(vectors_file, mmap_mode="r")
                index = VectorIndex.load(index_file)
            except (FileNotFoundError, RuntimeError):
                if not own:
                    break
                continue  # a writer replaced this generation meanwhile; read the newer one
            if not len(ids) == len(vectors) == len(index):
                raise StoreError(f"{self.path}: generation {generation} is inconsistent ({len(ids)} paragraphs, "
                                 f"{len(vectors)} vectors, {len(index)} indexed); re-ingest into a new store")
            return self._keep(Snapshot(generation, ids, vectors, index))
        raise StoreError(f"{self.path} changed while it was being read (generation {generation} is gone); "
                         "run the command again")

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
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
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

    def links(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
              filters: Filters | None = None) -> list[Link]:
        """Paragraph placements joined with their article, for the given paragraphs or articles."""
        where, params = (filters or Filters()).sql()
        column, keys = ("l.paragraph_id", paragraph_ids) if paragraph_ids is not None else ("l.article_id", article_ids)
        if keys is None:
            raise ValueError("links() needs paragraph_ids or article_ids")
        out = []
        for chunk in _chunks(list(keys)):
            out.extend(self._db.execute(
                f"SELECT l.paragraph_id, l.position, l.is_title, p.text, {self._INFO} FROM links l "
                f"JOIN articles a ON a.id = l.article_id JOIN paragraphs p ON p.id = l.paragraph_id "
                f"WHERE {column} IN ({_marks(chunk)}) AND {where} "
                f"ORDER BY a.published IS NULL, a.published, a.id, l.position", [*chunk, *params]))
        return [Link(row[0], self._info(row[4:]), row[1], bool(row[2]), row[3]) for row in out]

    def paragraph_texts(self, paragraph_ids: Sequence[int]) -> list[str]:
        """Texts of the given paragraphs, in the order given."""
        texts: dict[int, str] = {}
        ids = [int(i) for i in paragraph_ids]
        for chunk in _chunks(ids):
            texts.update(self._db.execute(f"SELECT id, text FROM paragraphs WHERE id IN ({_marks(chunk)})", chunk))
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
    def add(self, articles: Iterable[Article], *, progress: bool | None = None,
            batch_paragraphs: int = 2048) -> AddReport:
        """Add or update articles; unchanged ones cost nothing and known paragraphs are never re-embedded.

        Work is committed in batches of about ``batch_paragraphs`` new paragraphs, so an interrupted run
        keeps what it finished and the next run picks up the rest. ``progress`` shows a bar on stderr
        (``None``: only on a terminal).
        """
        report = AddReport()
        latest: dict[str, Article] = {}
        for article in articles:
            report.duplicate_ids += article.key in latest
            latest[article.key] = article
        with _locked(self.path):
            plans = self._plan(list(latest.values()), report)
            unique = {p.hash for plan in plans for p in plan.paragraphs}
            todo = len(unique) - len(self._hash_ids(sorted(unique)))
            with tqdm(total=todo, unit="para", desc="embedding", disable=None if progress is None else not progress,
                      leave=False) as bar:
                batch: list[_Plan] = []
                pending: set[str] = set()
                written: set[str] = set()
                for plan in plans:
                    batch.append(plan)
                    pending.update(p.hash for p in plan.paragraphs)
                    if len(pending) >= batch_paragraphs:
                        self._commit(batch, bar, report, written)
                        batch, pending = [], set()
                if batch:
                    self._commit(batch, bar, report, written)
        return report

    def _plan(self, articles: list[Article], report: AddReport) -> list[_Plan]:
        stored: dict[str, str] = {}
        keys = [a.key for a in articles]
        for chunk in _chunks(keys):
            stored.update(self._db.execute(
                f"SELECT id, fingerprint FROM articles WHERE id IN ({_marks(chunk)})", chunk).fetchall())
        plans = []
        for article in articles:
            fingerprint = _fingerprint(article)
            if stored.get(article.key) == fingerprint:
                report.unchanged += 1
                continue
            if article.key in stored or self._replaced(article, set()):
                report.updated += 1
            else:
                report.added += 1
            plans.append(_Plan(article, self.splitter.split(article), fingerprint))
        return plans

    def _replaced(self, article: Article, written: set[str]) -> list[str]:
        """Earlier versions of a one-article file (same path, other id) not written by this run."""
        if not (article.whole_file and article.path):
            return []
        rows = self._db.execute("SELECT id FROM articles WHERE path = ? AND id != ?", (article.path, article.key))
        return [r[0] for r in rows if r[0] not in written]

    def _hash_ids(self, hashes: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(hashes):
            found.update(self._db.execute(
                f"SELECT hash, id FROM paragraphs WHERE hash IN ({_marks(chunk)})", chunk).fetchall())
        return found

    def _commit(self, batch: list[_Plan], bar: tqdm, report: AddReport, written: set[str]) -> None:
        ordered = list(dict.fromkeys(p.hash for plan in batch for p in plan.paragraphs))
        known = self._hash_ids(ordered)
        texts = {p.hash: p for plan in batch for p in plan.paragraphs}
        missing = [h for h in ordered if h not in known]
        vectors = self.embedder.encode([texts[h].text for h in missing], bar)
        report.paragraphs_embedded += len(missing)
        report.paragraphs_reused += len(ordered) - len(missing)
        snapshot = self.snapshot()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            old: list[int] = []
            for plan in batch:
                old += self._unlink([plan.article.key, *self._replaced(plan.article, written)])
                written.add(plan.article.key)
            new_ids = []
            for h in missing:
                cursor = db.execute("INSERT INTO paragraphs (hash, text, tokens) VALUES (?, ?, ?)",
                                    (h, texts[h].text, texts[h].tokens))
                known[h] = cursor.lastrowid
                new_ids.append(cursor.lastrowid)
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for plan in batch:
                a = plan.article
                db.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (a.key, a.title, a.source, a.url, a.published, a.path,
                            json.dumps(a.metadata, ensure_ascii=False, default=str), plan.fingerprint, now))
                db.executemany("INSERT INTO links VALUES (?, ?, ?, ?)",
                               [(a.key, p.position, known[p.hash], int(p.is_title)) for p in plan.paragraphs])
            published = self._publish(snapshot, self._drop_orphans(old), np.array(new_ids, np.int64), vectors)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._keep(published)
        self._remove_stale_files()

    def delete(self, article_ids: Sequence[str]) -> int:
        """Remove articles with their paragraphs and vectors (paragraphs other articles share stay)."""
        with _locked(self.path):
            snapshot = self.snapshot()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                present = [i for i in dict.fromkeys(article_ids) if self.article(i) is not None]
                orphans = self._drop_orphans(self._unlink(present))
                empty = np.zeros((0, snapshot.vectors.shape[1]), np.float32)
                published = self._publish(snapshot, orphans, np.zeros(0, np.int64), empty) if present else snapshot
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._keep(published)
            self._remove_stale_files()
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

    def _drop_orphans(self, candidates: Sequence[int]) -> np.ndarray:
        orphans: list[int] = []
        for chunk in _chunks(sorted(set(candidates))):
            orphans += [r[0] for r in self._db.execute(
                f"SELECT id FROM paragraphs WHERE id IN ({_marks(chunk)}) AND NOT EXISTS "
                f"(SELECT 1 FROM links WHERE paragraph_id = paragraphs.id)", chunk)]
        for chunk in _chunks(orphans):
            self._db.execute(f"DELETE FROM paragraphs WHERE id IN ({_marks(chunk)})", chunk)
        return np.array(orphans, np.int64)

    def _publish(self, snapshot: Snapshot, removed: np.ndarray, new_ids: np.ndarray,
                 new_vectors: np.ndarray) -> Snapshot:
        """Write generation ``n + 1`` files and record it; the caller's COMMIT makes it current."""
        keep = ~np.isin(snapshot.ids, removed)
        ids = np.concatenate([snapshot.ids[keep], new_ids])
        vectors = np.concatenate([np.asarray(snapshot.vectors[keep]), new_vectors]).astype(np.float32)
        index = snapshot.index.copy()
        index.remove(removed)
        index.add(new_ids, new_vectors)
        generation = snapshot.generation + 1
        vectors_file, index_file = self._files(generation)
        save_npy(vectors_file, vectors)
        atomic_write(index_file, index.save)
        sync_folder(self.path)
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(generation),))
        return Snapshot(generation, ids, vectors, index)

    def _remove_stale_files(self) -> None:
        """Keep the current and previous generation (readers may still be loading it); drop the rest."""
        current = int(self.meta("generation"))
        for file in self.path.iterdir():
            parts = file.name.split(".")
            if parts[0] in ("vectors", "index") and len(parts) >= 3 and parts[1].isdigit():
                if int(parts[1]) not in (current, current - 1) or file.name.endswith(".tmp"):
                    file.unlink(missing_ok=True)
