"""Themes → their stories: the events and subjects a reader follows inside each theme.

The themes (:mod:`topics.cluster`) are where a corpus's subjects lie far apart: BBC's desks, AG News's
sections. A reader follows stories inside them (Yukos inside business, the Six Nations inside sport),
so each theme is clustered again, by the same method, over its own paragraphs only:

1. **One tree per theme, cut where a reader can follow it.** The theme's paragraphs get their own
   micro-clusters and Ward merge tree. Where the tree shows clear subjects (the widest gap in its
   merge heights clear, or dominant and readable: step 1 of
   :meth:`topics.cluster.TopicClusterer._choose`) the theme is cut there. Otherwise (news is a
   continuum) the stories are the objective's answer

       the coarsest partition of the tree into subtrees none of which holds more than ``max_share``
       of the theme's paragraphs,

   found from the root down, each subtree over the bound split at its top merge (see
   :func:`readable_partition`). It is stable where a cut across the whole tree is not: when a
   theme's edge moves and a subtree crosses the bound, that subtree alone is split (or kept whole),
   so the count moves by one.
   The rule the themes use (the smallest readable cut across the tree, at a real gap if any) moved
   BBC's count from 44 stories to 72 and back to 39 as the confidence floor went 0.2 → 0.15 → 0.1
   (AG News 48, 71, 31): the one cut must wait for the largest story to fall under the bound, and
   splits every other branch above that height on the way (one BBC desk: 14 stories, then 44).
   Now BBC has 41 stories at floors 0.2, 0.15 and 0.1 alike (AG News 34, ISAF 72), and 38 (AG News
   37) before settling when the core's loosest paragraphs are dropped (cosine 0.22, not 0.2). The
   bound is a fifth (``STORY_SHARE``), not the themes' 0.3, at which BBC's 29 stories held two
   subjects apiece (the hunting ban under "Wales"; aid, poverty and the tsunami as one). The stories
   then settle in k-means steps on the paragraphs read in their articles, as the themes do.

   **On the theme's core.** The tree, the count and the k-means steps see only the theme's *core*,
   its paragraphs whose cosine to its centroid is at least ``core``; the looser ones join their
   nearest story after (step 2). So a confidence floor below ``core``, a theme's edge taking in a
   few hundred more loose paragraphs, moves no story at all.
2. **Nesting by construction.** A paragraph's story is the nearest story centroid *of its theme*, so
   every story lies inside one theme, an unassigned paragraph has no story, and the fit, ``predict``
   and ``assign`` agree (one helper, :func:`story_of`).
3. **One subject, one story.** A story holds at least ``min_story_size`` paragraphs (the theme
   floor, and never fewer than three: two paragraphs are a passage, not a story a reader follows), so
   a theme too small to hold two stories has one, the theme itself; and so has a theme whose paragraphs
   lie on average at least ``copies`` from its centroid (cosine): near-copies of one text, which any
   cut would split by noise (the same report re-run with another number, a release template).

``n_stories`` asks for a total instead: the themes' trees are cut at one merge height, the one that
leaves that many stories, so the largest splits are made wherever they are (a Ward cut of the forest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster

from index.arrays import unique_sorted

from .cluster import UNASSIGNED, TopicClusterer, nearest_centroid
from .context import unit_rows

MIN_STORY = 3  # fewest paragraphs of a story, whatever the corpus size
COPIES = 0.9  # the similarity at which topics duplicates calls two articles the same story
STORY_SHARE = 0.2  # the readable bound of a story, as a share of its theme (step 1)
CORE = 0.2  # cosine to its theme's centroid from which a paragraph is in the theme's core (step 1)


@dataclass(frozen=True)
class Stories:
    """Stories of a fit: each story's theme (index into the themes), unit centroids, and each
    paragraph's story (index into ``themes``/``centroids``, ``UNASSIGNED`` where its theme is)."""

    themes: np.ndarray  # (n_stories,) theme index of each story, stories ordered by theme then size
    centroids: np.ndarray  # (n_stories, dim)
    labels: np.ndarray  # (n_paragraphs,)
    confidence: np.ndarray  # (n_paragraphs,) cosine to the story centroid

    def of_theme(self, theme: int) -> np.ndarray:
        """Story indices of one theme, largest first."""
        return np.flatnonzero(self.themes == theme)


def story_of(vectors: np.ndarray, themes: np.ndarray, story_themes: np.ndarray,
             centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's story: the nearest story centroid among those of its theme (``themes``: theme index
    per vector, ``UNASSIGNED`` for none), with that cosine. The one definition of story membership."""
    labels = np.full(len(vectors), UNASSIGNED, dtype=np.intp)
    confidence = np.zeros(len(vectors), dtype=np.float32)
    for theme in unique_sorted(themes[themes != UNASSIGNED]):
        rows = np.flatnonzero(themes == theme)
        own = np.flatnonzero(story_themes == theme)
        if not len(own):
            continue
        nearest, cosine = nearest_centroid(vectors[rows], centroids[own], -1.0)
        labels[rows], confidence[rows] = own[nearest], cosine
    return labels, confidence


STORY_MICRO = 250  # micro-clusters at most in a theme's tree: a fifth of a theme is still 50 of them


class StoryCut(TopicClusterer):
    """The theme clusterer with the story count's own rule (step 1 of the module): the cut at a
    clear gap where the tree shows one, else the readable partition of :func:`readable_partition`."""

    def _n_micro(self, n: int) -> int:
        """At most ``STORY_MICRO``: stories are parts of a fifth of a theme or less, which half the
        themes' cap resolves, and k-means costs the square of the count (a theme reaches the cap only
        past 15,625 core paragraphs: none of BBC, AG News, ISAF or the 10⁵ archive does)."""
        return min(super()._n_micro(n), STORY_MICRO)

    def _cut(self, micro: np.ndarray, tree: np.ndarray, m: int, n: int) -> np.ndarray:
        if self.n_topics:
            return super()._cut(micro, tree, m, n)
        clear = self._clear_cut(*self._cuts(micro, tree, m, n))
        if clear is not None:
            return fcluster(tree, clear, "maxclust")
        return readable_partition(tree, np.bincount(micro, minlength=m), self.max_share)


def readable_partition(tree: np.ndarray, weights: np.ndarray, max_share: float) -> np.ndarray:
    """Group of each leaf of a SciPy merge ``tree`` (leaf i holding ``weights[i]``): the coarsest
    partition into subtrees where none holds more than ``max_share`` of the weight, found from the
    root down by splitting each subtree over the bound at its top merge. Unlike one cut across the
    whole tree, splitting one subtree leaves the others whole, so a subtree crossing the bound moves
    the count by one."""
    m = len(weights)
    size = np.concatenate([np.asarray(weights, float), np.zeros(m - 1)])
    for i, (a, b) in enumerate(tree[:, :2].astype(int)):
        size[m + i] = size[a] + size[b]
    groups = np.zeros(m, dtype=int)
    stack, found = [2 * m - 2], 0
    while stack:
        node = stack.pop()
        if node >= m and size[node] > max_share * size[-1]:
            stack += [int(tree[node - m, 1]), int(tree[node - m, 0])]
            continue
        groups[_leaves(tree, node, m)] = found
        found += 1
    return groups


def _leaves(tree: np.ndarray, node: int, m: int) -> list[int]:
    """Leaves under ``node`` of a SciPy merge tree of m leaves."""
    out, stack = [], [node]
    while stack:
        top = stack.pop()
        if top < m:
            out.append(top)
        else:
            stack += [int(tree[top - m, 0]), int(tree[top - m, 1])]
    return out


class StoryClusterer:
    """Cluster each theme's paragraphs into stories; scikit-learn style.

    Parameters
    ----------
    n_stories:
        Total number of stories; ``None`` chooses each theme's count from its own merge tree.
    min_story_size:
        Fewest paragraphs of a story; ``None`` means the theme floor (0.2% of the corpus), at least
        ``MIN_STORY``.
    max_share:
        The readable bound of a story, as a share of its theme (step 1 above).
    seed:
        Seeds the k-means samples of large themes, as for the themes.
    init:
        The previous fit's story centroids: a warm start, as for the themes, so a refit after a few more
        articles keeps its stories (each theme starts from the previous stories nearest it).
    copies:
        A theme whose paragraphs' mean cosine to its centroid is at least this is one story.
    core:
        A theme's paragraphs at least this near its centroid (cosine) are its core, on which its
        stories are found (see step 1 above).
    """

    def __init__(self, n_stories: int | None = None, *, min_story_size: int | None = None,
                 max_share: float = STORY_SHARE, seed: int = 0, init: np.ndarray | None = None,
                 copies: float = COPIES, core: float = CORE) -> None:
        self.n_stories = n_stories
        self.min_story_size = min_story_size
        self.max_share = max_share
        self.seed = seed
        self.init = init
        self.copies = copies
        self.core = core

    def _floor(self, n: int) -> int:
        return self.min_story_size or max(MIN_STORY, round(0.002 * n))

    def _clusterer(self, n_topics: int | None, floor: int, init: np.ndarray | None = None) -> TopicClusterer:
        return StoryCut(n_topics, min_topic_size=floor, min_confidence=-1.0, max_share=self.max_share,
                              seed=self.seed, init=init)

    def fit(self, X: np.ndarray, themes: np.ndarray, n_themes: int, context: np.ndarray | None = None,
            novel: np.ndarray | None = None, theme_centroids: np.ndarray | None = None,
            confidence: np.ndarray | None = None) -> Stories:
        """Stories of the paragraphs ``X`` whose theme index is ``themes`` (``UNASSIGNED``: none);
        ``context`` as for :meth:`TopicClusterer.fit`. A warm start (``init``) needs the themes'
        ``theme_centroids`` and takes ``novel`` (the paragraphs the previous fit lacked). Given each
        paragraph's cosine to its theme (``confidence``), the stories are found on the themes' cores
        and every other paragraph of a theme joins its nearest story (step 1 of the module)."""
        floor = self._floor(len(X))
        core = self._core(themes, n_themes, confidence)
        counts = self._counts(X, core, n_themes, floor) if self.n_stories else [None] * n_themes
        warm = self.init is not None and len(self.init) and theme_centroids is not None and not self.n_stories
        near = nearest_centroid(self.init, theme_centroids, -1.0)[0] if warm else None
        story_themes, centroids = [], []
        for theme in range(n_themes):
            rows = core[theme]
            if not len(rows):
                continue
            centre = unit_rows(X[rows].mean(axis=0, keepdims=True, dtype=np.float64))
            if len(rows) < 2 * floor or counts[theme] == 1 or float((X[rows] @ centre[0]).mean()) >= self.copies:
                found = centre
            else:
                start = self.init[near == theme] if near is not None and (near == theme).any() else None
                sub = self._clusterer(counts[theme], floor, start)
                sub.fit(X[rows], None if novel is None else novel[rows], None if context is None else context[rows])
                found = sub.centroids_
            story_themes += [theme] * len(found)
            centroids.append(found.astype(np.float32))
        story_themes_array = np.array(story_themes, dtype=np.int64)
        stacked = np.vstack(centroids) if centroids else np.zeros((0, X.shape[1]), np.float32)
        labels, confidence = story_of(X, themes, story_themes_array, stacked)
        return Stories(story_themes_array, stacked, labels, confidence)

    def _core(self, themes: np.ndarray, n_themes: int, confidence: np.ndarray | None) -> list[np.ndarray]:
        """Each theme's core: the rows of its paragraphs at least ``core`` from its centroid (all of
        them where ``confidence`` is not given, or where none is that near)."""
        out = []
        for theme in range(n_themes):
            rows = np.flatnonzero(themes == theme)
            near = rows if confidence is None else rows[confidence[rows] >= self.core]
            out.append(near if len(near) else rows)
        return out

    def _counts(self, X: np.ndarray, core: list[np.ndarray], n_themes: int, floor: int) -> list[int]:
        """Stories per theme for ``n_stories`` in all: the themes' merge trees (of their cores) cut at
        one height, the ``n_stories - n_themes`` highest merges of all trees undone (each theme keeps at
        least one)."""
        heights: list[tuple[float, int]] = []
        for theme in range(n_themes):
            rows = core[theme]
            if len(rows) < 2 * floor:
                continue
            tree = self._clusterer(None, floor).merge_tree(X[rows])
            heights += [(float(h), theme) for h in tree[:, 2]] if len(tree) else []
        heights.sort(key=lambda item: (-item[0], item[1]))
        counts = [1] * n_themes
        for _, theme in heights[:max(0, (self.n_stories or 0) - n_themes)]:
            counts[theme] += 1
        return counts
