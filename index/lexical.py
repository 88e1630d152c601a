"""The lexical (BM25) index: SQLite FTS5 over paragraphs and whole articles, and the query language.

Two FTS5 tables: ``paragraphs_fts`` reads its text from ``paragraphs`` (external content) and is kept in
step by triggers; ``articles_fts`` holds each article's title and body (BM25 over a whole article ranks
articles better than its best paragraph does) and loses a row by trigger when its article goes. Both
change in the same transaction as the rows they index, so the lexical index and the store can never
disagree. Tokens are Unicode words, lower-cased, accents folded and Porter-stemmed, so "designations"
finds "designation".

Query syntax: words are ranked by BM25 (any of them may match); a "quoted phrase" must appear as
written (every phrase must match); English stop words outside phrases are dropped.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .errors import QueryError

TABLE = "paragraphs_fts"
ARTICLES = "articles_fts"
_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"

SCHEMA = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, content='paragraphs', content_rowid='id', {_TOKENIZE})",
    f"CREATE TRIGGER paragraphs_fts_insert AFTER INSERT ON paragraphs BEGIN "
    f"INSERT INTO {TABLE} (rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER paragraphs_fts_delete AFTER DELETE ON paragraphs BEGIN "
    f"INSERT INTO {TABLE} ({TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER paragraphs_fts_update AFTER UPDATE OF text ON paragraphs BEGIN "
    f"INSERT INTO {TABLE} ({TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {TABLE} (rowid, text) VALUES (new.id, new.text); END",
    f"CREATE VIRTUAL TABLE {ARTICLES} USING fts5(title, body, {_TOKENIZE})",
    "CREATE INDEX articles_lexical ON articles (lexical_id)",
    f"CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    f"DELETE FROM {ARTICLES} WHERE rowid = old.lexical_id; END",
)

# Word characters as FTS5's unicode61 tokenizer sees them: letters and digits; "_" separates.
_WORD = re.compile(r"[^\W_]+")
_PHRASE = re.compile(r'"([^"]*)"')


def create(db: sqlite3.Connection) -> None:
    """Add the lexical index to a store's database (``articles`` needs its ``lexical_id`` column),
    indexing what it holds; runs inside the caller's transaction."""
    for statement in SCHEMA:
        db.execute(statement)
    db.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")
    index = LexicalIndex(db)
    articles = db.execute("SELECT a.id, a.title, group_concat(p.text, char(10)) FROM articles a "
                          "JOIN (SELECT * FROM links ORDER BY article_id, position) l ON l.article_id = a.id "
                          "JOIN paragraphs p ON p.id = l.paragraph_id WHERE NOT l.is_title GROUP BY a.id").fetchall()
    for article_id, title, body in articles:
        index.add_article(article_id, title, body or "")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _quoted(tokens: Sequence[str]) -> str:
    return '"' + " ".join(tokens) + '"'


@dataclass(frozen=True)
class LexicalQuery:
    """A parsed query: ``phrases`` that must each match, and ranking ``terms`` (stop words removed)."""

    text: str
    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> LexicalQuery:
        """Split ``text`` into quoted phrases and words; a query with nothing to search for is an error."""
        text = " ".join(text.split())
        if not text:
            raise QueryError("empty query: give some words to search for")
        phrases = tuple(p for p in (tuple(words(m)) for m in _PHRASE.findall(text)) if p)
        rest = _PHRASE.sub(" ", text)
        terms = tuple(dict.fromkeys(w for w in words(rest) if w not in ENGLISH_STOP_WORDS))
        if not terms and not phrases:
            found = words(rest)
            raise QueryError(f"the query '{text}' has only stop words ({', '.join(found)}); add a word that "
                             "says what to look for, or quote it to search for it as a phrase"
                             if found else
                             f"the query '{text}' has no words, only punctuation; give some words to search for")
        return cls(text, terms, phrases)

    def matches(self, text: str) -> tuple[tuple[int, int], ...]:
        """Character spans of ``text`` where the query's phrases and terms occur, comparing Porter stems
        as the index does (so "designations" marks "designation"): for highlighting hits."""
        phrases = [[_porter(_fold(w)) for w in phrase] for phrase in self.phrases]
        terms = {_porter(_fold(t)) for t in self.terms}
        # Porter rewrites endings only, so a word can stem to a query stem only if it starts like one
        # (all but the stem's last letter, up to three); stemming just those keeps long texts cheap.
        starts = {stem[:max(1, min(3, len(stem) - 1))] for stem in terms.union(*phrases)}

        def stem(word: str) -> str | None:
            folded = _fold(word)
            return _porter(folded) if any(folded[:size] in starts for size in (1, 2, 3)) else None

        if not phrases:  # words alone: look only at those that start like a query stem (or with an accent)
            alternatives = [*map(re.escape, sorted(starts)), r"[^\x00-\x7f]"]
            likely = re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")[^\W_]*", re.IGNORECASE)
            return tuple((m.start(), m.end()) for m in likely.finditer(text) if stem(m.group()) in terms)
        tokens = [(m.start(), m.end(), stem(m.group())) for m in _WORD.finditer(text)]
        stems = [t[2] for t in tokens]
        spans: list[tuple[int, int]] = []
        taken: set[int] = set()
        for want in phrases:
            for i in range(len(tokens) - len(want) + 1):
                if stems[i:i + len(want)] == want:
                    spans.append((tokens[i][0], tokens[i + len(want) - 1][1]))
                    taken.update(range(i, i + len(want)))
        spans += [(start, end) for i, (start, end, s) in enumerate(tokens) if s in terms and i not in taken]
        return tuple(sorted(spans))

    @property
    def required(self) -> str | None:
        """FTS5 expression every result must match: all the phrases; ``None`` without phrases."""
        return " AND ".join(_quoted(p) for p in self.phrases) or None

    @property
    def ranked(self) -> str:
        """FTS5 expression for BM25 ranking: the phrases are required, any term or phrase scores."""
        anything = " OR ".join([*(_quoted(p) for p in self.phrases), *(_quoted([t]) for t in self.terms)])
        return f"{self.required} AND ({anything})" if self.required else anything


class LexicalIndex:
    """BM25 search over the FTS5 table of one database connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def add_article(self, article_id: str, title: str, body: str) -> None:
        """Index a stored article's title and body (its removal is the delete trigger's job)."""
        cursor = self._db.execute(f"INSERT INTO {ARTICLES} (title, body) VALUES (?, ?)", (title, body))
        self._db.execute("UPDATE articles SET lexical_id = ? WHERE id = ?", (cursor.lastrowid, article_id))

    def search_articles(self, query: LexicalQuery, limit: int, where: str = "1",
                        params: Sequence[object] = ()) -> list[tuple[str, float]]:
        """The best ``limit`` (article id, BM25 score) pairs over whole articles, best first; ``where`` is
        an extra SQL condition on the article ``a``."""
        return self._db.execute(
            f"SELECT a.id, -bm25({ARTICLES}) AS score FROM {ARTICLES} JOIN articles a ON a.lexical_id = "
            f"{ARTICLES}.rowid WHERE {ARTICLES} MATCH ? AND ({where}) ORDER BY score DESC, a.id LIMIT ?",
            [query.ranked, *params, limit]).fetchall()

    def search(self, query: LexicalQuery, limit: int, where: str = "1",
               params: Sequence[object] = ()) -> list[tuple[int, float]]:
        """The best ``limit`` (paragraph id, BM25 score) pairs, best first; ``where`` is an extra SQL
        condition on ``rowid`` (a paragraph id) with its ``params``."""
        return self._db.execute(
            f"SELECT rowid, -bm25({TABLE}) AS score FROM {TABLE} WHERE {TABLE} MATCH ? AND ({where}) "
            f"ORDER BY score DESC, rowid LIMIT ?", [query.ranked, *params, limit]).fetchall()

    def matching(self, query: LexicalQuery, where: str = "1", params: Sequence[object] = ()) -> list[int]:
        """Ids of the paragraphs that contain every phrase of ``query``."""
        if query.required is None:
            raise ValueError("the query has no phrases")
        return [r[0] for r in self._db.execute(
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND ({where}) ORDER BY rowid",
            [query.required, *params])]


@functools.lru_cache(maxsize=1 << 16)
def _porter(word: str) -> str:
    """The Porter stem of a folded word (a fresh stemmer each time: stemmers keep per-word state, and
    the cache makes misses rare)."""
    return snowballstemmer.stemmer("porter").stemWord(word)


@functools.lru_cache(maxsize=1 << 16)
def _fold(word: str) -> str:
    """Lower case without accents, as the tokenizer's ``remove_diacritics`` folds words."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))
