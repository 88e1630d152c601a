"""Paragraph vectors → the same paragraphs read in their articles, for the clustering to work on.

A paragraph alone is often ambiguous: "The security force detained two suspects" could close any of a
hundred press releases, and "He said the deal would be reviewed" any business or political story.
Read with the article around it, it is not. So once the merge tree has given the topics, the k-means
steps that settle them see each paragraph's vector plus the mean of its article's paragraphs (equal
weights: the paragraph says what it adds, the article what it is about); a paragraph that several
articles share gets the mean of their means. Paragraphs made of boilerplate (release headers) are left
out of the means, since they would pull every article the same way. Topics are still made of
paragraphs, each with its own topic, and their centroids are the means of the paragraphs' own vectors
(see :class:`topics.cluster.TopicClusterer`).

Measured with ``scripts/eval_topics.py`` (int8 stores, automatic count; without → with): article NMI
on ISAF 0.224 → 0.245, AG News 0.567 → 0.569, BBC 0.863 → 0.866; keyword NPMI on ISAF 0.287 → 0.322,
AG News 0.275 → 0.290; AG News label fidelity 0.70 → 0.80.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

CHUNK = 65_536  # rows written at a time


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def in_context(vectors: np.ndarray, articles: Sequence[Sequence[int]], skip: np.ndarray | None = None) -> np.ndarray:
    """Unit float32 vectors of the paragraphs ``vectors`` (rows) read in their articles: each paragraph's
    unit vector plus the mean unit vector of its article's paragraphs, normalised.

    ``articles`` holds each article's rows; ``skip`` flags rows left out of the means (an article made
    only of such rows keeps them all). A row in no article keeps its own direction.
    """
    n = len(vectors)
    member_rows, member_cols, body_rows, body_cols = [], [], [], []
    for a, rows in enumerate(articles):
        body = [r for r in rows if skip is None or not skip[r]] or list(rows)
        member_rows += list(rows)
        member_cols += [a] * len(rows)
        body_rows += [a] * len(body)
        body_cols += body
    n_articles = len(articles)
    body = sparse.csr_matrix((np.ones(len(body_cols)), (body_rows, body_cols)), shape=(n_articles, n))
    body = sparse.diags(1 / np.maximum(np.asarray(body.sum(axis=1)).ravel(), 1)) @ body
    membership = sparse.csr_matrix((np.ones(len(member_rows)), (member_rows, member_cols)), shape=(n, n_articles))
    membership = (sparse.diags(1 / np.maximum(np.asarray(membership.sum(axis=1)).ravel(), 1)) @ membership).tocsr()
    means = np.zeros((n_articles, vectors.shape[1]))
    for start in range(0, n, CHUNK):
        means += body[:, start:start + CHUNK] @ unit_rows(np.asarray(vectors[start:start + CHUNK], dtype=np.float64))
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    for start in range(0, n, CHUNK):
        own = unit_rows(np.asarray(vectors[start:start + CHUNK], dtype=np.float64))
        out[start:start + CHUNK] = unit_rows(own + membership[start:start + CHUNK] @ means)
    return out
