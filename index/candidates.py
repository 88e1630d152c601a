"""Candidate pairs of articles from paragraph vectors, for same-story judgement (:mod:`index.similarity`).

A pair is a candidate when a paragraph of one article is, or counts among its nearest neighbours at a
cosine of at least the threshold, a paragraph of the other. On an archive with wire copies every
paragraph has many such neighbours, so the pairs are worked out for a whole chunk of paragraphs at once
as integer arrays (:func:`index.minhash.pair_keys`), never as a Python set built paragraph by paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .minhash import pair_keys, ranks
from .snapshot import Snapshot
from .vectors import RESCORE

_RESCORE_CHUNK = 1024  # queries re-scored at a time: their candidates' vectors take ~70 MB


@dataclass(frozen=True)
class Owners:
    """Which articles (by number) hold each paragraph in their body: the holders of ``pids[i]`` are
    ``articles[starts[i]:starts[i + 1]]``."""

    pids: np.ndarray
    starts: np.ndarray
    articles: np.ndarray

    @classmethod
    def of(cls, pids: np.ndarray, articles: np.ndarray) -> Owners:
        """From one (paragraph id, article number) row per placement."""
        order = np.lexsort((articles, pids))
        pids, articles = pids[order].astype(np.int64), articles[order].astype(np.int64)
        again = np.zeros(len(pids), bool)
        again[1:] = (pids[1:] == pids[:-1]) & (articles[1:] == articles[:-1])
        pids, articles = pids[~again], articles[~again]  # an article that holds a paragraph twice
        first = np.concatenate(([True], pids[1:] != pids[:-1])) if len(pids) else np.zeros(0, bool)
        return cls(pids[first], np.append(np.flatnonzero(first), len(pids)), articles)

    def spans(self, pids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the holders of each of ``pids`` start in ``articles``, and how many there are (0 for a
        paragraph no article body holds, such as a title)."""
        if not len(self.pids):
            return np.zeros(len(pids), np.int64), np.zeros(len(pids), np.int64)
        at = np.minimum(np.searchsorted(self.pids, pids), len(self.pids) - 1)
        return self.starts[at], np.where(self.pids[at] == pids, self.starts[at + 1] - self.starts[at], 0)

    def pairs(self, first: np.ndarray, second: np.ndarray, count: int) -> np.ndarray:
        """Every pair of an article holding ``first[i]`` and one holding ``second[i]``, as
        :func:`index.minhash.pair_keys` over ``count`` articles."""
        start_a, size_a = self.spans(first)
        start_b, size_b = self.spans(second)
        edge = np.repeat(np.arange(len(first)), size_a)
        a = self.articles[np.repeat(start_a, size_a) + ranks(size_a)]
        again = np.repeat(np.arange(len(edge)), size_b[edge])
        b = self.articles[np.repeat(start_b[edge], size_b[edge]) + ranks(size_b[edge])]
        return pair_keys(a[again], b, count)


def nearest(snapshot: Snapshot, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """As :meth:`Snapshot.search` without a filter (cosines and ids of the ``k`` nearest, ties by id,
    id -1 padding), re-scoring an approximate index's candidates for many queries at once rather than
    one query at a time."""
    if snapshot.index.exact or not len(queries):
        return snapshot.search(queries, k)
    scores, ids = [], []
    for start in range(0, len(queries), _RESCORE_CHUNK):
        chunk = np.ascontiguousarray(queries[start:start + _RESCORE_CHUNK], dtype=np.float32)
        _, found = snapshot.index.search(chunk, k * RESCORE)
        best_scores, best_ids = _rescored(snapshot, chunk, found, k)
        scores.append(best_scores)
        ids.append(best_ids)
    return np.concatenate(scores), np.concatenate(ids)


def _rescored(snapshot: Snapshot, queries: np.ndarray, found: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact cosines of each query's candidates ``found`` (-1: none), best ``k`` first, ties by id."""
    valid = found >= 0
    unique, inverse = np.unique(found[valid], return_inverse=True)
    vectors = snapshot.vectors_of(unique)
    rows = np.zeros(found.shape, np.int64)
    rows[valid] = inverse
    scores = np.matmul(vectors[rows], queries[:, :, None])[..., 0]
    scores[~valid] = -np.inf
    line = np.repeat(np.arange(len(found)), found.shape[1])
    order = np.lexsort((found.ravel(), -scores.ravel(), line)).reshape(found.shape)[:, :k] % found.shape[1]
    top_scores = np.take_along_axis(scores, order, axis=1)
    return top_scores, np.where(np.isfinite(top_scores), np.take_along_axis(found, order, axis=1), -1)


def close_pairs(snapshot: Snapshot, ids: np.ndarray, vectors: np.ndarray, threshold: float,
                neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``ids`` (its vector in ``vectors``) with itself, and with each of its ``neighbours``
    nearest paragraphs at a cosine of ``threshold`` or more: two arrays of paragraph ids."""
    ids = np.asarray(ids, np.int64)
    if not len(ids):
        return ids, ids
    scores, found = nearest(snapshot, vectors, neighbours + 1)
    close = (found >= 0) & (scores >= threshold)
    return np.concatenate([ids, np.repeat(ids, close.sum(axis=1))]), np.concatenate([ids, found[close]])


def near_pairs(snapshot: Snapshot, owners: Owners, ids: np.ndarray, vectors: np.ndarray, threshold: float,
               neighbours: int, count: int) -> np.ndarray:
    """Pairs of articles (numbers below ``count``), one holding a paragraph of ``ids`` (its vector in
    ``vectors``) and the other it or one of its ``neighbours`` nearest paragraphs at a cosine of
    ``threshold`` or more (:func:`close_pairs`), as :func:`index.minhash.pair_keys`."""
    return owners.pairs(*close_pairs(snapshot, ids, vectors, threshold, neighbours), count)
