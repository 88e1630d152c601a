"""The topics layer the CLI, the service and the report call: what a topic holds, what an article is
about, and refitting. Every result is a dataclass with ``to_dict``, so ``--json`` output and the HTTP
API answer with the same shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from index import Article, ArticleInfo, DuplicatePair, QueryError, Store, duplicates_of, write_output

from .changes import Changes, changes, dated_main_topics
from .cluster import UNASSIGNED
from .export import export_table
from .model import Topic, TopicModel, topic_mix
from .periods import Timeline, timeline
from .steering import Reshaped, merge_topics, reset, split_topic  # noqa: F401 (merge and split by hand, in the API)
from .tabular import format_of, require, write_table


@dataclass(frozen=True)
class TopicShare:
    """A topic's share of an article's paragraphs."""

    topic: int
    label: str
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "label": self.label, "share": round(self.share, 6)}


@dataclass(frozen=True)
class ParagraphTopic:
    """A paragraph of an article with its topic and the story inside it (``None`` before the first fit
    or when unassigned)."""

    paragraph_id: int
    position: int
    is_title: bool
    text: str
    topic: int | None
    confidence: float | None
    story: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "confidence": None if self.confidence is None else round(self.confidence, 4)}


@dataclass(frozen=True)
class ArticleTopics:
    """An article's topics: its main topic (from the article as a whole), its paragraph mix, and each
    paragraph's topic; empty before the first fit."""

    main: int | None
    mix: list[TopicShare]
    paragraphs: list[ParagraphTopic]
    main_story: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"main": self.main, "main_story": self.main_story, "mix": [s.to_dict() for s in self.mix],
                "paragraphs": [p.to_dict() for p in self.paragraphs]}


@dataclass(frozen=True)
class TopicSummary:
    """A topic (a theme, or a story inside the theme ``theme``) as lists show it; ``share`` is its part of
    the fit's paragraphs (unassigned ones count); ``named``: given by the analyst (:mod:`topics.named`)."""

    id: int
    label: str
    automatic_label: str
    keywords: list[str]
    paragraphs: int
    share: float
    theme: int | None = None
    named: bool = False

    @classmethod
    def of(cls, topic: Topic, model: TopicModel) -> TopicSummary:
        return cls(topic.id, topic.name, topic.label, [k for k, _ in topic.keywords], topic.size,
                   topic.size / max(len(model.paragraph_ids), 1), topic.parent, topic.named)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "share": round(self.share, 6)}


@dataclass(frozen=True)
class TopicMember:
    paragraph_id: int
    confidence: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "confidence": round(self.confidence, 4)}


@dataclass(frozen=True)
class TopicPage:
    """One page of a topic's paragraphs, most central first."""

    topic: TopicSummary
    total: int
    offset: int
    limit: int
    items: list[TopicMember]

    def to_dict(self) -> dict[str, Any]:
        return {**self.topic.to_dict(), "total": self.total, "offset": self.offset, "limit": self.limit,
                "items": [m.to_dict() for m in self.items]}


def topic_page(store: Store, model: TopicModel, topic_id: int, offset: int = 0, limit: int = 20) -> TopicPage:
    """The paragraphs of a topic still in the store, most central first, ``limit`` from ``offset``."""
    topic = model.topic(topic_id)
    with store.reading() as snapshot:
        members = model.members(topic_id, present=snapshot.ids)
        page = members[offset:offset + limit]
        texts = store.paragraph_texts(page)
    _, confidence, _ = model.lookup(page, topic.parent is not None)
    return TopicPage(TopicSummary.of(topic, model), len(members), offset, limit,
                     [TopicMember(int(pid), float(c), text) for pid, c, text in zip(page, confidence, texts)])


def top_articles(mixes: dict[str, list[tuple[int, float]]], topic_id: int, limit: int) -> list[tuple[str, float]]:
    """(article id, share) of the articles where the topic holds the largest share of the paragraphs,
    ties by id: the one rule of the report's and the topic page's top articles."""
    shares = sorted(((share, aid) for aid, mix in mixes.items() for tid, share in mix if tid == topic_id),
                    key=lambda s: (-s[0], s[1]))
    return [(aid, share) for share, aid in shares[:limit]]


@dataclass(frozen=True)
class TopicArticle:
    """An article holding a topic, with the topic's share of its paragraphs."""

    article: ArticleInfo
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"article": info_dict(self.article), "share": round(self.share, 6)}


@dataclass(frozen=True)
class TopicDetail:
    """What a topic's page shows: its most central paragraphs, the article each is shown from (the
    earliest holding it), and its top articles."""

    page: TopicPage
    sources: dict[int, ArticleInfo]
    articles: list[TopicArticle]

    def to_dict(self) -> dict[str, Any]:
        page = self.page.to_dict()
        for item in page["items"]:
            source = self.sources.get(item["paragraph_id"])
            item["article"] = None if source is None else info_dict(source)
        return {**page, "articles": [a.to_dict() for a in self.articles]}


def topic_detail(store: Store, model: TopicModel, topic_id: int, paragraphs: int = 5,
                 articles: int = 10) -> TopicDetail:
    """A topic's central paragraphs with their articles and its top articles (see :func:`top_articles`);
    only the articles holding one of its paragraphs are read, not the whole corpus."""
    page = topic_page(store, model, topic_id, 0, paragraphs)
    with store.reading() as snapshot:
        members = model.members(topic_id, present=snapshot.ids)
        sources: dict[int, ArticleInfo] = {}
        for link in store.links(paragraph_ids=[m.paragraph_id for m in page.items]):
            sources.setdefault(link.paragraph_id, link.article)
        holding = sorted({aid for _, aid in store.placements(paragraph_ids=members.tolist())})
        links = store.links(article_ids=holding)
        topics, _ = model.topics_of(store, np.array([link.paragraph_id for link in links], dtype=np.int64),
                                    stories=model.topic(topic_id).parent is not None)
    rows: dict[str, list[int]] = {}
    infos: dict[str, ArticleInfo] = {}
    for row, link in enumerate(links):
        rows.setdefault(link.article.id, []).append(row)
        infos[link.article.id] = link.article
    mixes = {aid: topic_mix(topics[r]) for aid, r in rows.items()}
    return TopicDetail(page, sources, [TopicArticle(infos[aid], share)
                                       for aid, share in top_articles(mixes, topic_id, articles)])


@dataclass(frozen=True)
class TopicsOverview:
    """What the topics page shows: the topics, their articles over time (by main topic) and what
    changed since the fit before."""

    model: TopicModel
    topics: list[TopicSummary]
    timeline: Timeline
    changes: Changes
    up_to_date: bool

    def to_dict(self) -> dict[str, Any]:
        line = self.timeline
        return {"fit_number": self.model.fit_number, "up_to_date": self.up_to_date,
                "topics": [t.to_dict() for t in self.topics],
                "timeline": {"unit": line.unit, "periods": line.periods, "articles": line.totals,
                             "topics": {str(t.id): line.series(t.id) for t in self.topics}},
                "changes": self.changes.to_dict()}


def topics_overview(store: Store, model: TopicModel) -> TopicsOverview:
    """The topics with their timeline and changes, the articles' main topics worked out once for both."""
    with store.reading():
        dated = dated_main_topics(store, model)
        found = changes(store, model, dated=dated)
        fresh = model.corpus_hash == store.content_hash()
    return TopicsOverview(model, [TopicSummary.of(t, model) for t in model.topics],
                          timeline([d for d, _, _ in dated], [(d, t) for d, t, _ in dated]), found, fresh)


@dataclass(frozen=True)
class TopicListing:
    """The topics of the fit in force, as ``topics topics`` and ``GET /v1/topics`` give them, with what
    that fit changed; ``up_to_date`` is false once articles were added or deleted since."""

    model: TopicModel
    topics: list[TopicSummary]
    up_to_date: bool
    stories: list[TopicSummary] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        events = fit_events(self.model)
        return {"fit_number": self.model.fit_number, "paragraphs": int(len(self.model.paragraph_ids)),
                "unassigned_rate": round(self.model.unassigned_rate, 6),
                "boilerplate_rate": round(self.model.boilerplate_rate, 6), "up_to_date": self.up_to_date,
                "topics": [t.to_dict() for t in self.topics], "stories": [s.to_dict() for s in self.stories],
                "events": events, "messages": [event_line(e) for e in events]}


def topic_listing(store: Store, model: TopicModel) -> TopicListing:
    """The fit's themes and the stories inside them, in id order, without refitting."""
    return TopicListing(model, [TopicSummary.of(t, model) for t in model.topics],
                        model.corpus_hash == store.content_hash(),
                        [TopicSummary.of(s, model) for s in model.stories])


def article_topics(store: Store, model: TopicModel | None, article: str | Article) -> ArticleTopics:
    """The topics of a stored article (as fitted) or of an article not in the store (nearest centroids);
    without a model, its paragraphs alone."""
    if isinstance(article, Article):
        paragraphs = store.splitter.split(article)
        rows = [(None, p.position, p.is_title, p.text) for p in paragraphs]
    else:
        links = store.links(article_ids=[article])
        if not links:
            raise QueryError(f"no article with id '{article}' in {store.path}")
        rows = [(link.paragraph_id, link.position, link.is_title, link.text) for link in links]
    if model is None:
        return ArticleTopics(None, [], [ParagraphTopic(pid, pos, is_title, text, None, None)
                                        for pid, pos, is_title, text in rows])
    if isinstance(article, Article):
        vectors = store.embedder.encode([text for *_, text in rows])
        topics, confidence = model.assign(vectors)
    else:
        ids = np.array([pid for pid, *_ in rows])
        topics, confidence = model.topics_of(store, ids)
        vectors = store.snapshot().vectors_of(ids)
    main = model.main_topic(vectors, topics)
    story = model.main_story(vectors, topics, main)
    stories, _ = model.assign_stories(vectors, topics)  # as fitted: one rule, topics.stories.story_of
    mix = [TopicShare(t, model.topic(t).name, share) for t, share in topic_mix(topics)]
    paragraphs = [ParagraphTopic(pid, pos, is_title, text, _known(t), float(c), _known(s))
                  for (pid, pos, is_title, text), t, c, s in zip(rows, topics, confidence, stories)]
    return ArticleTopics(_known(main), mix, paragraphs, _known(story))


def _known(topic: int) -> int | None:
    return None if topic == UNASSIGNED else int(topic)


def assign_article(store: Store, model: TopicModel, article: str | Article) -> list[tuple[int, float]]:
    """Topic mix of a stored article (as fitted) or of an article not in the store: (topic id, share)."""
    return [(share.topic, share.share) for share in article_topics(store, model, article).mix]


@dataclass(frozen=True)
class ArticleView:
    """A stored article as ``topics show`` and ``GET /v1/articles/{id}`` give it: its metadata, its
    paragraphs each with its topic, its topic mix and main topic, and the same-story pairs
    ``topics duplicates`` lists for it. Each paragraph is a dict of its own, so a finer level than
    topics can be added to it as one more field."""

    info: ArticleInfo
    topics: ArticleTopics
    duplicates: list[DuplicatePair]

    def other(self, pair: DuplicatePair) -> ArticleInfo:
        """The article a pair holds besides this one."""
        return pair.second if pair.first.id == self.info.id else pair.first

    def to_dict(self) -> dict[str, Any]:
        data = self.topics.to_dict()
        return {**info_dict(self.info), "paragraphs": data["paragraphs"], "topics": data["mix"],
                "main_topic": data["main"], "main_story": data["main_story"],
                "duplicates": [{"kind": p.kind, "score": round(p.score, 6), "overlap": round(p.overlap, 4),
                                "article": info_dict(self.other(p))} for p in self.duplicates]}


def article_view(store: Store, model: TopicModel | None, article_id: str, threshold: float = 0.9) -> ArticleView:
    """A stored article with its topics (none before the first fit) and its same-story pairs at
    ``threshold`` (as ``topics duplicates``), read from one snapshot."""
    with store.reading():
        info = store.article(article_id)
        if info is None:
            raise QueryError(f"no article with id '{article_id}' in {store.path}")
        topics = article_topics(store, model, article_id)
        pairs = duplicates_of(store, article_id, threshold)
    return ArticleView(info, topics, pairs)


def info_dict(info: ArticleInfo) -> dict[str, Any]:
    """An article's metadata as the API and ``--json`` show it (without the local file path)."""
    data = asdict(info)
    data.pop("path", None)
    return data


def fit_events(model: TopicModel) -> list[dict[str, Any]]:
    """What the latest fit changed, as recorded in the model's history: new, split, merged and vanished
    topics, and where person-given labels went."""
    return [event for event in model.history if event.get("fit") == model.fit_number and not _alone(model, event)]


def _alone(model: TopicModel, event: dict[str, Any]) -> bool:
    """Whether an event is of a story that is its theme's only one, whose news is the theme's."""
    if event.get("level") != "story" or event["event"] not in ("new", "split"):
        return False
    story = next((s for s in model.stories if s.id == event["topic"]), None)
    return story is not None and len(model.stories_of(story.parent)) == 1


def event_line(event: dict[str, Any]) -> str:
    """One event as a sentence for people."""
    kind, noun = event["event"], "story" if event.get("level") == "story" else "topic"
    topic = f"{noun} {event['topic']}"
    text = {"new": f"{topic} is new", "split": f"{topic} split off {noun} {event.get('from')}",
            "merged": f"{topic} merged into {noun} {event.get('into')}",
            "vanished": f"{topic} vanished"}.get(kind, f"{topic}: {kind}")
    if event.get("custom_label"):
        label = event["custom_label"]
        text += (f"; its label '{label}' now names topic {event['label_to']}" if "label_to" in event
                 else f"; its label '{label}' is kept in the history")
    return text


@dataclass(frozen=True)
class Exported:
    """What an export wrote: how many rows of which kind, in which format, and whether into a regular
    file (not a device, a pipe or an open handle)."""

    kind: str
    format: str
    rows: int
    regular: bool


def export(store: Store, model: TopicModel, kind: str, output: str | Path | BinaryIO,
           fmt: str | None = None) -> Exported:
    """Write the rows of ``kind`` (paragraphs, articles or topics; see :mod:`topics.export`) in ``fmt``
    (csv, jsonl or parquet; default: from the file's extension, else csv) to a file, crash-safely (a
    device or a FIFO is written into), or into an open binary handle. Rows stream from the store to
    the output; a missing library is refused before anything is written."""
    fmt = format_of(str(output) if isinstance(output, (str, Path)) else None, fmt)
    require(fmt)
    table = export_table(store, model, kind)
    if not isinstance(output, (str, Path)):
        return Exported(kind, fmt, write_table(table, output, fmt), False)
    written: list[int] = []
    regular = write_output(Path(output), lambda handle: written.append(write_table(table, handle, fmt)))
    return Exported(kind, fmt, written[0], regular)
