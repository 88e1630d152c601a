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
write costs what it adds. A process killed at any point leaves the last committed state intact; stray
files of an unfinished write are removed by the next write.

:class:`Store` is the facade over the parts that do the work: :mod:`index.catalog` (the rows),
:mod:`index.ingest` (adding articles), :mod:`index.builds` (index builds and snapshots) and
:mod:`index.lexicon` (what lexical search reads, as ``store.lexicon``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import catalog as catalogue
from .articles import Article
from .builds import BuildCache, Builds
from .catalog import DB_NAME, FORMAT_VERSION, MIGRATIONS, ArticleInfo, Catalog, Filters, Link
from .damage import DamagedFile, database_error
from .embed import Embedder
from .errors import Fix, StoreError
from .executors import Executor
from .ingest import AddReport, Ingest, progress_bar
from .lexicon import Lexicon, LexiconCache
from .lock import LOCK_NAME, write_lock
from .paragraphs import ParagraphSplitter
from .salvage import describe, lost_database
from .segments import Segments
from .snapshot import Snapshot
from .story_tables import StoryCache

__all__ = ["AddReport", "ArticleInfo", "DB_NAME", "Filters", "Link", "Snapshot", "Store", "StoreStats",
           "default_store_path"]

log = logging.getLogger(__name__)

DEFAULT_PATH = ".topics"
CREATION_FILES = {LOCK_NAME, DB_NAME + ".tmp", DB_NAME + ".tmp-journal"}  # a store being created


def default_store_path() -> Path:
    """``$TOPICS_STORE`` when set, else ``./.topics``."""
    return Path(os.environ.get("TOPICS_STORE") or DEFAULT_PATH)


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
class _Shared:
    """What a store and its readers share: open segment files and the caches of each part."""

    segments: Segments
    builds: BuildCache
    lexicon: LexiconCache
    hashes: dict[int, str]
    stories: StoryCache

    @classmethod
    def new(cls, path: Path) -> _Shared:
        return cls(Segments(path), BuildCache(), LexiconCache(), {}, StoryCache())


def _meta_of_new(embedder: Embedder) -> dict[str, object]:
    return {
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


def _has_store_files(path: Path) -> bool:
    """Whether ``path`` holds files only a store writes (vector segments, index builds)."""
    return (path / "segments").is_dir() or any(path.glob("index.*"))


class Store:
    """Articles, their paragraphs and vectors in one folder; open with :meth:`open`.

    One process writes at a time (a file lock); readers always see the last committed generation.
    """

    def __init__(self, path: Path, db: sqlite3.Connection, embedder: Embedder,
                 shared: _Shared | None = None) -> None:
        self.path = path
        self.embedder = embedder
        self._splitter: ParagraphSplitter | None = None
        self._shared = shared or _Shared.new(path)
        self.segments = self._shared.segments
        self.catalog = Catalog(db, self._shared.hashes)
        self.builds = Builds(path, self.catalog, self.segments, self._shared.builds)
        self.lexicon = Lexicon(self.catalog, self.builds, self._shared.lexicon)
        self.stories = self._shared.stories

    def reader(self) -> Store:
        """Another handle on this store for another thread: its own database connection, the same model
        and the same loaded index."""
        return Store(self.path, catalogue.connect(self.path), self.embedder, self._shared)

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
                raise StoreError(f"{path} is a file, not a store folder", Fix("folder"))
            if _has_store_files(path) or (path / DB_NAME).is_dir():
                lost_database(path)  # a store that lost its database, not a folder of something else
            if path.is_dir() and any(f.name not in CREATION_FILES for f in path.iterdir()):
                raise StoreError(f"{path} is not a topics store (it has no {DB_NAME})", Fix("empty-folder"))
            if not create:
                raise StoreError(f"no store at {path}", Fix("create", {"store": str(path)}))
            cls._create(path, model if isinstance(model, Embedder) else Embedder(model))
        try:
            db = catalogue.connect(path)
            meta = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            error = database_error(exc, path / DB_NAME)
            if isinstance(error, DamagedFile) and not _has_store_files(path):
                raise StoreError(f"{path / DB_NAME} is not a readable topics store ({exc})", Fix("folder")) from None
            if isinstance(error, DamagedFile):  # what is wrong with the file, and the way to what is left
                raise DamagedFile(path / DB_NAME, describe(path / DB_NAME) or str(exc),
                                  Fix("repair", {"store": str(path)})) from None
            raise error from None
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
    def _create(path: Path, embedder: Embedder) -> None:
        """Make a new store, whole or not at all; under the write lock, so two first ingests into one
        folder make one store."""
        meta = _meta_of_new(embedder)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {path}: {exc.strerror}") from None
        with write_lock(path):
            if not (path / DB_NAME).is_file():
                catalogue.create(path, meta)

    @staticmethod
    def _migrate(path: Path) -> None:
        """Bring a store of an older format up to date in one transaction (all or nothing)."""
        log.warning("upgrading the store at %s to format version %d", path, FORMAT_VERSION)
        with write_lock(path):
            db = catalogue.connect(path)
            try:
                catalogue.upgrade(db, path)
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
        embedder = model if isinstance(model, Embedder) else Embedder(model, backend=meta.get("backend", "onnx"))
        if embedder.model_id != recorded:
            raise StoreError(f"{path} was built with model {recorded}, not {embedder.model_id}; vectors of "
                             "different models or precisions cannot be mixed", Fix("own-model"))
        return embedder

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------
    def meta(self, key: str) -> str:
        return self.catalog.meta(key)

    @property
    def splitter(self) -> ParagraphSplitter:
        if self._splitter is None:
            self._splitter = ParagraphSplitter(self.embedder.count_tokens, self.embedder.token_spans,
                                               self.embedder.max_tokens)
        return self._splitter

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """A consistent view for several reads: the snapshot and every query see one committed state."""
        with self.catalog.transaction():
            yield self.snapshot()

    def snapshot(self) -> Snapshot:
        """The last committed generation (see :meth:`Builds.snapshot`)."""
        return self.builds.snapshot()

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store's write lock (waiting for another writer), for work built on top of the store
        that must not interleave with other writers, such as fitting and saving topics."""
        return write_lock(self.path)

    def stats(self) -> StoreStats:
        snapshot = self.snapshot()
        size = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        return StoreStats(
            path=str(self.path), format_version=FORMAT_VERSION, articles=self.article_count(),
            paragraphs=self.catalog.link_count(), vectors=len(snapshot.ids), model=self.meta("model_id"),
            dim=int(self.meta("dim")), index=f"{snapshot.index.kind} ({len(snapshot.index)} vectors)",
            size_bytes=size, generation=snapshot.generation)

    def content_hash(self) -> str:
        """Identifies the set of stored paragraphs: equal hashes mean equal corpora. Computed once per
        generation."""
        with self.reading() as snapshot:
            return self.catalog.content_hash(snapshot.generation)

    def article_ids(self) -> list[str]:
        return self.catalog.article_ids()

    def article_fingerprints(self) -> tuple[list[str], list[str]]:
        """Every article id, sorted, and a fingerprint of each that changes whenever it is written anew."""
        return self.catalog.article_fingerprints()

    def article_count(self) -> int:
        return self.catalog.article_count()

    def article(self, article_id: str) -> ArticleInfo | None:
        return self.catalog.article(article_id)

    def links(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
              filters: Filters | None = None) -> list[Link]:
        """Paragraph placements joined with their article, for the given paragraphs or articles."""
        return self.catalog.links(paragraph_ids=paragraph_ids, article_ids=article_ids, filters=filters)

    def placements(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
                   filters: Filters | None = None) -> list[tuple[int, str]]:
        """(paragraph id, article id) of each placement of the given paragraphs or articles: a light
        :meth:`links`."""
        return self.catalog.placements(paragraph_ids=paragraph_ids, article_ids=article_ids, filters=filters)

    def positions(self) -> list[tuple[int, str, int, bool]]:
        """(paragraph id, article id, position, is title) of every placement, without the texts."""
        return self.catalog.positions()

    def paragraph_texts(self, paragraph_ids: Sequence[int]) -> list[str]:
        """Texts of the given paragraphs, in the order given."""
        return self.catalog.paragraph_texts(paragraph_ids)

    def paragraph_ids(self, filters: Filters) -> np.ndarray:
        """Ids of the paragraphs of articles matching ``filters``."""
        return self.catalog.paragraph_ids(filters)

    def matching(self, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """Keys of the articles matching ``filters`` (as :meth:`lexicon`'s BM25 knows them) and the ids of
        their paragraphs."""
        return self.catalog.matching(filters)

    # -- writing -------------------------------------------------------------------------------
    def add(self, articles: Iterable[Article], *, progress: bool | None = None, batch_paragraphs: int = 2048,
            total: int | None = None, executor: Executor | None = None) -> AddReport:
        """Add or update articles; unchanged ones cost nothing and known paragraphs are never re-embedded.

        ``articles`` may be any iterable, read as it goes: work is split, embedded and committed in
        batches of about ``batch_paragraphs`` new paragraphs, so memory stays flat however many there
        are, and an interrupted run keeps what it finished (the next run skips it and does the rest).
        When an id comes twice, the later article is kept. ``progress`` shows a bar with an ETA and the
        paragraphs embedded per second on stderr (``None``: only on a terminal); ``total`` is the number
        of articles, when known. ``executor`` embeds elsewhere (:mod:`index.executors`: a Ray pool);
        reading, splitting and committing stay here, and the vectors are the ones a local run makes.
        """
        if total is None and isinstance(articles, Sized):
            total = len(articles)
        with write_lock(self.path), progress_bar(total, progress) as bar:
            run = Ingest(self.catalog, self.segments, self.embedder, lambda a: self.splitter.split(a), bar,
                         batch_paragraphs=batch_paragraphs, after_commit=self.builds.remove_stale_files,
                         executor=executor)
            report = run.run(articles)
            self.builds.save_if_stale()
        return report

    def delete(self, article_ids: Sequence[str]) -> int:
        """Remove articles with their paragraphs and vectors (paragraphs other articles share stay)."""
        with write_lock(self.path):
            with self.catalog.write():
                present = [i for i in dict.fromkeys(article_ids) if self.article(i) is not None]
                if present:
                    self.catalog.drop_orphans(self.catalog.unlink(present))
                    self.catalog.advance()
            self.builds.save_if_stale()
        return len(present)

    def reindex(self, *, kind: str = "auto", compact: bool = True) -> Snapshot:
        """Rebuild the index from the stored vectors and (``compact``) rewrite the segments without the
        rows of deleted paragraphs: for after many deletes, or to re-tune.

        ``kind``: ``"auto"`` (exact Flat up to ``FLAT_LIMIT`` paragraphs, IVF beyond), or ``"flat"`` /
        ``"ivf"`` to keep that kind whatever the size; the choice is recorded and kept by later writes.
        """
        Builds.check_kind(kind)
        with write_lock(self.path):
            return self.builds.reindex(kind, compact)
