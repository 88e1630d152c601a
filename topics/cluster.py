"""Paragraph vectors → topics.

The method, and why:

1. **Micro-clusters.** Spherical k-means (FAISS, seeded) cuts the corpus into about 2·√n small, tight
   groups. It is linear in n, so a million paragraphs cost minutes, and no n×n matrix is ever built.
   Corpora of up to ``exact_below`` paragraphs skip this step: each paragraph is its own micro-cluster.
2. **Merge tree.** Ward linkage over the micro-centroids gives a full hierarchy of merges.
3. **Cut.** ``n_topics`` cuts the tree at that many topics. Left automatic, the cut with the best
   silhouette (cosine) on a seeded sample of paragraphs wins, from 2 up to ``max_topics`` topics.
4. **Topics.** Topics smaller than ``min_topic_size`` are dissolved; each topic's centroid is the
   normalised mean of its members; every paragraph then belongs to its nearest centroid, with that cosine
   as its confidence, and is *unassigned* below ``min_confidence``.

Because step 4 defines membership as "nearest centroid", :meth:`TopicClusterer.predict` on a fitted
paragraph returns exactly what the fit gave it.
"""

from __future__ import annotations

import math

import faiss
import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import silhouette_score

UNASSIGNED = -1


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class TopicClusterer:
    """Cluster unit vectors into topics; scikit-learn style (``fit`` learns, ``predict`` never refits).

    Parameters
    ----------
    n_topics:
        Number of topics; ``None`` chooses it by silhouette.
    min_topic_size:
        Topics with fewer paragraphs are dissolved into their neighbours (automatic choice only);
        ``None`` means 0.2% of the corpus, at least 2.
    min_confidence:
        Paragraphs whose cosine to their nearest topic centroid is below this are unassigned.
    max_topics:
        Upper bound of the automatic choice.
    sample_size:
        Paragraphs used to score candidate cuts.
    exact_below:
        Corpora smaller than this skip k-means and build the tree over the paragraphs themselves.
    seed:
        Seeds k-means and the sample, so the same input gives the same topics.

    Attributes (after ``fit``)
    --------------------------
    labels_, confidence_:
        Topic index (or ``UNASSIGNED``) and confidence of each input vector.
    centroids_:
        ``(n_topics_, dim)`` unit centroids, topics ordered by size (largest first).
    tree_:
        SciPy linkage matrix over the topic centroids (Ward), the topic hierarchy.
    silhouettes_:
        Candidate topic counts and their silhouette scores (empty when ``n_topics`` was given).
    """

    def __init__(self, n_topics: int | None = None, *, min_topic_size: int | None = None,
                 min_confidence: float = 0.2, max_topics: int = 60, sample_size: int = 4000,
                 exact_below: int = 1000, seed: int = 0) -> None:
        self.n_topics = n_topics
        self.min_topic_size = min_topic_size
        self.min_confidence = min_confidence
        self.max_topics = max_topics
        self.sample_size = sample_size
        self.exact_below = exact_below
        self.seed = seed

    def _micro(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Micro-cluster of each vector and the micro-centroids."""
        n = len(X)
        if n < self.exact_below:
            return np.arange(n), X
        m = min(n // 4, max(50, int(2 * math.sqrt(n))))
        kmeans = faiss.Kmeans(X.shape[1], m, niter=20, seed=self.seed, spherical=True,
                              max_points_per_centroid=256)
        kmeans.train(X)
        _, assigned = kmeans.index.search(X, 1)
        assigned = assigned.ravel()
        used, micro = np.unique(assigned, return_inverse=True)
        centroids = np.zeros((len(used), X.shape[1]), np.float64)
        np.add.at(centroids, micro, X)
        return micro, _normalise(centroids)

    def _choose(self, X: np.ndarray, micro: np.ndarray, tree: np.ndarray, m: int) -> int:
        rng = np.random.default_rng(self.seed)
        sample = np.sort(rng.choice(len(X), size=min(len(X), self.sample_size), replace=False))
        distances = np.clip(1 - X[sample] @ X[sample].T, 0, 2)
        np.fill_diagonal(distances, 0)
        best, best_k = -2.0, 1
        for k in range(2, min(self.max_topics, m - 1) + 1):
            labels = fcluster(tree, k, "maxclust")[micro[sample]]
            if len(np.unique(labels)) < 2:
                continue
            score = float(silhouette_score(distances, labels, metric="precomputed"))
            self.silhouettes_[k] = score
            if score > best + 1e-9:
                best, best_k = score, k
        return best_k

    def fit(self, X: np.ndarray) -> TopicClusterer:
        X = _normalise(np.asarray(X, dtype=np.float32))
        if len(X) == 0:
            raise ValueError("no vectors to cluster")
        self.silhouettes_: dict[int, float] = {}
        micro, micro_centroids = self._micro(X)
        m = len(micro_centroids)
        if m < 3:
            groups = np.zeros(len(X), dtype=int) if self.n_topics in (None, 1) or m == 1 else micro
        else:
            tree = linkage(micro_centroids, method="ward")
            k = min(self.n_topics, m) if self.n_topics else self._choose(X, micro, tree, m)
            groups = fcluster(tree, k, "maxclust")[micro] if k > 1 else np.zeros(len(X), dtype=int)
        self.centroids_ = self._centroids(X, groups)
        self.labels_, self.confidence_ = self.predict(X)
        self.tree_ = linkage(self.centroids_, method="ward") if len(self.centroids_) > 1 else np.zeros((0, 4))
        self.n_topics_ = len(self.centroids_)
        return self

    def _centroids(self, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Centroids of the groups, small groups dissolved, ordered by size then first member."""
        ids, first, sizes = np.unique(groups, return_index=True, return_counts=True)
        floor = 0 if self.n_topics else (self.min_topic_size or max(2, round(0.002 * len(X))))
        keep = [i for i in range(len(ids)) if sizes[i] >= floor] or [int(np.argmax(sizes))]
        keep.sort(key=lambda i: (-sizes[i], first[i]))
        centroids = np.stack([X[groups == ids[i]].mean(axis=0) for i in keep])
        return _normalise(centroids)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest topic of each vector (``UNASSIGNED`` below ``min_confidence``) and its cosine."""
        sims = _normalise(np.asarray(X, dtype=np.float32)) @ self.centroids_.T
        labels = sims.argmax(axis=1)
        confidence = sims[np.arange(len(sims)), labels]
        labels = np.where(confidence >= self.min_confidence, labels, UNASSIGNED)
        return labels, confidence.astype(np.float32)
