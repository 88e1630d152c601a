"""Vocabulary → keywords: each topic's words that go together and tell it apart.

From the best ``candidates`` terms of one or two words (or names of up to five: "Collective Security
Treaty Organization" is one thing, and cut to two words it gives two fragments), keywords are chosen
one at a time by c-TF-IDF
weight (times the share of the term's weight over all topics that falls on this one, so template words
of a corpus, weighty everywhere, give way to the topic's own) plus coherence with the keywords already
chosen (mean NPMI over the drawn paragraphs), so a list reads as words that go together rather than
ten central but unrelated names. A term sharing a word stem with a chosen one is skipped ("kuwait
history" and "history of kuwait" are one keyword), and so is one that is already a keyword of
``SHARED`` larger topics, or one that reads as a clause ("fell", "forces targeted").
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from .english import MONTHS
from .phrases import NEGATION, Lexicon
from .subjects import Halves, npmi_matrix
from .vocabulary import NESTED, Vocabulary, stems

KEYWORD_WORDS = 2  # longest keyword that is not a name, in words
SHARED = 2  # topics that may share a keyword (1: diversity 0.99 but NPMI 0.18 on ISAF; 3: 0.78 and 0.22)


def keywords(vocabulary: Vocabulary, topic: int, lexicon: Lexicon, taken: Counter[str], *, count: int,
             candidates: int, coherence: float, halves: Halves | None = None) -> list[tuple[str, float]]:
    """The topic's ``count`` keywords with their weights, chosen as the module docstring says; ``taken``
    holds the stems of larger topics' keywords and gains this topic's. A topic of two subjects
    (``halves``) takes its keywords from each in turn, each judged by its coherence with its own half's."""
    pool = [j for j in vocabulary.shortlist(topic, 4 * candidates)
            if is_keyword(vocabulary.keys[j], vocabulary.surface(vocabulary.keys[j], lexicon))
            and not lexicon.reads_as_clause(vocabulary.keys[j])
            and all(taken[s] < SHARED for s in stems(vocabulary.keys[j]))]
    pool = _whole(vocabulary, topic, pool[:candidates])
    if not pool:
        return []
    weight = np.array([vocabulary.weights[topic, j] for j in pool])
    weight *= weight / np.maximum(vocabulary.totals[pool], 1e-12)  # a word weighty in every topic names none
    weight /= weight.max() or 1.0
    npmi = npmi_matrix(vocabulary.incidence[:, pool])
    side = halves.sides(vocabulary, pool) if halves is not None else np.zeros(len(pool), dtype=int)
    chosen: list[int] = []
    seen: set[str] = set()
    while len(chosen) < count:
        score = weight + coherence * _coherence(npmi, side, chosen)
        free = [i for i in sorted(range(len(pool)), key=lambda i: (-score[i], i))
                if i not in chosen and not set(stems(vocabulary.keys[pool[i]])) & seen]
        if not free:
            break
        pick = next((i for i in free if side[i] == len(chosen) % 2), free[0]) if halves is not None else free[0]
        chosen.append(pick)
        seen |= set(stems(vocabulary.keys[pool[pick]]))
    taken.update(seen)
    return [(vocabulary.surface(vocabulary.keys[pool[i]], lexicon), float(vocabulary.weights[topic, pool[i]]))
            for i in chosen]


def is_keyword(key: str, written: str | None = None) -> bool:
    """Keywords are terms of one or two words, or names (every word capitalised as ``written``) of more,
    without ``of``, a possessive or a month: a date says when, not what about ("Jan" under a topic of
    press releases; "March" and "May" name other things too)."""
    words = key.split()
    name = written is not None and all(w[:1].isupper() for w in written.split())
    return ((len(words) <= KEYWORD_WORDS or name) and "of" not in words and words[0] != NEGATION
            and not any(w.endswith("'s") for w in words) and MONTHS.isdisjoint(words))


def _coherence(npmi: np.ndarray, side: np.ndarray, chosen: list[int]) -> np.ndarray:
    """Each term's mean NPMI with the chosen keywords of its own half (0 before its half has one)."""
    if not chosen:
        return np.zeros(len(side))
    same = side[np.array(chosen)][None, :] == side[:, None]
    counts = same.sum(axis=1)
    return np.where(counts > 0, (npmi[:, chosen] * same).sum(axis=1) / np.maximum(counts, 1), 0.0)


def _whole(vocabulary: Vocabulary, topic: int, pool: list[int]) -> list[int]:
    """``pool`` without terms that the topic nearly always writes inside one longer term of the pool
    ("Central" of "Central Asian", "Treaty Organization" of "Collective Security Treaty Organization"):
    the longer term stands for them."""
    count = {j: vocabulary.counts[topic, j] for j in pool}
    padded = {j: f" {vocabulary.keys[j]} " for j in pool}
    return [j for j in pool if not any(
        len(padded[p]) > len(padded[j]) and padded[j] in padded[p] and count[p] >= NESTED * count[j] for p in pool)]
