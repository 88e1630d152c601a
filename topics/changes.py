"""What changed between two fits, and which topics are emerging in the latest period.

**Changes.** Every fit keeps a summary of the fits before it (their topics' ids, labels, sizes and most
central paragraphs), so the latest fit can be compared with any earlier one. A topic is *new*, *split*
(from an old topic), *merged* (into another) or *vanished* as the refits recorded it; a topic in both
fits *rose* or *fell* when its share of the paragraphs moved by at least a tenth of what it was; the rest are
steady and not listed. It is the share that is compared, so a topic whose count grew less than the
corpus did fell; its line says so in those words ("share fell 26.2% → 21.5% (2,574 → 2,605 paragraphs)").

**Emerging topics** (dated corpora): articles are binned by their publication date in the periods the
report's timeline uses (:mod:`topics.periods`: the finest of day, week, month, quarter or year that
keeps the span within 36 bins). For the latest period, a topic is emerging when its count of articles (by main
topic) stands at least ``Z`` binomial standard deviations above what its share of the preceding
periods predicts, with at least ``MIN_ARTICLES`` articles:

    z = (x − n·p) / √(n·p·(1 − p)),   p = (earlier articles of the topic + ½) / (earlier articles + 1)

where x is the topic's articles in the latest period and n all articles in it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index import QueryError, Store
from index.snapshot import Snapshot

from .display import counted
from .model import UNASSIGNED, TopicModel
from .periods import choose_unit, period_of

Z = 3.0
MIN_ARTICLES = 5
EXAMPLES = 2
GROWTH = 0.1  # a share moving by this fraction of itself is a change
ARTICLE_CHUNK = 4096  # articles whose main topics are worked out together (~20k paragraph vectors, ~30 MB)


WHAT = {"rose": "share rose", "fell": "share fell"}  # a kind in words, where the kind alone would mislead


@dataclass(frozen=True)
class TopicChange:
    """One topic's change: ``kind`` is new, split, merged, vanished, rose or fell (its share of the
    paragraphs; its count may have moved the other way)."""

    kind: str
    topic: int
    label: str
    before: tuple[int, float] | None  # (paragraphs, share) in the earlier fit
    after: tuple[int, float] | None
    other: int | None = None  # the topic split from or merged into
    examples: list[str] = field(default_factory=list)
    level: str = "topic"  # or "story": a story inside a topic
    named: bool = False  # a named topic (topics.named)
    by_hand: bool = False  # merged or split by a person (topics merge / topics split)

    def to_dict(self) -> dict[str, Any]:
        def size(value: tuple[int, float] | None) -> dict[str, Any] | None:
            return None if value is None else {"paragraphs": value[0], "share": round(value[1], 6)}
        return {"kind": self.kind, "what": self.what, "topic": self.topic, "label": self.label,
                "before": size(self.before), "after": size(self.after), "other": self.other,
                "examples": self.examples, "level": self.level, "named": self.named, "by_hand": self.by_hand,
                "text": self.line()}

    @property
    def what(self) -> str:
        """The kind in words: "share fell", not "fell", since the count may have grown."""
        return WHAT.get(self.kind, self.kind)

    def line(self) -> str:
        """The change as a sentence for people, e.g. topic 3 “Business”: share fell 26.2% → 21.5%
        (2,574 → 2,605 paragraphs)."""
        head = f"{'named ' * self.named}{self.level} {self.topic} “{self.label}”: {self.what}"
        if self.before and self.after:
            return (f"{head} {100 * self.before[1]:.1f}% → {100 * self.after[1]:.1f}% ({self.before[0]:,} → "
                    f"{counted(self.after[0], 'paragraph', grouped=True)})")
        where = {"split": f" from {self.level} {self.other}",
                 "merged": f" into {self.level} {self.other}"}.get(self.kind, "") + " by hand" * self.by_hand
        count, share = self.after or self.before or (0, 0.0)
        return (f"{head}{where}, {counted(count, 'paragraph', grouped=True)} ({100 * share:.1f}%)"
                + ("" if self.after else " before"))


@dataclass(frozen=True)
class Emerging:
    """A topic whose share of the latest period's articles rose significantly."""

    topic: int
    label: str
    period: str
    articles: int
    expected: float
    z: float
    level: str = "topic"  # or "story"
    named: bool = False  # a named topic (topics.named)

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "label": self.label, "period": self.period, "articles": self.articles,
                "expected": round(self.expected, 3), "z": round(self.z, 3), "level": self.level, "named": self.named}

    def line(self) -> str:
        return (f"emerging {'named ' * self.named}{self.level} {self.topic} “{self.label}”: "
                f"{counted(self.articles, 'article')} in "
                f"{self.period}, {self.expected:.1f} expected (z = {self.z:.1f})")


@dataclass(frozen=True)
class Changes:
    """What changed from fit ``since`` to fit ``fit``, and the topics emerging in the latest period."""

    since: int | None
    fit: int
    changes: list[TopicChange]
    emerging: list[Emerging]

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "fit": self.fit, "changes": [c.to_dict() for c in self.changes],
                "emerging": [e.to_dict() for e in self.emerging]}


def changes(store: Store, model: TopicModel, since: int | None = None,
            dated: list[tuple[str, int, int]] | None = None) -> Changes:
    """The changes from fit ``since`` (default: the one before the latest, none after a first fit) to the
    latest fit, and the topics and stories emerging; ``dated`` is :func:`dated_main_topics` when the caller
    has it already (the report and the topics page do), else it is read from the store once for both."""
    dated = dated_main_topics(store, model) if dated is None else dated
    rising = (emerging(store, model, [(d, t) for d, t, _ in dated])
              + emerging(store, model, [(d, s) for d, _, s in dated], stories=True))
    earlier = {summary["fit"]: summary for summary in model.fits}
    if since is None and model.fit_number - 1 not in earlier:  # the first fit: nothing to compare with
        return Changes(None, model.fit_number, [], rising)
    since = model.fit_number - 1 if since is None else since
    if since not in earlier or since >= model.fit_number:
        fits = ", ".join(str(f) for f in sorted(earlier) if f < model.fit_number) or "none"
        raise QueryError(f"no fit {since} to compare with; earlier fits kept: {fits}")
    events = [e for e in model.history if since < int(e.get("fit", 0)) <= model.fit_number]
    found = _compared(store, model, earlier[since], events) + _compared(store, model, earlier[since], events, True)
    return Changes(since, model.fit_number, found, rising)


def _compared(store: Store, model: TopicModel, before: dict[str, Any], events: list[dict[str, Any]],
              stories: bool = False) -> list[TopicChange]:
    """The changes of the themes, or of the stories (but those that are their theme's only one, whose
    changes are the theme's)."""
    old = {t["id"]: t for t in before.get("stories" if stories else "topics", [])}
    total_before, total_after = max(before["paragraphs"], 1), max(len(model.paragraph_ids), 1)
    current = {t.id: t for t in model.level(stories)}
    if stories:  # a story alone in its theme changes as the theme does, and is said there
        now_per, then_per = Counter(t.parent for t in current.values()), Counter(t.get("parent") for t in old.values())
        current = {i: t for i, t in current.items() if now_per[t.parent] > 1}
        old = {i: t for i, t in old.items() if then_per[t.get("parent")] > 1}
    kinds = {int(e["topic"]): e for e in events}  # the latest event of each topic wins
    out = []
    for topic_id in sorted(set(old) | set(current)):
        was, now = old.get(topic_id), current.get(topic_id)
        before_size = (was["size"], was["size"] / total_before) if was else None
        after_size = (now.size, now.size / total_after) if now else None
        event = kinds.get(topic_id)
        if now is None:
            kind = event["event"] if event and event["event"] in ("merged", "vanished") else "vanished"
        elif was is None:
            kind = event["event"] if event and event["event"] in ("new", "split") else "new"
        else:
            moved = after_size[1] - before_size[1]
            if abs(moved) < GROWTH * before_size[1]:
                continue
            kind = "rose" if moved > 0 else "fell"
        other = event.get("from", event.get("into")) if event else None
        label = now.name if now else was["label"]
        pids = list(model.members(topic_id)[:EXAMPLES]) if now else was["representatives"][:EXAMPLES]
        out.append(TopicChange(kind, topic_id, label, before_size, after_size,
                               None if other is None else int(other), _texts(store, pids),
                               "story" if stories else "topic", now.named if now else bool(was.get("named")),
                               bool(event and event.get("by_hand") and kind in ("merged", "split"))))
    order = {"new": 0, "split": 1, "rose": 2, "fell": 3, "merged": 4, "vanished": 5}
    return sorted(out, key=lambda c: (order[c.kind], c.topic))


def _texts(store: Store, paragraph_ids: list[int]) -> list[str]:
    """Texts of the paragraphs still stored, in the order given."""
    with store.reading() as snapshot:
        present = [int(p) for p in paragraph_ids if np.isin(int(p), snapshot.ids)]
        return store.paragraph_texts(present)


def emerging(store: Store, model: TopicModel, dated: list[tuple[str, int]] | None = None,
             stories: bool = False) -> list[Emerging]:
    """Topics (or stories) whose share of the latest period's articles rose significantly (see the
    module docstring).

    ``dated`` gives (publication date, main topic or story) of the dated articles when the caller has
    them already (the report does); otherwise they are read from the store."""
    if stories and len(model.stories) <= len(model.topics):
        return []  # every theme is one story: its stories are its themes
    if dated is None:
        dated = [(d, s if stories else t) for d, t, s in dated_main_topics(store, model)]
    if len(dated) < 2:
        return []
    unit = choose_unit([d for d, _ in dated])
    latest = period_of(max(d for d, _ in dated), unit)
    now = Counter(t for d, t in dated if period_of(d, unit) == latest)
    before = Counter(t for d, t in dated if period_of(d, unit) != latest)
    n, m = sum(now.values()), sum(before.values())
    if not m:
        return []
    out = []
    for topic in model.level(stories):
        x = now.get(topic.id, 0)
        p = (before.get(topic.id, 0) + 0.5) / (m + 1)
        expected = n * p
        z = (x - expected) / math.sqrt(max(n * p * (1 - p), 1e-12))
        if x >= MIN_ARTICLES and z >= Z:
            out.append(Emerging(topic.id, topic.name, latest, x, expected, z, "story" if stories else "topic",
                                topic.named))
    return sorted(out, key=lambda e: (-e.z, e.topic))


def dated_main_topics(store: Store, model: TopicModel) -> list[tuple[str, int, int]]:
    """(publication date, main topic, main story) of every dated article with a main topic, in article
    id order: one query for the placements, then :func:`main_topics_of`, so an archive of a million
    paragraphs takes seconds, not minutes."""
    with store.reading() as snapshot:
        articles, dates, paragraph_ids = store.catalog.dated_placements()
        rows = np.clip(np.searchsorted(snapshot.ids, paragraph_ids), 0, max(len(snapshot.ids) - 1, 0))
        kept = np.flatnonzero(snapshot.ids[rows] == paragraph_ids) if len(snapshot.ids) else np.zeros(0, np.intp)
        firsts = [i for i, row in enumerate(kept) if i == 0 or articles[row] != articles[kept[i - 1]]]
        topics, _ = model.topics_of(store, snapshot.ids)
        mains, stories = main_topics_of(snapshot, model, topics, np.split(rows[kept], firsts[1:]) if firsts else [])
    return [(dates[kept[first]], int(main), int(story)) for first, main, story in zip(firsts, mains, stories)
            if main != UNASSIGNED]


def main_topics_of(snapshot: Snapshot, model: TopicModel, topics: np.ndarray,
                   groups: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Main topic and main story of each article whose paragraphs are the snapshot rows ``groups[i]``
    (each non-empty; ``topics`` their themes by row), :data:`ARTICLE_CHUNK` articles at a time through
    :meth:`TopicModel.main_topics`."""
    mains, stories = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for begin in range(0, len(groups), ARTICLE_CHUNK):
        chunk = groups[begin:begin + ARTICLE_CHUNK]
        rows = np.concatenate(chunk).astype(np.intp)
        starts = np.cumsum([0] + [len(group) for group in chunk[:-1]]).astype(np.intp)
        found = model.main_topics(snapshot.at(rows), topics[rows], starts)
        mains.append(found[0])
        stories.append(found[1])
    return np.concatenate(mains), np.concatenate(stories)
