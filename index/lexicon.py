"""What lexical search reads from a store: the BM25 scorer of a snapshot, phrase matches, article keys.

Owned by :mod:`index.search` and reached through ``Store.lexicon``. The scorer of a generation is
assembled once (the postings saved with its index build plus the paragraphs added since) and shared by
the store's threads until a writer commits a newer generation.
"""

from __future__ import annotations

import threading

import numpy as np

from .bm25 import BM25
from .builds import Builds
from .catalog import Catalog, Filters
from .errors import StoreError
from .lexical import LexicalIndex, LexicalQuery
from .snapshot import Snapshot


class LexiconCache:
    """The BM25 scorer of the latest generation asked for, shared by the threads of one store."""

    def __init__(self) -> None:
        self.bm25: tuple[int, BM25] | None = None  # (generation, scorer)
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

    def phrase_matches(self, query: LexicalQuery, filters: Filters) -> np.ndarray:
        """Ids of the paragraphs, in articles matching ``filters``, that contain every phrase of ``query``."""
        return np.array(self._phrases.matching(query, *filters.paragraphs_sql()), np.int64)
