"""Semantic search: a query → its vector → nearest paragraphs in FAISS → hits with their articles."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import QueryError
from .store import ArticleInfo, Filters, Link, Store


@dataclass(frozen=True)
class Hit:
    """A paragraph that matched, in the article it is shown from.

    ``also_in`` lists other articles that contain the same paragraph (their text is identical).
    """

    score: float
    paragraph_id: int
    article: ArticleInfo
    position: int
    is_title: bool
    text: str
    also_in: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready form: the article's fields beside the paragraph's."""
        article = asdict(self.article)
        return {"score": round(self.score, 6), "article_id": article.pop("id"), **article,
                "paragraph_id": self.paragraph_id, "position": self.position, "is_title": self.is_title,
                "text": self.text, "also_in": list(self.also_in)}


def check_k(k: int) -> None:
    if k <= 0:
        raise QueryError(f"k must be a positive number of results, not {k}")


def _hits(links: list[Link], scores: dict[int, float], order: list[int], by_article: bool) -> list[Hit]:
    placements: dict[int, list[Link]] = {}
    for link in links:
        placements.setdefault(link.paragraph_id, []).append(link)
    hits: list[Hit] = []
    seen: set[str] = set()
    for pid in order:
        where = placements.get(pid, [])
        if by_article:
            for link in where:
                if link.article.id not in seen:
                    seen.add(link.article.id)
                    hits.append(Hit(scores[pid], pid, link.article, link.position, link.is_title, link.text))
        elif where:
            first = where[0]
            others = dict.fromkeys(w.article.id for w in where if w.article.id != first.article.id)
            hits.append(Hit(scores[pid], pid, first.article, first.position, first.is_title, first.text,
                            tuple(others)))
    return hits


def search(store: Store, query: str, k: int = 10, filters: Filters | None = None, *,
           by_article: bool = False) -> list[Hit]:
    """The ``k`` paragraphs most similar to ``query`` (cosine), best first.

    With ``filters`` only paragraphs of matching articles are searched, so k hits come back whenever k
    exist. With ``by_article`` each article appears once, with its best paragraph; the search goes deeper
    until k articles are found or the store is exhausted.
    """
    query = " ".join(query.split())
    if not query:
        raise QueryError("empty query: give some words to search for")
    check_k(k)
    filters = filters or Filters()
    vector = store.embedder.encode([query])
    with store.reading() as snapshot:
        allowed = store.paragraph_ids(filters) if filters else None
        pool = len(allowed) if allowed is not None else len(snapshot.ids)
        fetch = k * 4 if by_article else k
        while pool:
            scores, ids = snapshot.index.search(vector, min(fetch, pool), allowed)
            found = {int(i): float(s) for s, i in zip(scores[0], ids[0]) if i >= 0}
            order = list(found)
            hits = _hits(store.links(paragraph_ids=order, filters=filters), found, order, by_article)
            if len(hits) >= k or fetch >= pool:
                return hits[:k]
            fetch *= 4
    return []

