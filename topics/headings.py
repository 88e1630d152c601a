"""Vocabulary and centroids → labels: a heading a person would write for each topic.

**Candidates** are the topic's ``HEADS`` most specific phrases (with those tied with the last, up to
twice as many), found in at least two of its paragraphs in a topic of ten or more, in its body text
when it has any (headlines drop articles and put verbs in the present, "Israel kills …", which rules
without a tagger read as noun phrases), and at least once where their noun phrase ends ("new IBM" of
"new IBM Power5 servers" stops short of its head). A phrase's specificity is the mean c-TF-IDF
weight of its words in the topic, so a phrase is as specific as the words it is made of however
rarely it recurs whole.

**Choice**: the candidate that best combines specificity (relative to the topic's best) and centrality
(cosine of its embedding to the centroid), among those whose embedding lies nearer this topic's
centroid than any other's; on a warm refit, the topic's previous label first while it is still such a
candidate, so labels change no more than the topics do. A bare name is no label (a name says who, not
what about) unless the topic has nothing else to offer. When a name (a word the corpus writes with a
capital) appears in most of the topic's core paragraphs, and far more often than in the other topics,
it leads the label, followed by a phrase found in a paragraph with it ("Taliban: list of terrorist
groups").

**Across topics** labels are unique, and the phrases of name-led labels share no word family: the name
already says who, so the phrase is what tells two such topics apart ("ISIS: spread of terrorism" beside
"Taliban: list of terrorist groups" reads as one subject twice). Where two share one, the topic that
word weighs less in takes its next candidate. Labels are written in sentence case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .phrases import MAX_WORDS, NEGATION, Lexicon
from .vocabulary import Vocabulary, stem

Encode = Callable[[Sequence[str]], np.ndarray]
NAME_SHARE = 0.5  # a name in at least this share of a topic's core paragraphs may lead its label
HEADS = 40  # label candidates per topic, the best phrases by specificity
SPECIFICITY = 0.5  # weight of a heading's specificity beside its centrality
FAMILY = 6  # a word stem this long that begins another's is of the same family ("terror", "terrorist")


@dataclass(frozen=True)
class Heading:
    """A candidate label; for one led by a name, the stems of its phrase's words and the words' weights in
    its topic."""

    text: str
    stems: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()


def headings(vocabulary: Vocabulary, topic: int, centroids: np.ndarray, core_size: int, lexicon: Lexicon,
             encode: Encode, kept: frozenset[str] = frozenset()) -> list[Heading]:
    """The topic's candidate labels, best first, led by its dominant name where it has one.

    With a lead name a label is "Name: phrase", the phrase a common-noun phrase judged on its own, since
    the name already says who or where; without one, any phrase but a bare name. A candidate in
    ``kept`` (lower case: the labels of the fit a refit starts from) that still embeds nearest this
    topic comes first: a topic keeps its label while the label still fits it.
    """
    heads = _heads(vocabulary, topic, core_size, lexicon)
    top = max(heads.values(), default=0.0) or 1.0
    surface = {k: vocabulary.surface(k, lexicon) for k in heads}
    lead = next((k for k in heads if _is_name(surface[k]) and k not in lexicon.modifiers
                 and _leads(vocabulary, topic, k, core_size)), None)
    # label → (specificity, the text whose centrality counts, the key of a name-led label's phrase)
    options: dict[str, tuple[float, str, str | None]] = {}
    for key, spec in heads.items():
        if lead is None and not _is_name(surface[key]):
            options[sentence_case(surface[key])] = (spec / top, surface[key], None)
        elif not any(word[:1].isupper() for word in surface[key].split()) \
                and len(key.split()) + len(lead.split()) <= MAX_WORDS and vocabulary.together(lead, key):
            options[f"{surface[lead]}: {surface[key]}"] = ((spec + heads[lead]) / 2 / top, surface[key], key)
    if not options:  # nothing but names: the most specific one
        name = lead or next(iter(heads), None)
        if name is not None:
            options[sentence_case(surface[name])] = (1.0, surface[name], None)
    labels = sorted(options)
    if not labels:
        return []
    contents = sorted({options[label][1] for label in labels})
    centrality = dict(zip(contents, encode(contents) @ centroids[topic]))
    sims = encode(labels) @ centroids.T
    own = sims[:, topic].copy()
    sims[:, topic] = -np.inf
    margin = own - sims.max(axis=1) if len(centroids) > 1 else np.ones(len(own))
    # Nearest its own centroid first, a kept label before others; then specific and central.
    ranked = sorted(range(len(labels)), key=lambda i: (
        margin[i] <= 0, labels[i].lower() not in kept,
        -(SPECIFICITY * options[labels[i]][0] + centrality[options[labels[i]][1]]), labels[i]))
    out = []
    for i in ranked:
        phrase = options[labels[i]][2]
        words = _content_words(phrase) if phrase else []
        out.append(Heading(labels[i], tuple(stem(w) for w in words), tuple(vocabulary.weight(topic, w) for w in words)))
    return out


def distinct(choices: Sequence[Sequence[Heading]]) -> list[str]:
    """Each topic's label from its candidates (best first): its best one that no other topic's label is
    the same as or, between name-led labels, shares a word family with; of two that share one, the
    topic the word weighs less in moves on to its next candidate. A topic whose every candidate clashed
    keeps its best one that no other label is the same as (word families aside); "" when none is left."""
    at = [0] * len(choices)
    for _ in range(sum(len(c) for c in choices)):
        current = [(t, c[at[t]]) for t, c in enumerate(choices) if at[t] < len(c)]
        clash = next(((a, b, w) for i, (a, ha) in enumerate(current) for b, hb in current[i + 1:]
                      if (w := _shared(ha, hb)) is not None), None)
        if clash is None:
            break
        a, b, (weight_a, weight_b) = clash
        at[b if weight_b <= weight_a else a] += 1
    out = [c[at[t]].text if at[t] < len(c) else "" for t, c in enumerate(choices)]
    for t, c in enumerate(choices):  # every candidate clashed: the best one no other topic has
        if not out[t] and c:
            out[t] = next((h.text for h in c if h.text.lower() not in {o.lower() for o in out}), "")
    return out


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shared(a: Heading, b: Heading) -> tuple[float, float] | None:
    """For two labels that clash, the weights in their own topics of what they share (None: no clash)."""
    if a.text.lower() == b.text.lower():
        return (0.0, 0.0)
    for stem_a, weight_a in zip(a.stems, a.weights):
        for stem_b, weight_b in zip(b.stems, b.weights):
            if _kin(stem_a, stem_b):
                return (weight_a, weight_b)
    return None


def _kin(a: str, b: str) -> bool:
    """Whether two word stems are of one family: the same, or a long one that begins the other."""
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= FAMILY and long.startswith(short))


def _content_words(key: str) -> list[str]:
    """The words of a phrase's key that say what it is about, as single-word keys: less ``of``, a leading
    "no" and possessive endings."""
    return [w.removesuffix("'s") for w in key.split() if w not in ("of", NEGATION)]


def _heads(vocabulary: Vocabulary, topic: int, core_size: int, lexicon: Lexicon) -> dict[str, float]:
    """The topic's candidate headings with their specificity (see the module docstring). A heading
    never ends with a word the corpus uses before nouns ("Microsoft's new"), ends where its noun phrase
    does at least once ("new IBM" only ever of "new IBM Power5 servers" stops short) and never reads as
    a clause ("security force targeted")."""
    row = vocabulary.counts.getrow(topic)
    weights = vocabulary.weights.getrow(topic)
    word_weight = {vocabulary.keys[j]: float(w) for j, w in zip(weights.indices, weights.data)
                   if " " not in vocabulary.keys[j]}
    floor = 2 if core_size >= 10 else 1
    specs = {}
    for j, n in zip(row.indices, row.data):
        key = vocabulary.keys[j]
        last = key.split()[-1]
        if n < floor or lexicon.reads_as_clause(key) or last in lexicon.premodifiers or key not in vocabulary.ending:
            continue
        specs[key] = float(np.mean([word_weight.get(w, 0.0) for w in _content_words(key)]))
    if any(k in vocabulary.in_text for k in specs):  # headlines' verbs read as nouns ("Israel kills")
        specs = {k: v for k, v in specs.items() if k in vocabulary.in_text}
    best = sorted(specs, key=lambda k: (-specs[k], k))
    if len(best) > HEADS:  # ties with the last kept stay (up to twice as many): the alphabet is no reason to drop one
        best = [k for k in best if specs[k] >= specs[best[HEADS - 1]]][:2 * HEADS]
    keep = set(vocabulary.keys[j] for j in _maximal(vocabulary, topic, [vocabulary.index[k] for k in best]))
    return {k: specs[k] for k in best if k in keep}


def _leads(vocabulary: Vocabulary, topic: int, key: str, core_size: int) -> bool:
    """Whether a name may lead the topic's label: it is in at least ``NAME_SHARE`` of the topic's core
    paragraphs, and at least twice as common there as in the other topics' ("Haqqani" among press
    releases that all say "Taliban")."""
    column = vocabulary.counts.getcol(vocabulary.index[key]).toarray().ravel()
    here = column[topic] / max(core_size, 1)
    others = (column.sum() - column[topic]) / max(vocabulary.drawn - core_size, 1)
    return here >= NAME_SHARE and here >= 2 * others


def _maximal(vocabulary: Vocabulary, topic: int, shortlist: list[int]) -> list[int]:
    """``shortlist`` without phrases that only ever occur inside one longer phrase of the topic ("list of
    terrorist" when it is always "list of terrorist groups")."""
    row = vocabulary.counts.getrow(topic)
    counted = {vocabulary.keys[j]: n for j, n in zip(row.indices, row.data)}
    wanted = {counted.get(vocabulary.keys[j], 0) for j in shortlist}
    same_count: dict[float, list[str]] = {}  # the topic's longer phrases, by count: only those can hold one
    for other, m in counted.items():
        if m in wanted and " " in other:
            same_count.setdefault(m, []).append(f" {other} ")
    out = []
    for j in shortlist:
        key, n = vocabulary.keys[j], counted.get(vocabulary.keys[j], 0)
        padded = f" {key} "
        if not any(len(other) > len(padded) and padded in other for other in same_count.get(n, ())):
            out.append(j)
    return out


def _is_name(text: str) -> bool:
    """Whether a phrase as written is a name: every word but ``of`` capitalised ("Central Asia")."""
    return all(word[:1].isupper() for word in text.split() if word != "of")
