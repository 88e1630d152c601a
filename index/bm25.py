"""BM25 over paragraphs and over whole articles, scored in memory from the stored term counts.

:class:`Postings` holds term counts column by column (each term's rows together), so a query reads
only the rows of its own terms: a few hundred microseconds where FTS5's ``bm25()`` takes milliseconds,
because FTS5 scores every matching row through SQL. A store saves the postings of each index build
beside the FAISS index; a reader loads them and adds the paragraphs written since from SQLite, as it
catches up its vector index.

:class:`BM25` scores one committed state of a store. An article's term counts and length are the
sums over its paragraphs (a paragraph shared by several articles counts in each), so whole-article
BM25 needs no index of its own. IDF is Lucene's ``log(1 + (N - df + 0.5) / (df + 0.5))``, never
negative; ``k1 = 1.2``, ``b = 0.75``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .arrays import locate
from .damage import reading
from .files import atomic_write
from .terms import unpack

K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Postings:
    """Term counts of the paragraphs ``ids`` (sorted): term ``terms[j]`` occurs ``counts[i]`` times in row
    ``rows[i]`` for ``starts[j] <= i < starts[j + 1]``; ``lengths`` are the rows' term totals."""

    ids: np.ndarray
    lengths: np.ndarray
    terms: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_stored(cls, rows: list[tuple[int, bytes]]) -> Postings:
        """Postings of (paragraph id, stored term counts) rows given in id order."""
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return cls._from_entries(ids, *unpack([r[1] for r in rows]))

    @classmethod
    def merged(cls, ids: np.ndarray, parts: list[Postings]) -> Postings:
        """One postings for the paragraphs ``ids`` from parts that hold them (and maybe others, left
        out); the parts come in id order (every id of a part below those of the next), so that a stable
        sort by term keeps each term's rows ascending."""
        located = [(p, locate(ids, p.ids)) for p in parts]
        pieces = [(where[p.rows], np.repeat(p.terms, np.diff(p.starts)), p.counts) for p, where in located]
        row, term, count = (np.concatenate([piece[i] for piece in pieces]) for i in range(3))
        kept = row >= 0
        return cls._from_entries(ids, row[kept].astype(np.int32), term[kept], count[kept])

    @classmethod
    def _from_entries(cls, ids: np.ndarray, row: np.ndarray, term: np.ndarray, count: np.ndarray) -> Postings:
        """Postings of (row, term, count) entries given in row order."""
        order = np.argsort(term, kind="stable")  # rows stay ascending within each term
        terms, starts = np.unique(term[order], return_index=True)
        return cls(ids, np.bincount(row, weights=count, minlength=len(ids)).astype(np.float32), terms,
                   np.append(starts, len(order)).astype(np.int64), row[order], count[order])

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows that contain ``term`` and how often."""
        j = int(np.searchsorted(self.terms, self.terms.dtype.type(term)))  # a Python int would convert every term
        if j == len(self.terms) or self.terms[j] != term:
            return self.rows[:0], self.counts[:0]
        return self.rows[self.starts[j]:self.starts[j + 1]], self.counts[self.starts[j]:self.starts[j + 1]]

    def save(self, path: Path) -> None:
        def write(target: Path) -> None:
            with open(target, "wb") as handle:
                np.savez(handle, ids=self.ids, lengths=self.lengths, terms=self.terms, starts=self.starts,
                         rows=self.rows, counts=self.counts)
        atomic_write(path, write)

    @classmethod
    def load(cls, path: Path) -> Postings:
        with reading(path), np.load(path, allow_pickle=False) as arrays:
            return cls(**{name: arrays[name] for name in ("ids", "lengths", "terms", "starts", "rows", "counts")})


def _spans(indptr: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR-like ``indptr``: the entry indices of every item's span, and which item each came from."""
    starts, sizes = indptr[items], indptr[items + 1] - indptr[items]
    owner = np.repeat(np.arange(len(items)), sizes)
    return starts[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(sizes) - sizes, sizes), owner


def _indptr(keys: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=size))]).astype(np.int64)


HOT_SHARE = 1000  # a term held by at least 1 in this many items is common: its weights are kept ...
HOT_ENTRIES = 8  # ... the most recently used, up to this many entries per paragraph (128 bytes: 140 MB at 10⁶)
SORT_SHARE = 8  # keys fewer than an eighth of their range are grouped by sorting them, more by one pass over it


def _sum_by(keys: np.ndarray, weights: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` (each below ``size``), sorted, and the sum of ``weights`` (positive) of
    each, added in the order given. Keys already in order (one term's articles, mostly) are summed run
    by run; a common query term's postings hold a good share of the archive: a pass over the range then
    costs less than sorting them."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0)
    if np.all(keys[1:] >= keys[:-1]):
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        return keys[starts], np.add.reduceat(weights.astype(np.float64), starts)
    if len(keys) * SORT_SHARE < size:
        distinct, inverse = np.unique(keys, return_inverse=True)
        return distinct, np.bincount(inverse, weights=weights, minlength=len(distinct))
    sums = np.bincount(keys, weights=weights, minlength=size)
    distinct = np.flatnonzero(sums != 0)  # a comparison first: nonzero over floats is five times slower
    return distinct, sums[distinct]


@dataclass(frozen=True)
class Scores:
    """Scores of the items that matched a query (``keys``: sorted positions); every other item scores 0."""

    keys: np.ndarray
    values: np.ndarray

    def of(self, items: np.ndarray) -> np.ndarray:
        """The scores of ``items``."""
        where = locate(self.keys, np.asarray(items, dtype=np.int64))
        found = np.zeros(len(where), np.float32)
        found[where >= 0] = self.values[where[where >= 0]]
        return found

    def only(self, keep: np.ndarray) -> Scores:
        return Scores(self.keys[keep], self.values[keep])

    def top(self, n: int, among: np.ndarray | None = None, keep_zero: bool = False) -> np.ndarray:
        """The ``n`` best items, best first, ties by position; only ``among`` (sorted) when given, and only
        items that matched unless ``keep_zero``."""
        keys, values = self.keys, self.values
        if among is not None and (keep_zero or len(among) <= len(keys)):
            keys = np.asarray(among, dtype=np.int64)
            values = self.of(keys)
            if not keep_zero:
                keys, values = keys[values > 0], values[values > 0]
        elif among is not None:  # fewer matches than items allowed: look the matches up among them
            inside = locate(np.asarray(among, dtype=np.int64), keys) >= 0
            keys, values = keys[inside], values[inside]
        if len(keys) > n:
            cut = np.partition(values, len(keys) - n)[len(keys) - n]  # the n-th best score
            keys, values = keys[values >= cut], values[values >= cut]
        return keys[np.lexsort((keys, -values))][:n]


def _norms(lengths: np.ndarray) -> np.ndarray:
    """The length part of each item's BM25 denominator, ``k1 · (1 - b + b · length / average)``."""
    average = float(lengths.mean()) if len(lengths) else 0.0
    return K1 * (1 - B + B * lengths / (average or 1.0))


def _weights(items: np.ndarray, tf: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """One query term's BM25 contribution to each of the distinct ``items`` that hold it ``tf`` times."""
    df = len(items)
    idf = np.log1p((len(norms) - df + 0.5) / (df + 0.5))
    return idf * tf * (K1 + 1) / (tf + norms[items])


def _summed(weighed: list[tuple[np.ndarray, np.ndarray]], size: int) -> Scores:
    """BM25 of the items from each query term's (items, weights): their sums over the terms."""
    keys, sums = _sum_by(np.concatenate([items for items, _ in weighed] or [np.zeros(0, np.int64)]),
                         np.concatenate([weights for _, weights in weighed] or [np.zeros(0)]), size)
    return Scores(keys, sums.astype(np.float32))


class BM25:
    """Paragraph and article BM25 for the paragraphs ``ids`` (sorted) of one committed state.

    Parameters
    ----------
    ids:
        The paragraph ids; scores are keyed by position in them.
    parts:
        Postings that together hold every paragraph of ``ids`` (rows of others are ignored).
    link_paragraphs, link_articles:
        One entry per placement of a paragraph in an article: the paragraph id and an integer key of
        the article (any key, such as SQLite's rowid).
    """

    def __init__(self, ids: np.ndarray, parts: list[Postings], link_paragraphs: np.ndarray,
                 link_articles: np.ndarray) -> None:
        self.ids = ids
        self.parts = [(part, locate(ids, part.ids)) for part in parts]
        self.lengths = np.zeros(len(ids), np.float32)
        for part, where in self.parts:
            self.lengths[where[where >= 0]] = part.lengths[where >= 0]
        positions = locate(ids, link_paragraphs)
        self.articles, link_article = np.unique(link_articles, return_inverse=True)
        by_paragraph = np.argsort(positions, kind="stable")
        self._paragraph_indptr = _indptr(positions, len(ids))
        self._article_of_link = link_article[by_paragraph]
        by_article = np.argsort(link_article, kind="stable")
        self._article_indptr = _indptr(link_article, len(self.articles))
        self._paragraph_of_link = positions[by_article]
        self.article_lengths = np.bincount(link_article, weights=self.lengths[positions],
                                           minlength=len(self.articles)).astype(np.float32)
        self._norms, self._article_norms = _norms(self.lengths), _norms(self.article_lengths)
        # most paragraphs are in one article: theirs is looked up directly, without expanding spans
        self._elsewhere = np.diff(self._paragraph_indptr) != 1  # in several articles, or in none
        self._article_of = np.full(len(ids), -1, np.int64)
        self._article_of[~self._elsewhere] = self._article_of_link[self._paragraph_indptr[:-1][~self._elsewhere]]
        self._hot: OrderedDict[tuple[int, bool], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._hot_entries = 0
        self._hot_lock = threading.Lock()  # the service's threads share one scorer

    def columns(self, terms: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each of ``terms``: the positions of the paragraphs that hold it, ascending, and how often."""
        found = []
        for term in terms:
            pieces = [(where[rows], counts) for part, where in self.parts for rows, counts in [part.column(int(term))]]
            positions, counts = (np.concatenate([p[i] for p in pieces]) for i in (0, 1))
            live = positions >= 0
            found.append((positions, counts) if live.all() else (positions[live], counts[live]))
        return found

    def frequencies(self, terms: np.ndarray) -> np.ndarray:
        """How many paragraphs hold each of ``terms``, from the postings' sizes alone (rows of paragraphs
        no longer in this state count too: a bound, for ranking terms by rarity)."""
        held = np.zeros(len(terms), np.int64)
        for part, _ in self.parts:
            at = locate(part.terms, terms)
            found = at >= 0
            held[found] += part.starts[at[found] + 1] - part.starts[at[found]]
        return held

    def paragraph_scores(self, terms: np.ndarray) -> Scores:
        """BM25 of the paragraphs (by position) that hold any of ``terms``."""
        return _summed([self._weighed(term, False) for term in terms], len(self.ids))

    def article_scores(self, terms: np.ndarray) -> Scores:
        """BM25 of the articles (by position in :attr:`articles`) that hold any of ``terms``, each scored
        as the sum of its paragraphs."""
        return _summed([self._weighed(term, True) for term in terms], len(self.articles))

    def _weighed(self, term: int, of_articles: bool) -> tuple[np.ndarray, np.ndarray]:
        """The items (paragraphs, or articles) holding ``term``, sorted, and its BM25 weight in each. A
        common term's are kept for the next query: its weights cost most to make (a term of 1 in 10
        paragraphs is 10⁵ of them at 10⁶), and a query stream repeats the common terms most."""
        key = (int(term), of_articles)
        with self._hot_lock:
            found = self._hot.get(key)
            if found is not None:
                self._hot.move_to_end(key)
                return found
        items, tf = self.columns(np.array([term]))[0]
        if of_articles:
            items, tf = self._article_counts(items, tf)
        norms = self._article_norms if of_articles else self._norms
        found = (items, _weights(items, tf, norms))
        budget = HOT_ENTRIES * len(self.ids)
        if len(items) * HOT_SHARE >= len(norms) and len(items) <= budget:
            with self._hot_lock:
                if key not in self._hot:
                    self._hot[key] = found
                    self._hot_entries += len(items)
                while self._hot_entries > budget:
                    self._hot_entries -= len(self._hot.popitem(last=False)[1][0])
        return found

    def _article_counts(self, positions: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The articles holding a term, sorted, and its count in each, from the paragraphs that hold it:
        those placed once (their articles mostly come in order) summed run by run, the few in several
        articles or none merged in after."""
        size = len(self.articles)
        elsewhere = self._elsewhere[positions]
        once = ~elsewhere
        articles, counts = _sum_by(self._article_of[positions[once]], tf[once], size)
        if not elsewhere.any():
            return articles, counts
        links, owner = _spans(self._paragraph_indptr, positions[elsewhere])
        extra, more = _sum_by(self._article_of_link[links], tf[elsewhere][owner], size)
        at = locate(articles, extra)
        held = at >= 0
        counts[at[held]] += more[held]
        new = np.searchsorted(articles, extra[~held])
        return np.insert(articles, new, extra[~held]), np.insert(counts, new, more[~held])

    def articles_of(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The articles of the paragraphs at ``positions``: (article position, index into ``positions``)."""
        links, owner = _spans(self._paragraph_indptr, positions)
        return self._article_of_link[links], owner

    def articles_holding(self, positions: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
        """Positions (sorted) of the articles that hold a paragraph at ``positions``, only those whose
        key is among ``keys`` when given."""
        found = np.flatnonzero(np.bincount(self.articles_of(positions)[0], minlength=len(self.articles)))
        return found if keys is None else found[np.isin(self.articles[found], keys)]

    def paragraphs_of(self, articles: np.ndarray) -> np.ndarray:
        """Positions of the paragraphs of the given article positions."""
        links, _ = _spans(self._article_indptr, articles)
        return self._paragraph_of_link[links]

    def best_article(self, positions: np.ndarray, article_scores: Scores) -> np.ndarray:
        """For each paragraph at ``positions``, the best score among its articles."""
        articles, owner = self.articles_of(positions)
        best = np.zeros(len(positions), np.float32)
        np.maximum.at(best, owner, article_scores.of(articles))
        return best
