"""The catalogue: ``store.db``'s schema and its upgrades, and every query and write of its rows.

``store.db`` (SQLite, WAL) holds meta, articles, paragraphs (unique texts, each with the segment and
row of its vector and its term counts), links (article → paragraph) and the phrase index. Everything
a store derives (index builds, postings) is made from these rows, so this module knows nothing of
vectors beyond where they lie. Writes go through :func:`immediate`, one transaction each.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from .arrays import unique_sorted
from . import lexical, segments as segment_table, terms
from .articles import Article, content_hash, parse_date
from .damage import is_out_of_space
from .errors import QueryError, StoreError
from .files import sync_folder
from .paragraphs import Paragraph
from .segments import Segments
from .sql import chunks, marks

FORMAT_VERSION = 5
DB_NAME = "store.db"

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

# A paragraph's vector location, as read by :meth:`Catalog.vector_rows`.
VECTOR_ROWS = np.dtype([("id", np.int64), ("segment", np.int64), ("row", np.int64)])


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
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


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the store at ``path`` in WAL mode; on a full disk, where SQLite cannot create the
    WAL's shared-memory file, a read-only one to the database file as it stands (no writer can change
    it then)."""
    db = sqlite3.connect(path / DB_NAME, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before older files are removed
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
        writable = os.access(path, os.W_OK) and os.access(path / DB_NAME, os.W_OK)
        if writable and not is_out_of_space(path):
            raise
    uri = (path / DB_NAME).resolve().as_uri()
    for options in ("?mode=ro", "?mode=ro&immutable=1"):  # the log read when SQLite can, else the file alone
        db = sqlite3.connect(uri + options, uri=True, isolation_level=None, check_same_thread=False)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
    raise sqlite3.OperationalError(f"{path / DB_NAME} cannot be opened, even to read")


def create_tables(db: sqlite3.Connection) -> None:
    """The tables of an empty store, with its segment records and phrase index."""
    db.executescript(SCHEMA)
    db.execute(segment_table.SCHEMA)
    lexical.create(db)


def create(path: Path, meta: dict[str, object]) -> None:
    """Build the database under a temporary name and rename it, so a store exists whole or not at all;
    the caller holds the write lock."""
    tmp = path / (DB_NAME + ".tmp")
    try:
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        create_tables(db)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
        db.commit()
        db.close()
        os.replace(tmp, path / DB_NAME)
        sync_folder(path)
    finally:
        tmp.unlink(missing_ok=True)


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


def _upgrade_from_4(db: sqlite3.Connection, path: Path) -> None:
    """Format 5 stores paragraph text as written (NFKC only in the hash that identifies it); the text of
    paragraphs already stored stays as it was, and their hashes are unchanged, so nothing is rewritten."""


# format version → the step that brings a store of that version to the next
MIGRATIONS: dict[int, Callable[[sqlite3.Connection, Path], None]] = {
    1: _upgrade_from_1, 2: _upgrade_from_2, 3: _upgrade_from_3, 4: _upgrade_from_4}


def upgrade(db: sqlite3.Connection, path: Path) -> None:
    """Bring the database of the store at ``path`` to :data:`FORMAT_VERSION` in one transaction (all or
    nothing); the caller holds the write lock."""
    with immediate(db):
        version = int(db.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0])
        while version in MIGRATIONS:
            MIGRATIONS[version](db, path)
            version += 1
        db.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(version),))


def _is_date_only(value: str) -> bool:
    try:
        date.fromisoformat(value.strip())
        return True
    except ValueError:
        return False


def _condition(condition: str) -> tuple[str, bool, str]:
    """A ``KEY=VALUE`` or ``KEY!=VALUE`` condition as (KEY, negated, VALUE)."""
    negate = "!=" in condition
    key, _, value = condition.partition("!=" if negate else "=")
    key = key.strip()
    if "=" not in condition or not key or any(not part or '"' in part for part in key.split(".")):
        raise QueryError(f"where: '{condition}' is not KEY=VALUE or KEY!=VALUE (KEY a metadata field, "
                         "or a dotted path such as meta.desk)")
    return key, negate, value.strip()


def _json_path(key: str) -> str:
    """The SQLite JSON path of a metadata field or a dotted path into one (``meta.desk``)."""
    return "$." + ".".join(f'"{part}"' for part in key.split("."))


MAX_CONDITIONS = 100  # where conditions in one filter: far past any real one, far below SQLite's depth limit of 1,000


@dataclass(frozen=True)
class Filters:
    """Restrict results to articles by source (case-insensitive), publication time (inclusive) and
    metadata.

    ``since`` and ``until`` are ISO-8601 dates or times; a date-only ``until`` includes that whole day.
    Articles without a date never match a date filter. ``where`` holds ``KEY=VALUE`` or ``KEY!=VALUE``
    conditions on stored metadata fields, all of which must hold: KEY a field or a dotted path into a
    nested one, VALUE compared as text, and a field holding a list matches when one of its items does.
    """

    source: str | None = None
    since: str | None = None
    until: str | None = None
    where: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                try:
                    parse_date(value)
                except ValueError as exc:
                    raise QueryError(f"{name}: {exc}") from None
        object.__setattr__(self, "where", tuple(self.where))
        if len(self.where) > MAX_CONDITIONS:
            raise QueryError(f"{len(self.where)} where conditions; at most {MAX_CONDITIONS} are taken at once "
                             "(each is one more test of every article)")
        for condition in self.where:
            _condition(condition)

    def __bool__(self) -> bool:
        return any((self.source, self.since, self.until, self.where))

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
        for condition in self.where:
            key, negate, value = _condition(condition)
            clauses.append(f"{'NOT ' if negate else ''}EXISTS (SELECT 1 FROM json_each(a.metadata, ?) "
                           "WHERE CAST(value AS TEXT) = ?)")
            params += [_json_path(key), value]
        return " AND ".join(clauses), params

    @property
    def fields(self) -> tuple[str, ...]:
        """The metadata fields (KEYs) that ``where`` names, each once, in order."""
        return tuple(dict.fromkeys(_condition(condition)[0] for condition in self.where))

    def linked_sql(self) -> tuple[str, list[str]]:
        """A query for the ids of the paragraphs of matching articles, and its parameters.

        The articles are chosen first and their links looked up by article: joined the other way round,
        SQLite walks every link and tests its article's metadata once per paragraph (61 ms against 9 ms
        for a metadata filter on 100k paragraphs).
        """
        where, params = self.sql()
        return (f"SELECT l.paragraph_id FROM links l WHERE l.article_id IN (SELECT a.id FROM articles a "
                f"WHERE {where})"), params

    def paragraphs_sql(self, column: str = "rowid") -> tuple[str, list[str]]:
        """A condition that ``column`` (a paragraph id) belongs to a matching article, and its parameters."""
        if not self:
            return "1", []
        linked, params = self.linked_sql()
        return f"{column} IN ({linked})", params


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


_INFO = "a.id, a.title, a.source, a.url, a.published, a.path, a.metadata"


def _info(row: Sequence[Any]) -> ArticleInfo:
    return ArticleInfo(*row[:6], metadata=json.loads(row[6]))


class Catalog:
    """The rows of one ``store.db`` connection: reads any time, writes inside :meth:`write`.

    ``hashes`` (generation → corpus hash) may be shared by the catalogues of one store's threads.
    """

    def __init__(self, db: sqlite3.Connection, hashes: dict[int, str] | None = None) -> None:
        self.db = db
        self.hashes = hashes if hashes is not None else {}

    def close(self) -> None:
        self.db.close()

    # -- transactions and meta -----------------------------------------------------------------
    def write(self) -> AbstractContextManager[None]:
        """One write transaction (see :func:`immediate`)."""
        return immediate(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One read transaction around the block, or the caller's when one is open."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def meta(self, key: str) -> str:
        return self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def set_meta(self, **values: str) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    def advance(self, **values: int) -> None:
        """Record ``values`` in meta and bump the generation, inside the caller's transaction."""
        generation = int(self.meta("generation")) + 1
        self.db.executemany("UPDATE meta SET value = ? WHERE key = ?",
                            [(str(v), k) for k, v in {"generation": generation, **values}.items()])

    def _pairs(self, select: str, keys: Sequence[Any]) -> dict[Any, Any]:
        """The two columns of ``select`` (ending in ``IN``) for ``keys`` as a dict, asked a chunk of keys
        at a time to stay under SQLite's parameter limit."""
        found: dict[Any, Any] = {}
        for chunk in chunks(keys):
            found.update(self.db.execute(f"{select} ({marks(chunk)})", chunk).fetchall())
        return found

    # -- articles and placements ---------------------------------------------------------------
    def article_ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM articles ORDER BY id")]

    def article_fingerprints(self) -> tuple[list[str], list[str]]:
        """Every article id, sorted, and the fingerprint of what is stored of each."""
        rows = self.db.execute("SELECT id, fingerprint FROM articles ORDER BY id").fetchall()
        return [row[0] for row in rows], [row[1] for row in rows]

    def article_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def link_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM links").fetchone()[0]

    def article(self, article_id: str) -> ArticleInfo | None:
        row = self.db.execute(f"SELECT {_INFO} FROM articles a WHERE a.id = ?", (article_id,)).fetchone()
        return _info(row) if row else None

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
            out += self.db.execute(
                f"SELECT {columns} FROM links l JOIN articles a ON a.id = l.article_id JOIN paragraphs p ON "
                f"p.id = l.paragraph_id WHERE {column} IN ({marks(chunk)}) AND {where} {tail}",
                [*chunk, *params]).fetchall()
        return out

    def links(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
              filters: Filters | None = None) -> list[Link]:
        """Paragraph placements joined with their article, for the given paragraphs or articles."""
        rows = self._placed(f"l.paragraph_id, l.position, l.is_title, p.text, {_INFO}", paragraph_ids,
                            article_ids, filters, "ORDER BY a.published IS NULL, a.published, a.id, l.position")
        infos: dict[str, ArticleInfo] = {}  # an article's metadata is parsed once, not once per paragraph
        for row in rows:
            if row[4] not in infos:
                infos[row[4]] = _info(row[4:])
        return [Link(row[0], infos[row[4]], row[1], bool(row[2]), row[3]) for row in rows]

    def placements(self, *, paragraph_ids: Sequence[int] | None = None, article_ids: Sequence[str] | None = None,
                   filters: Filters | None = None) -> list[tuple[int, str]]:
        """(paragraph id, article id) of each placement of the given paragraphs or articles: a light
        :meth:`links`."""
        return [(row[0], row[1]) for row in self._placed("l.paragraph_id, l.article_id", paragraph_ids,
                                                          article_ids, filters)]

    def bodies(self, article_ids: Sequence[str]) -> dict[str, list[int]]:
        """Each given article's body paragraph ids in order, or its title alone when it has nothing else
        (as :func:`index.stories.body`): what comparing articles reads, without their texts."""
        rows: list[tuple[str, int, int]] = []
        for chunk in chunks(list(article_ids)):
            rows += self.db.execute(f"SELECT article_id, paragraph_id, is_title FROM links WHERE article_id IN "
                                    f"({marks(chunk)}) ORDER BY article_id, position", chunk).fetchall()
        placed: dict[str, list[tuple[int, int]]] = {}
        for article_id, paragraph_id, is_title in rows:
            placed.setdefault(article_id, []).append((paragraph_id, is_title))
        return {aid: [pid for pid, title in links if not title] or [pid for pid, _ in links]
                for aid, links in placed.items()}

    def infos(self, article_ids: Sequence[str]) -> dict[str, ArticleInfo]:
        """The metadata of each of the given articles that exists."""
        found: dict[str, ArticleInfo] = {}
        for chunk in chunks(list(article_ids)):
            for row in self.db.execute(f"SELECT {_INFO} FROM articles a WHERE a.id IN ({marks(chunk)})", chunk):
                found[row[0]] = _info(row)
        return found

    def positions(self) -> list[tuple[int, str, int, bool]]:
        """(paragraph id, article id, position, is title) of every placement: how the corpus is laid out,
        without the texts."""
        return [(pid, aid, position, bool(is_title)) for pid, aid, position, is_title in self.db.execute(
            "SELECT paragraph_id, article_id, position, is_title FROM links ORDER BY article_id, position")]

    def dated_placements(self) -> tuple[list[str], list[str], np.ndarray]:
        """(article id, publication date, paragraph id) of every placement in a dated article, ordered
        by article and position, in one query rather than one per article."""
        rows = self.db.execute("SELECT l.article_id, a.published, l.paragraph_id FROM links l JOIN articles a "
                               "ON a.id = l.article_id WHERE a.published IS NOT NULL AND a.published != '' "
                               "ORDER BY l.article_id, l.position").fetchall()
        return [r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows], np.int64)

    # -- paragraphs ----------------------------------------------------------------------------
    def paragraph_texts(self, paragraph_ids: Sequence[int]) -> list[str]:
        """Texts of the given paragraphs, in the order given."""
        ids = [int(i) for i in paragraph_ids]
        texts = self._pairs("SELECT id, text FROM paragraphs WHERE id IN", ids)
        return [texts[i] for i in ids]

    def matching(self, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """Keys (rowids) of the articles matching ``filters`` and the ids of their paragraphs, sorted, from
        one pass over the articles (``CROSS JOIN`` keeps SQLite from walking the links instead)."""
        where, params = filters.sql()
        rows = np.array(self.db.execute(f"SELECT a.rowid, l.paragraph_id FROM articles a CROSS JOIN links l "
                                        f"ON l.article_id = a.id WHERE {where}", params).fetchall(), np.int64)
        rows = rows.reshape(-1, 2)
        return unique_sorted(rows[:, 0]), unique_sorted(rows[:, 1])

    def paragraph_ids(self, filters: Filters) -> np.ndarray:
        """Ids of the paragraphs of articles matching ``filters``."""
        return self.matching(filters)[1]

    def has_field(self, key: str) -> bool:
        """Whether some article's metadata holds ``key`` (a field, or a dotted path into one)."""
        return self.db.execute("SELECT 1 FROM articles WHERE json_type(metadata, ?) IS NOT NULL LIMIT 1",
                               (_json_path(key),)).fetchone() is not None

    def metadata_fields(self) -> list[str]:
        """The metadata fields of the stored articles (top level), sorted."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT j.key FROM articles a, json_each(a.metadata) j ORDER BY j.key")]

    def has_dates(self) -> bool:
        """Whether some article has a publication date."""
        return self.db.execute("SELECT 1 FROM articles WHERE published IS NOT NULL LIMIT 1").fetchone() is not None

    def paragraphs_in(self, segments: Sequence[int]) -> list[int]:
        """Ids of the paragraphs whose vectors lie in the given segments, in id order."""
        return [r[0] for r in self.db.execute(
            f"SELECT id FROM paragraphs WHERE segment IN ({marks(segments)}) ORDER BY id", list(segments))]

    def vector_rows(self) -> np.ndarray:
        """(id, segment, row) of every paragraph, in id order (see :data:`VECTOR_ROWS`)."""
        return np.fromiter(self.db.execute("SELECT id, segment, row FROM paragraphs ORDER BY id"),
                           dtype=VECTOR_ROWS)

    def rows_needed(self) -> dict[int, int]:
        """Segment number → the rows its paragraphs need."""
        return dict(self.db.execute("SELECT segment, MAX(row) + 1 FROM paragraphs GROUP BY segment"))

    def stored_terms(self, after: int) -> list[tuple[int, bytes]]:
        """(id, packed term counts) of the paragraphs with ids above ``after``, in id order."""
        return self.db.execute("SELECT id, terms FROM paragraphs WHERE id > ? ORDER BY id", (after,)).fetchall()

    def content_hash(self, generation: int) -> str:
        """Identifies the set of stored paragraphs of ``generation`` (the committed one); computed once
        per generation."""
        if generation not in self.hashes:
            self.hashes.clear()
            self.hashes[generation] = content_hash(*(f"{pid}:{h}" for pid, h in self.db.execute(
                "SELECT id, hash FROM paragraphs ORDER BY id")))
        return self.hashes[generation]

    # -- what ingest reads and writes ----------------------------------------------------------
    def fingerprints(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Stored fingerprint of each of the given articles that exists."""
        return self._pairs("SELECT id, fingerprint FROM articles WHERE id IN", article_ids)

    def others_at(self, path: str, article_id: str) -> list[str]:
        """Ids of the articles read from the file ``path`` other than ``article_id``."""
        return [r[0] for r in self.db.execute("SELECT id FROM articles WHERE path = ? AND id != ?",
                                              (path, article_id))]

    def hash_ids(self, hashes: Sequence[str]) -> dict[str, int]:
        """Paragraph id of each of the given text hashes already stored."""
        return self._pairs("SELECT hash, id FROM paragraphs WHERE hash IN", hashes)

    def insert_paragraphs(self, new: Sequence[Paragraph], segment: int) -> dict[str, int]:
        """Insert ``new`` paragraphs, row i of ``segment`` holding the vector of ``new[i]``; return their ids
        by hash."""
        ids: dict[str, int] = {}
        for row, p in enumerate(new):
            cursor = self.db.execute("INSERT INTO paragraphs (hash, text, tokens, segment, row, terms) "
                                     "VALUES (?, ?, ?, ?, ?, ?)",
                                     (p.hash, p.text, p.tokens, segment, row, terms.pack(p.text)))
            ids[p.hash] = cursor.lastrowid
        return ids

    def insert_article(self, article: Article, paragraphs: Sequence[Paragraph], ids: dict[str, int],
                       fingerprint: str, added: str) -> None:
        """Insert ``article`` and its links to ``paragraphs`` (their ids by hash in ``ids``)."""
        a = article
        self.db.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (a.key, a.title, a.source, a.url, a.published, a.path,
                         json.dumps(a.metadata, ensure_ascii=False, default=str), fingerprint, added))
        self.db.executemany("INSERT INTO links VALUES (?, ?, ?, ?)",
                            [(a.key, p.position, ids[p.hash], int(p.is_title)) for p in paragraphs])

    def unlink(self, article_ids: Sequence[str]) -> list[int]:
        """Delete articles and their links; return the paragraph ids they used."""
        used: list[int] = []
        for article_id in article_ids:
            used += [r[0] for r in self.db.execute("SELECT paragraph_id FROM links WHERE article_id = ?",
                                                   (article_id,))]
            self.db.execute("DELETE FROM links WHERE article_id = ?", (article_id,))
            self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return used

    def drop_orphans(self, candidates: Sequence[int]) -> None:
        """Delete those of the ``candidates`` paragraphs that no article links to any more."""
        orphans: list[int] = []
        for chunk in chunks(sorted(set(candidates))):
            orphans += [r[0] for r in self.db.execute(
                f"SELECT id FROM paragraphs WHERE id IN ({marks(chunk)}) AND NOT EXISTS "
                f"(SELECT 1 FROM links WHERE paragraph_id = paragraphs.id)", chunk)]
        for chunk in chunks(orphans):
            self.db.execute(f"DELETE FROM paragraphs WHERE id IN ({marks(chunk)})", chunk)

    def move_vectors(self, moves: Sequence[tuple[int, int, int]]) -> None:
        """Point paragraphs at new vector locations: (segment, row, paragraph id) each."""
        self.db.executemany("UPDATE paragraphs SET segment = ?, row = ? WHERE id = ?", moves)
