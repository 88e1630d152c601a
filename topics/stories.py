"""Themes → their stories: the events and subjects a reader follows inside each theme.

The themes (:mod:`topics.cluster`) are where a corpus's subjects lie far apart: BBC's desks, AG News's
sections. A reader follows stories inside them (Yukos inside business, the Six Nations inside sport),
so each theme is clustered again, by the same method, over its own paragraphs only:

1. **One tree per theme.** The theme's paragraphs get their own micro-clusters and Ward merge tree,
   and the same rule that chose the themes chooses the theme's story count from that tree: the widest
   clear gap in its merge heights, else the coarsest cut where no story holds more than ``max_share`` of
   the theme (see :meth:`topics.cluster.TopicClusterer._choose`). The stories settle in k-means steps
   on the paragraphs read in their articles, as the themes do. Cutting only at a gap (one story where
   the tree shows none), BBC's five desks held 19 stories, its politics and business desks two each:
   news is a continuum, where the readable cut finds 44 (36 of them ≥ 90% one desk).
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

from .cluster import UNASSIGNED, TopicClusterer, nearest_centroid
from .context import unit_rows

MIN_STORY = 3  # fewest paragraphs of a story, whatever the corpus size
COPIES = 0.9  # the similarity at which topics duplicates calls two articles the same story


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
    for theme in np.unique(themes[themes != UNASSIGNED]):
        rows = np.flatnonzero(themes == theme)
        own = np.flatnonzero(story_themes == theme)
        if not len(own):
            continue
        nearest, cosine = nearest_centroid(vectors[rows], centroids[own], -1.0)
        labels[rows], confidence[rows] = own[nearest], cosine
    return labels, confidence


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
        The automatic count's readability bound, as a share of the theme (see :mod:`topics.cluster`).
    seed:
        Seeds the k-means samples of large themes, as for the themes.
    init:
        The previous fit's story centroids: a warm start, as for the themes, so a refit after a few more
        articles keeps its stories (each theme starts from the previous stories nearest it).
    copies:
        A theme whose paragraphs' mean cosine to its centroid is at least this is one story.
    """

    def __init__(self, n_stories: int | None = None, *, min_story_size: int | None = None,
                 max_share: float = 0.3, seed: int = 0, init: np.ndarray | None = None,
                 copies: float = COPIES) -> None:
        self.n_stories = n_stories
        self.min_story_size = min_story_size
        self.max_share = max_share
        self.seed = seed
        self.init = init
        self.copies = copies

    def _floor(self, n: int) -> int:
        return self.min_story_size or max(MIN_STORY, round(0.002 * n))

    def _clusterer(self, n_topics: int | None, floor: int, init: np.ndarray | None = None) -> TopicClusterer:
        return TopicClusterer(n_topics, min_topic_size=floor, min_confidence=-1.0, max_share=self.max_share,
                              seed=self.seed, init=init)

    def fit(self, X: np.ndarray, themes: np.ndarray, n_themes: int, context: np.ndarray | None = None,
            novel: np.ndarray | None = None, theme_centroids: np.ndarray | None = None) -> Stories:
        """Stories of the paragraphs ``X`` whose theme index is ``themes`` (``UNASSIGNED``: none);
        ``context`` as for :meth:`TopicClusterer.fit`. A warm start (``init``) needs the themes'
        ``theme_centroids`` and takes ``novel`` (the paragraphs the previous fit lacked)."""
        floor = self._floor(len(X))
        counts = self._counts(X, themes, n_themes, floor) if self.n_stories else [None] * n_themes
        warm = self.init is not None and len(self.init) and theme_centroids is not None and not self.n_stories
        near = nearest_centroid(self.init, theme_centroids, -1.0)[0] if warm else None
        story_themes, centroids = [], []
        for theme in range(n_themes):
            rows = np.flatnonzero(themes == theme)
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

    def _counts(self, X: np.ndarray, themes: np.ndarray, n_themes: int, floor: int) -> list[int]:
        """Stories per theme for ``n_stories`` in all: the themes' merge trees cut at one height, the
        ``n_stories - n_themes`` highest merges of all trees undone (each theme keeps at least one)."""
        heights: list[tuple[float, int]] = []
        for theme in range(n_themes):
            rows = np.flatnonzero(themes == theme)
            if len(rows) < 2 * floor:
                continue
            tree = self._clusterer(None, floor).merge_tree(X[rows])
            heights += [(float(h), theme) for h in tree[:, 2]] if len(tree) else []
        heights.sort(key=lambda item: (-item[0], item[1]))
        counts = [1] * n_themes
        for _, theme in heights[:max(0, (self.n_stories or 0) - n_themes)]:
            counts[theme] += 1
        return counts
