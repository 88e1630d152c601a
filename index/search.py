"""Search: a query → dense (FAISS), lexical (BM25) or fused hybrid ranking → hits with their articles.

Hybrid search ranks a candidate pool — the best paragraphs by cosine, the best by BM25, and the
paragraphs of the articles best by BM25 over their whole text — by a blend of three scores: the cosine
(exact, from the stored vectors), the paragraph's BM25 and its article's BM25. Whole-article BM25
carries the evidence spread over an article (a name in the title, a term in another paragraph); the
paragraph's own scores pick the right paragraph within it. Scores are scaled to [0, 1] within the pool
before blending, so no scale dominates; the weights were tuned on SciFact's training claims
(``scripts/eval_search.py --tune``).

A hit's ``score`` is therefore only its ranking within one query (the top hybrid hit reads about 1,
lexical scores are raw BM25); its ``similarity`` is the cosine between the query's and the paragraph's
embeddings in every mode, comparable across queries and modes.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from .arrays import locate, present, unique_sorted
from .bm25 import BM25, Scores
from .catalog import ArticleInfo, Filters, Link
from .errors import QueryError
from .folding import Folder
from .lexical import LexicalQuery
from .notes import filter_notes, shortfall
from .snapshot import Snapshot
from .store import Store
from .vectors import IdSet

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[str, ...] = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Hit:
    """A paragraph that matched, in the article it is shown from.

    ``score`` ranks the hit within this query only: the blend in hybrid mode (scaled within the query,
    so the best reads about 1), the cosine in dense mode, BM25 in lexical mode. ``similarity`` is the
    cosine between the query and the paragraph in every mode, comparable across queries; ``bm25`` is the
    paragraph's BM25 in lexical mode (``None`` otherwise). ``also_in`` lists other articles that contain
    the same paragraph (their text is identical) and, when the search folds near-duplicates, those that
    are a copy or an edited version of this hit's article (see :mod:`index.folding`); ``matches`` are
    the character spans of query terms found in ``text`` (stemmed forms included).
    """

    score: float
    paragraph_id: int
    article: ArticleInfo
    position: int
    is_title: bool
    text: str
    also_in: tuple[str, ...] = ()
    matches: tuple[tuple[int, int], ...] = ()
    similarity: float = 0.0
    bm25: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready form: the article's fields beside the paragraph's."""
        article = asdict(self.article)
        bm25 = None if self.bm25 is None else round(self.bm25, 6)
        return {"score": round(self.score, 6), "similarity": round(self.similarity, 6), "bm25": bm25,
                "article_id": article.pop("id"), **article,
                "paragraph_id": self.paragraph_id, "position": self.position, "is_title": self.is_title,
                "text": self.text, "also_in": list(self.also_in), "matches": [list(m) for m in self.matches]}


class Hits(list[Hit]):
    """The hits of one search, best first, and a ``note`` (``None`` when there is nothing to say): how
    few paragraphs hold the query's quoted phrases, when fewer than asked for came back, and which filter
    asks about something no stored article has (see :mod:`index.notes`); a list, so callers that only
    rank need nothing else."""

    note: str | None = None


@dataclass(frozen=True)
class Fusion:
    """How hybrid search blends dense and lexical scores.

    Parameters
    ----------
    dense_weight:
        Share of the (pool-scaled) cosine in the blend; the rest goes to the BM25 scores.
    paragraph_weight:
        Share of the paragraph's own BM25 within the lexical part; the rest is its article's BM25.
    pool:
        Candidates taken from each ranking before blending; more finds more, slower.
    """

    dense_weight: float = 0.65
    paragraph_weight: float = 0.2
    pool: int = 100

    def __post_init__(self) -> None:
        for name in ("dense_weight", "paragraph_weight"):
            if not 0 <= getattr(self, name) <= 1:
                raise QueryError(f"{name} must be between 0 and 1, not {getattr(self, name)}")
        if self.pool < 1:
            raise QueryError(f"pool must be a positive number of candidates, not {self.pool}")

    def blend(self, dense: np.ndarray, paragraph: np.ndarray, article: np.ndarray) -> np.ndarray:
        lexical = self.paragraph_weight * _scaled(paragraph) + (1 - self.paragraph_weight) * _scaled(article)
        return self.dense_weight * _scaled(dense) + (1 - self.dense_weight) * lexical


def _scaled(scores: np.ndarray) -> np.ndarray:
    """Min-max scaled to [0, 1]; scores all equal count fully when positive (a lone candidate that
    matches is a perfect match), not at all otherwise."""
    low, high = (float(scores.min()), float(scores.max())) if len(scores) else (0.0, 0.0)
    if high > low:
        return (scores - low) / (high - low)
    return np.full_like(scores, 1.0 if high > 0 else 0.0)


def check_k(k: int) -> None:
    if k <= 0:
        raise QueryError(f"k must be a positive number of results, not {k}")


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise QueryError(f"unknown search mode '{mode}'; use one of: {', '.join(MODES)}")


def _hits(links: list[Link], ranked: list[tuple[int, float]], by_article: bool) -> list[Hit]:
    placements: dict[int, list[Link]] = {}
    for link in links:
        placements.setdefault(link.paragraph_id, []).append(link)
    hits: list[Hit] = []
    seen: set[str] = set()
    for pid, score in ranked:
        where = placements.get(pid, [])
        if by_article:
            for link in where:
                if link.article.id not in seen:
                    seen.add(link.article.id)
                    hits.append(Hit(score, pid, link.article, link.position, link.is_title, link.text))
        elif where:
            first = where[0]
            others = dict.fromkeys(w.article.id for w in where if w.article.id != first.article.id)
            hits.append(Hit(score, pid, first.article, first.position, first.is_title, first.text,
                            tuple(others)))
    return hits


@dataclass(frozen=True)
class Candidates:
    """A hybrid search's candidate paragraphs with the three scores it blends."""

    ids: np.ndarray
    dense: np.ndarray
    paragraph: np.ndarray
    article: np.ndarray


class _Ranker:
    """Ranks the paragraphs of one snapshot for one query, to any depth.

    The query's embedding and its dense search run on ``background`` while BM25 scores on the calling
    thread: ONNX Runtime and FAISS release the GIL, so on two cores a hybrid query costs about the
    longer of the two rather than their sum.
    """

    def __init__(self, store: Store, snapshot: Snapshot, query: LexicalQuery, background: ThreadPoolExecutor,
                 filters: Filters, fusion: Fusion) -> None:
        self.store, self.snapshot, self.query, self.fusion = store, snapshot, query, fusion
        self.background = background
        self._vector: Future[np.ndarray] = background.submit(_embed, store, query)
        self.allowed: np.ndarray | IdSet | None = None
        self.positions: np.ndarray | None = None  # where the allowed paragraphs lie in the snapshot
        self.among: np.ndarray | None = None  # the positions BM25's best are looked up among, if not cut before
        self.matches = store.lexicon.matching(filters, snapshot) if filters else None
        if query.phrases:
            self.allowed = store.lexicon.phrase_matches(query, filters)
            self.positions = self.among = present(snapshot.ids, self.allowed)
        elif self.matches is not None:  # BM25's scores are cut to the filter's paragraphs as they are made
            self.allowed, self.positions = self.matches.ids, self.matches.positions(snapshot)
        self.size = len(snapshot.ids) if self.allowed is None else len(self.positions)

    @property
    def vector(self) -> np.ndarray:
        """The query's embedding, (1, dim)."""
        return self._vector.result()

    @functools.cached_property
    def bm25(self) -> BM25:
        return self.store.lexicon.bm25(self.snapshot)

    @functools.cached_property
    def paragraph_scores(self) -> Scores:
        """BM25 of the paragraphs of the snapshot (only the filter's, with a filter and no phrase)."""
        scores = self.bm25.paragraph_scores(self.query.ranking_terms)
        if self.matches is None or self.query.phrases:
            return scores
        return scores.only(self.matches.inside(self.snapshot)[scores.keys])

    @functools.cached_property
    def article_scores(self) -> Scores:
        """BM25 of the articles over their whole text, leaving out articles that the filters exclude or
        that have no allowed paragraph."""
        scores = self.bm25.article_scores(self.query.ranking_terms)
        if self.positions is None:
            return scores
        if not self.query.phrases:
            return scores.only(self.matches.ranked_inside(self.snapshot, self.bm25)[scores.keys])
        # the phrases' paragraphs, in the filters' articles
        keys = None if self.matches is None else self.matches.articles
        return scores.only(locate(self.bm25.articles_holding(self.positions, keys), scores.keys) >= 0)

    def dense(self, depth: int) -> list[tuple[int, float]]:
        if not self.size:
            return []
        scores, ids = self.snapshot.search(self.vector, min(depth, self.size), self.allowed)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def lexical(self, depth: int) -> list[tuple[int, float]]:
        best = self.paragraph_scores.top(depth, self.among, keep_zero=bool(self.query.phrases))
        return [(int(self.snapshot.ids[p]), float(s)) for p, s in zip(best, self.paragraph_scores.of(best))]

    def hybrid(self, depth: int) -> list[tuple[int, float]]:
        found = self.candidates(max(depth, self.fusion.pool))
        blended = self.fusion.blend(found.dense, found.paragraph, found.article)
        order = np.lexsort((found.ids, -blended))[:depth]
        return [(int(found.ids[i]), float(blended[i])) for i in order]

    def candidates(self, size: int) -> Candidates:
        nearest = self.background.submit(self.dense, size)
        lexical = [self.paragraph_scores.top(size, self.among), self.bm25.paragraphs_of(self.article_scores.top(size))]
        dense = np.array([pid for pid, _ in nearest.result()], np.int64)
        pool = unique_sorted(np.concatenate([np.searchsorted(self.snapshot.ids, dense), *lexical]))
        if self.positions is not None:
            pool = pool[locate(self.positions, pool) >= 0]
        ids = self.snapshot.ids[pool]
        return Candidates(ids, self.snapshot.vectors_of(ids) @ self.vector[0], self.paragraph_scores.of(pool),
                          self.bm25.best_article(pool, self.article_scores))

    def rank(self, mode: str, depth: int) -> tuple[list[tuple[int, float]], bool]:
        """The best ``depth`` (paragraph id, score) pairs, and whether deeper would find no more."""
        ranked = getattr(self, mode)(depth)
        exhausted = depth >= self.size or (mode != "hybrid" and len(ranked) < depth)  # all it can find
        return ranked, exhausted


def _embed(store: Store, query: LexicalQuery) -> np.ndarray:
    return store.embedder.encode([query.text.replace('"', " ")])


def candidates(store: Store, query: str, filters: Filters | None = None,
               pool: int = Fusion.pool) -> tuple[Candidates, list[tuple[int, str]]]:
    """The candidates hybrid search would blend for ``query``, with their unblended scores, and the
    (paragraph id, article id) placements of each: for inspecting and tuning the fusion."""
    parsed = LexicalQuery.parse(query)
    filters = filters or Filters()
    with store.reading() as snapshot, ThreadPoolExecutor(1, "search") as background:
        found = _Ranker(store, snapshot, parsed, background, filters, Fusion(pool=pool)).candidates(pool)
        return found, store.placements(paragraph_ids=found.ids.tolist(), filters=filters)


def _scored(hits: list[Hit], snapshot: Snapshot, vector: np.ndarray, mode: str) -> list[Hit]:
    """The hits with their cosine to the query (from the stored vectors), and BM25 in lexical mode."""
    cosines = snapshot.vectors_of([hit.paragraph_id for hit in hits]) @ vector[0]
    return [replace(hit, similarity=float(cosine), bm25=hit.score if mode == "lexical" else None)
            for hit, cosine in zip(hits, cosines)]


def search(store: Store, query: str, k: int = 10, filters: Filters | None = None, *,
           by_article: bool = False, mode: Mode = "hybrid", fusion: Fusion | None = None,
           fold: bool = True) -> Hits:
    """The ``k`` paragraphs that best match ``query``, best first.

    ``mode``: ``"hybrid"`` (default) blends meaning and exact words; ``"dense"`` ranks by cosine
    similarity of the embeddings only; ``"lexical"`` by BM25 over the words only. In every mode a
    "quoted phrase" must appear in the paragraph as written. With ``filters`` only paragraphs of matching
    articles are searched, so k hits come back whenever k exist. With ``by_article`` each article appears
    once, with its best paragraph; the search goes deeper until k articles are found or none are left.
    With ``fold`` (the default) a hit whose article is a copy or an edited version of a higher hit's
    article is listed in that hit's ``also_in`` instead (:mod:`index.folding`), and the search goes
    deeper to fill the k places; ``fold=False`` shows every article apart. The result's ``note`` says
    how many hits contain the phrases when they leave fewer than ``k``, and names a filter's field that
    no stored article has (:mod:`index.notes`).
    """
    check_k(k)
    check_mode(mode)
    parsed = LexicalQuery.parse(query)
    filters = filters or Filters()
    fusion = fusion or Fusion()
    depth = k * 4 if by_article else k
    with store.reading() as snapshot, ThreadPoolExecutor(1, "search") as background:
        ranker = _Ranker(store, snapshot, parsed, background, filters, fusion)
        folder = Folder(store, snapshot) if fold else None
        while True:
            ranked, exhausted = ranker.rank(mode, depth)
            every = _hits(store.links(paragraph_ids=[pid for pid, _ in ranked], filters=filters), ranked,
                          by_article)
            hits = folder.fold(every, k) if folder else every
            if len(hits) >= k or exhausted:
                break
            depth *= 4
        found = Hits(_scored([replace(hit, matches=parsed.matches(hit.text)) for hit in hits[:k]], snapshot,
                             ranker.vector, mode))
    notes = [shortfall(parsed, len(every), by_article, bool(filters))] if parsed.phrases and len(every) < k else []
    found.note = "; ".join(notes + filter_notes(store.catalog, filters)) or None
    return found
