"""What same-story detection reads of an article: its words as hashed shingles, in order, and its names;
and how much of one article another leaves unmatched.

A shingle is ``SHINGLE`` consecutive words of a paragraph (a shorter paragraph is one shingle), hashed to
64 bits, so 100,000 articles fit in memory as arrays rather than strings. What an edit does to a text is
scattered: a changed word breaks only the shingles that hold it, and its neighbours stay covered by
others. New material — a paragraph the other lacks, another event's sentence — leaves long runs of words
that no shared shingle covers. :func:`new_words` marks only runs longer than ``GAP`` words, so
:func:`unmatched` measures how much an article *adds* to another, whatever share of its words was edited.
Each name is placed on the word it starts at, so the names of what an article adds can be read too.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .arrays import locate, unique_sorted
from .terms import WORD, words as lower_words

SHINGLE = 3
GAP = 4  # unmatched runs of at most this many words are edits (a word or a short phrase changed), not new

_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:[A-Z][\w'’-]*|\d[\d.,:/-]*)")
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def _hash(text: str) -> int:
    """A stable 64-bit hash of a word or a paragraph's words (the same in every process, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


_word_hash = functools.lru_cache(maxsize=1 << 21)(_hash)  # words recur: each is hashed about once


def _shingles(words: list[str]) -> np.ndarray:
    """The hashes of a paragraph's shingles, in order (one for a paragraph shorter than a shingle)."""
    hashes = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    if len(words) < SHINGLE:
        return np.array([np.bitwise_xor.reduce(hashes * _MIX[:len(words)])], dtype=np.uint64)
    width = len(words) - SHINGLE + 1
    mixed = hashes[:width] * _MIX[0] ^ hashes[1:width + 1] * _MIX[1] ^ hashes[2:width + 2] * _MIX[2]
    return mixed ^ (mixed >> np.uint64(29))


@dataclass(frozen=True, eq=False)
class StoryText:
    """An article's shingle hashes, paragraph after paragraph; the number of words of each paragraph
    (which places every shingle on the words it covers); a hash of each paragraph's words; the names in
    its title and in each paragraph; and each name in the body in order, with its first word (counting
    through the article), so that the names of any stretch of words can be read."""

    grams: np.ndarray
    lengths: np.ndarray
    keys: np.ndarray
    title_names: frozenset[str]
    paragraph_names: tuple[frozenset[str], ...]
    body_names: tuple[str, ...]
    name_words: np.ndarray

    @property
    def words(self) -> int:
        return int(self.lengths.sum())

    @functools.cached_property
    def distinct(self) -> np.ndarray:
        """The distinct shingles, sorted: what pairs of articles are compared by."""
        return unique_sorted(self.grams)

    @property
    def counts(self) -> np.ndarray:
        """Shingles per paragraph."""
        return _counts(self.lengths)

    @property
    def names(self) -> frozenset[str]:
        return self.title_names.union(*self.paragraph_names)

    def names_besides(self, paragraphs: np.ndarray) -> frozenset[str]:
        """The names of the title and of the paragraphs whose hash is not in ``paragraphs``."""
        return self.title_names.union(*(names for key, names in zip(self.keys, self.paragraph_names)
                                        if key not in paragraphs))

    def names_in(self, words: np.ndarray) -> frozenset[str]:
        """The body's names whose first word is marked in ``words`` (one flag per word of the body)."""
        return frozenset(name for name, marked in zip(self.body_names, words[self.name_words]) if marked)


def _names(text: str) -> list[tuple[int, str]]:
    """Capitalised words inside a sentence, and numbers ("Helmand", "2010-07-CA-028", "45-21"), each with
    the offset in ``text`` where it starts."""
    found = ((m.start(), m.group().lower().rstrip(".,:/-").removesuffix("'s").removesuffix("’s"))
             for m in _NAME.finditer(text))
    return [(start, name) for start, name in found if name]


def _first_words(paragraph: str, found: list[tuple[int, str]]) -> list[int]:
    """The word of ``paragraph`` (counting from 0) at which each name found in it starts."""
    out, last, count = [], 0, 0
    for at, _ in found:
        count += len(WORD.findall(paragraph, last, at))  # a name begins a word: no word is cut at ``at``
        last = at
        out.append(count)
    return out


def story_text(title: str, paragraphs: Sequence[str]) -> StoryText:
    """The shingles, paragraph hashes and names of an article's body paragraphs, and its title's names."""
    grams, lengths, keys, names, body_names, name_words = [], [], [], [], [], []
    before = 0  # words in the paragraphs so far
    for paragraph in paragraphs:
        words = lower_words(paragraph)
        if words:
            found = _names(paragraph)
            body_names += [name for _, name in found]
            name_words += [before + first for first in _first_words(paragraph, found)]
            grams.append(_shingles(words))
            lengths.append(len(words))
            keys.append(_hash(" ".join(words)))
            names.append(frozenset(name for _, name in found))
            before += len(words)
    return StoryText(np.concatenate(grams) if grams else np.zeros(0, np.uint64), np.array(lengths, np.int64),
                     np.array(keys, np.uint64), frozenset(name for _, name in _names(title)), tuple(names),
                     tuple(body_names), np.array(name_words, np.int64))


def _counts(lengths: np.ndarray) -> np.ndarray:
    """Shingles of paragraphs of these many words."""
    return np.maximum(lengths - SHINGLE + 1, 1)


def _layout(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each shingle's first word (counting through the article) and how many words it covers."""
    counts = _counts(lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return first + within, np.repeat(np.minimum(lengths, SHINGLE), counts)


def new_words(text: StoryText, shared: np.ndarray) -> np.ndarray:
    """Which of ``text``'s words lie in runs of more than ``GAP`` words that no shingle of ``shared`` (a
    sorted array of hashes) covers: the material ``text`` adds beyond the article it shares them with."""
    total = text.words
    starts, spans = _layout(text.lengths)
    hit = locate(shared, text.grams) >= 0
    depth = np.bincount(starts[hit], minlength=total + 1) - np.bincount(starts[hit] + spans[hit], minlength=total + 1)
    covered = np.concatenate(([True], np.cumsum(depth[:-1]) > 0, [True]))
    edges = np.flatnonzero(covered[1:] != covered[:-1])
    runs = edges[1::2] - edges[::2]
    marks = np.zeros(total + 1, np.int64)
    marks[edges[::2][runs > GAP]], marks[edges[1::2][runs > GAP]] = 1, -1  # runs never touch: edges differ
    return np.cumsum(marks[:-1]) > 0


def unmatched(text: StoryText, shared: np.ndarray) -> float:
    """The share of ``text``'s words that are new beside ``shared`` (see :func:`new_words`)."""
    return float(new_words(text, shared).mean()) if text.words else 0.0
