"""Which of many candidate pairs could be one story, decided for all of them at once before any is
judged exactly (:meth:`index.stories.StoryIndex.kind`).

On an archive with wire copies most candidate pairs share one paragraph and nothing else: that is why
they were found, and why they are not one story. Judging each one exactly costs a fraction of a
millisecond of Python, so a million of them cost minutes. Each kind has a necessary condition that
sparse matrices (articles × shingles, articles × names) test for a whole batch of pairs in a few
vector operations; a pair that meets none of them cannot be listed, and is dropped. The conditions
are bounds, never estimates, so the pairs judged afterwards list exactly what judging every candidate
would:

- **copy** needs a shingle Jaccard of ``COPY``; it is at most (own + fewer template shingles) over
  the union that count implies, where own counts the shared shingles that are not stock phrases;
- **edited** and **part** need ``MIN_SHARED`` own shingles in common, and one article with at most
  ``NEW`` of its words new. With h of a paragraph's shingle positions in the shared set, at most
  SHINGLE·h of its words are covered and at most GAP·(h + 1) lie in uncovered stretches short enough to
  be edits (none, when h = 0 and the paragraph is longer than GAP words: it is one long new run), so the
  words that are not new are at most the sum over paragraphs of min(words, 7h + 4). The same bound over
  the whole article (h its positions in the shared set) is tested first, as it is cheaper;
- **rewrite** needs ``MIN_NAMES`` names in common and their weight at ``NAMES`` of either article's.
  The common names are among those of the whole articles, and an article's names always include its
  title's and those of its paragraphs that no other article holds word for word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .arrays import unique_sorted
from .minhash import ranks
from .shingles import GAP, SHINGLE, StoryText
from .stories import COPY, MIN_NAMES, MIN_SHARED, NAMES, NEW, StoryIndex

_BATCH = 20_000  # pairs tested at a time: their gathered matrix rows take about 250 MB
_ARTICLES = 4096  # articles whose matrices are built at a time
_SLACK = 1e-6  # the bounds are met with this much to spare: float sums differ in the last digits


@dataclass(frozen=True)
class PairFilter:
    """Per article (rows in ``StoryIndex.keys`` order): positions of each own (non-template) shingle
    (float32: counts stay exact), the count of distinct and of template shingles, the words, name weights,
    names as a 0/1 matrix, and the weight of the names every comparison keeps; and per paragraph (all
    articles' in turn), the positions of its own shingles and its words, and where each article's
    paragraphs start among them."""

    paragraphs: _Paragraphs
    positions: sparse.csr_matrix
    distinct: np.ndarray
    template: np.ndarray
    words: np.ndarray
    names: sparse.csr_matrix
    named: sparse.csr_matrix
    kept_weight: np.ndarray

    @classmethod
    def of(cls, index: StoryIndex) -> PairFilter:
        """Built ``_ARTICLES`` articles at a time, so the sorting it takes stays small beside the result."""
        count = len(index.keys)
        texts = [index.stories[key] for key in index.keys]
        held = np.concatenate([unique_sorted(text.grams) for text in texts]) if texts else np.zeros(0, np.uint64)
        values, holders = np.unique(held, return_counts=True)
        stock = np.isin(values, index.template)
        blocks = [_block(texts[start:start + _ARTICLES], values, stock, holders < 2)
                  for start in range(0, count, _ARTICLES)]
        whole = [sparse.vstack([b[i] for b in blocks], format="csr") if blocks else
                 sparse.csr_matrix((0, len(values)), dtype=np.float32) for i in range(2)]
        held = [np.concatenate([b[i] for b in blocks]) if blocks else np.zeros(0, np.int64) for i in (2, 3)]
        sizes = [len(text.lengths) for text in texts]
        lengths = np.concatenate([text.lengths for text in texts]) if texts else np.zeros(0, np.int64)
        paragraphs = _Paragraphs(whole[1], lengths, np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))
        names, named, kept = _names(index)
        return cls(paragraphs, whole[0], held[0], held[1], np.array([text.words for text in texts], np.int64),
                   names, named, kept)

    def possible(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Whether each pair (``first[i]``, ``second[i]``, article numbers) meets some kind's condition."""
        out = np.zeros(len(first), bool)
        for start in range(0, len(first), _BATCH):
            a, b = first[start:start + _BATCH], second[start:start + _BATCH]
            out[start:start + _BATCH] = self._lexical(a, b) | self._named(a, b)
        return out

    def _lexical(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        first, second = self.positions[a], self.positions[b]
        mine = first.multiply(second.sign()).tocsr()
        theirs = second.multiply(mine.sign()).tocsr()  # the same shingles: against the few shared, not all
        shared = np.diff(mine.indptr)
        most = shared + np.minimum(self.template[a], self.template[b])
        copy = most >= (COPY - _SLACK) * (self.distinct[a] + self.distinct[b] - most)
        enough = shared >= MIN_SHARED
        few_a = enough & _few_new(self.words[a], _kept(np.asarray(mine.sum(axis=1)).ravel(), self.words[a]))
        few_b = enough & _few_new(self.words[b], _kept(np.asarray(theirs.sum(axis=1)).ravel(), self.words[b]))
        few_a[few_a] = _few_new(self.words[a[few_a]], self.paragraphs.kept(a[few_a], mine[few_a].sign()))
        few_b[few_b] = _few_new(self.words[b[few_b]], self.paragraphs.kept(b[few_b], theirs[few_b].sign()))
        return copy | few_a | few_b

    def _named(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        both = self.names[a].multiply(self.named[b]).tocsr()
        weight = np.asarray(both.sum(axis=1)).ravel()
        needed = NAMES * np.maximum(self.kept_weight[a], self.kept_weight[b])
        return (np.diff(both.indptr) >= MIN_NAMES) & (weight >= needed - _SLACK * (1 + needed))


def _kept(hits: np.ndarray, words: np.ndarray) -> np.ndarray:
    """At most how many of a stretch of ``words`` words, ``hits`` of whose shingle positions are shared,
    are not new (see the module's docstring)."""
    return np.where(hits > 0, np.minimum(words, (SHINGLE + GAP) * hits + GAP), np.where(words <= GAP, words, 0))


def _few_new(words: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Whether an article of ``words`` words, at most ``kept`` of which are not new, may have at most
    ``NEW`` of its words new."""
    return words - kept <= (NEW + _SLACK) * words


@dataclass(frozen=True)
class _Paragraphs:
    """Every article's paragraphs in turn: the positions of each own shingle (a paragraph × shingle
    matrix), each paragraph's words, and where each article's paragraphs start (with the end last)."""

    positions: sparse.csr_matrix
    words: np.ndarray
    starts: np.ndarray

    def kept(self, articles: np.ndarray, partners: sparse.csr_matrix) -> np.ndarray:
        """Per pair, at most how many words of ``articles[i]`` are not new when row i of ``partners``
        (0/1) marks the shingles it shares: the paragraph bound of the module's docstring."""
        sizes = self.starts[articles + 1] - self.starts[articles]
        pair = np.repeat(np.arange(len(articles)), sizes)
        rows = np.repeat(self.starts[articles], sizes) + ranks(sizes)
        hits = np.asarray(self.positions[rows].multiply(partners[pair]).sum(axis=1)).ravel()
        return np.bincount(pair, weights=_kept(hits, self.words[rows]), minlength=len(articles)).astype(np.int64)


def _block(texts: list[StoryText], values: np.ndarray, stock: np.ndarray, alone: np.ndarray
           ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray, np.ndarray]:
    """For a run of articles: the positions of each own shingle per article and per paragraph (columns
    are places in the sorted ``values``; ``stock`` marks template ones), and each article's count of
    distinct and of template shingles. A shingle one article ``alone`` holds is shared with no other:
    it is counted among the distinct but left out of the positions, which only ever meet shared ones
    (most of an archive's shingles, so most of the work of comparing pairs)."""
    counts = [text.counts for text in texts]
    paragraphs = sum(len(c) for c in counts)
    paragraph = np.repeat(np.arange(paragraphs), np.concatenate(counts))
    article = np.repeat(np.arange(len(texts)), [len(c) for c in counts])[paragraph]
    column = np.searchsorted(values, np.concatenate([text.grams for text in texts]))
    ones = np.ones(len(column), np.float32)
    every = sparse.csr_matrix((ones, (article, column)), (len(texts), len(values)))  # duplicates summed
    template = np.bincount(np.repeat(np.arange(len(texts)), np.diff(every.indptr)),
                           weights=stock[every.indices], minlength=len(texts)).astype(np.int64)
    distinct = np.diff(every.indptr).astype(np.int64)
    every.data[stock[every.indices] | alone[every.indices]] = 0
    every.eliminate_zeros()
    own = ~(stock | alone)[column]
    by_paragraph = sparse.csr_matrix((ones[own], (paragraph[own], column[own])), (paragraphs, len(values)))
    return every, by_paragraph, distinct, template


def _names(index: StoryIndex) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
    """Articles × names with each name's weight, the same as 0/1, and the weight of each article's
    kept names: its title's and those of its paragraphs no other article holds word for word."""
    keys = [unique_sorted(index.stories[key].keys) for key in index.keys]
    values, holders = np.unique(np.concatenate(keys) if keys else np.zeros(0, np.uint64), return_counts=True)
    alone = set(values[holders == 1].tolist())
    numbers: dict[str, int] = {}
    rows, columns, data, kept = [], [], [], np.zeros(len(index.keys))
    for row, key in enumerate(index.keys):
        text = index.stories[key]
        for name in text.names:
            rows.append(row)
            columns.append(numbers.setdefault(name, len(numbers)))
            data.append(index.weight(name))
        keep = text.title_names.union(*(names for paragraph, names in zip(text.keys.tolist(), text.paragraph_names)
                                        if paragraph in alone))
        kept[row] = sum(index.weight(name) for name in keep)
    shape = (len(index.keys), len(numbers))
    weights = sparse.csr_matrix((np.array(data, np.float64), (rows, columns)), shape)
    return weights, (weights > 0).astype(np.float64), kept
