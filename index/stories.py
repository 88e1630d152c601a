"""Same-story duplicates: copies, edited re-publications, parts of longer articles, and rewrites.

Neither embedding similarity nor word overlap tells a story from its template: press releases written
from one form ("a combined Afghan and coalition force detained two suspects in X district, Y province")
embed almost alike and share most of their phrases, although every one is a different raid; items of one
digest share its header word for word. What differs is *where* the words differ. An edited copy differs
in scattered words, while a different event brings its own clause or paragraph: words that the other
article has nowhere. So a pair is compared on how much of each is new material, meaning words in runs
that no shared shingle covers (:func:`index.shingles.unmatched`). Only shingles that are the pair's own
count as shared. One held by more than ``TEMPLATE_SHARE`` of the articles (and more than
``MIN_TEMPLATE``) is a stock phrase and matches nothing. The kinds:

- **copy**: the bodies' word-shingle sets overlap by at least ``COPY`` (Jaccard);
- **edited**: one article adds at most ``NEW`` of its words to the other, and the other adds at most
  ``PART``: words changed, sentences moved, a paragraph dropped, the title edited;
- **part**: as edited, but the other adds more than ``PART``: an excerpt or a shortened version, or one
  item of a digest that holds it whole;
- **rewrite**: the article similarity (:func:`index.similarity.article_similarity`) is at least the
  threshold, and the names agree. They share at least ``MIN_NAMES`` names, and at least ``NAMES`` of each
  one's names, weighted by rarity (IDF), are in the other. Paragraphs that both hold word for word are
  left out. A rewrite changes the words, not the facts: another district, date or release number makes
  another story.

Candidates come from MinHash LSH (:mod:`index.minhash`) over each paragraph's own shingles and over each
article's. Paragraphs are used because a copy that lost most of the article still keeps its other
paragraphs nearly whole; articles because a copy's paragraphs may be cut differently. The FAISS
neighbours of each paragraph add more, so finding them stays sub-quadratic. Each candidate is then
scored exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from itertools import combinations

import numpy as np

from .minhash import buckets, signatures
from .shingles import StoryText, unmatched

TEMPLATE_SHARE = 0.05
MIN_TEMPLATE = 5  # a story may be told a few times over: a phrase in more articles than this may be stock
COPY, NEW, PART, NAMES = 0.8, 0.15, 0.5, 0.8
MIN_NAMES = 3
MIN_SHARED = 5  # fewer own shingles in common than this: too little text to call it one story
KINDS = ("copy", "edited", "part", "rewrite")


class StoryIndex:
    """The articles' story texts, the template shingles among them, and the rarity of their names."""

    def __init__(self, stories: dict[str, StoryText]) -> None:
        self.stories = stories
        self.keys = sorted(stories)
        floor = max(MIN_TEMPLATE, TEMPLATE_SHARE * len(stories))
        values, counts = np.unique(self._all(lambda text: np.unique(text.grams)), return_counts=True)
        self._template = values[counts > floor]
        names = Counter(name for text in stories.values() for name in text.names)
        self._weight = {name: math.log((len(stories) + 1) / n) for name, n in names.items()}
        self._unique: dict[str, np.ndarray] = {}

    def _all(self, part: Callable[[StoryText], np.ndarray]) -> np.ndarray:
        """``part`` of every article, concatenated in key order."""
        arrays = [part(self.stories[key]) for key in self.keys]
        return np.concatenate(arrays) if arrays else np.zeros(0, np.uint64)

    def _units(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sets LSH compares: each paragraph's own shingles, and each article's when it has several
        paragraphs (its paragraphs may be cut differently from a copy's). Returns the shingles unit after
        unit, where each unit starts, and the article (its number in ``keys``) each belongs to."""
        sizes = np.array([len(self.stories[k].lengths) for k in self.keys], np.int64)
        paragraph = np.repeat(np.arange(sizes.sum()), self._all(lambda text: text.counts).astype(np.int64))
        article = np.repeat(np.arange(len(self.keys)), sizes)[paragraph]
        grams = self._all(lambda text: text.grams)
        keep = ~np.isin(grams, self._template)
        whole = keep & (sizes[article] > 1)
        values = np.concatenate([grams[keep], grams[whole]])
        unit = np.concatenate([paragraph[keep], sizes.sum() + article[whole]])
        owner = np.concatenate([article[keep], article[whole]])
        starts = np.flatnonzero(np.concatenate(([True], unit[1:] != unit[:-1]))) if len(unit) else unit
        return values, starts, owner[starts]

    def lexical_candidates(self) -> set[tuple[str, str]]:
        """Pairs of articles with a paragraph each, or the whole of each, whose own shingles may overlap
        (see :mod:`index.minhash`)."""
        values, starts, owners = self._units()
        if not len(values):
            return set()
        pairs = set()
        for group in buckets(signatures(values, starts)):
            articles = np.unique(owners[group])
            pairs.update((self.keys[i], self.keys[j]) for i, j in combinations(articles.tolist(), 2))
        return pairs

    def _shingles(self, key: str) -> np.ndarray:
        if key not in self._unique:
            self._unique[key] = np.unique(self.stories[key].grams)
        return self._unique[key]

    def _names_agree(self, a: str, b: str) -> bool:
        """Whether the names of two articles agree, leaving out paragraphs that both hold word for word
        (a digest's header, a dateline): those agree in any two items of the digest."""
        first, second = self.stories[a], self.stories[b]
        both = np.intersect1d(first.keys, second.keys)
        mine, theirs = first.names_besides(both), second.names_besides(both)
        shared = mine & theirs
        weight = lambda names: sum(self._weight[name] for name in names)  # noqa: E731
        return len(shared) >= MIN_NAMES and weight(shared) >= NAMES * max(weight(mine), weight(theirs))

    def kind(self, a: str, b: str, similarity: float, threshold: float) -> tuple[str | None, float]:
        """The kind of duplicate a pair is (``None``: not the same story) and its shingle overlap."""
        first, second = self._shingles(a), self._shingles(b)
        shared = np.intersect1d(first, second, assume_unique=True)
        union = len(first) + len(second) - len(shared)
        overlap = len(shared) / union if union else 1.0
        if overlap >= COPY:
            return "copy", overlap
        own = np.setdiff1d(shared, self._template, assume_unique=True)
        if len(own) >= MIN_SHARED:
            near, far = sorted((unmatched(self.stories[a], own), unmatched(self.stories[b], own)))
            if near <= NEW:
                return ("part" if far > PART else "edited"), overlap
        if similarity >= threshold and self._names_agree(a, b):
            return "rewrite", overlap
        return None, overlap
