"""Store + topic model → the report document, a plain JSON-ready dict (schema in :mod:`.schema`).

Everything the renderers show is computed here once, deterministically: the 2-D map is a PCA projection
of a seeded sample of paragraphs, periods are calendar days, months or years depending on the span.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from index import Store

from ..model import UNASSIGNED, TopicModel, topic_mix

SCHEMA_ID = "topics-report/1"
MAP_POINTS = 3000
TOP_ARTICLES = 5


def _period_length(dates: list[str]) -> int:
    """Characters of an ISO date that name its period: day (10), month (7) or year (4)."""
    if not dates:
        return 7
    first, last = min(dates), max(dates)
    span_days = (np.datetime64(last[:10]) - np.datetime64(first[:10])).astype(int)
    return 10 if span_days <= 62 else 7 if span_days <= 3 * 366 else 4


def _periods(first: str, last: str, cut: int) -> list[str]:
    """Every day, month or year from ``first`` to ``last``, gaps included, so time is drawn to scale."""
    unit = {10: "D", 7: "M", 4: "Y"}[cut]
    start, stop = np.datetime64(first[:cut], unit), np.datetime64(last[:cut], unit)
    return [str(p) for p in np.arange(start, stop + 1)]


def _map(vectors: np.ndarray, topics: np.ndarray, seed: int) -> list[dict[str, Any]]:
    if len(vectors) < 3:
        return [{"x": 0.5, "y": 0.5, "topic": int(t)} for t in topics]
    rows = np.arange(len(vectors))
    if len(rows) > MAP_POINTS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAP_POINTS, replace=False))
    xy = PCA(n_components=2, svd_solver="full").fit_transform(np.asarray(vectors[rows], np.float64))
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-9)
    xy = (xy - xy.min(axis=0)) / span
    return [{"x": round(float(x), 4), "y": round(float(y), 4), "topic": int(topics[r])}
            for (x, y), r in zip(xy, rows)]


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
    main = {aid: topic for aid, rows in paragraphs_of.items()
            if (topic := model.main_topic(snapshot.at(np.array(rows)), topic_of[rows])) != UNASSIGNED}
    dates = [a.published for a in articles.values() if a.published]
    cut = _period_length(dates)
    periods = _periods(min(dates), max(dates), cut) if dates else []
    timeline: dict[int, Counter] = defaultdict(Counter)
    for aid, topic in main.items():
        if articles[aid].published:
            timeline[topic][articles[aid].published[:cut]] += 1

    def article_ref(aid: str) -> dict[str, Any]:
        a = articles[aid]
        return {"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url}

    total = len(snapshot.ids)
    owners = {link.paragraph_id: link.article.id for link in reversed(links)}  # earliest article wins
    topics_out = []
    for topic in model.topics:
        members = np.flatnonzero(topic_of == topic.id)
        shares = sorted(((share, aid) for aid, mix in mixes.items() for tid, share in mix if tid == topic.id),
                        key=lambda s: (-s[0], s[1]))[:TOP_ARTICLES]
        best = members[np.argsort(-confidence[members], kind="stable")[:3]]
        texts = store.paragraph_texts([int(snapshot.ids[r]) for r in best])
        topics_out.append({
            "id": topic.id, "label": topic.name, "automatic_label": topic.label,
            "keywords": [{"term": k, "weight": w} for k, w in topic.keywords],
            "paragraphs": int(len(members)), "share": round(len(members) / total, 6) if total else 0.0,
            "articles": sum(1 for t in main.values() if t == topic.id),
            "representatives": [{"paragraph_id": int(snapshot.ids[r]), "confidence": round(float(confidence[r]), 4),
                                 "text": text, "article": article_ref(owners[int(snapshot.ids[r])])}
                                for r, text in zip(best, texts)],
            "top_articles": [{**article_ref(aid), "share": round(share, 4)} for share, aid in shares],
            "timeline": [{"period": p, "articles": timeline[topic.id][p]} for p in periods],
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
                      "mix": [{"topic": t, "share": round(s, 4)} for t, s in mixes[aid]]} for aid in sorted(articles)],
        "hierarchy": model.hierarchy,
        "similarity": {"topics": [t.id for t in model.topics], "matrix": similarity},
        "periods": periods,
        "map": _map(snapshot.vectors, topic_of, int(model.params.get("seed", 0))),
        "history": model.history,
    }
