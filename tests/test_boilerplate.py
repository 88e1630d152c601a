"""Boilerplate learnt from the edges of articles, from all of them or from a seeded sample."""

from __future__ import annotations

import numpy as np

from topics.boilerplate import Boilerplate, _occurrences
from topics.phrases import Lexicon

SUBJECTS = ["the harbour bridge repairs", "a school lunch programme", "the county cricket season",
            "rising bread prices", "a museum of maritime history", "the regional rail timetable"]


def corpus(n: int) -> tuple[list[str], list[list[int]]]:
    texts, articles = [], []
    for i in range(n):
        subject = SUBJECTS[i % len(SUBJECTS)]
        body = [f"LONDON (Wirenews) - Officials discussed {subject} at length on day {i}.",
                f"Residents said {subject} mattered to the town and asked for more meetings.",
                f"Council members will return to {subject} next month, a spokesperson added."]
        articles.append(list(range(len(texts), len(texts) + len(body))))
        texts += body
    return texts, articles


def test_a_sample_of_articles_finds_the_same_boilerplate_as_all_of_them() -> None:
    texts, articles = corpus(120)
    lexicon = Lexicon.learn(texts)
    topics = np.array([i // 3 % len(SUBJECTS) for i in range(len(texts))])
    everything = Boilerplate.learn(texts, articles, [False] * len(texts), topics, lexicon, sample=10**6)
    sampled = Boilerplate.learn(texts, articles, [False] * len(texts), topics, lexicon, sample=40)
    assert "wirenews" in everything.phrases
    assert sampled == everything
    assert "wirenews report" in sampled and "bridge repairs" not in sampled
    assert sampled.covers("LONDON (Wirenews) -", lexicon)
    assert not sampled.covers("Residents asked about the harbour bridge repairs.", lexicon)


def test_occurrences_are_whole_words_with_a_possessive_on_the_last():
    words = "the ap said apple shares rose ap's sources and the new york office in new york's west".split()
    found = _occurrences(words, ["ap", "new york", "west"])
    assert found == {"ap": 2, "new york": 2, "west": 1}
