"""Topic quality measures used by the evaluation: NPMI coherence and topic diversity.

NPMI (normalised pointwise mutual information, Bouma 2009) of two terms over a set of documents:

    NPMI(a, b) = log( P(a, b) / (P(a) P(b)) ) / -log P(a, b)

with P the share of documents containing the term(s) and ε = 1e-12 added to P(a, b) as gensim does, so a
pair that never co-occurs scores close to -1 and a pair that always does scores 1. A topic's coherence is
the mean over all pairs of its top terms; a model's is the mean over topics. Terms may be n-grams: a
document contains a term when the analyser produces it from the document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np
from scipy import sparse

EPSILON = 1e-12


def npmi_coherence(topics: Sequence[Sequence[str]], documents: Sequence[str],
                   analyser: Callable[[str], list[str]]) -> float:
    """Mean NPMI over topics of the pairs of each topic's terms, counted per document."""
    vocabulary = {term: i for i, term in enumerate(sorted({t for topic in topics for t in topic}))}
    rows, cols = [], []
    for row, document in enumerate(documents):
        present = {vocabulary[t] for t in analyser(document) if t in vocabulary}
        rows.extend([row] * len(present))
        cols.extend(present)
    occurs = sparse.csr_matrix((np.ones(len(rows), np.float64), (rows, cols)),
                               shape=(len(documents), len(vocabulary)))
    together = (occurs.T @ occurs).toarray() / len(documents)
    alone = np.diag(together)
    scores = []
    for topic in topics:
        pairs = [(vocabulary[a], vocabulary[b]) for a, b in combinations(topic, 2)]
        values = []
        for a, b in pairs:
            joint = together[a, b] + EPSILON
            if alone[a] == 0 or alone[b] == 0:
                values.append(-1.0)
                continue
            values.append(np.log(joint / (alone[a] * alone[b])) / -np.log(joint))
        if values:
            scores.append(float(np.mean(values)))
    return float(np.mean(scores)) if scores else 0.0


def topic_diversity(topics: Sequence[Sequence[str]]) -> float:
    """Share of distinct words among all words of the topics' terms (n-grams count word by word)."""
    words = [word for topic in topics for term in topic for word in term.split()]
    return len(set(words)) / len(words) if words else 0.0


# -- labels ----------------------------------------------------------------------------------------
# Three measures that are not the label picker's own objective (topics.headings), so tuning to them
# does not grade the picker by its own yardstick:
#
# - support: share of a topic's paragraphs that hold every content word of its label (of either part,
#   for a label of parts: "A; B", or a keyword label "a, b, c");
# - sibling precision: of the paragraphs of the topic and its siblings that hold the label's words, the
#   share inside the topic (counts, not rates: a label a large sibling also fits is a weak one);
# - consistency: the label, embedded, is nearer its own topic's keyword list than any other topic's.

def label_parts(label: str, analyser: Callable[[str], list[str]], stem: Callable[[str], str],
                stop: frozenset[str]) -> list[frozenset[str]]:
    """The word stems each part of a label stands for (parts split at ';' and ','; "Name: phrase" is
    one part), less ``stop`` words."""
    parts = [p for chunk in label.split(";") for p in chunk.split(",")]
    out = [frozenset(stem(w) for w in analyser(p) if w not in stop) for p in parts]
    return [p for p in out if p]


def label_matches(parts: Sequence[frozenset[str]], documents: Sequence[frozenset[str]]) -> np.ndarray:
    """Which documents (each a set of word stems) hold all words of some part."""
    return np.array([any(part <= document for part in parts) for document in documents], dtype=bool)


def label_support_precision(matches: np.ndarray, topics: np.ndarray, topic: int,
                            siblings: Sequence[int]) -> tuple[float, float]:
    """Support and sibling precision of one label whose ``matches`` flag the documents holding it."""
    own = topics == topic
    near = own | np.isin(topics, list(siblings))
    support = float(matches[own].mean()) if own.any() else 0.0
    held = matches & near
    return support, float((held & own).sum() / held.sum()) if held.any() else 0.0


def label_consistency(labels: np.ndarray, keyword_lists: np.ndarray) -> float:
    """Share of labels (embedded, unit rows) nearest their own topic's keyword list (embedded)."""
    if not len(labels):
        return 0.0
    return float(np.mean((labels @ keyword_lists.T).argmax(axis=1) == np.arange(len(labels))))
