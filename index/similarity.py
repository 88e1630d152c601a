"""Article-to-article similarity from paragraph vectors, and same-story duplicates (:mod:`index.stories`).

Two articles are compared by the symmetric mean of best matches: every paragraph of A finds its most
similar paragraph in B and vice versa, and the score is the mean of the two average best-match cosines,

    sim(A, B) = ½ · ( mean_a max_b a·b  +  mean_b max_a a·b )

so it is 1.0 for identical articles, does not grow with article length, and an article that merely
quotes one paragraph of another scores well below a rewrite of it. Titles are left out (they repeat the
body) unless an article has nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from typing import Any

import numpy as np

from .articles import Article
from .catalog import ArticleInfo, Filters, Link
from .errors import QueryError
from .search import check_k
from .snapshot import Snapshot
from .store import Store
from .stories import StoryIndex, body, story_of

CANDIDATES_PER_PARAGRAPH = 50
SCORE_TOLERANCE = 1e-5  # float32 cosines of identical texts can fall a hair below 1.0


@dataclass(frozen=True)
class SimilarArticle:
    score: float
    article: ArticleInfo

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the article nested as the HTTP API gives it."""
        return {"score": round(self.score, 6), "article": asdict(self.article)}


@dataclass(frozen=True)
class DuplicatePair:
    """Two articles that are the same story: ``kind`` is copy, edited, part or rewrite (see
    :mod:`index.stories`), ``score`` their article similarity, ``overlap`` their word-shingle Jaccard."""

    score: float
    first: ArticleInfo
    second: ArticleInfo
    kind: str = "rewrite"
    overlap: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 6), "kind": self.kind, "overlap": round(self.overlap, 4),
                "first": asdict(self.first), "second": asdict(self.second)}


def article_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric mean of best-match cosine similarities between two sets of unit vectors."""
    sims = a @ b.T
    return float((sims.max(axis=1).mean() + sims.max(axis=0).mean()) / 2)


def _body(links: list[Link]) -> list[int]:
    return [link.paragraph_id for link in body(links)]


def _by_article(links: list[Link]) -> tuple[dict[str, list[Link]], dict[str, ArticleInfo]]:
    grouped: dict[str, list[Link]] = defaultdict(list)
    info: dict[str, ArticleInfo] = {}
    for link in links:
        grouped[link.article.id].append(link)
        info[link.article.id] = link.article
    return grouped, info


def _reference(store: Store, ref: str | Article) -> tuple[np.ndarray, str | None]:
    if isinstance(ref, Article):
        paragraphs = store.splitter.split(ref)
        texts = [p.text for p in paragraphs if not p.is_title] or [p.text for p in paragraphs]
        return store.embedder.encode(texts), None
    links = store.links(article_ids=[ref])
    if not links:
        raise QueryError(f"no article with id '{ref}' in {store.path} (nor a file of that name)")
    return store.snapshot().vectors_of(_body(links)), ref


def similar(store: Store, ref: str | Article, k: int = 10, filters: Filters | None = None) -> list[SimilarArticle]:
    """Stored articles most similar to a stored article (by id) or to an article not in the store,
    among those matching ``filters``.

    Candidates are the articles owning the nearest paragraphs of each reference paragraph (the nearest
    among the matching articles' paragraphs, when filtered); each is then scored exactly with
    :func:`article_similarity`.
    """
    check_k(k)
    with store.reading() as snapshot:
        vectors, own_id = _reference(store, ref)
        if not len(snapshot.ids):
            return []
        allowed = store.paragraph_ids(filters) if filters else None
        _, neighbours = snapshot.search(vectors, CANDIDATES_PER_PARAGRAPH, allowed)
        pids = sorted({int(i) for i in neighbours.ravel() if i >= 0})
        candidates = {link.article.id for link in store.links(paragraph_ids=pids, filters=filters)} - {own_id}
        grouped, info = _by_article(store.links(article_ids=sorted(candidates)))
        scored = [SimilarArticle(article_similarity(vectors, snapshot.vectors_of(_body(links))), info[aid])
                  for aid, links in grouped.items()]
    return sorted(scored, key=lambda s: (-s.score, s.article.id))[:k]


def duplicates(store: Store, threshold: float = 0.9, neighbours: int = 10) -> list[DuplicatePair]:
    """Pairs of stored articles that are the same story (copies, edited re-publications, parts of longer
    articles, rewrites whose similarity is at least ``threshold``), most similar first; see
    :mod:`index.stories`.

    A pair is considered when some paragraph of one is among the ``neighbours`` nearest of a paragraph of
    the other with a cosine of at least ``threshold``, or when MinHash finds a paragraph of each alike in
    words, then scored exactly.
    """
    if not 0 < threshold <= 1:
        raise QueryError(f"threshold must be in (0, 1], not {threshold}")
    with store.reading() as snapshot:
        return _duplicates(store, snapshot, threshold, neighbours)


@dataclass(frozen=True)
class _Corpus:
    """Every article's paragraphs and story text, and the articles whose body holds each paragraph."""

    grouped: dict[str, list[Link]]
    info: dict[str, ArticleInfo]
    owners: dict[int, set[str]]
    stories: StoryIndex


def _corpus(store: Store) -> _Corpus:
    grouped, info = _by_article(store.links(article_ids=store.article_ids()))
    owners: dict[int, set[str]] = defaultdict(set)
    for aid, links in grouped.items():
        for pid in _body(links):
            owners[pid].add(aid)
    return _Corpus(grouped, info, owners, StoryIndex({aid: story_of(links) for aid, links in grouped.items()}))


def _near_pairs(corpus: _Corpus, snapshot: Snapshot, ids: np.ndarray, vectors: np.ndarray, threshold: float,
                neighbours: int) -> set[tuple[str, str]]:
    """Pairs of articles, one holding a paragraph of ``ids`` (its vector in ``vectors``) and the other it
    or one of its ``neighbours`` nearest paragraphs at a cosine of ``threshold`` or more."""
    pairs: set[tuple[str, str]] = set()
    scores, found = snapshot.search(vectors, neighbours + 1)
    for pid, row_scores, row_ids in zip(ids, scores, found):
        own = corpus.owners.get(int(pid), set())
        near = set().union(own, *(corpus.owners.get(int(i), set()) for s, i in zip(row_scores, row_ids)
                                  if i >= 0 and s >= threshold))
        pairs.update((min(a, b), max(a, b)) for a in own for b in near if a != b)
    return pairs


def _judged(corpus: _Corpus, snapshot: Snapshot, pairs: set[tuple[str, str]], threshold: float) -> list[DuplicatePair]:
    """The candidate pairs that are one story, most similar first."""
    result = []
    for a, b in sorted(pairs):
        score = article_similarity(snapshot.vectors_of(_body(corpus.grouped[a])),
                                   snapshot.vectors_of(_body(corpus.grouped[b])))
        kind, overlap = corpus.stories.kind(a, b, score + SCORE_TOLERANCE, threshold)
        if kind is not None:
            result.append(DuplicatePair(score, corpus.info[a], corpus.info[b], kind, overlap))
    return sorted(result, key=lambda p: (-p.score, p.first.id, p.second.id))


def _duplicates(store: Store, snapshot: Snapshot, threshold: float, neighbours: int) -> list[DuplicatePair]:
    corpus = _corpus(store)
    pairs = corpus.stories.lexical_candidates()
    for ids, vectors in snapshot.chunks(4096):
        pairs |= _near_pairs(corpus, snapshot, ids, vectors, threshold, neighbours)
    return _judged(corpus, snapshot, pairs, threshold)


def _within(snapshot: Snapshot, vectors: np.ndarray, threshold: float) -> set[int]:
    """Every stored paragraph at a cosine of ``threshold`` or more from one of ``vectors``."""
    k = 64
    while True:
        scores, found = snapshot.search(vectors, k)
        if not len(scores) or scores[:, -1].max() < threshold or k >= len(snapshot.ids):
            return {int(i) for i in found[(found >= 0) & (scores >= threshold)]}
        k *= 4


def duplicates_of(store: Store, article_id: str, threshold: float = 0.9, neighbours: int = 10) -> list[DuplicatePair]:
    """The pairs :func:`duplicates` lists that hold ``article_id``, and only those, without searching
    every paragraph's neighbours: a pair holding it comes from one of its own paragraphs, or from a
    paragraph that counts one of them among its nearest, so at least ``threshold`` from it. The story
    texts and LSH candidates are still the whole store's, as stock phrases are counted across it."""
    if not 0 < threshold <= 1:
        raise QueryError(f"threshold must be in (0, 1], not {threshold}")
    with store.reading() as snapshot:
        corpus = _corpus(store)
        if article_id not in corpus.grouped:
            raise QueryError(f"no article with id '{article_id}' in {store.path}")
        mine = _body(corpus.grouped[article_id])
        rows = np.array(sorted(set(mine) | _within(snapshot, snapshot.vectors_of(mine), threshold)), dtype=np.int64)
        near = _near_pairs(corpus, snapshot, rows, snapshot.vectors_of(rows), threshold, neighbours)
        pairs = corpus.stories.lexical_candidates() | near
        return _judged(corpus, snapshot, {p for p in pairs if article_id in p}, threshold)
