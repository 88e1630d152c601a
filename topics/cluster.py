"""Paragraph vectors → topics.

The method, and why:

1. **Micro-clusters.** Spherical k-means (FAISS) cuts the corpus into about 2·√n small, tight groups,
   started from a deterministic divisive split (:mod:`topics.divisive`) rather than a random draw, so
   the tree and the count do not depend on the seed. It trains on a seeded sample of at most
   ``points_per_micro`` paragraphs per micro-cluster (the whole corpus up to about 16,000), so
   an iteration costs about m²·64·d = 256·n·d: linear in n, and a million paragraphs cost minutes. No n×n
   (nor n×m) matrix is ever built. Corpora of up to ``exact_below`` paragraphs skip this step: each
   paragraph is its own micro-cluster.
2. **Merge tree.** Ward linkage over the micro-centroids gives a full hierarchy of merges.
3. **Cut.** ``n_topics`` cuts the tree at that many topics. Left automatic, the count comes from the
   tree itself: the coarsest cut, from 2 up to ``max_topics`` topics, where no topic holds more than
   ``max_share`` of the paragraphs and the merge heights show a real gap (see :meth:`_choose`). Where the
   corpus has clear subjects (BBC's five sections) the gap finds them; where it has none (one agency's
   press releases) the share rule still splits it into topics a reader can tell apart.
4. **Topics.** Topics smaller than ``min_topic_size`` are dissolved, and the rest settle in spherical
   k-means steps over every paragraph. Given a ``context`` (each paragraph read in its article,
   :mod:`topics.context`), those steps run on it, so a paragraph that could belong to several topics
   goes where its article is; the tree and the count still come from the paragraphs alone, which keeps
   the count steady (built in context, ISAF's tree gave 6 or 8 topics on rounding-level differences in
   the vectors). Each topic's centroid is the normalised mean of its members' own vectors; every
   paragraph then belongs to its nearest centroid, with that cosine as its confidence, and is
   *unassigned* below ``min_confidence``.

Steps 1–3 work on the k-means sample (the whole corpus up to about 16,000 paragraphs); only step 4
touches every paragraph, a chunk at a time, so memory beyond the input and its context (one float32
copy) stays bounded. Because step 4 defines membership as "nearest centroid",
:meth:`TopicClusterer.predict` on a fitted paragraph returns exactly what the fit gave it.
"""

from __future__ import annotations

import math

import faiss
import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage

from .context import CHUNK, unit_rows
from .divisive import divisive_centroids

UNASSIGNED = -1
CLEAR_GAP = 2.0  # a ratio of merge heights that marks subjects far apart (see TopicClusterer._choose)


class NotFittedError(ValueError, AttributeError):
    """``predict`` before ``fit`` (a ValueError and an AttributeError, as scikit-learn's)."""


def _group_means(X: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Unit mean of each group's rows, summed in float64 a chunk at a time (no n-row float64 copy)."""
    sums = np.zeros((n_groups, X.shape[1]))
    for start in range(0, len(X), CHUNK):
        part = groups[start:start + CHUNK]
        onehot = sparse.csr_matrix((np.ones(len(part)), (part, np.arange(len(part)))), shape=(n_groups, len(part)))
        sums += onehot @ np.asarray(X[start:start + CHUNK], dtype=np.float64)
    return unit_rows(sums)


class TopicClusterer:
    """Cluster unit vectors into topics; scikit-learn style (``fit`` learns, ``predict`` never refits).

    Parameters
    ----------
    n_topics:
        Number of topics; ``None`` chooses it from the merge tree (see step 3 above).
    min_topic_size:
        Topics with fewer paragraphs are dissolved into their neighbours (automatic choice only);
        ``None`` means 0.2% of the corpus, at least 2.
    min_confidence:
        Paragraphs whose cosine to their nearest topic centroid is below this are unassigned.
    max_topics:
        Upper bound of the automatic choice.
    max_share:
        The automatic choice is a cut where no topic holds more than this share of the paragraphs: a
        topic holding a third of a corpus is a section, not a topic, and a report of it tells a reader
        little.
    exact_below:
        Corpora smaller than this skip k-means and build the tree over the paragraphs themselves.
    points_per_micro:
        K-means trains on a seeded sample of at most this many paragraphs per micro-cluster; topic
        centroids (and the sizes ``min_topic_size`` is checked against, scaled to the corpus) come from
        the same sample.
    refine_steps:
        Most spherical k-means steps over all vectors that settle the centroids (see :meth:`_refine`).
    init:
        Centroids to start from: a warm start from the previous fit, so a refit after a few more
        articles keeps its topics and moves them only as far as the new articles pull them; the merge
        tree still runs, and adds the topics it finds that are new (see :func:`_warm`).
    seed:
        Seeds the samples drawn from corpora too large to cluster whole (k-means itself starts from a
        deterministic split, so on smaller corpora every seed gives the same topics).

    Attributes (after ``fit``)
    --------------------------
    labels_, confidence_:
        Topic index (or ``UNASSIGNED``) and confidence of each input vector.
    centroids_:
        ``(n_topics_, dim)`` unit centroids, topics ordered by size (largest first).
    tree_:
        SciPy linkage matrix over the topic centroids (Ward), the topic hierarchy.
    cuts_:
        Candidate topic counts and the gap in merge heights at each (empty when ``n_topics`` was given).
    """

    def __init__(self, n_topics: int | None = None, *, min_topic_size: int | None = None,
                 min_confidence: float = 0.2, max_topics: int = 60, max_share: float = 0.3,
                 exact_below: int = 1000, points_per_micro: int = 64, refine_steps: int = 30,
                 init: np.ndarray | None = None, seed: int = 0) -> None:
        self.n_topics = n_topics
        self.min_topic_size = min_topic_size
        self.min_confidence = min_confidence
        self.max_topics = max_topics
        self.max_share = max_share
        self.exact_below = exact_below
        self.points_per_micro = points_per_micro
        self.refine_steps = refine_steps
        self.init = init
        self.seed = seed

    def _n_micro(self, n: int) -> int:
        """Micro-clusters for a corpus of n paragraphs (0: each paragraph is its own)."""
        return 0 if n < self.exact_below else min(n // 4, max(50, int(2 * math.sqrt(n))))

    def _sample(self, X: np.ndarray, m: int) -> np.ndarray:
        """Unit float32 rows k-means and the cut work on: all of them, or a seeded sample of m·points_per_micro."""
        size = m * self.points_per_micro
        if not m or len(X) <= size:
            return unit_rows(X)
        rows = np.sort(np.random.default_rng([1, self.seed]).choice(len(X), size=size, replace=False))
        return unit_rows(X[rows])

    def _micro(self, X: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Micro-cluster of each vector and the micro-centroids."""
        if not m:
            return np.arange(len(X)), X
        # min_points_per_centroid=1: a small sample per micro-cluster is the design, not a mistake to warn of.
        start = divisive_centroids(X, m)
        kmeans = faiss.Kmeans(X.shape[1], len(start), niter=20, seed=self.seed, spherical=True,
                              max_points_per_centroid=self.points_per_micro, min_points_per_centroid=1)
        kmeans.train(X, init_centroids=start)
        _, assigned = kmeans.index.search(X, 1)
        used, micro = np.unique(assigned.ravel(), return_inverse=True)
        return micro, _group_means(X, micro, len(used))

    def _floor(self, n: int) -> int:
        """Fewest paragraphs an automatically found topic may have in an n-paragraph corpus."""
        return self.min_topic_size or max(2, round(0.002 * n))

    def _choose(self, micro: np.ndarray, tree: np.ndarray, m: int, n: int) -> int:
        """The automatic topic count: the coarsest readable cut at a real gap in the merge heights.

        The gap of the cut into k topics is the ratio of the last merge it undoes to the next one it
        keeps. A gap is *dominant* when its excess over 1 is at least twice every other's, *clear* when
        it is at least ``CLEAR_GAP`` (the subjects lie twice as far apart as anything inside them), and
        *real* when its excess is at least three times the median excess (it stands out from the
        corpus's own run of ratios). A cut is *readable* when no topic holds more than ``max_share`` of
        the paragraphs. In order:

        1. the widest gap, when it is clear (clear subjects are kept whole, however large) or dominant
           and readable (the corpus has that many subjects);
        2. the smallest readable cut at a real gap, else the smallest readable cut (a corpus without
           clear subjects, such as one agency's press releases, is cut where a reader can tell the
           topics apart).
        """
        heights = np.sort(tree[:, 2])[::-1]
        shares = {}
        for k in range(2, min(self.max_topics, m - 1) + 1):
            sizes = np.bincount(fcluster(tree, k, "maxclust")[micro])[1:] / len(micro)
            if sizes.min() * n < self._floor(n):
                break  # a cut into topics too small to keep; deeper cuts only make them smaller
            shares[k] = float(sizes.max())
        ks = list(shares)
        if not ks:
            return 1
        gaps = {k: float(heights[k - 2] / max(heights[k - 1], 1e-12)) for k in ks}
        self.cuts_ = {k: round(gaps[k], 6) for k in ks}
        readable = [k for k in ks if shares[k] <= self.max_share]
        ranked = sorted(ks, key=lambda k: (-gaps[k], k))
        widest = ranked[0]
        dominant = len(ranked) == 1 or gaps[widest] - 1 >= 2 * (gaps[ranked[1]] - 1)
        if gaps[widest] >= CLEAR_GAP or (dominant and widest in readable):
            return widest
        if not readable:
            return min(ks, key=lambda k: (shares[k], k))
        typical = float(np.median([gaps[k] - 1 for k in ks]))
        return next((k for k in readable if gaps[k] - 1 >= 3 * typical), readable[0])

    def fit(self, X: np.ndarray, novel: np.ndarray | None = None, context: np.ndarray | None = None) -> TopicClusterer:
        """Learn topics from ``X`` (n × dim; not copied beyond the k-means sample and one chunk).

        With ``init``, ``novel`` flags the rows the previous fit did not have (all of them when not
        given): only a topic made mostly of those can be new (see :func:`_warm`). With ``context``
        (the same rows read in their articles, :func:`topics.context.in_context`), the topics found
        on ``X`` settle on those rows instead (step 4), and each topic's centroid is then the mean of
        its paragraphs' own vectors, so :meth:`predict` on ``X`` gives every fitted paragraph the
        topic the fit gave it.
        """
        X = np.asarray(X)
        if len(X) == 0:
            raise ValueError("no vectors to cluster")
        Z = X if context is None else context
        self.cuts_: dict[int, float] = {}
        centroids = self._from_tree(X)
        if self.init is not None and len(self.init):
            novel = np.ones(len(X), dtype=bool) if novel is None else np.asarray(novel, dtype=bool)
            centroids = _warm(X, novel, unit_rows(self.init), centroids)
        if context is not None:
            centroids = _read_as(X, Z, centroids)
        self.centroids_ = self._refine(Z, centroids)
        if context is not None:
            self.centroids_ = _read_as(Z, X, self.centroids_)
        self.labels_, self.confidence_ = self.predict(X)
        self.tree_ = linkage(self.centroids_, method="ward") if len(self.centroids_) > 1 else np.zeros((0, 4))
        self.n_topics_ = len(self.centroids_)
        return self

    def merge_tree(self, X: np.ndarray) -> np.ndarray:
        """The Ward merge tree (SciPy linkage) of ``X``'s micro-clusters, as the cut sees it (empty when
        there are fewer than three)."""
        return self._micro_tree(X)[3]

    def _micro_tree(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The rows the tree is built on, each one's micro-cluster, the micro-centroids and their Ward
        tree (empty with fewer than three micro-clusters)."""
        n_micro = self._n_micro(len(X))
        sample = self._sample(X, n_micro)
        micro, micro_centroids = self._micro(sample, n_micro)
        if n_micro:
            # Micro-clusters too small to be a topic are stray paragraphs: left out of the tree, they
            # cannot split off as a "topic" at the top of it and cut the automatic choice short.
            sizes = np.bincount(micro, minlength=len(micro_centroids)) * len(X) / len(sample)
            kept = np.flatnonzero(sizes >= self._floor(len(X)))
            if 3 <= len(kept) < len(micro_centroids):
                rows = np.isin(micro, kept)
                sample, micro = sample[rows], np.searchsorted(kept, micro[rows])
                micro_centroids = micro_centroids[kept]
        tree = linkage(micro_centroids, method="ward") if len(micro_centroids) >= 3 else np.zeros((0, 4))
        return sample, micro, micro_centroids, tree

    def _from_tree(self, X: np.ndarray) -> np.ndarray:
        """Topic centroids from the merge tree of the micro-clusters, cut as asked or chosen."""
        sample, micro, micro_centroids, tree = self._micro_tree(X)
        m = len(micro_centroids)
        if m < 3:
            groups = np.zeros(len(sample), dtype=int) if self.n_topics in (None, 1) or m == 1 else micro
        else:
            k = min(self.n_topics, m) if self.n_topics else self._choose(micro, tree, m, len(X))
            groups = fcluster(tree, k, "maxclust")[micro] if k > 1 else np.zeros(len(sample), dtype=int)
        return self._centroids(sample, groups, len(X))

    def _refine(self, X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        """Spherical k-means (Lloyd) steps over every vector from ``centroids`` until no vector changes
        topic (at most ``refine_steps``): the fit settles in the optimum nearest its start, so another
        seed's start, or the last fit's centroids with a few more articles, end in nearly the same
        topics. Topics left under the size floor are dissolved; the rest are ordered by size."""
        floor = 0 if self.n_topics else self._floor(len(X))
        previous = None
        for _ in range(self.refine_steps):
            labels, _ = nearest_centroid(X, centroids, -1.0)
            sizes = np.bincount(labels, minlength=len(centroids))
            keep = np.flatnonzero(sizes >= max(floor, 1))
            if not len(keep):
                keep = np.array([int(np.argmax(sizes))])
            if previous is not None and np.array_equal(labels, previous) and len(keep) == len(centroids):
                break
            means = _group_means(X, labels, len(centroids))[keep]
            centroids, previous = means, (labels if len(keep) == len(centroids) else None)
        labels, _ = nearest_centroid(X, centroids, -1.0)
        sizes = np.bincount(labels, minlength=len(centroids))
        order = sorted(range(len(centroids)), key=lambda i: (-sizes[i], i))
        return centroids[order]

    def _centroids(self, X: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
        """Centroids of the groups of the n-paragraph corpus sampled in ``X``, small groups dissolved,
        ordered by size then first member."""
        ids, first, sizes = np.unique(groups, return_index=True, return_counts=True)
        floor = 0 if self.n_topics else self._floor(n)
        keep = [i for i in range(len(ids)) if sizes[i] * n / len(X) >= floor] or [int(np.argmax(sizes))]
        keep.sort(key=lambda i: (-sizes[i], first[i]))
        return _group_means(X, np.searchsorted(ids, groups), len(ids))[keep]

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest topic of each vector (``UNASSIGNED`` below ``min_confidence``) and its cosine."""
        if not hasattr(self, "centroids_"):
            raise NotFittedError("this TopicClusterer is not fitted yet; call fit(X) before predict")
        return nearest_centroid(X, self.centroids_, self.min_confidence)


def _read_as(source: np.ndarray, target: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Topics given by ``centroids`` over the rows of ``source``, as centroids over the same rows of
    ``target`` (each the mean of its members there), ordered by size there; topics left without
    members are dropped."""
    groups, _ = nearest_centroid(source, centroids, -1.0)
    used = np.unique(groups)
    means = _group_means(target, np.searchsorted(used, groups), len(used))
    sizes = np.bincount(nearest_centroid(target, means, -1.0)[0], minlength=len(means))
    return means[[i for i in sorted(range(len(means)), key=lambda i: (-sizes[i], i)) if sizes[i]]]


def _warm(X: np.ndarray, novel: np.ndarray, previous: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    """Start centroids of a warm refit: the previous fit's, plus each freshly found topic made mostly
    of paragraphs the previous fit did not have (``novel``) that the previous topics fit worse than
    they fit any of their own (the mean cosine to the nearest previous centroid is below every previous
    topic's mean): a subject the corpus did not have before, such as a new story. A fresh topic that
    re-cuts old paragraphs adds nothing, so ids, labels and the number of topics stay put."""
    old, confidence = nearest_centroid(X, previous, -1.0)
    counts = np.bincount(old, minlength=len(previous))
    fit = np.bincount(old, weights=confidence, minlength=len(previous)) / np.maximum(counts, 1)
    worst = float(fit[counts > 0].min())
    groups, _ = nearest_centroid(X, fresh, -1.0)
    new = [fresh[g] for g in range(len(fresh)) if (groups == g).any() and novel[groups == g].mean() > 0.5
           and float(confidence[groups == g].mean()) < worst]
    return np.vstack([previous, *new]) if new else previous


def nearest_centroid(X: np.ndarray, centroids: np.ndarray, min_confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Index of each vector's nearest centroid (``UNASSIGNED`` when its cosine is below
    ``min_confidence``, or when there are no centroids) and that cosine; vectors are normalised first.

    The one definition of membership: the fit, :meth:`TopicClusterer.predict` and the saved model's
    ``assign`` all call it, so a fitted paragraph is always assigned what the fit gave it.
    """
    X = np.asarray(X)
    labels = np.full(len(X), UNASSIGNED, dtype=np.intp)
    confidence = np.zeros(len(X), dtype=np.float32)
    if not len(centroids):
        return labels, confidence
    for start in range(0, len(X), CHUNK):
        sims = unit_rows(X[start:start + CHUNK]) @ np.asarray(centroids, np.float32).T
        best = sims.argmax(axis=1)
        labels[start:start + len(best)] = best
        confidence[start:start + len(best)] = sims[np.arange(len(best)), best]
    return np.where(confidence >= min_confidence, labels, UNASSIGNED), confidence


def article_topic(vectors: np.ndarray, assigned: np.ndarray, centroids: np.ndarray, min_confidence: float) -> int:
    """Main topic (centroid index, or ``UNASSIGNED``) of an article whose paragraphs have ``vectors``:
    the centroid nearest the mean of the paragraphs that have a topic (``assigned``), or of all of them
    when none has. Each paragraph counts as much as it is sure of its topic (its cosine to its nearest
    centroid), so a paragraph that sits between topics sways the article less than one that states its
    subject (article NMI, int8 stores, topics fitted without the article context: ISAF 0.216 → 0.224,
    300 BBC articles 0.876 → 0.882, BBC 0.864 → 0.863, AG News 0.567 either way)."""
    if not len(vectors):
        return UNASSIGNED
    return int(article_topics(vectors, assigned, np.zeros(1, np.intp), centroids, min_confidence)[0])


def article_topics(vectors: np.ndarray, assigned: np.ndarray, starts: np.ndarray, centroids: np.ndarray,
                   min_confidence: float) -> np.ndarray:
    """:func:`article_topic` of many articles at once, in a few array operations rather than a loop:
    article i has rows ``starts[i]`` to ``starts[i + 1]`` (each at least one) of ``vectors``. What keeps
    a page listing every article's main topic fast on an archive of hundreds of thousands."""
    starts = np.asarray(starts, np.intp)
    article = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(vectors))))
    assigned = np.asarray(assigned, dtype=bool)
    used = assigned | ~np.add.reduceat(assigned, starts).astype(bool)[article]
    chosen = unit_rows(vectors)
    _, sureness = nearest_centroid(chosen, centroids, -1.0)
    weights = np.maximum(sureness, 0.0) * used
    none = ~np.add.reduceat(weights > 0, starts).astype(bool)
    weights = np.where(none[article], used, weights).astype(np.float32)
    if len(starts) == 1:  # one article (a page's): the sum itself, without building a matrix
        means = (weights[:, None] * chosen).sum(axis=0, keepdims=True)
    else:
        means = sparse.csr_matrix((weights, (article, np.arange(len(article)))),
                                  shape=(len(starts), len(article))) @ chosen  # weighted sum per article
    rows, _ = nearest_centroid(means, centroids, min_confidence)
    return rows
