"""What lexical search reads from a store: the BM25 scorer of a snapshot, phrase matches, article keys.

Owned by :mod:`index.search` and reached through ``Store.lexicon``. The scorer of a generation is
assembled once (the postings saved with its index build plus the paragraphs added since) and shared by
the store's threads until a writer commits a newer generation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .arrays import present
from .bm25 import BM25
from .builds import Builds
from .catalog import Catalog, Filters
from .errors import StoreError
from .lexical import LexicalIndex, LexicalQuery
from .snapshot import Snapshot
from .vectors import IdSet


MATCHES_KEPT = 16  # filters whose matches a store keeps per generation: a desk or a date range is asked again and again


class Matches:
    """What a filter matches in one generation: the keys of its articles and the ids of their paragraphs
    (sorted), and what searches derive from them, each worked out by the first search that asks and
    kept with them: where the paragraphs lie in the generation's snapshot, FAISS's test of membership,
    and which of the BM25 scorer's articles may rank."""

    def __init__(self, articles: np.ndarray, paragraphs: np.ndarray) -> None:
        articles.flags.writeable = paragraphs.flags.writeable = False  # shared between queries and threads
        self.articles, self.paragraphs = articles, paragraphs
        self.ids = IdSet(paragraphs)
        self._positions: np.ndarray | None = None
        self._ranked: np.ndarray | None = None
        self._masks: dict[str, np.ndarray] = {}

    def positions(self, snapshot: Snapshot) -> np.ndarray:
        """Positions in ``snapshot.ids`` of the matching paragraphs it holds, ascending."""
        if self._positions is None:
            self._positions = present(snapshot.ids, self.paragraphs)
        return self._positions

    def ranked(self, snapshot: Snapshot, bm25: BM25) -> np.ndarray:
        """Positions in ``bm25.articles`` of the matching articles that hold a matching paragraph."""
        if self._ranked is None:
            self._ranked = bm25.articles_holding(self.positions(snapshot), self.articles)
        return self._ranked

    def inside(self, snapshot: Snapshot) -> np.ndarray:
        """:meth:`positions` as a mask over ``snapshot.ids``: a query's scores are cut to the filter by one
        lookup each, where a search among the sorted positions takes a binary search each (the matches
        of a desk are a fifth of the archive)."""
        return self._mask("paragraphs", self.positions(snapshot), len(snapshot.ids))

    def ranked_inside(self, snapshot: Snapshot, bm25: BM25) -> np.ndarray:
        """:meth:`ranked` as a mask over ``bm25.articles``."""
        return self._mask("articles", self.ranked(snapshot, bm25), len(bm25.articles))

    def _mask(self, name: str, positions: np.ndarray, size: int) -> np.ndarray:
        found = self._masks.get(name)
        if found is None:
            found = np.zeros(size, bool)
            found[positions] = True
            found.flags.writeable = False
            self._masks[name] = found
        return found


class LexiconCache:
    """The BM25 scorer of the latest generation asked for, and the matches of its recent filters, shared by
    the threads of one store."""

    def __init__(self) -> None:
        self.bm25: tuple[int, BM25] | None = None  # (generation, scorer)
        self.matches: OrderedDict[tuple[int, Filters], Matches] = OrderedDict()
        self.lock = threading.Lock()


class Lexicon:
    """Lexical lookups over one store connection (``catalog``) and its index ``builds``."""

    def __init__(self, catalog: Catalog, builds: Builds, cache: LexiconCache) -> None:
        self.catalog, self.builds, self.cache = catalog, builds, cache
        self._phrases = LexicalIndex(catalog.db)

    def bm25(self, snapshot: Snapshot) -> BM25:
        """The BM25 scorer of ``snapshot``'s generation: the postings saved with its index build plus the
        paragraphs added since, read in the same transaction as the snapshot."""
        with self.catalog.transaction():
            cached = self.cache.bm25
            if cached is not None and cached[0] == snapshot.generation:
                return cached[1]
            if int(self.catalog.meta("generation")) != snapshot.generation:
                raise StoreError("the store changed while it was being read; run the command again")
            parts = self.builds.postings(snapshot.build)
            links = np.array(self.catalog.db.execute("SELECT l.paragraph_id, a.rowid FROM links l JOIN articles a "
                                                     "ON a.id = l.article_id").fetchall(), np.int64).reshape(-1, 2)
            scorer = BM25(snapshot.ids, parts, links[:, 0], links[:, 1])
        with self.cache.lock:
            self.cache.bm25 = (snapshot.generation, scorer)
        return scorer

    def matching(self, filters: Filters, snapshot: Snapshot) -> Matches:
        """:meth:`Catalog.matching` of ``snapshot``'s generation, kept for the next query with the same
        filters: at a million paragraphs, one pass over the articles' metadata takes longer than the
        search it narrows."""
        key = (snapshot.generation, filters)
        with self.cache.lock:
            found = self.cache.matches.get(key)
            if found is not None:
                self.cache.matches.move_to_end(key)
                return found
        found = Matches(*self.catalog.matching(filters))
        with self.cache.lock:
            for stale in [k for k in self.cache.matches if k[0] != snapshot.generation]:
                del self.cache.matches[stale]
            self.cache.matches[key] = found
            while len(self.cache.matches) > MATCHES_KEPT:
                self.cache.matches.popitem(last=False)
        return found

    def phrase_matches(self, query: LexicalQuery, filters: Filters) -> np.ndarray:
        """Ids of the paragraphs, in articles matching ``filters``, that contain every phrase of ``query``."""
        return np.array(self._phrases.matching(query, *filters.paragraphs_sql()), np.int64)
