"""Same-story duplicates: exact copies, re-publications with edits, and rewrites.

Embedding similarity alone does not tell a story from its template: press releases written from one
form ("a combined Afghan and coalition force detained two suspects in X district, Y province")
embed almost alike although every one is a different raid. Two articles are the same story when
their words or their meaning agree *and* so do the names that make the story (places, people, dates):

- **copy**: their bodies' word 3-gram shingles overlap by at least ``COPY`` (Jaccard), or are equal;
- **edited**: their distinctive shingles (those of at most ``NAME_SHARE`` of the articles: a template's
  stock phrases left out) overlap by at least ``EDITED``, and most distinctive names of the article with
  fewer of them are in the other (≥ ``NAMES``; with fewer than ``MIN_NAMES`` names between them, names
  cannot tell them apart and count as agreeing) — a paragraph dropped, sentences moved, words changed,
  the title edited;
- **rewrite**: their article similarity (:func:`index.similarity.article_similarity`) is at least the
  threshold, they share at least ``MIN_NAMES`` distinctive names and their names mostly agree
  (Jaccard ≥ ``NAMES``): a rewrite must show it tells the same story.

A *distinctive name* is a capitalised word inside a sentence, or a number, held by at most
``NAME_SHARE`` of the articles (so "Afghan" or "ISAF" in every release tells nothing). Candidates come
from MinHash locality-sensitive hashing of the shingles (``datasketch``) and from the FAISS neighbours
of each paragraph, so finding them stays sub-quadratic; each candidate is then scored exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

SHINGLE = 3
COPY, EDITED, NAMES = 0.8, 0.3, 0.5
NAME_SHARE = 0.05
MIN_NAMES = 3  # fewer distinctive names between two articles than this: names cannot tell them apart
PERMUTATIONS = 128
LSH_THRESHOLD = 0.25  # below EDITED: MinHash estimates err, and a candidate costs only an exact check

_WORD = re.compile(r"\w+")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:[A-Z][\w'’-]*|\d[\d.,:/-]*)")


@dataclass(frozen=True)
class StoryText:
    """What same-story detection reads of an article: its shingles and its names."""

    shingles: frozenset[str]
    names: frozenset[str]


def story_text(title: str, paragraphs: Sequence[str]) -> StoryText:
    """The shingles of an article's body and the names in it and its title."""
    body = unicodedata.normalize("NFKC", " ".join(paragraphs)).lower()
    words = _WORD.findall(body)
    grams = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))} if words else set()
    names = set()
    for text in (title, *paragraphs):
        names.update(match.group().lower().rstrip(".,:/-") for match in _NAME.finditer(text))
    return StoryText(frozenset(grams), frozenset(n for n in names if n))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class StoryIndex:
    """The articles' story texts, their distinctive names, and MinHash LSH over their shingles."""

    def __init__(self, stories: dict[str, StoryText]) -> None:
        self.stories = stories
        floor = max(2, NAME_SHARE * len(stories))  # a pair shares its own words: more than two is common
        counts = Counter(name for story in stories.values() for name in story.names)
        common = {name for name, n in counts.items() if n > floor}
        self.names = {key: story.names - common for key, story in stories.items()}
        grams = Counter(gram for story in stories.values() for gram in story.shingles)
        template = {gram for gram, n in grams.items() if n > floor}
        self.own = {key: story.shingles - template for key, story in stories.items()}
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=PERMUTATIONS)
        self._hashes: dict[str, MinHash] = {}
        for key in sorted(stories):
            minhash = MinHash(num_perm=PERMUTATIONS, seed=1)
            minhash.update_batch([gram.encode("utf-8") for gram in stories[key].shingles])
            self._hashes[key] = minhash
            self._lsh.insert(key, minhash)

    def lexical_candidates(self) -> set[tuple[str, str]]:
        """Pairs whose shingles may overlap by ``LSH_THRESHOLD`` or more."""
        pairs = set()
        for key, minhash in self._hashes.items():
            pairs.update((min(key, other), max(key, other)) for other in self._lsh.query(minhash) if other != key)
        return pairs

    def kind(self, a: str, b: str, similarity: float, threshold: float) -> tuple[str | None, float]:
        """The kind of duplicate a pair is (``None``: not the same story) and its shingle overlap."""
        overlap = jaccard(self.stories[a].shingles, self.stories[b].shingles)
        first, second = self.names[a], self.names[b]
        shared = len(first & second)
        kept = shared / min(len(first), len(second)) if len(first | second) >= MIN_NAMES and first and second else \
            float(len(first | second) < MIN_NAMES)
        if overlap >= COPY:
            return "copy", overlap
        if jaccard(self.own[a], self.own[b]) >= EDITED and kept >= NAMES:
            return "edited", overlap
        if similarity >= threshold and shared >= MIN_NAMES and jaccard(first, second) >= NAMES:
            return "rewrite", overlap
        return None, overlap

