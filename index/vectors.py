"""The FAISS index of paragraph vectors, keyed by paragraph id.

Exact search (``IndexFlatIP`` on unit vectors = cosine similarity) wrapped in ``IndexIDMap2`` so ids are
our paragraph ids and single vectors can be removed when an article changes or goes.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class VectorIndex:
    """Inner-product nearest-neighbour search over unit vectors with stable integer ids."""

    kind = "IDMap2,Flat"

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        index = cls(vectors.shape[1])
        index.add(ids, vectors)
        return index

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = faiss.read_index(str(path))
        return cls(index.d, index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def copy(self) -> VectorIndex:
        return VectorIndex(self.dim, faiss.clone_index(self._index))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, queries: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids of the ``k`` nearest vectors per query; ``allowed`` restricts the ids searched.

        Missing results (fewer than ``k`` vectors) have id -1.
        """
        k = max(1, min(k, len(self)))
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if allowed is None:
            return self._index.search(queries, k)
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        return self._index.search(queries, k, params=faiss.SearchParameters(sel=selector))
