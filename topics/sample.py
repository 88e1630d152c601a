"""Seeded samples of paragraphs that stay put when the corpus changes a little.

A fit draws paragraphs to learn the corpus's word usage from and to describe large topics with. Drawn
by position (``rng.choice``), one paragraph more or less reshuffles the whole sample, and a refit of an
unchanged corpus whose topics moved by a handful of paragraphs came out with other keywords and labels.
Here each paragraph gets a fixed priority from a hash of its text and the seed, and a sample is the
paragraphs of lowest priority: a paragraph joins or leaves it only when it joins or leaves the pool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def priorities(texts: Sequence[str], seed: int) -> np.ndarray:
    """Each text's place in every sample with this seed (lower: drawn first), the same in any corpus."""
    salt = int(seed).to_bytes(8, "little", signed=False)
    return np.array([int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8, salt=salt).digest(), "little")
                     for text in texts], dtype=np.uint64)


def stable_sample(rows: np.ndarray, size: int, priority: np.ndarray) -> np.ndarray:
    """The ``size`` rows of lowest ``priority`` (ties by row), in row order; all rows when there are
    fewer."""
    rows = np.asarray(rows)
    if len(rows) <= size:
        return np.sort(rows)
    order = np.lexsort((rows, priority[rows]))
    return np.sort(rows[order[:size]])
