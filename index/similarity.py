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

from .arrays import unique_sorted
from .articles import Article
from .candidates import Owners, near_pairs, nearest
from .catalog import ArticleInfo, Filters, Link
from .errors import QueryError
from .pair_filter import PairFilter
from .search import check_k
from .snapshot import Snapshot
from .store import Store
from .shingles import StoryText
from .stories import StoryCounts, StoryIndex, body, stock_floor, story_of
from .story_tables import StoryTables, StoryView
from .terms import content_words, query_terms

CANDIDATES_PER_PARAGRAPH = 50
CHUNK = 16384  # paragraphs whose neighbours are searched at a time
ARTICLES_READ = 4096  # articles whose paragraphs are read at a time to make their story texts
RARE_TERMS = 25  # a paragraph's rarest words, the query that finds its copies (Lucene's more-like-this keeps 25)
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


def articles_similarity(a: np.ndarray, b: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """:func:`article_similarity` of ``a`` with each of several articles whose vectors follow one another
    in ``b`` (``sizes`` rows each, none empty), from one product rather than one per article."""
    if not len(sizes):
        return np.zeros(0)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sims = a @ b.T
    rows = np.maximum.reduceat(sims, starts, axis=1).mean(axis=0)  # each row's best in each article
    columns = np.add.reduceat(sims.max(axis=0), starts) / sizes  # each article paragraph's best in ``a``
    return (rows + columns) / 2


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
        pids = unique_sorted(neighbours[neighbours >= 0]).tolist()
        candidates = {aid for _, aid in store.placements(paragraph_ids=pids, filters=filters)} - {own_id}
        bodies = store.catalog.bodies(sorted(candidates))
        scores = articles_similarity(vectors, snapshot.vectors_of([p for b in bodies.values() for p in b]),
                                     np.array([len(b) for b in bodies.values()], np.int64))
        best = sorted(zip(bodies, scores.tolist()), key=lambda pair: (-pair[1], pair[0]))[:k]
        info = store.catalog.infos([aid for aid, _ in best])
    return [SimilarArticle(score, info[aid]) for aid, score in best]


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
    """Articles' body paragraph ids, metadata and story texts (numbered in ``stories.keys`` order), and
    the articles whose body holds each paragraph."""

    bodies: dict[str, list[int]]
    info: dict[str, ArticleInfo]
    stories: StoryIndex
    owners: Owners

    @property
    def count(self) -> int:
        return len(self.stories.keys)


def _corpus(store: Store, article_ids: list[str], counts: StoryCounts | None = None) -> _Corpus:
    """The corpus of ``article_ids``, judged among themselves or, given ``counts``, among the archive's.
    Articles are read ``ARTICLES_READ`` at a time and only their story texts kept, not their texts."""
    bodies: dict[str, list[int]] = {}
    info: dict[str, ArticleInfo] = {}
    texts: dict[str, StoryText] = {}
    for start in range(0, len(article_ids), ARTICLES_READ):
        grouped, read = _by_article(store.links(article_ids=article_ids[start:start + ARTICLES_READ]))
        for aid, links in grouped.items():
            bodies[aid], texts[aid] = _body(links), story_of(links)
        info.update(read)
    stories = StoryIndex(texts, counts)
    number = {key: i for i, key in enumerate(stories.keys)}
    placed = [(pid, number[aid]) for aid, pids in bodies.items() for pid in pids]
    columns = [np.array(column, np.int64) for column in zip(*placed)] or [np.zeros(0, np.int64)] * 2
    return _Corpus(bodies, info, stories, Owners.of(*columns))


def _judged(corpus: _Corpus, snapshot: Snapshot, first: np.ndarray, second: np.ndarray,
            threshold: float) -> list[DuplicatePair]:
    """The candidate pairs (article numbers, ``first[i]`` before ``second[i]``) that are one story, most
    similar first."""
    result = []
    for i, j in zip(first.tolist(), second.tolist()):
        a, b = corpus.stories.keys[i], corpus.stories.keys[j]
        score = article_similarity(snapshot.vectors_of(corpus.bodies[a]), snapshot.vectors_of(corpus.bodies[b]))
        kind, overlap = corpus.stories.kind(a, b, score + SCORE_TOLERANCE, threshold)
        if kind is not None:
            result.append(DuplicatePair(score, corpus.info[a], corpus.info[b], kind, overlap))
    return sorted(result, key=lambda p: (-p.score, p.first.id, p.second.id))


def _duplicates(store: Store, snapshot: Snapshot, threshold: float, neighbours: int) -> list[DuplicatePair]:
    tables, corpus = _tables(store, snapshot, threshold, neighbours)
    first, second = np.divmod(tables.by_first, max(len(tables.keys), 1))
    if corpus is None:  # the tables were kept: read only the articles of some candidate pair
        numbers = unique_sorted(np.concatenate([first, second]))
        corpus = _corpus(store, [tables.keys[i] for i in numbers.tolist()], tables.counts)
        first, second = np.searchsorted(numbers, first), np.searchsorted(numbers, second)
    return _judged(corpus, snapshot, first, second, threshold)


def _candidates(snapshot: Snapshot, corpus: _Corpus, threshold: float, neighbours: int) -> np.ndarray:
    """The whole store's candidate pairs that some kind could accept, as :func:`index.minhash.pair_keys`
    over ``corpus``'s articles: MinHash's and the nearest paragraphs', through the pair filter."""
    found = [corpus.stories.lexical_pairs()]
    for ids, vectors in snapshot.chunks(CHUNK):
        found.append(near_pairs(snapshot, corpus.owners, ids, vectors, threshold, neighbours, corpus.count))
    first, second = np.divmod(unique_sorted(np.concatenate(found)), corpus.count)
    keep = PairFilter.of(corpus.stories).possible(first, second)
    return first[keep] * corpus.count + second[keep]


def _tables(store: Store, snapshot: Snapshot, threshold: float,
            neighbours: int) -> tuple[StoryTables, _Corpus | None]:
    """The story tables of ``snapshot``'s generation: kept, saved, or made from every article (that
    corpus is returned too when it was read, else ``None``)."""
    with store.stories.lock:
        return _own(store, snapshot, (snapshot.generation, threshold, neighbours))


def _own(store: Store, snapshot: Snapshot, run: tuple[int, float, int]) -> tuple[StoryTables, _Corpus | None]:
    """:func:`_tables`, called with the store's story lock held."""
    view, corpus = store.stories.view, None
    tables = view.tables if view is not None and view.run == run and view.exact else StoryTables.load(store.path, run)
    if tables is None:
        corpus = _corpus(store, store.article_ids())
        ids, fingerprints = store.article_fingerprints()
        tables = StoryTables.of(run, corpus.stories, _candidates(snapshot, corpus, *run[1:]),
                                dict(zip(ids, fingerprints)))
        tables.save(store.path)
    store.stories.view = StoryView(run, tables)
    return tables, corpus


def _view(store: Store, snapshot: Snapshot, threshold: float, neighbours: int) -> StoryView:
    """The story tables as they stand for ``snapshot``'s generation: its own, else older ones while no
    more articles changed since than a stock phrase needs (:func:`index.stories.stock_floor`), else
    its own made now."""
    run = (snapshot.generation, threshold, neighbours)
    with store.stories.lock:
        view = store.stories.view
        if view is not None and view.run == run:
            return view
        older = None if StoryTables.saved(store.path, run) else StoryTables.latest(store.path, run)
        if older is not None:
            ids, fingerprints = store.article_fingerprints()
            changed, removed = older.changes(ids, fingerprints)
            if len(changed) + len(removed) <= stock_floor(len(ids)):
                store.stories.view = StoryView(run, older, changed, removed)
                return store.stories.view
        _own(store, snapshot, run)
        return store.stories.view


def _neighbourhood(store: Store, snapshot: Snapshot, article_id: str, threshold: float) -> set[str]:
    """The articles that may be one story with ``article_id``, found from its body paragraphs alone: its
    candidates among articles the story tables do not know yet. They hold one of its paragraphs, or one
    among a paragraph's ``CANDIDATES_PER_PARAGRAPH`` nearest at a cosine of ``threshold`` or more, or
    among those that BM25 ranks highest for the paragraph's ``RARE_TERMS`` rarest words. The words find
    an edited copy when the nearest are crowded with other articles written from one template (their
    vectors as close as the copy's), or when the edits take its cosine below the threshold."""
    links = body(store.links(article_ids=[article_id]))
    pids = np.array([link.paragraph_id for link in links], np.int64)
    scores, found = nearest(snapshot, snapshot.vectors_of(pids), CANDIDATES_PER_PARAGRAPH)
    bm25 = store.lexicon.bm25(snapshot)
    worded = []
    for link in links:
        terms = query_terms(content_words(link.text))
        rare = terms[np.argsort(bm25.frequencies(terms), kind="stable")[:RARE_TERMS]]
        worded.append(bm25.ids[bm25.paragraph_scores(rare).top(CANDIDATES_PER_PARAGRAPH)])
    near = unique_sorted(np.concatenate([pids, found[(found >= 0) & (scores >= threshold)], *worded]))
    return {link.article.id for link in store.links(paragraph_ids=near.tolist())} - {article_id}


def duplicates_of(store: Store, article_id: str, threshold: float = 0.9, neighbours: int = 10) -> list[DuplicatePair]:
    """The pairs :func:`duplicates` lists that hold ``article_id``: its candidates in the store's
    :class:`StoryTables`, judged with the whole store's counts. Only the article and its candidates are
    read, so the cost follows the article's neighbourhood, not the size of the store.

    After a write the tables of an earlier generation stand in while few articles changed (see
    :class:`index.story_tables.StoryView`): its pairs with articles added or written anew since are
    found from its own neighbourhood (:func:`_neighbourhood`), and judged with the earlier counts.
    ``topics duplicates`` makes the tables of the generation in force."""
    if not 0 < threshold <= 1:
        raise QueryError(f"threshold must be in (0, 1], not {threshold}")
    with store.reading() as snapshot:
        if store.article(article_id) is None:
            raise QueryError(f"no article with id '{article_id}' in {store.path}")
        view = _view(store, snapshot, threshold, neighbours)
        partners = set(view.tables.partners(article_id)) - view.removed
        if view.changed:
            near = _neighbourhood(store, snapshot, article_id, threshold)
            partners |= near if article_id in view.changed else near & view.changed
        if not partners:
            return []
        corpus = _corpus(store, sorted({article_id, *partners}), view.tables.counts)
        number = corpus.stories.keys.index(article_id)
        others = np.array([corpus.stories.keys.index(aid) for aid in partners], np.int64)
        return _judged(corpus, snapshot, np.minimum(others, number), np.maximum(others, number), threshold)
