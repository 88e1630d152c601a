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
- **part**: as edited, but the other adds more than ``PART``: an excerpt, or a shortened or a fuller
  version, unless the longer is a digest that holds the shorter as one of its items (below);
- **rewrite**: the article similarity (:func:`index.similarity.article_similarity`) is at least the
  threshold, and the names agree. They share at least ``MIN_NAMES`` names, and at least ``NAMES`` of each
  one's names, weighted by rarity (IDF), are in the other. Paragraphs that both hold word for word are
  left out. A rewrite changes the words, not the facts: another district, date or release number makes
  another story.

A digest (a roundup, a release reporting several raids) holds each of its items whole, so by its shingles
an item is a ``part`` of it, yet the rest of the digest is other stories. What tells it from a fuller
version is what the longer adds (:meth:`StoryIndex._digest_item`). Most of what a digest adds is
paragraphs of its own (most of their words new), written from the same form as the item (they share a
template shingle), that name rare names and none of the item's: another district, person or date. A
rare name is one held by no more articles than a template shingle may be; commoner ones (a province, a
month) are stock. A fuller version's added paragraphs name the story's people and places again, or its
new material is clauses inside the shared paragraphs, or, in free prose, it shares no stock phrase with
the shorter. A digest and its item are not listed: they are not one story, just as two items of one
digest are not.

Candidates come from MinHash LSH (:mod:`index.minhash`) over each paragraph's own shingles and over each
article's. Paragraphs are used because a copy that lost most of the article still keeps its other
paragraphs nearly whole; articles because a copy's paragraphs may be cut differently. The FAISS
neighbours of each paragraph add more, so finding them stays sub-quadratic. The candidates no kind
could accept are dropped by bounds (:mod:`index.pair_filter`), and the rest scored exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .arrays import unique_sorted
from .catalog import Link
from .minhash import bucket_pairs, signatures
from .shingles import StoryText, new_words, story_text, unmatched

TEMPLATE_SHARE = 0.05
MIN_TEMPLATE = 5  # a story may be told a few times over: a phrase in more articles than this may be stock
COPY, NEW, PART, NAMES = 0.8, 0.15, 0.5, 0.8
MIN_NAMES = 3
MIN_SHARED = 5  # fewer own shingles in common than this: too little text to call it one story
KINDS = ("copy", "edited", "part", "rewrite")


def body(links: Sequence[Link]) -> list[Link]:
    """An article's body paragraphs (its stored links, in order), or its title alone when it has nothing
    else: a title repeats its body, so comparing articles leaves it out."""
    return [link for link in links if not link.is_title] or list(links)


def story_of(links: Sequence[Link]) -> StoryText:
    """An article's story text from its stored paragraphs (in order); the title is read for its names."""
    return story_text(links[0].article.title, [link.text for link in body(links)])


@dataclass(frozen=True)
class StoryCounts:
    """What judging a pair reads of the whole archive besides the pair itself: how many articles there
    are, the template shingles (sorted) and how many articles name each name. Judging one article's
    pairs needs these of every article, and the story texts of the pair only."""

    articles: int
    template: np.ndarray
    names: dict[str, int]

    @classmethod
    def of(cls, stories: dict[str, StoryText]) -> StoryCounts:
        names = Counter(name for text in stories.values() for name in text.names)
        if len(stories) <= stock_floor(len(stories)):  # too few articles for any shingle to be stock
            return cls(len(stories), np.zeros(0, np.uint64), dict(names))
        held = [unique_sorted(text.grams) for text in stories.values()]  # not kept: this reads every article
        values, counts = np.unique(np.concatenate(held) if held else np.zeros(0, np.uint64), return_counts=True)
        return cls(len(stories), values[counts > stock_floor(len(stories))], dict(names))


def stock_floor(articles: int) -> float:
    """The most articles a shingle or name may be held by and still be the story's own, not stock."""
    return max(MIN_TEMPLATE, TEMPLATE_SHARE * articles)


class StoryIndex:
    """The articles' story texts, the template shingles among them, and the rarity of their names:
    counted among ``stories`` themselves, or given by ``counts`` when ``stories`` are a few articles of
    a larger archive (counts taken before some of them were written may lack a name: it is held by at
    least the articles here that name it)."""

    def __init__(self, stories: dict[str, StoryText], counts: StoryCounts | None = None) -> None:
        self.stories = stories
        self.keys = sorted(stories)
        self.counts = counts or StoryCounts.of(stories)
        self._template = self.counts.template
        total, named = self.counts.articles, Counter(name for text in stories.values() for name in text.names)
        held = {name: max(self.counts.names.get(name, 0), count) for name, count in named.items()}
        self._weight = {name: math.log((total + 1) / n) for name, n in held.items()}
        self._rare = frozenset(name for name, n in held.items() if n <= stock_floor(total))  # commoner names are stock

    @property
    def template(self) -> np.ndarray:
        """The template shingles, sorted: stock phrases, held by too many articles to tell one story."""
        return self._template

    def weight(self, name: str) -> float:
        """A name's rarity weight (IDF) among the articles."""
        return self._weight[name]

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

    def lexical_pairs(self) -> np.ndarray:
        """Pairs of articles with a paragraph each, or the whole of each, whose own shingles may overlap
        (see :mod:`index.minhash`), as :func:`index.minhash.pair_keys` over the articles' numbers in
        ``keys``."""
        values, starts, owners = self._units()
        if not len(values):
            return np.zeros(0, np.int64)
        return bucket_pairs(signatures(values, starts), owners, len(self.keys))

    def lexical_candidates(self) -> set[tuple[str, str]]:
        """:meth:`lexical_pairs` by article id."""
        count = len(self.keys)
        return {(self.keys[key // count], self.keys[key % count]) for key in self.lexical_pairs().tolist()}

    def _shingles(self, key: str) -> np.ndarray:
        return self.stories[key].distinct

    def _names_agree(self, a: str, b: str) -> bool:
        """Whether the names of two articles agree, leaving out paragraphs that both hold word for word
        (a digest's header, a dateline): those agree in any two items of the digest."""
        first, second = self.stories[a], self.stories[b]
        both = np.intersect1d(first.keys, second.keys)
        mine, theirs = first.names_besides(both), second.names_besides(both)
        shared = mine & theirs
        weight = lambda names: sum(self._weight[name] for name in names)  # noqa: E731
        return len(shared) >= MIN_NAMES and weight(shared) >= NAMES * max(weight(mine), weight(theirs))

    def _digest_item(self, inner: str, outer: str, own: np.ndarray) -> bool:
        """Whether ``outer`` holds ``inner`` as one item of a digest rather than being a fuller version of
        it: most of what ``outer`` adds lies in paragraphs of its own (mostly new words), written from the
        same form as ``inner`` (they share a template shingle), that name rare names and none of
        ``inner``'s. A fuller version's added paragraphs name the story's people and places again."""
        text = self.stories[outer]
        new = new_words(text, own)
        paragraph = np.repeat(np.arange(len(text.lengths)), text.lengths)
        items = np.bincount(paragraph, weights=new, minlength=len(text.lengths)) * 2 > text.lengths
        words = new & items[paragraph]
        if words.sum() * 2 <= new.sum():
            return False  # new clauses inside shared paragraphs: the same story, told at more length
        grams = text.grams[np.repeat(items, text.counts)]
        if not len(np.intersect1d(np.intersect1d(grams, self._template), self._shingles(inner))):
            return False
        names = text.names_in(words) & self._rare
        return bool(names) and not names & self.stories[inner].names

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
            new = {key: unmatched(self.stories[key], own) for key in (a, b)}
            inner, outer = sorted((a, b), key=new.__getitem__)
            if new[inner] <= NEW:
                if new[outer] <= PART:
                    return "edited", overlap
                return (None if self._digest_item(inner, outer, own) else "part"), overlap
        if similarity >= threshold and self._names_agree(a, b):
            return "rewrite", overlap
        return None, overlap
