"""Folding a search's near-duplicate articles: a hit whose article is a copy or an edited version of a
higher hit's article is listed under that hit (its ``also_in``, beside the articles that hold the hit's
paragraph word for word) rather than taking one of the k places.

The relation is the one ``topics duplicates`` finds (:mod:`index.stories`), limited to its ``copy`` and
``edited`` kinds: a ``part`` (an excerpt, or a fuller version) and a ``rewrite`` (other words) have text
of their own to show. Only pairs of hits are judged, each hit with those above it until k are kept, and
most pairs cheaply. First a test on the words: a copy or an edited version holds at least ``SHARE`` of
the other's word 3-grams, edits and all (a changed word breaks three), where articles that only share a
subject hold a few. The pairs left are judged by :meth:`index.stories.StoryIndex.kind` on the two
articles alone. A copy needs nothing more; an edited version is judged again among the articles that
hold the paragraphs nearest the pair's (their ``NEIGHBOURS`` nearest in the whole store, at a cosine of
``TWIN`` or more), because what counts as new material depends on the template shingles, the stock
phrases that many articles share: releases written from one form embed alike, so their form is common
among their neighbours, whatever the filters keep. Paragraph vectors alone cannot pick the pairs: an
edit that changes one word in ten can take an article's similarity to its original down to 0.6, where
articles on one subject lie.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .arrays import unique_sorted
from .catalog import Link
from .shingles import StoryText
from .stories import MIN_SHARED, StoryIndex, body, story_of

if TYPE_CHECKING:
    from .search import Hit
    from .snapshot import Snapshot
    from .store import Store

FOLDED = frozenset({"copy", "edited"})
SHARE = 0.3  # edited BBC articles (a word in ten changed, a paragraph cut) hold 0.61 or more; others 0.04 at most
NEIGHBOURS, TWIN = 10, 0.8  # texts from one form that differ in a name or a number embed 0.85 or more alike


def _trigrams(links: list[Link]) -> set[int]:
    """An article's body as a set of lower-case word 3-grams (hashed, so that sets intersect fast): what
    the first, cheap test compares."""
    words = " ".join(link.text for link in body(links)).lower().split()
    return set(map(hash, zip(words, words[1:], words[2:])))


class Folder:
    """Folds the hits of one search; what it reads and judges is kept while the search goes deeper."""

    def __init__(self, store: Store, snapshot: Snapshot) -> None:
        self.store, self.snapshot = store, snapshot
        self.links: dict[str, list[Link]] = {}
        self.grams: dict[str, set[int]] = {}
        self.texts: dict[str, StoryText] = {}
        self.near: dict[str, set[str]] = {}
        self.same: dict[tuple[str, str], bool] = {}

    def fold(self, hits: list[Hit], k: int) -> list[Hit]:
        """The first ``k`` hits (best first) whose article is no copy or edited version of an article
        above them, each listing in ``also_in`` the articles folded under it."""
        self._read(set(list(dict.fromkeys(hit.article.id for hit in hits))[:2 * k]))  # most that are compared
        return _folded(hits, k, self.one_story)

    def one_story(self, a: str, b: str) -> bool:
        """Whether one of two stored articles is a copy or an edited version of the other."""
        pair = (min(a, b), max(a, b))
        if pair not in self.same:
            self.same[pair] = self._alike(*pair) and self._kind(*pair) in FOLDED
        return self.same[pair]

    def _read(self, ids: set[str]) -> None:
        if ids - self.links.keys():
            for link in self.store.links(article_ids=sorted(ids - self.links.keys())):
                self.links.setdefault(link.article.id, []).append(link)

    def _alike(self, a: str, b: str) -> bool:
        """The cheap test: whether the two share enough word 3-grams to be copies."""
        self._read({a, b})
        for aid in (a, b):
            if aid not in self.grams:
                self.grams[aid] = _trigrams(self.links[aid])
        shared = len(self.grams[a] & self.grams[b])
        return shared >= MIN_SHARED and shared >= SHARE * min(len(self.grams[a]), len(self.grams[b]))

    def _kind(self, a: str, b: str) -> str | None:
        """The kind of duplicate two articles are, judged on the two; an edited version again among the
        articles nearest theirs, where a template they share shows as common."""
        kind = self._judged({a, b}, a, b)
        near = {a, b} | self._near(a) | self._near(b) if kind == "edited" else set()
        return self._judged(near, a, b) if len(near) > 2 else kind

    def _judged(self, ids: set[str], a: str, b: str) -> str | None:
        """The kind of duplicate ``a`` and ``b`` are among the articles ``ids`` (no similarity is given,
        so never a rewrite)."""
        self._read(ids)
        for aid in ids - self.texts.keys():
            self.texts[aid] = story_of(self.links[aid])
        return StoryIndex({aid: self.texts[aid] for aid in sorted(ids)}).kind(a, b, 0.0, math.inf)[0]

    def _near(self, aid: str) -> set[str]:
        """The articles holding the paragraphs nearest an article's own, in the whole store; found for
        every article read so far at once (one index search)."""
        if aid not in self.near:
            ids = sorted(self.links.keys() - self.near.keys())
            bodies = [[link.paragraph_id for link in body(self.links[other])] for other in ids]
            scores, found = self.snapshot.search(self.snapshot.vectors_of([p for pids in bodies for p in pids]),
                                                 NEIGHBOURS)
            found[scores < TWIN] = -1
            owners: dict[int, set[str]] = {}
            for pid, other in self.store.placements(paragraph_ids=unique_sorted(found[found >= 0]).tolist()):
                owners.setdefault(pid, set()).add(other)
            rows = np.cumsum([0] + [len(pids) for pids in bodies])
            for other, start, end in zip(ids, rows[:-1], rows[1:]):
                self.near[other] = set().union(*(owners.get(int(i), set()) for i in found[start:end].ravel()))
        return self.near[aid]


def _folded(hits: list[Hit], k: int, one_story: Callable[[str, str], bool]) -> list[Hit]:
    """The first ``k`` hits whose article is not one story with a higher hit's article; each folded
    article (and the articles holding its paragraph) joins the ``also_in`` of the hit it is shown under."""
    kept: list[Hit] = []
    home: dict[str, int] = {}  # article → the place of the kept hit it is shown in, in rank order
    shown: set[str] = set()
    for hit in hits:
        if len(kept) == k:
            break
        aid = hit.article.id
        under = None if aid in shown else next(
            (place for other, place in home.items() if other != aid and one_story(aid, other)), None)
        if under is None:
            home.setdefault(aid, len(kept))
            shown.add(aid)
            kept.append(hit)
            continue
        home.setdefault(aid, under)
        host = kept[under]
        also = dict.fromkeys((*host.also_in, aid, *hit.also_in))
        also.pop(host.article.id, None)
        kept[under] = replace(host, also_in=tuple(also))
    return kept
