"""Topics → their vocabulary: each topic's phrases, counted and weighted by class-based TF-IDF.

**Terms** are the noun phrases of :mod:`topics.phrases` (one to five words as written: no function word
inside, no reporting verb, honorific, number or time word at an edge; a label may open with "no"),
counted once per paragraph, less the corpus's boilerplate (:mod:`topics.boilerplate`). Each is weighted
by class-based TF-IDF: all drawn paragraphs of a topic form one class document, and for term t and topic c

    W(t, c) = tf(t, c) / Σ_t' tf(t', c)  ·  log(1 + A / f(t))

where tf(t, c) counts t in the topic, f(t) in all topics and A is the average number of terms per
topic: frequent in this topic, rare in the others. Keywords (:mod:`topics.keywords`) and labels
(:mod:`topics.headings`) are both chosen from these weights, and both tell words apart by their
Snowball stems (``stem``, ``stems``).

**Word families.** A reader checks a heading against a paragraph by its words, not its exact wording:
"hunting ban" heads a paragraph on "a ban on hunts" as well. So besides the exact phrase, each term is
counted in the paragraphs that hold every one of its content words in some form (the stems of the
paragraph's terms): :meth:`Vocabulary.family_counts`, what labels are judged on. A one-word term keeps
its exact count: Snowball's families of single words are too wide for a heading ("athletics" is not
"athlete", "Tories" made "Tory" the label of the whole politics theme).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import snowballstemmer
from scipy import sparse

from .boilerplate import Boilerplate
from .phrases import NEGATION, Lexicon, usual_form


NESTED = 0.8  # a term written inside one longer term this often stands for it, not for itself ("Sox" of "Red Sox")


@dataclass
class Vocabulary:
    """Terms of the drawn paragraphs: their keys, document counts per topic, and c-TF-IDF weights."""

    keys: list[str]
    index: dict[str, int]
    counts: sparse.csr_matrix  # (n_topics, n_terms) paragraphs of each topic's core holding the term
    weights: sparse.csr_matrix  # (n_topics, n_terms) c-TF-IDF
    incidence: sparse.csc_matrix  # (n_paragraphs, n_terms): which drawn paragraphs hold each term
    written: dict[str, str]  # each term's usual form inside sentences, where it is seen there
    in_text: frozenset[str]  # terms seen in a paragraph that is not a headline
    ending: frozenset[str]  # terms seen at least once where their noun phrase ends (phrases.Phrase.ends)
    rows: np.ndarray  # (n_paragraphs,) the topic of each drawn paragraph
    families: sparse.csc_matrix  # (n_paragraphs, n_stems): which drawn paragraphs hold a word of each stem
    term_stems: sparse.csr_matrix  # (n_terms, n_stems): each term's content-word stems
    stem_names: tuple[str, ...]  # the stem of each column of ``families`` and ``term_stems``

    @property
    def totals(self) -> np.ndarray:
        """Each term's c-TF-IDF weight summed over the topics."""
        return np.asarray(self.weights.sum(axis=0)).ravel()

    @property
    def drawn(self) -> int:
        return self.incidence.shape[0]

    def weight(self, topic: int, key: str) -> float:
        """The term's c-TF-IDF weight in the topic (0 for a term never seen)."""
        return float(self.weights[topic, self.index[key]]) if key in self.index else 0.0

    def together(self, a: str, b: str) -> bool:
        """Whether two terms stand in one drawn paragraph at least once."""
        return bool(self.incidence[:, self.index[a]].multiply(self.incidence[:, self.index[b]]).nnz)

    def paragraphs(self, topic: int, key: str) -> np.ndarray:
        """The topic's drawn paragraphs (rows) that hold the term's content words, each in some form."""
        rows = self._holding(self.index[key])
        return rows[self.rows[rows] == topic]

    def _holding(self, term: int) -> np.ndarray:
        """The drawn paragraphs (rows, sorted) that hold every content word of a term in some form (a
        one-word term: the term itself)."""
        columns = self._stems_of(term)
        if len(columns) < 2:
            column = self.incidence[:, term]
            return np.sort(column.indices[column.data > 0])
        return _all_of([self._family(c) for c in columns])

    def counts_without_each(self, term: int) -> tuple[list[str], np.ndarray]:
        """A term's k content-word stems and (n_topics, k) the drawn paragraphs of each topic that hold
        every one of its words but the i-th, each in some form (no counts for a one-word term: nothing
        would be left)."""
        columns = self._stems_of(term)
        names = [self.stem_names[c] for c in columns]
        if len(columns) < 2:
            return names, np.zeros((self.counts.shape[0], 0))
        held = [self._family(c) for c in columns]
        return names, np.column_stack([np.bincount(self.rows[_all_of(held[:i] + held[i + 1:])],
                                                   minlength=self.counts.shape[0]) for i in range(len(columns))])

    def _family(self, column: int) -> np.ndarray:
        """The drawn paragraphs (rows, sorted) holding a word of the stem of ``column``."""
        return self.families.indices[self.families.indptr[column]:self.families.indptr[column + 1]]

    def family_counts(self, terms: np.ndarray, topic: int, least: int = 0) -> np.ndarray:
        """(n_topics, len(terms)): the drawn paragraphs of each topic that hold every content word of each
        term in some form; a one-word term's own counts. A term whose words cannot all stand in ``least``
        paragraphs of ``topic`` (one of its stems is in fewer) keeps its exact-phrase counts: they are all
        a caller asks of it then."""
        n_topics = self.counts.shape[0]
        out = self.counts[:, terms].toarray()
        chosen = self.term_stems[terms]
        widths = np.diff(chosen.indptr)  # each term's number of stems
        several = widths > 1
        bound = np.full(len(terms), -1.0)  # the fewest paragraphs of ``topic`` holding one of its stems
        if several.any():  # reduced over the terms with stems only: an empty span has no minimum
            bound[widths > 0] = np.minimum.reduceat(self._stem_counts[topic, chosen.indices],
                                                    chosen.indptr[:-1][widths > 0])
        for i in np.flatnonzero(several & (bound >= least)).tolist():
            out[:, i] = np.bincount(self.rows[self._holding(int(terms[i]))], minlength=n_topics)
        return out

    def _stems_of(self, term: int) -> np.ndarray:
        return self.term_stems.indices[self.term_stems.indptr[term]:self.term_stems.indptr[term + 1]]

    @cached_property
    def _stem_counts(self) -> np.ndarray:
        """(n_topics, n_stems): each topic's drawn paragraphs holding a word of each stem."""
        member = sparse.csr_matrix((np.ones(len(self.rows), np.float32), (self.rows, np.arange(len(self.rows)))),
                                   shape=(self.counts.shape[0], len(self.rows)))
        return (member @ self.families).toarray()

    def surface(self, key: str, lexicon: Lexicon) -> str:
        """How the corpus writes a term: as a whole inside sentences, else word by word."""
        return self.written.get(key) or lexicon.surface(key)

    def shortlist(self, topic: int, size: int) -> list[int]:
        """The topic's best ``size`` terms by c-TF-IDF (ties: shorter phrases first, then by key)."""
        row = self.weights.getrow(topic)
        data, indices = row.data, row.indices
        if len(data) > size:  # only terms weighing at least the size-th best can be among them (ties too)
            within = data >= np.partition(data, len(data) - size)[len(data) - size]
            data, indices = data[within], indices[within]
        keys = [self.keys[j] for j in indices]
        order = sorted(range(len(data)), key=lambda i: (-data[i], keys[i].count(" "), keys[i]))
        return [int(indices[i]) for i in order[:size]]


def _all_of(rows: list[np.ndarray]) -> np.ndarray:
    """The rows in every one of the sorted, distinct ``rows``."""
    found = rows[0]
    for other in rows[1:]:
        found = np.intersect1d(found, other, assume_unique=True)
    return found


def class_tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """c-TF-IDF of a (topics × terms) count matrix (see the module docstring)."""
    totals = np.asarray(counts.sum(axis=1)).ravel()
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = totals.mean() if len(totals) else 0.0
    idf = np.log(1 + average / np.maximum(frequency, 1))
    return (sparse.diags(1 / np.maximum(totals, 1)) @ counts @ sparse.diags(idf)).tocsr()


def count_terms(texts: Sequence[str], topics: np.ndarray, n_topics: int, lexicon: Lexicon,
                boilerplate: Boilerplate, titles: Sequence[bool]) -> Vocabulary:
    """Count each paragraph's distinct phrases per topic, boilerplate left out, and note how each is
    written inside sentences (headlines' capitals are no evidence)."""
    index: dict[str, int] = {}
    seen: Counter[tuple[str, str]] = Counter()  # (key, as written inside a sentence) → occurrences
    in_text: set[str] = set()
    ending: set[str] = set()
    cols: list[int] = []
    held = np.zeros(len(texts), np.int64)  # terms counted in each paragraph
    allowed: dict[str, bool] = {}
    for number, (text, is_title) in enumerate(zip(texts, titles)):
        reading = lexicon.read(text)
        is_title = is_title or reading.headline
        if not is_title:
            seen.update(reading.written)
        ending.update(reading.ending)
        kept = []
        for key in reading.keys:  # in reading order: the vocabulary's order must not hang on string hashing
            ok = allowed.get(key)
            if ok is None:
                ok = allowed[key] = key not in boilerplate
            if ok:
                kept.append(key)
        if not is_title:
            in_text.update(kept)
        cols += [index.setdefault(key, len(index)) for key in kept]
        held[number] = len(kept)
    paragraphs = np.repeat(np.arange(len(texts)), held)
    rows = np.asarray(topics, dtype=np.int64)[paragraphs]
    ones = np.ones(len(cols), np.float32)
    counts = sparse.csr_matrix((ones, (rows, cols)), shape=(n_topics, len(index)))
    counts.sum_duplicates()
    incidence = sparse.csc_matrix((ones, (paragraphs, cols)), shape=(len(texts), len(index)))
    forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for (key, form), n in seen.items():
        forms[key][form] = n
    written = {key: usual_form(c) for key, c in forms.items()}
    families, term_stems, stem_names = _families(list(index), incidence)
    return Vocabulary(list(index), index, counts, class_tfidf(counts), incidence, written, frozenset(in_text),
                      frozenset(ending), np.asarray(topics), families, term_stems, stem_names)


def _families(keys: list[str],
              incidence: sparse.csc_matrix) -> tuple[sparse.csc_matrix, sparse.csr_matrix, tuple[str, ...]]:
    """Which paragraphs hold a word of each stem (through the terms they hold), each term's content-word
    stems, and the stems in column order."""
    column: dict[str, int] = {}  # stem → its column
    of_word: dict[str, int] = {"of": -1, NEGATION: -1}  # word → its stem's column (-1: not a content word)
    rows, cols = [], []
    for term, key in enumerate(keys):
        for word in key.split():
            at = of_word.get(word)
            if at is None:
                at = of_word[word] = column.setdefault(stem(word), len(column))
            if at >= 0:
                rows.append(term)
                cols.append(at)
    term_stems = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(keys), len(column)))
    term_stems.sum_duplicates()  # a word twice in a term ("bin Laden bin")
    term_stems.data[:] = 1.0
    held = (incidence.tocsr() @ term_stems).tocsc()
    held.data[:] = 1.0
    held.sort_indices()
    return held, term_stems, tuple(column)


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=1 << 16)  # a corpus's words recur: stemming each once is most of the saving
def stem(word: str) -> str:
    return _STEMMER.stemWord(word.removesuffix("'s"))


def stems(key: str) -> list[str]:
    """The word stems of a term, ``of`` left out ("history of kuwait" and "kuwait history" are one)."""
    return [stem(word) for word in key.split() if word != "of"]
