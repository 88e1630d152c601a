"""Vocabulary and centroids → labels: a heading a person would write for each topic.

**The objective.** A label is the phrase from the text that best tells a topic's paragraphs from its
siblings' (for a story, the other stories of its theme; for a theme, the other themes) while covering
the topic. For a candidate phrase p of topic c, over the paragraphs drawn from each topic:

    support        σ(p) = |{d ∈ c : p ∈ d}| / |c|
    precision      π(p) = n_c(p) / (n_c(p) + Σ_s n_s(p))          n the paragraphs holding p, s the siblings
    centrality     κ(p) = max(0, cos(e(p), μ_c))                  e the embedding, μ_c the centroid
    score(p)       = F_½(π, σ) · κ(p),   F_½ = 1.25 · π · σ / (0.25 · π + σ)

where a paragraph d holds a phrase of several words when it holds each of its content words in some
form (its word family, :meth:`topics.vocabulary.Vocabulary.family_counts`): a reader takes "Hunting
ban" to head a paragraph on a ban on hunts, and a label judged on its exact wording alone would always
be the one frequent word.

F_½ is the F-measure of the phrase as a classifier of the topic's paragraphs that weighs precision
twice as much as coverage: a phrase every sibling uses covers much and tells nothing, and a phrase of
one paragraph tells much and covers nothing. κ adds what the phrase means to what its counts say.

**Rules** (:mod:`topics.rules`, each switchable) decide what may compete: a label is supported (σ at
least ``MIN_SUPPORT``) and distinctive (π above ½: most of the siblings' paragraphs holding it are
here), agrees with the topic's keywords (shares a word family with one of them), embeds nearest its own
centroid, comes from body text, and ends where its noun phrase does. A common noun ranks below a name or
a phrase of several telling words, a word telling when the phrase would score a lower F_½ without it:
"New film" is "Film" where every topic has something new. A phrase that only adds
words to a common noun ranks as that noun and reads in its place ("TV show" for "Show"). A name in most
of the topic's paragraphs leads the label ("Taliban: list of terrorist groups"). When no phrase covers
``COVER`` of the topic, two phrases of different paragraphs that together do make a two-part label
("Google privacy; Apple apps"); so does a topic of two subjects (:mod:`topics.subjects`), one part from
each. When none passes at all, the caller labels the topic with its strongest keywords.

**Across topics** labels are unique, and the phrases of name-led labels share no word family: the name
already says who, so the phrase is what tells two such topics apart. Where two share one, the topic
that word weighs less in takes its next candidate. Labels are written in sentence case.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .english import MONTHS
from .phrases import MAX_WORDS, NEGATION, Lexicon
from .rules import DEFAULT_RULES
from .subjects import Halves
from .vocabulary import NESTED, Vocabulary, stem, stems

Encode = Callable[[Sequence[str]], np.ndarray]
MIN_SUPPORT = 0.1  # share of a topic's paragraphs a label must occur in ("supported")
COVER = 0.3  # share of a topic's paragraphs below which one phrase does not cover it ("two_part")
NAME_SHARE = 0.5  # a name in at least this share of a topic's paragraphs may lead its label
HEADS = 40  # candidates embedded per topic: the best by F_½
PAIRS = 12  # best candidates whose pairs are tried for a two-part label
AGREE = 10  # keywords a label must share a word family with one of ("agrees")
FAMILY = 6  # a word stem this long that begins another's is of the same family ("terror", "terrorist")


@dataclass(frozen=True)
class Heading:
    """A candidate label; for one led by a name, the stems of its phrase's words and the words' weights in
    its topic."""

    text: str
    stems: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A phrase's standing in its topic: support σ, precision π, and F_½ (see the module docstring)."""

    key: str
    support: float
    precision: float

    @property
    def f(self) -> float:
        return float(f_half(self.precision, self.support))


def f_half(precision: float | np.ndarray, support: float | np.ndarray) -> float | np.ndarray:
    """F_½ of a phrase as a classifier of its topic's paragraphs (0 when both are 0)."""
    return 1.25 * precision * support / np.maximum(0.25 * precision + support, 1e-12)


def standing(counts: np.ndarray, topic: int, sizes: np.ndarray,
             totals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Support σ and precision π in ``topic`` of phrases from their (n_topics, n) paragraph counts."""
    rates = counts / np.maximum(sizes, 1)[:, None]
    own = rates[topic].copy()
    rates[topic] = 0.0
    scale = np.asarray(totals if totals is not None else sizes, dtype=np.float64)
    other = (rates * scale[:, None]).sum(axis=0) / max(scale[topic], 1.0)  # the siblings' count, as an own rate
    return own, own / np.maximum(own + other, 1e-12)


def telling(vocabulary: Vocabulary, topic: int, key: str, sizes: np.ndarray,
            totals: np.ndarray | None = None, whole: float | None = None) -> list[str]:
    """The stems of a phrase's content words that tell its topic apart: those without which it would
    score a lower F_½. A word any paragraph may hold ("new film", "legal actions") adds no precision and
    costs support, so the phrase says no more than its other words; two words always found together
    ("box office" where no other office is) tell one thing, not two. ``whole``: the phrase's own F_½,
    when the caller has it."""
    names, without = vocabulary.counts_without_each(vocabulary.index[key])
    if without.shape[1] == 0:
        return names

    def f(counts: np.ndarray) -> np.ndarray:
        support, precision = standing(counts, topic, sizes, totals)
        return f_half(precision, support)

    if whole is None:
        whole = float(f(vocabulary.family_counts(np.array([vocabulary.index[key]]), topic))[0])
    return [name for name, less in zip(names, f(without) < whole * (1 - 1e-9)) if less]  # not float rounding


def candidates(vocabulary: Vocabulary, topic: int, sizes: np.ndarray, lexicon: Lexicon,
               rules: frozenset[str] = DEFAULT_RULES, keywords: Sequence[str] = (),
               totals: np.ndarray | None = None) -> dict[str, Candidate]:
    """The topic's phrases that may be its label, with their support and precision; with ``keywords``
    (the topic's, best first), only phrases that share a word family with one of them ("agrees").
    ``sizes`` counts each topic's drawn paragraphs, ``totals`` all of them (default: ``sizes``)."""
    backed = [stem(w) for keyword in keywords[:AGREE] for w in _content_words(keyword.lower())]
    row = vocabulary.counts.getrow(topic)
    if not len(row.indices):
        return {}
    least = int(np.ceil(MIN_SUPPORT * sizes[topic])) if "supported" in rules else 0
    own, precisions = standing(vocabulary.family_counts(row.indices, topic, least), topic, sizes, totals)
    floor = 2 if sizes[topic] >= 10 else 1
    found = {}
    for i, (j, n) in enumerate(zip(row.indices, row.data)):
        key = vocabulary.keys[j]
        if n < floor or lexicon.reads_as_clause(key) or not MONTHS.isdisjoint(key.split()):
            continue  # a date says when, not what about
        if "whole_phrase" in rules and (key.split()[-1] in lexicon.premodifiers or key not in vocabulary.ending):
            continue
        precision = float(precisions[i])
        if "supported" in rules and own[i] < MIN_SUPPORT or "distinctive" in rules and precision <= 0.5:
            continue
        if "agrees" in rules and backed and not any(_kin(stem(w), b) for w in _content_words(key) for b in backed):
            continue
        found[key] = Candidate(key, float(own[i]), precision)
    if "body_text" in rules and any(k in vocabulary.in_text for k in found):
        found = {k: c for k, c in found.items() if k in vocabulary.in_text}
    found = _usual_forms(vocabulary, topic, found)
    best = sorted(found, key=lambda k: (-found[k].f, k))[:HEADS]
    keep = {vocabulary.keys[j] for j in _maximal(vocabulary, topic, [vocabulary.index[k] for k in best])}
    return {k: found[k] for k in best if k in keep}


def _usual_forms(vocabulary: Vocabulary, topic: int, found: dict[str, Candidate]) -> dict[str, Candidate]:
    """One candidate per phrase of several words judged on the same word families ("Khost province",
    "Khost provinces"): they are one label, written as the topic most often writes it."""
    families = {key: tuple(sorted(stems(key))) for key in found}
    usual: dict[tuple[str, ...], str] = {}
    for key in sorted(found, key=lambda k: (-vocabulary.counts[topic, vocabulary.index[k]], k)):
        usual.setdefault(families[key], key)  # the most written first
    return {key: c for key, c in found.items() if len(families[key]) < 2 or usual[families[key]] == key}


def headings(vocabulary: Vocabulary, topic: int, centroids: np.ndarray, sizes: np.ndarray, lexicon: Lexicon,
             encode: Encode, kept: frozenset[str] = frozenset(), rules: frozenset[str] = DEFAULT_RULES,
             keywords: Sequence[str] = (), totals: np.ndarray | None = None,
             halves: Halves | None = None, story: bool = False) -> list[Heading]:
    """The topic's candidate labels, best first by the objective of the module docstring; for a topic of
    two subjects (``halves``), only the label of two parts that names the best of each.

    A candidate in ``kept`` (lower case: the labels of the fit a refit starts from) that still embeds
    nearest this topic comes first: a topic keeps its label while the label still fits it. A ``story``
    is not labelled by a one-word common noun (rule *story_keywords*): the caller's keyword label follows;
    nor by a one-word name that covers less than ``COVER`` of it where a generic label (a common noun, alone
    or with words that tell nothing) covers more (*part_name*).
    """
    found = candidates(vocabulary, topic, sizes, lexicon, rules, keywords, totals)
    surface = {k: vocabulary.surface(k, lexicon) for k in found}
    lead = next((k for k in sorted(found, key=lambda k: (-found[k].support, k))
                 if _is_name(surface[k]) and k not in lexicon.modifiers
                 and found[k].support >= NAME_SHARE and found[k].precision >= 2 / 3), None) \
        if "lead_name" in rules and halves is None else None
    # label → (F of its phrase, the text whose centrality counts, the key of its phrase)
    options: dict[str, tuple[float, str, str]] = {}
    for key, candidate in found.items():
        if lead is None:
            options.setdefault(sentence_case(surface[key]), (candidate.f, surface[key], key))
        elif not any(word[:1].isupper() for word in surface[key].split()) \
                and len(key.split()) + len(lead.split()) <= MAX_WORDS and vocabulary.together(lead, key):
            options[f"{surface[lead]}: {surface[key]}"] = ((candidate.f + found[lead].f) / 2, surface[key], key)
    if lead is not None and not options:
        options[sentence_case(surface[lead])] = (found[lead].f, surface[lead], lead)
    labels = sorted(options)
    if not labels:
        return []
    contents = sorted({options[label][1] for label in labels})
    centrality = dict(zip(contents, np.maximum(encode(contents) @ centroids[topic], 0.0)))
    sims = encode(labels) @ centroids.T
    own = sims[:, topic].copy()
    sims[:, topic] = -np.inf
    near = own > sims.max(axis=1) if len(centroids) > 1 and "nearest" in rules else np.ones(len(own), bool)
    score = {label: options[label][0] * centrality[options[label][1]] for label in labels}
    cores = {label: _core(vocabulary, topic, options[label], sizes, totals)
             for label in labels} if "specific" in rules and lead is None else {}
    generic = {label: label in cores and cores[label] is not None for label in labels}
    specific_exists = not all(generic[label] or not near[i] for i, label in enumerate(labels))
    ranks = _rank_scores(score, cores)
    ranked = sorted(range(len(labels)), key=lambda i: (
        not near[i], labels[i].lower() not in kept, generic[labels[i]] and specific_exists,
        -ranks[labels[i]], " " not in labels[i], -score[labels[i]], labels[i]))
    if halves is not None:
        return _both(vocabulary, halves, [labels[i] for i in ranked], options)
    one_word = [i for i in ranked if " " not in labels[i]]
    dropped = set()
    if story and "story_keywords" in rules:  # a one-word common noun names a desk, not an event
        dropped = {i for i in one_word if generic[labels[i]]}
    support = [found[options[label][2]].support for label in labels]
    if story and "part_name" in rules and any(generic[labels[i]] and support[i] >= COVER for i in ranked):
        dropped |= {i for i in one_word if _is_name(options[labels[i]][1]) and support[i] < COVER}
    out = [_heading(vocabulary, topic, labels[i], options[labels[i]][2] if lead else None) for i in ranked
           if not (i in dropped and labels[i].lower() not in kept)]
    covered = max(c.support for c in found.values()) >= COVER or labels[ranked[0]].lower() in kept
    if "two_part" in rules and lead is None and not covered:
        pair = _two_part(vocabulary, topic, found, score, options, [labels[i] for i in ranked if near[i]])
        if pair is not None:
            out.insert(0, Heading(pair))
    return out


def _core(vocabulary: Vocabulary, topic: int, option: tuple[float, str, str], sizes: np.ndarray,
          totals: np.ndarray | None) -> tuple[str, ...] | None:
    """For a generic label, the stems that say what it is about: its one telling word's, or all of them
    when none tells (a common noun, alone or with words that tell nothing: "Court", "New film");
    ``None`` for a name or a phrase of several telling words."""
    f, written, key = option
    if _is_name(written):
        return None
    found = telling(vocabulary, topic, key, sizes, totals, f)
    return tuple(found or stems(key)) if len(found) <= 1 else None


def _rank_scores(score: dict[str, float], cores: dict[str, tuple[str, ...] | None]) -> dict[str, float]:
    """The score each label ranks by: its own, except that a generic phrase of several words ranks as the
    best one-word label of its core when that scores higher ("TV show" as "Show"), so that it reads in
    place of the bare word rather than below it."""
    bare: dict[str, float] = {}
    for label, core in cores.items():
        if core and " " not in label:
            bare[core[0]] = max(bare.get(core[0], 0.0), score[label])
    return {label: max([score[label]] + [value for word, value in bare.items()
                                         if any(_kin(word, own) for own in cores.get(label) or ())])
            for label in score}


def _heading(vocabulary: Vocabulary, topic: int, text: str, phrase: str | None) -> Heading:
    words = _content_words(phrase) if phrase else []
    return Heading(text, tuple(stem(w) for w in words), tuple(vocabulary.weight(topic, w) for w in words))


def _two_part(vocabulary: Vocabulary, topic: int, found: dict[str, Candidate],
              score: dict[str, float], options: dict[str, tuple[float, str, str]], ranked: list[str]) -> str | None:
    """"A; B" from two of the best labels that stand mostly in different paragraphs and together cover
    ``COVER`` of the topic, when that pair scores above the best single label (``None``: no such pair).
    Two ways of writing one subject (a word family shared, an abbreviation and its long form) are no pair."""
    size = max(int((vocabulary.rows == topic).sum()), 1)
    best = score[ranked[0]] if ranked else 0.0
    shortlist = ranked[:PAIRS]
    rows = {label: set(vocabulary.paragraphs(topic, options[label][2]).tolist()) for label in shortlist}
    chosen, top = None, best
    for i, a in enumerate(shortlist):
        for b in shortlist[i + 1:]:
            both = len(rows[a] & rows[b])
            if both > 0.25 * min(len(rows[a]), len(rows[b])) or _kindred(options[a][2], options[b][2]) \
                    or _abbreviates(a, b) or _abbreviates(b, a):
                continue
            support = len(rows[a] | rows[b]) / size
            precision = min(found[options[a][2]].precision, found[options[b][2]].precision)
            value = f_half(precision, support) * (score[a] / max(options[a][0], 1e-12)
                                                  + score[b] / max(options[b][0], 1e-12)) / 2
            if support >= COVER and value > top:
                chosen, top = f"{a}; {b}", value
    return chosen


def _both(vocabulary: Vocabulary, halves: Halves, ranked: list[str],
          options: dict[str, tuple[float, str, str]]) -> list[Heading]:
    """"A; B" from the best label of each subject of a two-subject topic (none when a subject has none)."""
    sides = halves.sides(vocabulary, [vocabulary.index[options[label][2]] for label in ranked])
    best = [next((label for label, side in zip(ranked, sides) if side == half), None) for half in (0, 1)]
    return [Heading(f"{best[0]}; {best[1]}")] if None not in best else []


def _kindred(a: str, b: str) -> bool:
    """Whether two phrases share a word family ("Russia", "Russian"): two parts of one subject."""
    return any(_kin(stem(x), stem(y)) for x in _content_words(a) for y in _content_words(b))


def _abbreviates(short: str, long: str) -> bool:
    """Whether ``short`` is written as an abbreviation of ``long`` ("miRNA" of "microRNAs", "IMU" of
    "Islamic Movement of Uzbekistan"): one word with two capitals at least, whose letters ``long`` holds
    in order from the same first letter. A text writes a subject both ways, in different paragraphs."""
    if " " in short or sum(c.isupper() for c in short) < 2:
        return False
    if len(short) > 2 and short.endswith("s") and short[-2].isupper():
        short = short[:-1]  # the plural of an abbreviation: "IEDs", "miRNAs"
    letters = iter(c for c in long.lower() if c.isalnum())
    wanted = [c for c in short.lower() if c.isalnum()]
    return len(wanted) < len(long) and next(letters, "") == wanted[0] and all(c in letters for c in wanted[1:])


def distinct(choices: Sequence[Sequence[Heading]], taken: Collection[str] = ()) -> list[str]:
    """Each topic's label from its candidates (best first): its best one that no other topic's label is
    the same as or, between name-led labels, shares a word family with; of two that share one, the
    topic the word weighs less in moves on to its next candidate. ``taken`` are labels of topics
    described before (other themes' stories, the theme itself), which no candidate may repeat. A topic
    whose every candidate clashed keeps its best one that no other label is the same as (word families
    aside); "" when none is left."""
    used = {label.lower() for label in taken}
    choices = [[h for h in c if h.text.lower() not in used] for c in choices]
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
    """``text`` with a capital first letter, unless its first word is written with a capital inside
    ("iPod", "eBay"), as a name keeps its own casing."""
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) else text[:1].upper() + text[1:]


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


def _maximal(vocabulary: Vocabulary, topic: int, shortlist: list[int]) -> list[int]:
    """``shortlist`` without phrases the topic nearly always (``NESTED``) writes inside one longer phrase of
    its own ("list of terrorist" of "list of terrorist groups", "Sox" of "Red Sox"): the longer one says it."""
    row = vocabulary.counts.getrow(topic)
    longer = [(f" {vocabulary.keys[j]} ", n) for j, n in zip(row.indices, row.data) if " " in vocabulary.keys[j]]
    out = []
    for j in shortlist:
        padded, n = f" {vocabulary.keys[j]} ", vocabulary.counts[topic, j]
        if not any(m >= NESTED * n and len(other) > len(padded) and padded in other for other, m in longer):
            out.append(j)
    return out


def _is_name(text: str) -> bool:
    """Whether a phrase as written is a name: every word but ``of`` capitalised ("Central Asia"), or
    written with a capital inside ("al-Qaida", "iPod")."""
    return all(any(c.isupper() for c in word) for word in text.split() if word != "of")
