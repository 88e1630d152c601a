"""MinHash signatures of sets of 64-bit hashes and banded locality-sensitive hashing over them: the pairs
of sets likely to overlap, found in time linear in the number of sets.

Two sets agree on one MinHash value with probability equal to their Jaccard similarity J. Signatures are
cut into ``BANDS`` bands of ``ROWS`` values; two sets become a candidate pair when they agree on a whole
band, with probability 1 − (1 − J^ROWS)^BANDS: with 32 bands of 3, about 0.58 at J = 0.3, 0.87 at 0.4,
0.985 at 0.5, and under 1% at J = 0.06 (one shared sentence in eight). A bucket holding more than
``MAX_BUCKET`` sets is a stock text (a footer, a template line) rather than a story, and is skipped: it
would cost pairs quadratic in its size and tell nothing.
"""

from __future__ import annotations

import numpy as np

from .arrays import unique_sorted

BANDS, ROWS = 32, 3
MAX_BUCKET = 64
_CHUNK = 1 << 20  # hash values permuted at a time: bounds the memory a signature pass adds


def _permutations(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Odd multipliers and addends of ``count`` hash permutations x → a·x + b (mod 2^64), seeded so that
    every run finds the same candidates."""
    rng = np.random.default_rng(seed)
    odd = rng.integers(0, 2 ** 63, size=count, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return odd, rng.integers(0, 2 ** 63, size=count, dtype=np.uint64)


def signatures(values: np.ndarray, starts: np.ndarray, seed: int = 1) -> np.ndarray:
    """The MinHash signature (``BANDS * ROWS`` values) of each set; set i is
    ``values[starts[i]:starts[i + 1]]`` (none empty)."""
    count = BANDS * ROWS
    multiply, add = _permutations(count, seed)
    out = np.empty((len(starts), count), np.uint64)
    bounds = np.append(starts, len(values))
    first = 0
    while first < len(starts):
        last = int(np.searchsorted(bounds, bounds[first] + _CHUNK, side="right")) - 1
        last = max(last, first + 1)
        chunk = values[bounds[first]:bounds[last]]
        offsets = bounds[first:last] - bounds[first]
        for p in range(count):
            permuted = chunk * multiply[p] + add[p]
            out[first:last, p] = np.minimum.reduceat(permuted ^ (permuted >> np.uint64(31)), offsets)
        first = last
    return out


def _bands(signature: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per band, the rows ordered by their band key and where each run of equal keys starts (and, last,
    where the final one ends)."""
    weights = _permutations(ROWS, 7)[0]
    out = []
    for band in range(BANDS):
        keys = signature[:, band * ROWS:(band + 1) * ROWS] * weights
        keys = np.bitwise_xor.reduce(keys, axis=1)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        out.append((order, np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1], [True])))))
    return out


def buckets(signature: np.ndarray) -> list[np.ndarray]:
    """Groups of sets (row numbers of ``signature``) that agree on some band, each of 2 to
    ``MAX_BUCKET`` sets."""
    groups = []
    for order, edges in _bands(signature):
        sizes = np.diff(edges)
        for i in np.flatnonzero((sizes >= 2) & (sizes <= MAX_BUCKET)):
            groups.append(order[edges[i]:edges[i + 1]])
    return groups


def pair_keys(first: np.ndarray, second: np.ndarray, count: int) -> np.ndarray:
    """The distinct pairs ``(first[i], second[i])`` of different labels below ``count``, each as one sorted
    key ``low * count + high``: a set of pairs as one array, millions of them in a few megabytes."""
    first, second = first.astype(np.int64), second.astype(np.int64)
    apart = first != second
    low, high = np.minimum(first[apart], second[apart]), np.maximum(first[apart], second[apart])
    return unique_sorted(low * count + high)


def bucket_pairs(signature: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """The pairs of labels (``labels[row]``, below ``count``) of sets that share a bucket of
    :func:`buckets`, as :func:`pair_keys`: every bucket's pairs at once, without a loop per bucket."""
    found = [np.zeros(0, np.int64)]
    for order, edges in _bands(signature):
        sizes = np.diff(edges)
        chosen = (sizes >= 2) & (sizes <= MAX_BUCKET)
        starts, sizes = edges[:-1][chosen], sizes[chosen]
        member = np.repeat(starts, sizes) + ranks(sizes)  # each bucket member's place in ``order``
        partners = np.repeat(sizes, sizes) - 1 - ranks(sizes)  # the members after it in its bucket
        first = np.repeat(member, partners)
        second = first + 1 + ranks(partners)
        found.append(pair_keys(labels[order[first]], labels[order[second]], count))
    return unique_sorted(np.concatenate(found))


def ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, … size − 1 for each of ``sizes``, concatenated: each member's place in its group, for
    groups laid out one after another."""
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
