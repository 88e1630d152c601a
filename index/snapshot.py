"""One committed state of a store's vectors: which paragraphs exist, where their vectors lie, the index.

Nearest-neighbour search goes through :meth:`Snapshot.search`, which hides the index kind: exact
(Flat) scores are returned as they are; approximate (IVF) candidates are re-scored exactly from the
stored vectors; small filtered searches skip the index and score the allowed vectors directly, and
middling ones search every list of the index for the allowed paragraphs' codes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .arrays import unique_sorted
from .errors import StoreError
from .segments import Segments
from .vectors import RESCORE, IdSet, VectorIndex, rescore

GATHER_LIMIT = 2_000  # a filter of at most this many paragraphs: their vectors are read and scored exactly
SCAN_LIMIT = 50_000  # of at most this many: an inverted file searches all its lists for them


@dataclass(frozen=True)
class Snapshot:
    """Sorted paragraph ids, each one's vector location (segment, row), and the index over them.

    ``build`` is the saved index build the in-memory index was caught up from (0: none).
    """

    generation: int
    build: int
    ids: np.ndarray
    segment: np.ndarray
    row: np.ndarray
    index: VectorIndex
    segments: Segments

    def _rows(self, paragraph_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        wanted = np.asarray(paragraph_ids, dtype=np.int64)
        rows = np.clip(np.searchsorted(self.ids, wanted), 0, max(len(self.ids) - 1, 0))
        if len(wanted) and (not len(self.ids) or not np.array_equal(self.ids[rows], wanted)):
            raise StoreError("the store changed while it was being read; run the command again")
        return rows

    def vectors_of(self, paragraph_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Vectors of the given paragraphs, in the order given."""
        rows = self._rows(paragraph_ids)
        if not len(rows):
            return np.zeros((0, self.index.dim), np.float32)
        return self.at(rows)

    def at(self, positions: np.ndarray, keep: bool = True) -> np.ndarray:
        """Vectors of ``ids[positions]`` (``keep``: see :meth:`Segments.gather`)."""
        return self.segments.gather(self.segment[positions], self.row[positions], keep)

    def chunks(self, size: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) in id order, ``size`` at a time, so memory stays bounded on any corpus."""
        for start in range(0, len(self.ids), size):
            stop = start + size
            yield self.ids[start:stop], self.at(np.arange(start, min(stop, len(self.ids))))

    @property
    def vectors(self) -> np.ndarray:
        """All vectors, row i ↔ ``ids[i]`` (loads them into memory: prefer :meth:`chunks` when large)."""
        return self.vectors_of(self.ids)

    def search(self, queries: np.ndarray, k: int,
               allowed: np.ndarray | IdSet | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosines and ids of the ``k`` nearest paragraphs per query (id -1 pads missing results);
        ``allowed`` restricts the search to those paragraph ids (an :class:`IdSet` when searched again)."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if allowed is not None and not isinstance(allowed, IdSet):
            allowed = IdSet(allowed)
        if allowed is not None and len(allowed.ids) <= GATHER_LIMIT and not self.index.exact:
            few = unique_sorted(allowed.ids)
            return self._best(queries, [few] * len(queries), self.vectors_of(few), k)
        if self.index.exact:
            return self.index.search(queries, k, allowed)
        every = allowed is not None and len(allowed.ids) <= SCAN_LIMIT  # its nprobe lists may hold too few
        _, candidates = self.index.search(queries, k * RESCORE, allowed, every_list=every)
        found = [c[c >= 0] for c in candidates]
        return self._best(queries, found, None, k)

    def _best(self, queries: np.ndarray, candidates: list[np.ndarray], vectors: np.ndarray | None,
              k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.full((len(queries), k), -np.inf, np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        for i, (query, pool) in enumerate(zip(queries, candidates)):
            top_scores, top_ids = rescore(query, pool, vectors if vectors is not None else self.vectors_of(pool), k)
            scores[i, :len(top_ids)], ids[i, :len(top_ids)] = top_scores, top_ids
        return scores, ids
