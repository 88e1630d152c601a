"""Words to index terms: the one tokenizer that both stored paragraphs and queries go through.

A term is a word as SQLite's FTS5 ``unicode61 remove_diacritics 2`` + ``porter`` tokenizer sees it:
letters and digits (``_`` separates), lower-cased, accents folded, Porter-stemmed; English stop words
are left out. Terms are kept as 32-bit hashes (MurmurHash3), so no vocabulary has to be stored or kept
in step: with a million distinct terms only about a hundred pairs would share a hash.

A paragraph's term counts are stored with it in SQLite as ``<u4`` (term, count) pairs, sorted by term.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import snowballstemmer

from .arrays import unique_sorted
from .murmur import murmurhash3_32
from .stopwords import ENGLISH_STOP_WORDS

WORD = re.compile(r"[^\W_]+")  # word characters as unicode61 sees them: letters and digits


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return [w.lower() for w in WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """The words of ``text`` that are not English stop words."""
    return [w for w in words(text) if w not in ENGLISH_STOP_WORDS]


@functools.lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Lower case without accents, as the tokenizer's ``remove_diacritics`` folds words."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1 << 16)
def porter(word: str) -> str:
    """The Porter stem of a folded word (a fresh stemmer each time: stemmers keep per-word state, and
    the cache makes misses rare)."""
    return snowballstemmer.stemmer("porter").stemWord(word)


@functools.lru_cache(maxsize=1 << 18)
def term(word: str) -> int:
    """The hashed term of a lower-cased word."""
    return murmurhash3_32(porter(fold(word)))


def query_terms(query_words: Iterable[str]) -> np.ndarray:
    """The distinct terms of a query's words (stop words already removed by the caller), sorted."""
    return unique_sorted(np.array([term(w) for w in query_words], dtype=np.uint32))


def pack(text: str) -> bytes:
    """The stored form of ``text``'s term counts."""
    found, counts = np.unique(np.array([term(w) for w in content_words(text)], dtype=np.uint32),
                              return_counts=True)
    return np.column_stack([found, counts]).astype("<u4").tobytes()


def unpack(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, term, count) of every stored pair in ``blobs``, row i being ``blobs[i]``."""
    pairs = np.frombuffer(b"".join(blobs), dtype="<u4").reshape(-1, 2)
    sizes = np.fromiter((len(b) // 8 for b in blobs), dtype=np.int64, count=len(blobs))
    rows = np.repeat(np.arange(len(blobs), dtype=np.int32), sizes)
    return rows, pairs[:, 0].astype(np.uint32), pairs[:, 1].astype(np.float32)
