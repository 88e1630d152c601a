"""Store → topic model: cluster the stored vectors, describe the topics, keep ids stable, save."""

from __future__ import annotations

import numpy as np

from index import Article, QueryError, Store

from .cluster import TopicClusterer
from .describe import TopicDescriber
from .model import UNASSIGNED, Topic, TopicModel, topic_mix
from .stable import carry_ids


def _hierarchy(tree: np.ndarray, ids: list[int], sizes: list[int]) -> list[dict[str, object]]:
    """SciPy linkage rows as named merges: leaves are ``t<id>``, merges ``n<k>``."""
    names = [f"t{i}" for i in ids]
    counts = list(sizes)
    merges = []
    for k, (left, right, distance, _) in enumerate(tree):
        node = f"n{k + 1}"
        size = counts[int(left)] + counts[int(right)]
        merges.append({"node": node, "left": names[int(left)], "right": names[int(right)],
                       "distance": round(float(distance), 6), "size": int(size)})
        names.append(node)
        counts.append(size)
    return merges


def fit_topics(store: Store, *, n_topics: int | None = None, min_topic_size: int | None = None,
               min_confidence: float = 0.2, seed: int = 0, n_representatives: int = 3) -> TopicModel:
    """Fit topics over every stored paragraph and save them in the store (see :mod:`topics.cluster`).

    Topic ids and person-given labels of the previous fit carry over to the topics that still exist.
    """
    if n_topics is not None and n_topics < 1:
        raise QueryError(f"--topics must be at least 1, not {n_topics}")
    snapshot = store.snapshot()
    if not len(snapshot.ids):
        raise QueryError(f"{store.path} holds no articles yet; ingest some first: topics ingest PATH")
    vectors = np.asarray(snapshot.vectors, dtype=np.float32)
    clusterer = TopicClusterer(n_topics, min_topic_size=min_topic_size, min_confidence=min_confidence,
                               seed=seed).fit(vectors)
    texts = store.paragraph_texts(snapshot.ids)
    describer = TopicDescriber(store.embedder.encode)
    descriptions = describer.describe(texts, clusterer.labels_, clusterer.confidence_, clusterer.centroids_)
    previous = TopicModel.load(store.path) if TopicModel.exists(store.path) else None
    if previous is not None and previous.embedding_model != store.embedder.model_id:
        previous = None
    carried = carry_ids(previous, snapshot.ids, clusterer.labels_, clusterer.n_topics_)
    topics = []
    sizes = []
    for index, description in enumerate(descriptions):
        members = np.flatnonzero(clusterer.labels_ == index)
        best = members[np.argsort(-clusterer.confidence_[members], kind="stable")[:n_representatives]]
        sizes.append(len(members))
        topics.append(Topic(id=carried.ids[index], label=description.label,
                            keywords=[(k, round(w, 6)) for k, w in description.keywords], size=len(members),
                            representatives=[int(snapshot.ids[i]) for i in best],
                            custom_label=carried.custom_labels[index]))
    id_of = np.array(carried.ids + [UNASSIGNED], dtype=np.int64)
    model = TopicModel(
        topics=topics, centroids=clusterer.centroids_, paragraph_ids=snapshot.ids.copy(),
        assignments=id_of[clusterer.labels_], confidence=clusterer.confidence_,
        params={"n_topics": n_topics, "min_topic_size": min_topic_size, "min_confidence": min_confidence,
                "seed": seed},
        corpus_hash=store.content_hash(), embedding_model=store.embedder.model_id,
        hierarchy=_hierarchy(clusterer.tree_, carried.ids, sizes),
        history=(previous.history if previous else []) +
                [{**event, "fit": (previous.fit_number + 1) if previous else 1} for event in carried.events],
        silhouettes={k: round(v, 6) for k, v in clusterer.silhouettes_.items()},
        fit_number=(previous.fit_number + 1) if previous else 1)
    model.save(store.path)
    return model


def assign_article(store: Store, model: TopicModel, article: str | Article) -> list[tuple[int, float]]:
    """Topic mix of a stored article (as fitted) or of an article not in the store (nearest centroids)."""
    if isinstance(article, Article):
        paragraphs = store.splitter.split(article)
        topics, _ = model.assign(store.embedder.encode([p.text for p in paragraphs]))
        return topic_mix(topics)
    links = store.links(article_ids=[article])
    if not links:
        raise QueryError(f"no article with id '{article}' in {store.path} (nor a file of that name)")
    topics, _ = model.topics_of(store, np.array([link.paragraph_id for link in links]))
    return topic_mix(topics)
