"""Store + topic model → the report document, a plain JSON-ready dict (schema in :mod:`.schema`).

Everything the renderers show is computed here once, deterministically: the 2-D map lays out a seeded
sample of paragraphs by topic (:mod:`.layout`, with an excerpt of each for hover text), periods are
calendar days, weeks, months, quarters or years depending on the span (:mod:`.periods`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from index import Store

from ..api import top_articles
from ..model import REPRESENTATIVES, UNASSIGNED, TopicModel, topic_mix
from ..changes import changes, main_topics_of
from ..periods import timeline
from .layout import pca_layout, topic_layout, topic_rows

SCHEMA_ID = "topics-report/1"
MAP_POINTS = 3000
EXCERPT = 160
TOP_ARTICLES = 5


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of a paragraph for hover text, cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def _map(store: Store, ids: np.ndarray, vectors: np.ndarray, topics: np.ndarray,
         model: TopicModel) -> list[dict[str, Any]]:
    """At most :data:`MAP_POINTS` paragraphs (a seeded sample beyond that) laid out by topic
    (:mod:`.layout`; PCA for a model without topics), in the unit square."""
    rows = np.arange(len(vectors))
    if len(rows) > MAP_POINTS:
        seed = int(model.params.get("seed", 0))
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAP_POINTS, replace=False))
    drawn = np.asarray(vectors[rows], np.float64)
    with threadpool_limits(1, user_api="blas"):  # small SVDs: BLAS threads spinning on busy cores took 40x longer
        if len(model.topics):
            xy = topic_layout(drawn, topic_rows(drawn, topics[rows], model.ids, model.centroids), model.centroids)
        else:
            xy = pca_layout(drawn)
    texts = store.paragraph_texts([int(ids[r]) for r in rows])
    return [{"x": round(float(x), 4), "y": round(float(y), 4), "topic": int(topics[r]), "paragraph_id": int(ids[r]),
             "text": excerpt(text)} for (x, y), r, text in zip(xy, rows, texts)]


def _topic_timeline(counts: list[int], periods: list[str], totals: list[int]) -> list[dict[str, Any]]:
    """Articles per period and their share of the period's dated articles (null where it has none), so a
    thin period does not pull every line down."""
    return [{"period": p, "articles": c, "share": round(c / n, 4) if n else None}
            for p, c, n in zip(periods, counts, totals)]


def build_report(store: Store, model: TopicModel) -> dict[str, Any]:
    snapshot = store.snapshot()
    topic_of, confidence = model.topics_of(store, snapshot.ids)
    row_of = {int(pid): row for row, pid in enumerate(snapshot.ids)}
    links = store.links(article_ids=store.article_ids())
    articles: dict[str, Any] = {}
    paragraphs_of: dict[str, list[int]] = defaultdict(list)
    for link in links:
        articles[link.article.id] = link.article
        paragraphs_of[link.article.id].append(row_of[link.paragraph_id])

    mixes = {aid: topic_mix(topic_of[rows]) for aid, rows in paragraphs_of.items()}
    mains, stories = main_topics_of(snapshot, model, topic_of, [np.array(rows) for rows in paragraphs_of.values()])
    main = {aid: int(topic) for aid, topic in zip(paragraphs_of, mains) if topic != UNASSIGNED}
    story_of, story_confidence = model.topics_of(store, snapshot.ids, stories=True)
    main_story = {aid: int(story) for aid, topic, story in zip(paragraphs_of, mains, stories)
                  if topic != UNASSIGNED and story != UNASSIGNED}
    dates = [a.published for a in articles.values() if a.published]
    dated = [(articles[aid].published, topic, main_story.get(aid, UNASSIGNED))
             for aid, topic in sorted(main.items()) if articles[aid].published]
    line = timeline(dates, [(d, t) for d, t, _ in dated])

    def article_ref(aid: str) -> dict[str, Any]:
        a = articles[aid]
        return {"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url}

    total = len(snapshot.ids)
    main_articles, story_articles = Counter(main.values()), Counter(main_story.values())
    present_in = Counter(tid for mix in mixes.values() for tid, _ in mix)  # a mix names a topic once
    owners = {link.paragraph_id: link.article.id for link in reversed(links)}  # earliest article wins

    def representatives(members: np.ndarray, sureness: np.ndarray) -> list[dict[str, Any]]:
        best = members[np.argsort(-sureness[members], kind="stable")[:REPRESENTATIVES]]
        texts = store.paragraph_texts([int(snapshot.ids[r]) for r in best])
        return [{"paragraph_id": int(snapshot.ids[r]), "confidence": round(float(sureness[r]), 4),
                 "text": text, "article": article_ref(owners[int(snapshot.ids[r])])} for r, text in zip(best, texts)]

    def stories(theme: int) -> list[dict[str, Any]]:
        out = []
        for story in model.stories_of(theme):
            members = np.flatnonzero(story_of == story.id)
            out.append({"id": story.id, "label": story.name, "automatic_label": story.label,
                        "keywords": [{"term": k, "weight": w} for k, w in story.keywords],
                        "paragraphs": int(len(members)), "share": round(len(members) / total, 6) if total else 0.0,
                        "articles": story_articles[story.id],
                        "representatives": representatives(members, story_confidence)})
        return out

    topics_out = []
    for topic in model.topics:
        members = np.flatnonzero(topic_of == topic.id)
        topics_out.append({
            "id": topic.id, "label": topic.name, "automatic_label": topic.label, "named": topic.named,
            "keywords": [{"term": k, "weight": w} for k, w in topic.keywords],
            "paragraphs": int(len(members)), "share": round(len(members) / total, 6) if total else 0.0,
            "articles": main_articles[topic.id],
            "present_in": present_in[topic.id],
            "representatives": representatives(members, confidence),
            "top_articles": [{**article_ref(aid), "share": round(share, 4)}
                             for aid, share in top_articles(mixes, topic.id, TOP_ARTICLES)],
            "timeline": _topic_timeline(line.series(topic.id), line.periods, line.totals),
            "stories": stories(topic.id),
        })
    similarity = (model.centroids @ model.centroids.T).round(4).tolist() if len(model.topics) else []
    unassigned = int((topic_of == UNASSIGNED).sum())
    sources = Counter(a.source for a in articles.values() if a.source)
    return {
        "schema": SCHEMA_ID,
        "model": {"fit_number": model.fit_number, "embedding_model": model.embedding_model,
                  "corpus_hash": model.corpus_hash, "up_to_date": model.corpus_hash == store.content_hash(),
                  "params": model.params},
        "corpus": {"articles": len(articles), "paragraphs": total,
                   "sources": [{"name": n, "articles": c} for n, c in sorted(sources.items(), key=lambda s: (-s[1], s[0]))],
                   "first_published": min(dates) if dates else None, "last_published": max(dates) if dates else None},
        "unassigned": {"paragraphs": unassigned, "rate": round(unassigned / total, 6) if total else 0.0},
        "topics": topics_out,
        "articles": [{"id": aid, "title": articles[aid].title, "main_topic": main.get(aid),
                      "main_story": main_story.get(aid),
                      "mix": [{"topic": t, "share": round(s, 4)} for t, s in mixes[aid]]} for aid in sorted(articles)],
        "hierarchy": model.hierarchy,
        "similarity": {"topics": [t.id for t in model.topics], "matrix": similarity},
        "periods": line.periods,
        "period_unit": line.unit,
        "period_articles": line.totals,
        "map": _map(store, snapshot.ids, snapshot.vectors, topic_of, model),
        "history": model.history,
        "changes": changes(store, model, dated=dated).to_dict(),
    }
