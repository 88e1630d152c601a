"""The rows of ``topics export``, of the notebook's tables and of any other table of the fit: one per
paragraph, per article or per topic, built as generators so a store of any size streams through.

Rows come in a fixed order: articles by id (runs of digits compared as numbers, so "2" comes before
"10"), each article's paragraphs by position, topics by level (themes, then stories) and id. Topics are
as fitted (a paragraph added since the fit takes its nearest topic, as everywhere else); an article's
main topic and story are worked out from the article as a whole (:meth:`TopicModel.main_topic`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import numpy as np

from index import ArticleInfo, Link, QueryError, Store

from .changes import main_topics_of
from .cluster import UNASSIGNED
from .model import TopicModel, topic_mix
from .tabular import Column, Table

KINDS = ("paragraphs", "articles", "topics")
BATCH = 500  # articles read from the store at a time
METADATA = "metadata."  # prefix of the columns of the articles' own fields

PARAGRAPH_COLUMNS = [Column("article_id", str), Column("position", int), Column("is_title", bool),
                     Column("paragraph_id", int), Column("text", str), Column("topic", int), Column("story", int),
                     Column("confidence", float)]
ARTICLE_COLUMNS = [Column("id", str), Column("title", str), Column("source", str), Column("url", str),
                   Column("published", str), Column("paragraphs", int), Column("main_topic", int),
                   Column("main_topic_label", str), Column("main_story", int), Column("topic_mix", str)]
TOPIC_COLUMNS = [Column("id", int), Column("level", str), Column("label", str), Column("automatic_label", str),
                 Column("keywords", str), Column("paragraphs", int), Column("articles", int),
                 Column("share", float), Column("parent", int), Column("named", bool)]


def export_table(store: Store, model: TopicModel, kind: str) -> Table:
    """The table of ``kind``: paragraphs, articles or topics."""
    builders = {"paragraphs": paragraph_table, "articles": article_table, "topics": topic_table}
    if kind not in builders:
        raise QueryError(f"cannot export '{kind}': choose one of {', '.join(KINDS)}")
    return builders[kind](store, model)


@dataclass(frozen=True)
class Assigned:
    """Every stored paragraph's theme, story and confidence, by its row in the snapshot."""

    row_of: dict[int, int]
    topics: np.ndarray
    stories: np.ndarray
    confidence: np.ndarray

    @classmethod
    def of(cls, store: Store, model: TopicModel, ids: np.ndarray) -> Assigned:
        topics, confidence = model.topics_of(store, ids)
        stories, _ = model.topics_of(store, ids, stories=True)
        return cls({int(pid): row for row, pid in enumerate(ids)}, topics, stories, confidence)

    def rows(self, paragraph_ids: list[int]) -> np.ndarray:
        """Snapshot rows of paragraphs, -1 for one without a vector."""
        return np.array([self.row_of.get(pid, -1) for pid in paragraph_ids], dtype=np.int64)


@dataclass(frozen=True)
class PlacedArticle:
    """An article's paragraphs (in order) with their topics, and its main topic and story."""

    info: ArticleInfo
    links: list[Link]
    topics: np.ndarray
    stories: np.ndarray
    confidence: np.ndarray  # NaN for a paragraph without a vector
    main: int
    main_story: int


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key comparing runs of digits as numbers: "a2" before "a10"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text))


def placed_articles(store: Store, model: TopicModel) -> Iterator[PlacedArticle]:
    """Every stored article with its paragraphs' topics, in id order, read from one snapshot; the main
    topics of each batch of articles worked out together (:func:`main_topics_of`), not one by one."""
    with store.reading() as snapshot:
        assigned = Assigned.of(store, model, snapshot.ids)
        article_ids = sorted(store.article_ids(), key=natural_key)
        for start in range(0, len(article_ids), BATCH):
            batch = article_ids[start:start + BATCH]
            links_of: dict[str, list[Link]] = {}
            for link in store.links(article_ids=batch):
                links_of.setdefault(link.article.id, []).append(link)
            placed = [sorted(links_of[a], key=lambda link: link.position) for a in batch if a in links_of]
            rows = [assigned.rows([link.paragraph_id for link in links]) for links in placed]
            known = [i for i, found in enumerate(rows) if (found >= 0).any()]
            mains = np.full(len(placed), UNASSIGNED, np.int64)
            stories = mains.copy()
            mains[known], stories[known] = main_topics_of(snapshot, model, assigned.topics,
                                                          [rows[i][rows[i] >= 0] for i in known])
            for links, found, main, story in zip(placed, rows, mains, stories):
                yield _placed(assigned, links, found, int(main), int(story))


def _placed(assigned: Assigned, links: list[Link], rows: np.ndarray, main: int, main_story: int) -> PlacedArticle:
    known = rows >= 0
    topics = np.where(known, assigned.topics[rows], UNASSIGNED)
    stories = np.where(known, assigned.stories[rows], UNASSIGNED)
    confidence = np.where(known, assigned.confidence[rows], np.nan)
    return PlacedArticle(links[0].article, links, topics, stories, confidence, main, main_story)


def _known(topic: int) -> int | None:
    return None if topic == UNASSIGNED else int(topic)


def paragraph_table(store: Store, model: TopicModel) -> Table:
    """One row per paragraph of each article: its topic, story and confidence."""
    def rows() -> Iterator[dict[str, Any]]:
        for article in placed_articles(store, model):
            for link, topic, story, sure in zip(article.links, article.topics, article.stories, article.confidence):
                yield {"article_id": article.info.id, "position": link.position, "is_title": link.is_title,
                       "paragraph_id": link.paragraph_id, "text": link.text, "topic": _known(topic),
                       "story": _known(story), "confidence": None if np.isnan(sure) else round(float(sure), 4)}
    return Table(PARAGRAPH_COLUMNS, rows())


def article_table(store: Store, model: TopicModel) -> Table:
    """One row per article: its metadata (its own fields as ``metadata.``-prefixed columns, nested ones
    by dotted path), main topic and story, and topic mix as JSON text ({"topic id": share})."""
    fields = metadata_columns(store)
    names = {topic.id: topic.name for topic in model.topics}

    def rows() -> Iterator[dict[str, Any]]:
        for article in placed_articles(store, model):
            info = article.info
            mix = {str(topic): round(share, 4) for topic, share in topic_mix(article.topics)}
            flat = flatten(info.metadata)
            yield {"id": info.id, "title": info.title, "source": info.source, "url": info.url,
                   "published": info.published, "paragraphs": len(article.links), "main_topic": _known(article.main),
                   "main_topic_label": names.get(article.main), "main_story": _known(article.main_story),
                   "topic_mix": json.dumps(mix),
                   **{METADATA + key: _cell(flat.get(key), kind) for key, kind in fields}}
    return Table(ARTICLE_COLUMNS + [Column(METADATA + key, kind) for key, kind in fields], rows())


def topic_table(store: Store, model: TopicModel) -> Table:
    """One row per theme and per story: labels, keywords, sizes, the articles holding one of its
    paragraphs, its theme (for a story), and whether a person named it."""
    def rows() -> Iterator[dict[str, Any]]:
        articles = articles_per_topic(store, model)
        total = max(len(model.paragraph_ids), 1)
        for level, topics in (("topic", model.topics), ("story", model.stories)):
            for topic in sorted(topics, key=lambda t: t.id):
                yield {"id": topic.id, "level": level, "label": topic.name, "automatic_label": topic.label,
                       "keywords": ", ".join(word for word, _ in topic.keywords), "paragraphs": topic.size,
                       "articles": articles[topic.id], "share": round(topic.size / total, 6),
                       "parent": topic.parent, "named": bool(getattr(topic, "named", False))}
    return Table(TOPIC_COLUMNS, rows())


def articles_per_topic(store: Store, model: TopicModel) -> Counter[int]:
    """How many articles hold at least one paragraph of each theme and story."""
    counts: Counter[int] = Counter()
    with store.reading() as snapshot:
        assigned = Assigned.of(store, model, snapshot.ids)
        for _, placements in groupby(store.positions(), key=lambda placement: placement[1]):
            rows = assigned.rows([pid for pid, *_ in placements])
            rows = rows[rows >= 0]
            counts.update(set(assigned.topics[rows].tolist()) | set(assigned.stories[rows].tolist()))
    counts.pop(UNASSIGNED, None)
    return counts


def flatten(metadata: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested fields as dotted paths; lists stay whole (written as JSON text)."""
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def metadata_columns(store: Store) -> list[tuple[str, type]]:
    """The articles' flattened metadata fields, sorted, each with the one kind all its values share
    (whole numbers beside fractions: numbers; anything else mixed: text)."""
    kinds: dict[str, set[type]] = {}
    with store.reading():
        for article_id in store.article_ids():
            info = store.article(article_id)
            for key, value in flatten(info.metadata if info else {}).items():
                kinds.setdefault(key, set()).update(() if value is None else (type(value),))
    return [(key, _kind(kinds[key])) for key in sorted(kinds)]


def _kind(seen: set[type]) -> type:
    if len(seen) == 1 and next(iter(seen)) in (str, int, float, bool):
        return next(iter(seen))
    return float if seen == {int, float} else str


def _cell(value: Any, kind: type) -> Any:
    """A metadata value as its column's kind: JSON text for a list or a mixed column's non-text."""
    if value is None or isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
