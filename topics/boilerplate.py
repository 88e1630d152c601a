"""Boilerplate: phrases a corpus puts at the edges of its articles whatever they are about.

Datelines ("KABUL, Afghanistan"), wire credits ("(Reuters) -"), release headers ("For Immediate
Release") and sign-offs say nothing about a topic, yet they are frequent, so c-TF-IDF alone would
happily make them keywords or labels. They are found from the corpus itself: a phrase is boilerplate
when

- it stands in the opening or closing words of an article's body (a quarter of its words at each end,
  at least three, at most 30) in at least ``min_share`` of the articles, and in at least
  ``min_articles``,
- its share of occurrences there is at least halfway from the share a phrase spread evenly through the
  text would have to all of them (a topic word such as "Taliban" appears throughout, a dateline at the
  top),
- the articles it opens or closes are spread over the topics much as all articles are: not mostly in one
  topic that is at most half as common in the corpus at large.

Keywords and labels never contain a boilerplate phrase, and a paragraph made mostly of boilerplate (a
release header that the splitter kept whole) belongs to no topic. A phrase that passes the first two
tests but opens or closes mostly one topic's articles (a wire credit only the sports desk uses, "(AP)
-") is a *credit*: it still tells the topic apart, so its paragraphs keep their topic, but it says who
wrote, not what about, so it is no keyword or label either.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .phrases import Lexicon, phrases, phrases_of, single_words, tokens, word_text
from .sample import priorities, stable_sample

SAMPLE_ARTICLES = 5000  # articles boilerplate is learnt from: shares are what count, and 5,000 measure them to 1%


def _edges(text: str, share: float, most: int) -> tuple[str, str]:
    """The opening and closing words of an article's body: ``share`` of its words at each end, at least
    three and at most ``most``."""
    split = text.split()
    size = min(most, max(3, math.ceil(share * len(split))))
    return " ".join(split[:size]), " ".join(split[-size:]) if len(split) > size else ""


@dataclass(frozen=True)
class Boilerplate:
    """The boilerplate phrases of one corpus (lower-case keys, as :func:`topics.phrases.phrases` gives)."""

    phrases: frozenset[str] = frozenset()
    credits: frozenset[str] = frozenset()  # edge phrases of mostly one topic's articles: no words, but no boilerplate

    @cached_property
    def _words(self) -> frozenset[str]:
        """Every word of the boilerplate and credits: a phrase holding none of them holds neither."""
        return frozenset(word for key in self.phrases | self.credits for word in key.split())

    @cached_property
    def _openers(self) -> re.Pattern[str]:
        """Finds the first word of a boilerplate phrase standing as a word of its own, in any case: a
        paragraph where it finds none holds no boilerplate phrase."""
        words = sorted({key.split()[0].removesuffix("'s") for key in self.phrases}, key=lambda w: (-len(w), w))
        return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)

    def __contains__(self, key: str) -> bool:
        """Whether a phrase is, or holds, boilerplate or a credit (and so is no keyword or label)."""
        parts = key.split()
        if self._words.isdisjoint(parts):
            return False
        return any(" ".join(parts[i:j]) in self.phrases or " ".join(parts[i:j]) in self.credits
                   for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))

    def covers(self, text: str, lexicon: Lexicon) -> bool:
        """Whether most of a paragraph's words belong to boilerplate: a release header, a dateline line."""
        if not self.phrases or not self._openers.search(text):  # no boilerplate phrase can start in it
            return False
        toks = tokens(text)
        single = single_words(toks, lexicon)
        if len(single & self._words) <= 0.5 * len(single):  # too few of its words are boilerplate's at all
            return False
        keys = {found.key for found in phrases_of(toks, lexicon, max_words=3)}
        inside = {word for key in keys & self.phrases for word in key.split()}
        return bool(single) and len(single & inside) > 0.5 * len(single)

    @classmethod
    def learn(cls, texts: Sequence[str], articles: Sequence[Sequence[int]], titles: Sequence[bool],
              topics: np.ndarray, lexicon: Lexicon, *, edge_share: float = 0.25, edge_words: int = 30,
              min_share: float = 0.02, min_articles: int = 3, sample: int = SAMPLE_ARTICLES,
              seed: int = 0) -> Boilerplate:
        """Find the boilerplate of a corpus (see the module docstring).

        ``articles`` holds each article's paragraphs (rows of ``texts``) in order, ``titles`` flags
        headlines, and ``topics`` is a first topic of every row (negative: none); an article's topic is
        the most common among its paragraphs other than its first and last, where it has such. Larger
        corpora are read from a seeded sample of ``sample`` articles (:mod:`topics.sample`, keyed by
        each article's first paragraph), so learning takes the same time at any size.
        """
        if len(articles) < min_articles:
            return cls()
        if len(articles) > sample:
            chosen = stable_sample(np.arange(len(articles)), sample,
                                   priorities([texts[rows[0]] if len(rows) else "" for rows in articles], seed))
            articles = [articles[i] for i in chosen]
        counted: Counter[str] = Counter()  # articles holding the phrase at an edge
        at_edges: Counter[str] = Counter()  # its occurrences there
        article_topics: defaultdict[str, Counter[int]] = defaultdict(Counter)
        bodies = []
        edge_total = word_total = 0
        for rows in articles:
            body = [r for r in rows if not titles[r]] or list(rows)
            inner = Counter(int(topics[r]) for r in (body[1:-1] or body) if topics[r] >= 0)
            topic = min(inner, key=lambda t: (-inner[t], t)) if inner else -1
            text = " ".join(texts[r] for r in body)
            bodies.append(text.lower().replace("’", "'"))
            found: Counter[str] = Counter()
            for edge in _edges(text, edge_share, edge_words):
                found.update(phrase.key for phrase in phrases(edge, lexicon, 3))
                edge_total += len(edge.split())
            word_total += len(text.split())
            for key, n in found.items():
                counted[key] += 1
                at_edges[key] += n
                article_topics[key][topic] += 1
        floor = max(min_articles, min_share * len(articles))
        corpus = Counter(topic for spread in article_topics.values() for topic in spread.elements())
        candidates = [key for key, n in counted.items() if n >= floor]
        # Whole words only: counted as a substring, a short name such as "AP" (a wire credit) is found in
        # "apple" and "happen", and never looks as if it kept to the edges.
        anywhere = _occurrences(word_text(" ".join(bodies)).split(), candidates)
        # An evenly spread phrase has ``baseline`` of its occurrences at the edges; boilerplate, at least
        # halfway from there to all of them.
        baseline = edge_total / max(word_total, 1)
        edges = [key for key in candidates if at_edges[key] >= (1 + baseline) / 2 * anywhere[key]]
        concentrated = {key for key in edges if _concentrated(article_topics[key], corpus)}
        return cls(frozenset(edges) - concentrated, frozenset(concentrated))


def _occurrences(words: list[str], keys: Sequence[str]) -> Counter[str]:
    """How often each key stands in a text (its lower-case ``words``) as whole words, its last word
    also with a possessive ending: one pass over the text, whatever the number of keys."""
    wanted = set(keys)
    lengths = sorted({key.count(" ") + 1 for key in keys})
    first = {key.split(" ", 1)[0] for key in keys} | {f"{key}'s" for key in keys if " " not in key}
    found: Counter[str] = Counter()
    for i, word in enumerate(words):
        if word not in first:
            continue
        for n in lengths:
            if i + n > len(words):
                break
            gram = " ".join(words[i:i + n])
            if gram in wanted:
                found[gram] += 1
            elif gram.endswith("'s") and gram[:-2] in wanted:
                found[gram[:-2]] += 1
    return found


def _concentrated(spread: Counter[int], corpus: Counter[int]) -> bool:
    """Whether most articles holding a phrase share one topic that is at most half as common in the
    corpus at large ("(Sports Network) -" opening only sports items)."""
    total, everywhere = sum(spread.values()), sum(corpus.values())
    topic, n = max(spread.items(), key=lambda item: (item[1], -item[0]))
    return n > 0.5 * total and n / total >= 2 * corpus[topic] / everywhere
