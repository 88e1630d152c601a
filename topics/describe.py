"""Topics → words people can read: keywords and a heading-like label.

Both are drawn from each topic's core: its most central paragraphs (the top ``core`` share by cosine to
the centroid, at least ``min_core`` of them), a seeded sample of ``max_core`` at most, so time stays
bounded however large the corpus. The default core is the whole topic: with keywords chosen for
coherence, the border paragraphs' extra co-occurrence evidence helps more than their mixed vocabulary
hurts (paragraph NPMI on ISAF 0.256 → 0.263 from three quarters to all; BBC 0.352 → 0.343, AG News
0.275 → 0.265, all above BERTopic's).

The stages are one module each: the cores' phrases counted and weighted (:mod:`topics.vocabulary`),
keywords (:mod:`topics.keywords`) and labels (:mod:`topics.headings`); this facade draws the cores and
hands the vocabulary to both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from index.arrays import unique_sorted

from .boilerplate import Boilerplate
from .headings import Encode, Heading, distinct, headings, sentence_case
from .keywords import keywords
from .phrases import Lexicon
from .rules import DEFAULT_RULES, check_rules
from .sample import priorities, stable_sample
from .subjects import two_subjects
from .vocabulary import count_terms

__all__ = ["Description", "Encode", "TopicDescriber"]

KEYWORD_LABEL = 3  # keywords that make the label of a topic no phrase may head


@dataclass(frozen=True)
class Description:
    """A topic's label (empty when it has no terms, or other topics took all its candidates) and its
    keywords with their weights."""

    label: str
    keywords: list[tuple[str, float]]


class TopicDescriber:
    """Keywords and labels for fitted topics.

    Parameters
    ----------
    encode:
        The embedding function of the store's model, used to compare terms with topic centroids.
    n_keywords:
        Keywords kept per topic.
    candidates:
        Best c-TF-IDF terms considered per topic for its keywords (labels have their own shortlist:
        :mod:`topics.headings`).
    coherence:
        How much a keyword's coherence with those already chosen (its mean NPMI with them over the
        drawn paragraphs) counts beside its c-TF-IDF weight (scaled to the topic's best). With int8
        vectors, NPMI over paragraphs at 2 and 3: BBC 0.346 and 0.358, AG News 0.269 and 0.275, ISAF
        0.262 and 0.287 (at 4 ISAF falls back to 0.279), diversity unchanged.
    core, min_core:
        Share of each topic's paragraphs, most central first, that its words are drawn from, and the
        fewest paragraphs drawn (all of them for smaller topics).
    max_core:
        Most paragraphs drawn per topic: larger cores give way to a seeded sample of this many, one
        that a few paragraphs more or less leave nearly as it was (:mod:`topics.sample`). Over three
        sample seeds, NPMI at 1,000 and 2,000: AG News 0.267–0.294 and 0.298–0.309, BBC 0.345–0.363
        and 0.351–0.358; labels vary less between samples at 2,000.
    max_story_core:
        Most paragraphs drawn per story (:func:`topics.fit.describe_stories` passes it as ``max_core``).
        A story is told from its siblings by its most distinctive phrases, which a few hundred paragraphs
        show; BBC's largest story has 775 paragraphs, while on an archive of 10⁶ paragraphs the stories
        would otherwise have a quarter of it read.
    seed:
        Seeds the sample of large cores.
    rules:
        The label rules in force (:mod:`topics.rules`); all of them unless measuring one's effect.
    """

    def __init__(self, encode: Encode, *, n_keywords: int = 10, candidates: int = 60,
                 coherence: float = 3.0, core: float = 1.0, min_core: int = 20, max_core: int = 2000,
                 max_story_core: int = 1000, seed: int = 0, rules: frozenset[str] = DEFAULT_RULES) -> None:
        self.encode = encode
        self.n_keywords = n_keywords
        self.candidates = candidates
        self.coherence = coherence
        self.core = core
        self.min_core = min_core
        self.max_core = max_core
        self.max_story_core = max_story_core
        self.seed = seed
        self.rules = check_rules(frozenset(rules))

    def _core(self, texts: Sequence[str], labels: np.ndarray, confidence: np.ndarray,
              priority: np.ndarray | None, max_core: int) -> np.ndarray:
        """``labels`` with every paragraph outside its topic's core (of ``max_core`` at most) set to -1."""
        cored = np.full_like(labels, -1)
        for topic in unique_sorted(labels[labels >= 0]):
            members = np.flatnonzero(labels == topic)
            keep = max(self.min_core, int(np.ceil(self.core * len(members))))
            central = members[np.argsort(-confidence[members], kind="stable")[:keep]]
            if len(central) > max_core:
                if priority is None:
                    priority = priorities(texts, self.seed)
                central = stable_sample(central, max_core, priority)
            cored[central] = topic
        return cored

    def describe(self, texts: Sequence[str], labels: np.ndarray, confidence: np.ndarray,
                 centroids: np.ndarray, *, titles: Sequence[bool] | None = None, lexicon: Lexicon | None = None,
                 boilerplate: Boilerplate = Boilerplate(), priority: np.ndarray | None = None,
                 kept_labels: Sequence[str] = (), taken_labels: Collection[str] = (),
                 max_core: int | None = None, stories: bool = False) -> list[Description]:
        """Keywords and a label for each topic, from paragraph texts, topics and confidences.

        ``titles`` flags paragraphs that are headlines; ``lexicon`` is learnt from the topics' cores
        when not given; no term holds a phrase of ``boilerplate``; ``priority`` is
        :func:`topics.sample.priorities` of the texts with this seed, when the caller has it. A topic
        whose candidates hold one of ``kept_labels`` (a warm refit's previous labels) that still embeds
        nearest it keeps that label; no topic takes one of ``taken_labels`` (labels of other topics).
        ``max_core`` overrides the describer's own; ``stories`` says the topics are the stories of one
        theme (:func:`topics.headings.headings`).
        """
        labels, confidence = np.asarray(labels), np.asarray(confidence)
        cored = self._core(texts, labels, confidence, priority, max_core or self.max_core)
        drawn = np.flatnonzero(cored >= 0)
        if lexicon is None:
            lexicon = Lexicon.learn((texts[i] for i in drawn), (bool(titles[i]) for i in drawn) if titles else None)
        vocabulary = count_terms([texts[i] for i in drawn], cored[drawn], len(centroids), lexicon, boilerplate,
                                 [bool(titles[i]) for i in drawn] if titles else [False] * len(drawn))
        sizes = np.bincount(cored[drawn], minlength=len(centroids))
        halves = [two_subjects(vocabulary, topic) if "two_subjects" in self.rules else None
                  for topic in range(len(centroids))]
        taken: Counter[str] = Counter()  # word stems of the keywords of the topics described so far
        words = [keywords(vocabulary, topic, lexicon, taken, count=self.n_keywords, candidates=self.candidates,
                          coherence=self.coherence, halves=halves[topic]) for topic in range(len(centroids))]
        kept = frozenset(label.lower() for label in kept_labels)
        totals = np.bincount(labels[labels >= 0], minlength=len(centroids))
        choices = [headings(vocabulary, topic, centroids, sizes, lexicon, self.encode, kept, self.rules,
                            [k for k, _ in words[topic]], totals, halves[topic], stories)
                   + _from_keywords(words[topic])
                   if words[topic] else []
                   for topic in range(len(centroids))]
        return [Description(label, found) for label, found in zip(distinct(choices, taken_labels), words)]


def _from_keywords(found: list[tuple[str, float]]) -> list[Heading]:
    """The last candidates of every topic, the only ones of a topic no phrase may head: its strongest
    keywords, which say what it holds without naming one part of it as the whole (more of them where
    another topic's label already has as many)."""
    return [Heading(sentence_case(", ".join(k for k, _ in found[:n]))) for n in range(min(KEYWORD_LABEL, len(found)), len(found) + 1) if n]
