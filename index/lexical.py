"""The lexical index and the query language: SQLite FTS5 for phrases, the words a query ranks by.

``paragraphs_fts`` reads its text from ``paragraphs`` (external content) and is kept in step by
triggers, in the same transaction as the rows it indexes, so it can never disagree with the store. It
answers "which paragraphs contain this exact phrase"; ranking by BM25 is :mod:`index.bm25`'s job, from
term counts made by the same rules (:mod:`index.terms`), so "designations" finds "designation".

Query syntax: words are ranked by BM25 (any of them may match); a "quoted phrase" must appear as
written (every phrase must match); English stop words outside phrases are dropped.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import QueryError
from .terms import WORD, content_words, fold, porter, query_terms, words

TABLE = "paragraphs_fts"
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
)

_PHRASE = re.compile(r'"([^"]*)"')


def create(db: sqlite3.Connection) -> None:
    """Add the lexical index to a store's database, indexing what it holds; runs inside the caller's
    transaction."""
    for statement in SCHEMA:
        db.execute(statement)
    db.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")


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
        terms = tuple(dict.fromkeys(content_words(rest)))
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
        phrases = [[porter(fold(w)) for w in phrase] for phrase in self.phrases]
        terms = {porter(fold(t)) for t in self.terms}
        # Porter rewrites endings only, so a word can stem to a query stem only if it starts like one
        # (all but the stem's last letter, up to three); stemming just those keeps long texts cheap.
        starts = {stem[:max(1, min(3, len(stem) - 1))] for stem in terms.union(*phrases)}

        def stem(word: str) -> str | None:
            folded = fold(word)
            return porter(folded) if any(folded[:size] in starts for size in (1, 2, 3)) else None

        if not phrases:  # words alone: look only at those that start like a query stem (or with an accent)
            alternatives = [*map(re.escape, sorted(starts)), r"[^\x00-\x7f]"]
            likely = re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")[^\W_]*", re.IGNORECASE)
            return tuple((m.start(), m.end()) for m in likely.finditer(text) if stem(m.group()) in terms)
        tokens = [(m.start(), m.end(), stem(m.group())) for m in WORD.finditer(text)]
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
    def ranking_terms(self) -> np.ndarray:
        """The hashed terms BM25 ranks by: the words and the phrases' words, stop words left out."""
        return query_terms([*self.terms, *content_words(" ".join(w for p in self.phrases for w in p))])


class LexicalIndex:
    """Phrase lookups in the FTS5 table of one database connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def matching(self, query: LexicalQuery, where: str = "1", params: Sequence[object] = ()) -> list[int]:
        """Ids of the paragraphs that contain every phrase of ``query``."""
        if query.required is None:
            raise ValueError("the query has no phrases")
        return [r[0] for r in self._db.execute(
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND ({where}) ORDER BY rowid",
            [query.required, *params])]
