"""Paragraph text → words and noun phrases as written, for keywords and labels; no part-of-speech tagger.

A phrase is a run of one to five words inside one clause chunk (punctuation ends a chunk) with no
function word in it, except ``of`` between two words ("list of terrorist groups", "Bank of England")
and, where asked for, ``no`` opening it ("no civilian casualties", a heading that says the opposite
without it).
A phrase never starts or ends with a reporting verb ("said"), an honorific ("Mr"), a number or code
("000", "sq80") or a time word, never opens with a time of day in the possessive ("night's game": it
says when, as "Saturday's" does), and never holds an age phrase ("year old"). Hyphenated compounds
("cross-border") are one word.

Verbs and adverbs are what separates noun phrases from clauses without a tagger. They are found from
the corpus itself: a word is verb-like when it follows a subject pronoun or a modal ("they *remove*",
"would *give*") or comes straight before an article or object pronoun ("*remove* the", "*follows*
the") more often than it follows an article or possessive ("the *meeting*"); a word ending in -ly,
-ed or -ing is taken as an adverb or verb form unless the corpus shows it after an article ("the
*proposed* law", "the *meeting*"). Capitalised words inside a sentence are names and never verbs.

Each phrase keeps its surface form: the casing it most often has inside sentences (so "ISIS", "Central
Asia" and "government"), read from positions that are not the start of a sentence or of a title; a
word in capitals inside a title-case headline counts too, since title case capitalises only initials
("Iraqi PM Visits Paris" against "at 5 pm"). A word seen only where every word may take a capital
(sentence starts, headlines) is capitalised when it begins a name or a name begins it ("Kazakh media
outlets reported …" beside "in Kazakhstan").
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from .english import (ARTICLES, EDGE_WORDS, ENTITY_NAMES, FUNCTION_WORDS, HONORIFICS, MODALS, OBJECTS, ONLY_VERBS, SPELLED_NUMBER,
                      STRONG_PAST, SUBJECTS, TIMES_OF_DAY)

MAX_WORDS = 5
NEGATION = "no"  # the one function word a heading may open with (see phrases)

_TOKEN = re.compile(r"\w+(?:[-’'.&]\w+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"[’']s$", re.IGNORECASE)
_ALPHA = re.compile(r"[^\W\d_]+(?:[-’'][^\W\d_]+)*", re.UNICODE)
_MARKUP = re.compile(r"\S*(?:://|www\.|[<>=\\/@])\S*")
_AGE = re.compile(r"\byears? old\b|\byear-old\b|\baged\b")
_SENTENCE_END = frozenset(".!?:;\"“”")



def words(text: str) -> list[str]:
    """Lower-case words of ``text``: hyphenated compounds whole and in parts ("cross-border", "cross",
    "border"), possessives dropped, numbers left out. The analyser of keywords and of their coherence."""
    out = []
    for match in _TOKEN.finditer(_MARKUP.sub(" ", text)):
        word = _POSSESSIVE.sub("", match.group().lower())
        if not _ALPHA.fullmatch(word):
            continue
        out.append(word)
        if "-" in word:
            out.extend(part for part in word.split("-") if part)
    return out


def word_text(text: str) -> str:
    """``text`` as its lower-case words (as phrases are made of) separated by single spaces, so a phrase's
    key is found in it as a whole-word substring."""
    return " ".join(match.group().lower() for match in _TOKEN.finditer(text))


class _Token(NamedTuple):
    text: str  # as written, a possessive ending dropped
    lower: str
    chunk: int  # clause chunk number within the paragraph
    inner: bool  # inside a sentence (not its first word), so its case is evidence
    possessive: bool


_POSSESSIVE_ENDINGS = ("'s", "'S", "’s", "’S")


def tokens(text: str) -> tuple[_Token, ...]:
    """Words of a paragraph with their clause chunk: any character between two words other than a space
    ends a chunk (hyphens and apostrophes inside a word belong to it). Web addresses and markup are not
    words ("<a href=...>", "www.example.com/x?y=1")."""
    out: list[_Token] = []
    chunk, end, sentence_start = 0, 0, True
    text = _MARKUP.sub(" | ", text)
    for match in _TOKEN.finditer(text):
        start = match.start()
        if start > end and not text[end:start].isspace():
            chunk += 1
            sentence_start = sentence_start or not _SENTENCE_END.isdisjoint(text[end:start])
        raw = match.group()
        possessive = raw.endswith(_POSSESSIVE_ENDINGS)
        word = raw[:-2] if possessive else raw
        out.append(_Token(word, word.lower(), chunk, not sentence_start, possessive))
        sentence_start = False
        end = match.end()
    return tuple(out)


class Reading(NamedTuple):
    """One paragraph as terms are counted from it: whether it reads as a headline, its phrases' keys
    (each once, in reading order), each phrase inside a sentence with its key and its words as written
    there, and the keys of the phrases that end their noun phrase."""

    headline: bool
    keys: tuple[str, ...]
    written: tuple[tuple[str, str], ...]
    ending: tuple[str, ...]


@dataclass
class Lexicon:
    """What the corpus says about its words: which act as verbs or adverbs, and how each is written
    (read from paragraphs that are not headlines)."""

    verbal: frozenset[str] = frozenset()
    forms: dict[str, str] = field(default_factory=dict)
    modifiers: frozenset[str] = frozenset()  # names used as adjectives ("Russian government")
    premodifiers: frozenset[str] = frozenset()  # common words that stand before a noun ("new", "nuclear")
    participles: frozenset[str] = frozenset()  # -ed words that end a clause as verbs ("force targeted")
    # A paragraph's reading (headline or not, its phrases), kept: the themes and then their stories are
    # described from mostly the same paragraphs, and reading them is most of describing.
    _read: dict[str, Reading] = field(default_factory=dict, compare=False, repr=False)
    _breaks: dict[tuple[str, bool], bool] = field(default_factory=dict, compare=False, repr=False)

    def read(self, text: str) -> Reading:
        """What counting a paragraph's terms needs of it (``no`` may open a phrase): see :class:`Reading`."""
        found = self._read.get(text)
        if found is None:
            toks = tokens(text)
            read = tuple(phrases_of(toks, self, MAX_WORDS, negated=True))
            found = self._read[text] = Reading(
                _title_case(toks), tuple(dict.fromkeys(p.key for p in read)),
                tuple((p.key, p.written) for p in read if p.written is not None),
                tuple(dict.fromkeys(p.key for p in read if p.ends)))
        return found

    @classmethod
    def learn(cls, texts: Iterable[str], titles: Iterable[bool] | None = None) -> Lexicon:
        """Read verb evidence and surface forms from paragraph texts (``titles`` flags those that are
        headlines, whose capitals are no evidence)."""
        nominal: Counter[str] = Counter()
        verbal: Counter[str] = Counter()
        before_noun: Counter[str] = Counter()
        alone: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()  # lower-case word inside a sentence → the word after it
        past: Counter[str] = Counter()  # -ed words not followed by another word of their phrase
        past_nominal: Counter[str] = Counter()  # ... of those, the ones after an article ("the injured")
        cases: defaultdict[str, Counter[str]] = defaultdict(Counter)
        initials: set[str] = set()  # words seen with a capital where every word may have one
        flags = iter(titles) if titles is not None else None
        for text in texts:
            toks = tokens(text)
            is_title = (next(flags) if flags is not None else False) or _title_case(toks)
            shouting = text.isupper()
            for i, tok in enumerate(toks):
                before = toks[i - 1].lower if i and toks[i - 1].chunk == tok.chunk else ""
                after = toks[i + 1].lower if i + 1 < len(toks) and toks[i + 1].chunk == tok.chunk else ""
                if before in ARTICLES:
                    nominal[tok.lower] += 1
                if tok.lower.endswith("ed") and (not after or after in FUNCTION_WORDS or after in EDGE_WORDS):
                    past[tok.lower] += 1
                    past_nominal[tok.lower] += before in ARTICLES
                if before in SUBJECTS or before in MODALS or after in OBJECTS:
                    verbal[tok.lower] += 1
                if is_title and not shouting and len(tok.text) > 1 and tok.text.isupper():
                    cases[tok.lower][tok.text] += 1  # title case does not make "PM"
                if not tok.inner or is_title:
                    initials.add(tok.lower)
                if tok.inner and not is_title:
                    cases[tok.lower][tok.text] += 1
                    # "Afghan and coalition forces": a coordinated name may still stand before a noun
                    if tok.text[:1].isupper() and after not in ("and", "or"):
                        (before_noun if after and after not in FUNCTION_WORDS else alone)[tok.lower] += 1
                    elif not is_title:
                        pairs[tok.lower, after] += 1
        forms = {lower: usual_form(counts) for lower, counts in cases.items()}
        verbs = {w for w, n in verbal.items() if n > nominal[w]}
        suffixed = {w for w in set(nominal) | set(verbal) | set(forms) if _inflected(w) and not nominal[w]}
        names = {w for w, form in forms.items() if form[:1].isupper()}
        modifiers = {w for w, n in before_noun.items() if n >= 4 * alone[w]}
        verbal_words = frozenset((verbs | suffixed) - names - FUNCTION_WORDS)  # those have their own rule
        participles = frozenset(w for w, n in past.items() if _inflected(w) and 4 * past_nominal[w] < n)
        forms.update(_part_of_names(initials - set(forms), names))
        return cls(verbal_words, forms, frozenset(modifiers), _premodifiers(pairs, verbal_words), participles)

    def breaks(self, tok: _Token) -> bool:
        """Whether ``tok`` cannot stand inside a noun phrase."""
        seen = (tok.lower, tok.text[:1].isupper())
        found = self._breaks.get(seen)
        if found is None:
            found = self._breaks[seen] = self._judge(*seen)
        return found

    def _judge(self, lower: str, capitalised: bool) -> bool:
        if lower in FUNCTION_WORDS and lower != "of" or lower in ENTITY_NAMES:
            return True
        if lower in self.verbal or lower in ONLY_VERBS or lower in STRONG_PAST:
            return True
        return _inflected(lower) and lower not in self.forms and not capitalised

    def reads_as_clause(self, key: str) -> bool:
        """Whether a phrase holds a verb in the past or ends with a participle ("exporters sold",
        "security force targeted"): a clause cut short, not a name for a subject."""
        words = key.split()
        return not STRONG_PAST.isdisjoint(words) or words[-1] in self.participles

    def surface(self, phrase: str) -> str:
        """A phrase in its usual casing: each word as the corpus writes it inside sentences (lower case
        when it is never seen there)."""
        out = []
        for word in phrase.split():
            base, possessive = (word[:-2], "’s") if word.endswith("'s") else (word, "")
            out.append(self.forms.get(base, base) + possessive)
        return " ".join(out)


def _part_of_names(words: Iterable[str], names: Iterable[str]) -> dict[str, str]:
    """Capitalised forms of words never seen inside a sentence (only at sentence starts and in
    headlines, where every word may have a capital) that begin a name or that a name begins, sharing
    four letters and at least half of the longer word: "Kazakh" of "Kazakhstan", "Iraqi" of "Iraq";
    not "Subs" of "Subscriber", where the shared letters are a common beginning, not one word."""
    ordered = sorted(names)
    known = set(ordered)
    out = {}
    for word in words:
        if len(word) < 4 or not word.isalpha() or _inflected(word):
            continue
        at = bisect.bisect_right(ordered, word)
        longer = ordered[at:bisect.bisect_right(ordered, word + "\uffff")]  # the names that begin with it
        begins_one = any(2 * len(word) >= len(name) for name in longer)
        if begins_one or any(word[:n] in known for n in range(max(4, (len(word) + 1) // 2), len(word))):
            out[word] = word[:1].upper() + word[1:]
    return out


def _premodifiers(pairs: Counter[tuple[str, str]], verbal: frozenset[str]) -> frozenset[str]:
    """Common words that, in this corpus, stand before another word of the same noun phrase at least
    four times as often as they end one ("new", "nuclear", "draft"): adjectives and noun modifiers, which
    make a heading that stops short ("Microsoft's new"). Evidence comes only from inside sentences."""
    before: Counter[str] = Counter()
    ending: Counter[str] = Counter()
    for (word, after), n in pairs.items():
        phrase_word = (bool(after) and after not in FUNCTION_WORDS and after not in EDGE_WORDS and after not in verbal
                       and after not in STRONG_PAST and after not in ONLY_VERBS)
        (before if phrase_word else ending)[word] += n
    return frozenset(w for w, n in before.items() if n >= 4 * ending[w])


def usual_form(counts: Counter[str]) -> str:
    """The form a word or phrase is usually written in: the most frequent (lower case on a tie), except
    that capitals used for emphasis (datelines: "KABUL") give way to the ordinary capitalised form
    when that is seen at least a quarter as often."""
    best = min(counts, key=lambda form: (-counts[form], not form.islower(), form))
    if best.isupper() and len(best) > 1:
        titled = [form for form in counts if not form.isupper() and not form.islower()]
        ordinary = max(titled, key=lambda form: (counts[form], form), default=None)
        if ordinary is not None and counts[ordinary] * 4 >= counts[best]:
            return ordinary
    return best


def _inflected(word: str) -> bool:
    """An -ly, -ed or -ing word: an adverb or verb form unless the corpus shows it as a noun (compounds
    such as "intelligence-sharing" are nouns)."""
    return len(word) > 4 and "-" not in word and word.endswith(("ly", "ed", "ing"))


@lru_cache(maxsize=1 << 16)  # a corpus's words recur: each is judged once
def _edge_word(lower: str) -> tuple[bool, bool]:
    """Whether a lower-case word may start or end a phrase on its letters alone (no function, reporting,
    time or title word, letters only), and whether it is a spelled number."""
    return (lower not in FUNCTION_WORDS and lower not in EDGE_WORDS and bool(_ALPHA.fullmatch(lower)),
            bool(SPELLED_NUMBER.fullmatch(lower)))


def _edge_ok(tok: _Token) -> bool:
    """Whether a phrase may start or end with ``tok``: a word of letters, not a function, reporting, time
    or title word, not a number unless it begins a name inside a sentence ("the Six Nations"), and not a
    two-letter scrap unless written in capitals ("EU")."""
    word, number = _edge_word(tok.lower)
    return (word and (not number or (tok.inner and tok.text[:1].isupper()))
            and (len(tok.lower) > 2 or (len(tok.lower) == 2 and tok.text.isupper())))


def _title_case(toks: Sequence[_Token]) -> bool:
    """Whether a paragraph's words are written in title case ("Coalition Forces Target Taliban Leader"),
    so its capitals say nothing about how its words are usually written."""
    words = [t for t in toks if t.lower not in FUNCTION_WORDS and t.text[:1].isalpha()]
    return len(words) >= 2 and sum(t.text[:1].isupper() for t in words) >= 0.8 * len(words)


class Phrase(NamedTuple):
    """One noun phrase of a paragraph: its lower-case key, its words as written when they stand inside a
    sentence (else ``None``), and whether it ends where its noun phrase does (no word of the phrase
    follows, or only ``of``): "new IBM" of "new IBM servers" stops short of its head noun."""

    key: str
    written: str | None
    ends: bool


def phrases(text: str, lexicon: Lexicon, max_words: int = MAX_WORDS, negated: bool = False) -> Iterator[Phrase]:
    """Every noun phrase of one paragraph, in text order. With ``negated``, a phrase may also open with
    ``no`` ("no civilian casualties"): as a heading, the phrase without it says the opposite."""
    return phrases_of(tokens(text), lexicon, max_words, negated)


def phrases_of(toks: Sequence[_Token], lexicon: Lexicon, max_words: int = MAX_WORDS,
               negated: bool = False) -> Iterator[Phrase]:
    """:func:`phrases` of a paragraph already split into :func:`tokens`."""
    run: list[_Token] = []
    for tok in toks:
        stops = lexicon.breaks(tok) or tok.lower in HONORIFICS
        if run and not stops and tok.chunk == run[-1].chunk:
            run.append(tok)
            continue
        if run:
            yield from _spans(run, max_words)
        run = [tok] if not stops or (negated and tok.lower == NEGATION) else []
    if run:
        yield from _spans(run, max_words)


def single_words(toks: Sequence[_Token], lexicon: Lexicon) -> set[str]:
    """The keys of a paragraph's one-word phrases (its :func:`tokens`), as :func:`phrases` gives them,
    without making its longer ones: each word that may stand inside a noun phrase and is a phrase on its
    own."""
    return {tok.lower for tok in toks if not (lexicon.breaks(tok) or tok.lower in HONORIFICS) and _stands_alone(tok)}


def _stands_alone(tok: _Token) -> bool:
    """Whether a word of a run is a phrase by itself: one that may open and close a phrase, not the
    negation alone, not a time of day in the possessive ("night's"), and no age ("aged")."""
    return tok.lower != NEGATION and _edge_ok(tok) and not (tok.possessive and tok.lower in TIMES_OF_DAY) \
        and not _AGE.search(tok.lower)


def _spans(run: list[_Token], max_words: int) -> Iterator[Phrase]:
    """The phrases inside one run of words that may belong to a noun phrase (a run opened by ``no``
    gives its phrases with and without it). A phrase holds only words with a letter, and at most one
    possessive, right before its head ("Russia's approach")."""
    n = len(run)
    if n == 1:  # most runs are one word: its one phrase, as the general case below would find it
        only = run[0]
        if _stands_alone(only):
            yield Phrase(only.lower, only.text if only.inner else None, True)
        return
    edge = [_edge_ok(t) for t in run]
    # the end of the longest phrase from each start: before a word without a letter, and at most one
    # word past a possessive
    limit, possessive = [n] * (n + 1), [n] * (n + 1)
    for i in range(n - 1, -1, -1):
        limit[i] = limit[i + 1] if any(c.isalpha() for c in run[i].lower) else i
        possessive[i] = i if run[i].possessive else possessive[i + 1]
    for start in range(n):
        first = run[start]
        negation = start == 0 and first.lower == NEGATION
        if (not edge[start] and not negation) or (first.possessive and first.lower in TIMES_OF_DAY):
            continue  # "night's game" says when, as "Saturday's" does
        for stop in range(start + 1 + negation, min(start + max_words, limit[start], possessive[start] + 2, n) + 1):
            if not edge[stop - 1]:
                continue
            part = run[start:stop]
            key = " ".join(t.lower + ("'s" if t.possessive and t is not part[-1] else "") for t in part)
            if not _AGE.search(key):
                written = " ".join(t.text + ("’s" if t.possessive and t is not part[-1] else "") for t in part)
                ends = stop == n or run[stop].lower == "of"
                yield Phrase(key, written if first.inner else None, ends)
