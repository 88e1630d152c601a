"""Topics → words people can read: keywords and a heading-like label.

Both are drawn from each topic's core: its most central paragraphs (the top ``core`` share by cosine to
the centroid, at least ``min_core`` of them), a seeded sample of ``max_core`` at most, so time stays
bounded however large the corpus. The default core is the whole topic: with keywords chosen for
coherence, the border paragraphs' extra co-occurrence evidence helps more than their mixed vocabulary
hurts (paragraph NPMI on ISAF 0.256 → 0.263 from three quarters to all; BBC 0.352 → 0.343, AG News
0.275 → 0.265, all above BERTopic's).

**Terms** are the noun phrases of :mod:`topics.phrases` (one to five words as written: no function word
inside, no reporting verb, honorific, number or time word at an edge; a label may open with "no"),
counted once per paragraph, less
the corpus's boilerplate (:mod:`topics.boilerplate`). Each is weighted by class-based TF-IDF: all core
paragraphs of a topic form one class document, and for term t and topic c

    W(t, c) = tf(t, c) / Σ_t' tf(t', c)  ·  log(1 + A / f(t))

where tf(t, c) counts t in the topic, f(t) in all topics and A is the average number of terms per
topic: frequent in this topic, rare in the others.

**Keywords**: from the best ``candidates`` terms of one or two words, chosen one at a time by c-TF-IDF
weight (times the share of the term's weight over all topics that falls on this one, so template words
of a corpus, weighty everywhere, give way to the topic's own) plus coherence with the keywords already chosen (mean NPMI over the drawn paragraphs), so a
list reads as words that go together rather than ten central but unrelated names; a term sharing a
word stem with a chosen one is skipped ("kuwait history" and "history of kuwait" are one keyword), and
so is one that is already a keyword of a larger topic.

**Label**: among the topic's best terms found in at least two of its paragraphs, the one that best
combines specificity (its c-TF-IDF weight relative to the topic's best) and centrality (cosine of its
embedding to the centroid), among those whose embedding lies nearer this topic's centroid than any
other's. When a name (a word the corpus writes with a capital) appears in most of the topic's core
paragraphs, and far more often than in the other topics, it may lead the label ("Taliban: list of
terrorist groups").
Labels are unique across topics and written in sentence case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import snowballstemmer
from scipy import sparse

from .boilerplate import Boilerplate
from .phrases import MAX_WORDS, NEGATION, STRONG_PAST, Lexicon, headline_like, phrases, usual_form

Encode = Callable[[Sequence[str]], np.ndarray]
KEYWORD_WORDS = 2  # longest keyword, in words
NAME_SHARE = 0.5  # a name in at least this share of a topic's core paragraphs may lead its label
HEADS = 40  # label candidates per topic, the best phrases by specificity
SHARED = 2  # topics that may share a keyword (1: diversity 0.99 but NPMI 0.18 on ISAF; 3: 0.78 and 0.22)
SPECIFICITY = 0.5  # weight of a heading's specificity beside its centrality


@dataclass(frozen=True)
class Description:
    """A topic's label (empty when it has no terms at all) and its keywords with their weights."""

    label: str
    keywords: list[tuple[str, float]]


@dataclass
class _Terms:
    """Terms of the drawn paragraphs: their keys, document counts per topic, and c-TF-IDF weights."""

    keys: list[str]
    index: dict[str, int]
    counts: sparse.csr_matrix  # (n_topics, n_terms) paragraphs of each topic's core holding the term
    weights: sparse.csr_matrix  # (n_topics, n_terms) c-TF-IDF
    incidence: sparse.csc_matrix  # (n_paragraphs, n_terms): which drawn paragraphs hold each term

    @property
    def totals(self) -> np.ndarray:
        """Each term's c-TF-IDF weight summed over the topics."""
        return np.asarray(self.weights.sum(axis=0)).ravel()

    @property
    def drawn(self) -> int:
        return self.incidence.shape[0]
    written: dict[str, str]  # each term's usual form inside sentences, where it is seen there

    def surface(self, key: str, lexicon: Lexicon) -> str:
        """How the corpus writes a term: as a whole inside sentences, else word by word."""
        return self.written.get(key) or lexicon.surface(key)


def class_tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """c-TF-IDF of a (topics × terms) count matrix (see the module docstring)."""
    totals = np.asarray(counts.sum(axis=1)).ravel()
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = totals.mean() if len(totals) else 0.0
    idf = np.log(1 + average / np.maximum(frequency, 1))
    return (sparse.diags(1 / np.maximum(totals, 1)) @ counts @ sparse.diags(idf)).tocsr()


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


class TopicDescriber:
    """Keywords and labels for fitted topics.

    Parameters
    ----------
    encode:
        The embedding function of the store's model, used to compare terms with topic centroids.
    n_keywords:
        Keywords kept per topic.
    candidates:
        Best c-TF-IDF terms considered per topic, for keywords and for the label.
    coherence:
        How much a keyword's coherence with those already chosen (its mean NPMI with them over the
        drawn paragraphs) counts beside its c-TF-IDF weight (scaled to the topic's best). With int8
        vectors, NPMI over paragraphs at 2 and 3: BBC 0.346 and 0.358, AG News 0.269 and 0.275, ISAF
        0.262 and 0.287 (at 4 ISAF falls back to 0.279), diversity unchanged.
    core, min_core:
        Share of each topic's paragraphs, most central first, that its words are drawn from, and the
        fewest paragraphs drawn (all of them for smaller topics).
    max_core:
        Most paragraphs drawn per topic: larger cores give way to a seeded sample of this many.
    seed:
        Seeds the sample of large cores.
    """

    def __init__(self, encode: Encode, *, n_keywords: int = 10, candidates: int = 60,
                 coherence: float = 3.0, core: float = 1.0, min_core: int = 20, max_core: int = 1000,
                 seed: int = 0) -> None:
        self.encode = encode
        self.n_keywords = n_keywords
        self.candidates = candidates
        self.coherence = coherence
        self.core = core
        self.min_core = min_core
        self.max_core = max_core
        self.seed = seed

    def _core(self, labels: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """``labels`` with every paragraph outside its topic's (capped) core set to -1."""
        rng = np.random.default_rng(self.seed)
        cored = np.full_like(labels, -1)
        for topic in np.unique(labels[labels >= 0]):
            members = np.flatnonzero(labels == topic)
            keep = max(self.min_core, int(np.ceil(self.core * len(members))))
            central = members[np.argsort(-confidence[members], kind="stable")[:keep]]
            if len(central) > self.max_core:
                central = rng.choice(central, size=self.max_core, replace=False)
            cored[central] = topic
        return cored

    def describe(self, texts: Sequence[str], labels: np.ndarray, confidence: np.ndarray,
                 centroids: np.ndarray, *, titles: Sequence[bool] | None = None, lexicon: Lexicon | None = None,
                 boilerplate: Boilerplate = Boilerplate()) -> list[Description]:
        """Keywords and a label for each topic, from paragraph texts, topics and confidences.

        ``titles`` flags paragraphs that are headlines; ``lexicon`` is learnt from the topics' cores
        when not given; no term holds a phrase of ``boilerplate``.
        """
        labels, confidence = np.asarray(labels), np.asarray(confidence)
        cored = self._core(labels, confidence)
        drawn = np.flatnonzero(cored >= 0)
        if lexicon is None:
            lexicon = Lexicon.learn((texts[i] for i in drawn), (bool(titles[i]) for i in drawn) if titles else None)
        terms = self._terms([texts[i] for i in drawn], cored[drawn], len(centroids), lexicon, boilerplate,
                            [bool(titles[i]) for i in drawn] if titles else [False] * len(drawn))
        sizes = np.bincount(cored[drawn], minlength=len(centroids))
        used: set[str] = set()
        taken: Counter[str] = Counter()  # word stems of the keywords of the topics described so far
        out = []
        for topic in range(len(centroids)):
            keywords = self._keywords(terms, topic, lexicon, taken)
            label = self._label(terms, topic, centroids, sizes[topic], lexicon, used) if keywords else ""
            used.add(label.lower())
            out.append(Description(label, keywords))
        return out

    @staticmethod
    def _terms(texts: Sequence[str], topics: np.ndarray, n_topics: int, lexicon: Lexicon,
               boilerplate: Boilerplate, titles: Sequence[bool]) -> _Terms:
        """Count each paragraph's distinct phrases per topic, boilerplate left out, and note how each is
        written inside sentences (headlines' capitals are no evidence)."""
        index: dict[str, int] = {}
        forms: dict[str, Counter[str]] = {}
        rows, cols, paragraphs = [], [], []
        for number, (text, topic, is_title) in enumerate(zip(texts, topics, titles)):
            is_title = is_title or headline_like(text)
            found = set()
            for key, written in phrases(text, lexicon, negated=True):
                if written is not None and not is_title:
                    forms.setdefault(key, Counter())[written] += 1
                found.add(key)
            for key in found:
                if key in boilerplate:
                    continue
                rows.append(int(topic))
                cols.append(index.setdefault(key, len(index)))
                paragraphs.append(number)
        ones = np.ones(len(rows), np.float32)
        counts = sparse.csr_matrix((ones, (rows, cols)), shape=(n_topics, len(index)))
        counts.sum_duplicates()
        incidence = sparse.csc_matrix((ones, (paragraphs, cols)), shape=(len(texts), len(index)))
        written = {key: usual_form(c) for key, c in forms.items()}
        return _Terms(list(index), index, counts, class_tfidf(counts), incidence, written)

    @staticmethod
    def _shortlist(terms: _Terms, topic: int, size: int) -> list[int]:
        """The topic's best ``size`` terms by c-TF-IDF (ties: shorter phrases first, then by key)."""
        row = terms.weights.getrow(topic)
        keys = [terms.keys[j] for j in row.indices]
        order = sorted(range(len(row.data)), key=lambda i: (-row.data[i], keys[i].count(" "), keys[i]))
        return [int(row.indices[i]) for i in order[:size]]

    def _keywords(self, terms: _Terms, topic: int, lexicon: Lexicon, taken: Counter[str]) -> list[tuple[str, float]]:
        """The topic's keywords: from its best keyword-shaped terms, chosen one at a time for weight and
        for coherence with those already chosen, one per word stem, and none whose stem is a keyword of
        a larger topic (``taken``, which gains this topic's), so each list tells its topic apart."""
        pool = [j for j in self._shortlist(terms, topic, 4 * self.candidates)
                if _is_keyword(terms.keys[j]) and all(taken[stem] < SHARED for stem in _stems(terms.keys[j]))]
        pool = _whole(terms, topic, pool[:self.candidates])
        if not pool:
            return []
        weight = np.array([terms.weights[topic, j] for j in pool])
        weight *= weight / np.maximum(terms.totals[pool], 1e-12)  # a word weighty in every topic names none
        weight /= weight.max() or 1.0
        npmi = _npmi(terms.incidence[:, pool])
        chosen: list[int] = []
        stems: set[str] = set()
        while len(chosen) < self.n_keywords:
            score = weight + self.coherence * (npmi[:, chosen].mean(axis=1) if chosen else 0.0)
            ranked = sorted(range(len(pool)), key=lambda i: (-score[i], i))
            pick = next((i for i in ranked if i not in chosen and not set(_stems(terms.keys[pool[i]])) & stems), None)
            if pick is None:
                break
            chosen.append(pick)
            stems |= set(_stems(terms.keys[pool[pick]]))
        taken.update(stems)
        return [(terms.surface(terms.keys[pool[i]], lexicon), float(terms.weights[topic, pool[i]])) for i in chosen]

    def _label(self, terms: _Terms, topic: int, centroids: np.ndarray, core_size: int, lexicon: Lexicon,
               used: set[str]) -> str:
        """The best heading among the topic's phrases, led by its dominant name where it has one.

        With a lead name the heading is "Name: phrase", the phrase a common-noun phrase judged on its
        own, since the name already says who or where; without one, any phrase but a bare name (a name
        says who, not what about: "Microsoft" heads a technology topic badly).
        """
        heads = _heads(terms, topic, core_size, lexicon)
        top = max(heads.values(), default=0.0) or 1.0
        surface = {k: terms.surface(k, lexicon) for k in heads}
        lead = next((k for k in heads if _is_name(surface[k]) and k not in lexicon.modifiers
                     and _leads(terms, topic, k, core_size)), None)
        options: dict[str, tuple[float, str]] = {}  # label → (specificity, the text whose centrality counts)
        for key, spec in heads.items():
            if lead is None and not _is_name(surface[key]):  # a bare name is an actor, not a subject
                options[sentence_case(surface[key])] = (spec / top, surface[key])
            elif not any(word[:1].isupper() for word in surface[key].split()) \
                    and len(key.split()) + len(lead.split()) <= MAX_WORDS:
                options[f"{surface[lead]}: {surface[key]}"] = ((spec + heads[lead]) / 2 / top, surface[key])
        if not options:  # nothing but names: the most specific one
            name = lead or next(iter(heads), None)
            if name is not None:
                options[sentence_case(surface[name])] = (1.0, surface[name])
        labels = sorted(label for label in options if label.lower() not in used)
        if not labels:
            return ""
        contents = sorted({options[label][1] for label in labels})
        centrality = dict(zip(contents, self.encode(contents) @ centroids[topic]))
        sims = self.encode(labels) @ centroids.T
        own = sims[:, topic].copy()
        sims[:, topic] = -np.inf
        margin = own - sims.max(axis=1) if len(centroids) > 1 else np.ones(len(own))
        # Nearest its own centroid first; then specific and central.
        ranked = sorted(range(len(labels)), key=lambda i: (margin[i] <= 0, -(SPECIFICITY * options[labels[i]][0]
                                                                            + centrality[options[labels[i]][1]]), labels[i]))
        return labels[ranked[0]]


def _heads(terms: _Terms, topic: int, core_size: int, lexicon: Lexicon) -> dict[str, float]:
    """The topic's best ``HEADS`` candidate headings with their specificity: the mean c-TF-IDF weight of
    their words in this topic, so a phrase is as specific as the words it is made of however rarely
    it recurs whole. In a topic of ten or more core paragraphs a heading must occur at least twice; it
    never ends with a word the corpus uses before nouns ("Microsoft's new") or with a past participle
    ("security force targeted")."""
    row = terms.counts.getrow(topic)
    weights = terms.weights.getrow(topic)
    word_weight = {terms.keys[j]: float(w) for j, w in zip(weights.indices, weights.data) if " " not in terms.keys[j]}
    floor = 2 if core_size >= 10 else 1
    specs = {}
    for j, n in zip(row.indices, row.data):
        key = terms.keys[j]
        last = key.split()[-1]
        if n < floor or not STRONG_PAST.isdisjoint(key.split()) or last in lexicon.premodifiers \
                or last in lexicon.participles:
            continue
        words = [w.removesuffix("'s") for w in key.split() if w not in ("of", NEGATION)]
        specs[key] = float(np.mean([word_weight.get(w, 0.0) for w in words]))
    best = sorted(specs, key=lambda k: (-specs[k], k))[:HEADS]
    keep = set(terms.keys[j] for j in _maximal(terms, topic, [terms.index[k] for k in best]))
    return {k: specs[k] for k in best if k in keep}


def _leads(terms: _Terms, topic: int, key: str, core_size: int) -> bool:
    """Whether a name may lead the topic's label: it is in at least ``NAME_SHARE`` of the topic's core
    paragraphs, and at least twice as common there as in the other topics' ("Haqqani" among press
    releases that all say "Taliban")."""
    column = terms.counts.getcol(terms.index[key]).toarray().ravel()
    here = column[topic] / max(core_size, 1)
    others = (column.sum() - column[topic]) / max(terms.drawn - core_size, 1)
    return here >= NAME_SHARE and here >= 2 * others


def _npmi(incidence: sparse.csc_matrix) -> np.ndarray:
    """NPMI of every pair of terms over the drawn paragraphs (as the evaluation measures coherence)."""
    n = max(incidence.shape[0], 1)
    joint = (incidence.T @ incidence).toarray() / n + 1e-12
    alone = np.diag(joint)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.log(joint / np.outer(alone, alone)) / -np.log(joint)
    return np.nan_to_num(score, nan=-1.0)


def _whole(terms: _Terms, topic: int, pool: list[int]) -> list[int]:
    """``pool`` without single words that the topic nearly always writes inside one of the pool's
    two-word terms ("Central" of "Central Asian"): the term stands for them."""
    count = {j: terms.counts[topic, j] for j in pool}
    pairs = [j for j in pool if " " in terms.keys[j]]
    return [j for j in pool if " " in terms.keys[j] or not any(
        terms.keys[j] in terms.keys[p].split() and count[p] >= 0.8 * count[j] for p in pairs)]


def _maximal(terms: _Terms, topic: int, shortlist: list[int]) -> list[int]:
    """``shortlist`` without phrases that only ever occur inside one longer phrase of the topic ("list of
    terrorist" when it is always "list of terrorist groups")."""
    row = terms.counts.getrow(topic)
    counted = {terms.keys[j]: n for j, n in zip(row.indices, row.data)}
    out = []
    for j in shortlist:
        key, n = terms.keys[j], counted.get(terms.keys[j], 0)
        padded = f" {key} "
        if not any(len(other) > len(key) and m == n and padded in f" {other} " for other, m in counted.items()):
            out.append(j)
    return out


def _is_name(text: str) -> bool:
    """Whether a phrase as written is a name: every word but ``of`` capitalised ("Central Asia")."""
    return all(word[:1].isupper() for word in text.split() if word != "of")


MONTHS = frozenset("""
january february april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
""".split())


def _is_keyword(key: str) -> bool:
    """Keywords are terms of one or two words, without ``of``, a possessive or a month: a date says when,
    not what about ("Jan" under a topic of press releases; "March" and "May" name other things too)."""
    words = key.split()
    return (len(words) <= KEYWORD_WORDS and "of" not in words and words[0] != NEGATION and not any(w.endswith("'s") for w in words)
            and MONTHS.isdisjoint(words))


_STEMMER = snowballstemmer.stemmer("english")


def _stems(key: str) -> list[str]:
    return [_STEMMER.stemWord(word.removesuffix("'s")) for word in key.split() if word != "of"]
