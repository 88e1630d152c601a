"""The FAISS index of paragraph vectors, keyed by paragraph id, chosen by corpus size.

- Up to ``FLAT_LIMIT`` vectors: exact search (``IndexFlatIP`` on unit vectors = cosine) in
  ``IndexIDMap2``, so single vectors can be removed when an article changes or goes.
- Beyond: an inverted file (``nlist ≈ 4·√n`` lists, trained on a seeded sample) over 8-bit scalar-quantised
  codes — a quarter of the memory of the vectors. It proposes candidates; the caller re-scores them
  exactly from the stored vectors. ``nprobe`` (lists visited per query) is chosen at build time as the
  smallest that reaches ``target_recall`` recall@10 against exact search on held-out corpus queries.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from .damage import reading
from .files import load_checked_json

FLAT_LIMIT = 50_000  # exact search p99 passes ~10 ms near 60k vectors on 2 cores (bench_scale.py)
_CHUNK = 16384  # vectors read per step while building: bounds the memory a build adds
RESCORE = 4  # candidates fetched per result wanted, re-scored exactly by the caller
_CALIBRATION_QUERIES = 200
_NPROBES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


Fetch = Callable[[np.ndarray], np.ndarray]


def _f32(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float32)


def _i64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)


class IdSet:
    """Ids a search is limited to (distinct, sorted), with FAISS's test of membership built once: a bit
    per id up to the largest, so a filter asked again does not build a hash set of its ids again."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = _i64(ids)

    @functools.cached_property
    def selector(self) -> faiss.IDSelector:
        mask = np.zeros(int(self.ids.max()) + 1 if len(self.ids) else 0, bool)
        mask[self.ids] = True
        self._bits = np.packbits(mask, bitorder="little")  # kept: the selector reads it in place
        return faiss.IDSelectorBitmap(len(self._bits), faiss.swig_ptr(self._bits))


class VectorIndex:
    """Inner-product nearest-neighbour search over unit vectors with stable integer ids.

    ``exact`` tells whether scores are exact cosines (Flat) or approximate (IVF, to be re-scored).
    """

    def __init__(self, dim: int, index: faiss.Index | None = None, *, nprobe: int = 1,
                 recall: float | None = None) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.nprobe = nprobe
        self.recall = recall

    @property
    def exact(self) -> bool:
        return not isinstance(faiss.try_extract_index_ivf(self._index), faiss.IndexIVF)

    @property
    def kind(self) -> str:
        if self.exact:
            return "Flat"
        ivf = faiss.extract_index_ivf(self._index)
        return f"IVF{ivf.nlist},SQ8 (nprobe {self.nprobe})"

    @classmethod
    def build(cls, ids: np.ndarray, fetch: Fetch, dim: int, *, flat_limit: int = FLAT_LIMIT,
              target_recall: float = 0.95, seed: int = 0) -> VectorIndex:
        """The index that suits ``len(ids)`` vectors (see the module docstring), filled with them.

        ``ids`` ascend; ``fetch(rows)`` returns the vectors of ``ids[rows]``, so the vectors are read a
        chunk at a time and never all held in memory at once.
        """
        index = cls(dim)
        if len(ids) > max(flat_limit, 0) and len(ids) >= 2:
            index = cls._trained_ivf(ids, fetch, dim, seed)
        for start in range(0, len(ids), _CHUNK):
            rows = np.arange(start, min(len(ids), start + _CHUNK))
            index.add(ids[rows], fetch(rows))
        if not index.exact:
            index._calibrate(ids, fetch, target_recall, np.random.default_rng(seed))
        return index

    @classmethod
    def _trained_ivf(cls, ids: np.ndarray, fetch: Fetch, dim: int, seed: int) -> VectorIndex:
        nlist = max(1, min(int(4 * math.sqrt(len(ids))), len(ids) // 39))  # FAISS wants 39 points per list
        sample = np.sort(np.random.default_rng(seed).choice(len(ids), size=min(len(ids), 40 * nlist),
                                                            replace=False))
        ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                            faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = seed
        ivf.cp.niter = 10
        ivf.by_residual = False  # codes of the vectors themselves: training holds no residual copy, and the
        # exact re-scoring makes up the precision (at 100k: the same nprobe and calibration recall)
        ivf.train(_f32(fetch(sample)))
        return cls(dim, ivf)

    def _calibrate(self, ids: np.ndarray, fetch: Fetch, target: float, rng: np.random.Generator) -> None:
        """Pick the smallest nprobe whose re-scored top 10 finds ``target`` of the exact top 10, on corpus
        paragraphs used as queries (each query's own paragraph left out of both lists)."""
        rows = np.sort(rng.choice(len(ids), size=min(len(ids), _CALIBRATION_QUERIES), replace=False))
        queries = _f32(fetch(rows))
        truth = exact_top(queries, lambda start, stop: (ids[start:stop], fetch(np.arange(start, stop))),
                          len(ids), 11, step=4096)  # small steps: this runs at the end of an ingest
        wanted = [set(t.tolist()) - {int(ids[r])} for t, r in zip(truth, rows)]
        for nprobe in _NPROBES:
            self.nprobe = nprobe
            _, found = self.search(queries, 11 * RESCORE)
            hits = 0
            for query, candidates, want in zip(queries, found, wanted):
                candidates = candidates[candidates >= 0]
                _, top = rescore(query, candidates, fetch(np.searchsorted(ids, candidates)), 11)
                hits += len(want.intersection(top.tolist()))
            self.recall = hits / sum(len(w) for w in wanted)
            if self.recall >= target:
                return

    def search(self, queries: np.ndarray, k: int, allowed: IdSet | None = None,
               every_list: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids of the ``k`` nearest vectors per query; ``allowed`` restricts the ids searched.

        An inverted file searched for ``allowed`` visits as many more lists as the set is smaller than
        the index, so that it meets as many allowed vectors as an unfiltered search meets vectors. A
        query that found fewer than ``k`` visits four times more lists again, up to every list: lists
        vary in size, and a filter's paragraphs may be scarce around a query, since lists group
        paragraphs by subject and a filter (a desk) does too. ``every_list`` visits all from the start.

        Missing results (fewer than ``k`` vectors) have id -1. Scores are approximate unless ``exact``.
        """
        k = max(1, min(k, len(self)))
        queries = _f32(np.atleast_2d(queries))
        selector = allowed.selector if allowed is not None else None
        if self.exact:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
            return self._index.search(queries, k, params=params)
        lists = faiss.extract_index_ivf(self._index).nlist
        if allowed is None:
            nprobe, want = self.nprobe, k
        else:
            nprobe = lists if every_list else min(lists, math.ceil(self.nprobe * len(self) / max(len(allowed.ids), 1)))
            want = min(k, len(allowed.ids))

        def visiting(n: int) -> faiss.SearchParametersIVF:
            return faiss.SearchParametersIVF(sel=selector, nprobe=n) if selector is not None \
                else faiss.SearchParametersIVF(nprobe=n)
        scores, ids = self._index.search(queries, k, params=visiting(nprobe))
        short = (ids >= 0).sum(axis=1) < want
        while short.any() and nprobe < lists:
            nprobe = min(lists, 4 * nprobe)
            scores[short], ids[short] = self._index.search(queries[short], k, params=visiting(nprobe))
            short[short] = (ids[short] >= 0).sum(axis=1) < want
        return scores, ids

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """The index saved at ``path`` with its settings from the ``.json`` beside it (a missing or
        damaged file raises :class:`~index.damage.DamagedFile`)."""
        with reading(path):
            index = faiss.read_index(str(path))
        info = load_checked_json(path.with_suffix(".json"), required=False)  # missing: damaged too
        return cls(index.d, index, nprobe=info.get("nprobe", 1), recall=info.get("recall"))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def info(self) -> dict[str, object]:
        return {"kind": self.kind, "nprobe": self.nprobe, "recall": self.recall, "vectors": len(self)}

    def copy(self) -> VectorIndex:
        return VectorIndex(self.dim, faiss.clone_index(self._index), nprobe=self.nprobe, recall=self.recall)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(_f32(vectors), _i64(ids))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self._index.remove_ids(faiss.IDSelectorBatch(_i64(ids)))


def rescore(query: np.ndarray, candidates: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosines of ``candidates`` (whose ``vectors`` are given), best ``k`` first, ties by id."""
    scores = _f32(vectors) @ _f32(query).ravel()
    order = np.lexsort((candidates, -scores))[:k]
    return scores[order], candidates[order]


def exact_top(queries: np.ndarray, chunk: Callable[[int, int], tuple[np.ndarray, np.ndarray]], n: int,
              k: int, step: int = _CHUNK) -> list[np.ndarray]:
    """Ids of the exact top ``k`` per query, scanning ``n`` vectors in chunks (``chunk(start, stop)`` gives
    ids and vectors), so memory stays bounded whatever ``n`` is."""
    best_scores = np.full((len(queries), 0), -np.inf, np.float32)
    best_ids = np.zeros((len(queries), 0), np.int64)
    for start in range(0, n, step):
        ids, vectors = chunk(start, min(n, start + step))
        scores = queries @ _f32(vectors).T
        all_scores = np.concatenate([best_scores, scores], axis=1)
        all_ids = np.concatenate([best_ids, np.broadcast_to(ids, scores.shape)], axis=1)
        keep = np.argsort(-all_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(all_scores, keep, axis=1)
        best_ids = np.take_along_axis(all_ids, keep, axis=1)
    return list(best_ids)
