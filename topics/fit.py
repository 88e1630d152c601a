"""Store → topic model: cluster the stored vectors, describe the topics, keep ids stable, save."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index import ParameterError, Store, StoreError
from index.damage import DamagedFile

from .boilerplate import Boilerplate
from .cluster import MIN_CONFIDENCE, TopicClusterer
from .context import in_context
from .describe import Description, Encode, TopicDescriber
from .decisions import Decisions, Steering
from .model import UNASSIGNED, NoParagraphs, Topic, TopicModel
from .model_files import FOLDER
from .named import NamedTopic, NamedTopics, from_params, to_params
from .stories import Stories, StoryClusterer
from .phrases import Lexicon
from .sample import priorities, stable_sample
from .reshape import Corpus, hierarchy, reapply
from .stable import Carried, carry_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusLayout:
    """Where the fitted paragraphs stand in their articles: rows (into the fit's paragraph ids) of each
    article's paragraphs in order, and which rows are headlines."""

    articles: dict[str, list[int]]
    titles: list[bool]

    def new_articles(self, known: np.ndarray) -> np.ndarray:
        """Which rows belong to an article new since a fit that saw the rows ``known``: one none of whose
        paragraphs that fit had."""
        out = np.zeros(len(known), dtype=bool)
        for rows in self.articles.values():
            if not known[rows].any():
                out[rows] = True
        return out


def corpus_layout(store: Store, ids: np.ndarray) -> CorpusLayout:
    """The :class:`CorpusLayout` of the paragraphs ``ids`` (sorted) in ``store``."""
    titles = [False] * len(ids)
    articles: dict[str, list[tuple[int, int]]] = {}
    for paragraph_id, article_id, position, is_title in store.positions():
        row = int(np.searchsorted(ids, paragraph_id))
        if row < len(ids) and ids[row] == paragraph_id:
            titles[row] = titles[row] or is_title
            articles.setdefault(article_id, []).append((position, row))
    return CorpusLayout({a: [row for _, row in sorted(placed)] for a, placed in sorted(articles.items())}, titles)


@dataclass
class FoundTopics:
    """A clustering with its descriptions: each paragraph's topic (index into the clusterer's centroids,
    ``UNASSIGNED`` below the confidence floor or for boilerplate) and confidence, and which paragraphs
    are boilerplate."""

    clusterer: TopicClusterer
    descriptions: list[Description]
    labels: np.ndarray
    confidence: np.ndarray
    stories: Stories
    story_descriptions: list[Description]
    boilerplate: np.ndarray


KEPT_FITS = 100  # fits whose summary a model keeps, to tell what changed since any of them
LEXICON_SAMPLE = 5000  # paragraphs the corpus's word usage is learnt from


def find_topics(vectors: np.ndarray, texts: list[str], layout: CorpusLayout, encode: Encode,
                clusterer: TopicClusterer, novel: np.ndarray | None = None,
                kept_labels: Sequence[str] = (), n_stories: int | None = None,
                describer: TopicDescriber | None = None, story_init: np.ndarray | None = None) -> FoundTopics:
    """Cluster the paragraphs read in their articles (:mod:`topics.context`), find the corpus's
    boilerplate, and describe the topics.

    Paragraphs made mostly of boilerplate (release headers, dateline lines) would otherwise form a topic
    of their own and pull every article's mean the same way; they stay unassigned, and when there are
    enough of them to make a topic, the clustering is fitted again without them and they stay out of the
    means (fewer move nothing a reader sees, and a second fit is a third of the time at 10⁶ paragraphs). ``novel`` flags
    the paragraphs a warm-started clusterer's previous fit did not have, and ``kept_labels`` are its
    labels, which topics keep while they still fit (:meth:`TopicDescriber.describe`). Each theme is then
    cut into stories (``n_stories`` in all when given; warm-started from ``story_init``, the previous
    fit's story centroids), and both levels are described by ``describer`` (the default one when not
    given).
    """
    articles = list(layout.articles.values())
    context = in_context(vectors, articles)
    clusterer.fit(vectors, novel, context=context)
    priority = priorities(texts, clusterer.seed) if len(texts) > LEXICON_SAMPLE else None
    sample = np.arange(len(texts)) if priority is None else stable_sample(np.arange(len(texts)), LEXICON_SAMPLE, priority)
    lexicon = Lexicon.learn((texts[i] for i in sample), (layout.titles[i] for i in sample))
    boilerplate = Boilerplate.learn(texts, articles, layout.titles, clusterer.labels_, lexicon, seed=clusterer.seed)
    covered = np.array([boilerplate.covers(text, lexicon) for text in texts], dtype=bool)
    covered &= not covered.all()  # a corpus of nothing else: what it repeats is its text
    labels, confidence = clusterer.labels_.copy(), clusterer.confidence_
    if covered.sum() >= clusterer.size_floor(len(texts)):  # fewer could form no topic
        del context  # read with the boilerplate: freed before the fit without it
        context = _refit_without(clusterer, vectors, articles, covered, novel)
        labels, confidence = clusterer.predict(vectors)
    labels[covered] = UNASSIGNED
    stories = StoryClusterer(n_stories, seed=clusterer.seed, init=story_init).fit(
        vectors, labels, clusterer.n_topics_, context, novel, clusterer.centroids_, confidence)
    describer = describer or TopicDescriber(encode, seed=clusterer.seed)
    options = {"titles": layout.titles, "lexicon": lexicon, "boilerplate": boilerplate, "priority": priority,
               "kept_labels": kept_labels}
    descriptions = describer.describe(texts, labels, confidence, clusterer.centroids_, **options)
    story_descriptions = describe_stories(describer, texts, stories, descriptions, options)
    return FoundTopics(clusterer, descriptions, labels, confidence, stories, story_descriptions, covered)


def _refit_without(clusterer: TopicClusterer, vectors: np.ndarray, articles: list[list[int]], covered: np.ndarray,
                   novel: np.ndarray | None) -> np.ndarray:
    """Fit ``clusterer`` again on the paragraphs not ``covered`` (boilerplate), read in their articles
    without them, and return every paragraph so read. The context is made for the kept rows alone and
    the covered ones added after the fit, so the fit holds one copy of each, not a full context beside
    copies of its rows (3.4 GB at 10⁶ paragraphs)."""
    kept = ~covered
    context = in_context(vectors, articles, skip=covered, rows=kept)
    clusterer.fit(vectors[kept], None if novel is None else novel[kept], context=context)
    whole = np.empty(vectors.shape, np.float32)
    whole[kept] = context
    del context
    whole[covered] = in_context(vectors, articles, skip=covered, rows=covered)
    return whole


def describe_stories(describer: TopicDescriber, texts: list[str], stories: Stories,
                     themes: Sequence[Description], options: dict[str, Any]) -> list[Description]:
    """Each story's keywords and label, told apart from its siblings (the other stories of its theme);
    the one story of a theme is the theme, and is described as it is."""
    out: list[Description | None] = [None] * len(stories.themes)
    taken = [d.label for d in themes]  # a story's label repeats no theme's, nor another story's
    for theme, description in enumerate(themes):
        own = stories.of_theme(theme)
        if len(own) == 1:
            out[int(own[0])] = description
        if len(own) <= 1:
            continue
        rows = np.flatnonzero(np.isin(stories.labels, own))
        local = np.searchsorted(own, stories.labels[rows])
        titles = options["titles"]
        found = describer.describe([texts[r] for r in rows], local, stories.confidence[rows], stories.centroids[own],
                                   taken_labels=taken, max_core=describer.max_story_core, stories=True,
                                   **{**options, "titles": [titles[r] for r in rows],
                                      "priority": None if options["priority"] is None else options["priority"][rows]})
        for story, described in zip(own, found):
            out[int(story)] = described
            taken.append(described.label)
    return [d if d is not None else Description("", []) for d in out]


FIT_DEFAULTS: dict[str, Any] = {"n_topics": None, "min_topic_size": None, "min_confidence": MIN_CONFIDENCE, "seed": 0,
                                "n_stories": None, "named": [], "named_threshold": None}


def check_params(n_topics: int | None, min_topic_size: int | None, min_confidence: float, seed: int,
                 n_stories: int | None = None) -> None:
    """Refuse parameters the clustering cannot use, naming the parameter."""
    if n_topics is not None and n_topics < 1:
        raise ParameterError("n_topics", f"must be at least 1, not {n_topics}")
    if n_stories is not None and n_stories < 1:
        raise ParameterError("n_stories", f"must be at least 1, not {n_stories}")
    if min_topic_size is not None and min_topic_size < 1:
        raise ParameterError("min_topic_size", f"must be at least 1, not {min_topic_size}")
    if not 0 <= min_confidence <= 1:
        raise ParameterError("min_confidence", f"must be between 0 and 1, not {min_confidence}")
    if not 0 <= seed < 2**31:
        raise ParameterError("seed", f"must be a whole number from 0 to {2**31 - 1}, not {seed}")


def previous_model(store: Store) -> TopicModel | None:
    """The fit to carry ids and labels from (``None`` before the first, or when it used another
    embedding model). A damaged one is refused (:class:`~index.damage.DamagedFile`, pointing to
    ``topics repair``): fitting afresh over it would drop the labels people gave."""
    if not TopicModel.exists(store.path):
        return None
    try:
        previous = TopicModel.load(store.path)
    except DamagedFile:
        raise
    except StoreError as exc:  # another format version: nothing of it can be read
        log.warning("ignoring the earlier topic model in %s (%s); topic ids start afresh", store.path, exc)
        return None
    return previous if previous.embedding_model == store.embedder.model_id else None


def named_params(previous: TopicModel | None, named: Sequence[NamedTopic] | None,
                 threshold: float | None) -> dict[str, Any]:
    """The named topics' parameters of a fit: those given, else those of the fit in force (a named topic is
    the analyst's decision, kept until changed); likewise their threshold."""
    kept = previous.params if previous is not None else {}
    return to_params(from_params(kept).topics if named is None else named,
                     kept.get("named_threshold") if threshold is None else threshold)


def fit_topics(store: Store, *, n_topics: int | None = None, min_topic_size: int | None = None,
               min_confidence: float = MIN_CONFIDENCE, seed: int = 0, fresh: bool = False,
               n_stories: int | None = None, named: Sequence[NamedTopic] | None = None,
               named_threshold: float | None = None) -> TopicModel:
    """Fit topics over every stored paragraph and save them in the store (see :mod:`topics.cluster`).

    With a previous fit of the same ``n_topics`` setting, the fit starts from its centroids (a warm
    start: the topics change as much as the corpus did); ``fresh`` finds them from scratch. Topic ids
    and person-given labels of the previous fit carry over to the topics that still exist. The store's
    write lock is held throughout, so fits, labels and ingests never interleave. Each theme is cut into
    stories (:mod:`topics.stories`), ``n_stories`` in all when given, else as many as its tree shows.
    ``named`` topics (:mod:`topics.named`; ``None``: those of the fit in force, ``[]``: none) come
    before the clustered ones, which ``n_topics`` counts; ``named_threshold`` is the zero-shot
    threshold of those that set none.
    """
    params = {"n_topics": n_topics, "min_topic_size": min_topic_size, "min_confidence": min_confidence, "seed": seed,
              "n_stories": n_stories}
    check_params(**params)
    with store.writing():
        previous = previous_model(store)
        return _fit(store, previous, {**params, **named_params(previous, named, named_threshold)}, fresh)


def refit(store: Store, *, fresh: bool = False, named: Sequence[NamedTopic] | None = None,
          named_threshold: float | None = None) -> TopicModel:
    """Fit again with the parameters of the fit in force (the defaults before the first), read under
    the same write lock as the fit, warm-started unless ``fresh``; ``named`` and ``named_threshold``
    replace the named topics and their threshold when given."""
    with store.writing():
        previous = previous_model(store)
        return _fit(store, previous, {**FIT_DEFAULTS, **(previous.params if previous else {}),
                                      **named_params(previous, named, named_threshold)}, fresh)


def fit_afresh(store: Store, params: dict[str, Any]) -> TopicModel:
    """Fit from scratch with ``params`` (the defaults for those missing) and save, with no earlier fit to
    carry ids from: for repair, when no sound fit is left. The caller holds the write lock."""
    return _fit(store, None, {**FIT_DEFAULTS, **params}, fresh=True)


def warm_start(previous: TopicModel | None, params: dict[str, Any], fresh: bool) -> np.ndarray | None:
    """The centroids a fit starts from: the previous fit's when it asked for the same number of topics
    (``None``: a fresh fit)."""
    if fresh or previous is None or not previous.topics or previous.params.get("n_topics") != params["n_topics"]:
        return None
    return previous.centroids[[not topic.named for topic in previous.topics]]  # named ones start from their own


def settled_guided(previous: TopicModel | None, named: NamedTopics) -> tuple[np.ndarray, np.ndarray]:
    """The named topics' vectors for a fit warm-started from ``previous``, and which of them are guided
    topics that fit had: those start from its centroids, so a refit moves them as the corpus moved, as
    any theme, instead of seeding them again."""
    vectors, settled = named.vectors.copy(), np.zeros(len(named.topics), bool)
    if previous is None:
        return vectors, settled
    kept = {t.named_label: row for row, t in enumerate(previous.topics) if t.named and t.threshold is None}
    for index, topic in enumerate(named.topics):
        if topic.guided and topic.name in kept:
            vectors[index], settled[index] = previous.centroids[kept[topic.name]], True
    return vectors, settled


def _fit(store: Store, previous: TopicModel | None, params: dict[str, Any], fresh: bool) -> TopicModel:
    """Fit, carry ids and labels over from ``previous``, and save; the caller holds the write lock."""
    with store.reading() as snapshot:
        if not len(snapshot.ids):
            raise NoParagraphs(f"{store.path} holds no articles yet; add some before fitting topics")
        for name in ("n_topics", "n_stories"):  # asked for more than there are paragraphs, it would never end
            if (params.get(name) or 0) > len(snapshot.ids):
                raise ParameterError(name, f"must be at most the number of paragraphs ({len(snapshot.ids):,}), "
                                           f"not {params[name]:,}")
        ids = snapshot.ids.copy()
        vectors = np.asarray(snapshot.vectors, dtype=np.float32)
        texts = store.paragraph_texts(ids)
        layout = corpus_layout(store, ids)
        corpus_hash = store.content_hash()
    init = warm_start(previous, params, fresh)
    seen = None if previous is None else previous.lookup(ids)[2]  # the paragraphs the last fit had
    novel: np.ndarray | None = None  # on a warm start: the paragraphs the last fit lacked, and its labels
    kept_labels: list[str] = []
    if init is not None and seen is not None and previous is not None:
        novel = ~seen
        kept_labels = [topic.label for topic in previous.themes_and_stories]
    named = from_params(params).embedded(store.embedder.encode)
    starts, settled = settled_guided(previous if init is not None else None, named)
    found = find_topics(vectors, texts, layout, store.embedder.encode, TopicClusterer(
        params["n_topics"], min_topic_size=params["min_topic_size"], min_confidence=params["min_confidence"],
        init=init, seed=params["seed"], named=starts if named.topics else None,
        thresholds=named.thresholds(), settled=settled), novel, kept_labels, params.get("n_stories"),
        story_init=previous.story_centroids if init is not None and previous is not None and previous.stories
        and previous.params.get("n_stories") == params.get("n_stories") else None)
    clusterer, stories = found.clusterer, found.stories
    arrived = None if seen is None else layout.new_articles(seen)
    carried = carry_ids(previous, ids, found.labels, clusterer.n_topics_, arrived=arrived,
                        names=[topic.name for topic in named.topics])
    carried_stories = carry_ids(previous, ids, stories.labels, len(stories.themes), stories=True, taken=carried.ids,
                                arrived=arrived)
    fit_number = (previous.fit_number + 1) if previous else 1
    topics = _topics(found.descriptions, carried, found.labels)
    for topic, given, threshold in zip(topics, named.topics, named.thresholds()):
        topic.named, topic.named_label = True, given.name
        topic.threshold = None if np.isnan(threshold) else float(threshold)
    story_topics = _topics(found.story_descriptions, carried_stories, stories.labels,
                           [carried.ids[int(t)] for t in stories.themes])
    model = TopicModel(
        topics=topics, centroids=clusterer.centroids_, paragraph_ids=ids, assignments=_ids(carried, found.labels),
        confidence=found.confidence, params=params, corpus_hash=corpus_hash,
        embedding_model=store.embedder.model_id,
        hierarchy=hierarchy(clusterer.tree_, carried.ids, [t.size for t in topics]),
        history=(previous.history if previous else []) + [{**e, "fit": fit_number}
                                                           for e in carried.events + carried_stories.events],
        cuts=clusterer.cuts_, fit_number=fit_number, stories=story_topics, story_centroids=stories.centroids,
        story_assignments=_ids(carried_stories, stories.labels), story_confidence=stories.confidence,
        boilerplate=int(found.boilerplate.sum()))
    model.choose_representatives()
    reapply(model, Corpus(vectors, lambda rows: [texts[int(r)] for r in rows], store.embedder.encode, params["seed"]),
            previous.steering if previous is not None else steering_kept(store))
    model.fits = ((previous.fits if previous else []) + [model.summary()])[-KEPT_FITS:]
    model.save(store.path)
    return model


def steering_kept(store: Store) -> Steering:
    """The merges and splits of ``decisions.json`` for a fit with no earlier one to read them from (a
    first fit, or one made again after damage); none when the file is missing or damaged."""
    try:
        decisions = Decisions.load(store.path / FOLDER, store.path)
    except DamagedFile:
        return Steering()
    return decisions.steering if decisions is not None else Steering()


def _ids(carried: Carried, labels: np.ndarray) -> np.ndarray:
    """Each paragraph's topic id from its index into the fit's topics (-1 stays -1)."""
    return np.array(carried.ids + [UNASSIGNED], dtype=np.int64)[labels]  # label -1 picks the last entry


def _topics(descriptions: Sequence[Description], carried: Carried, labels: np.ndarray,
            parents: Sequence[int] | None = None) -> list[Topic]:
    """The fit's themes (or, with their ``parents``' ids, stories) as :class:`Topic` records."""
    return [Topic(id=carried.ids[index], label=description.label or f"topic {carried.ids[index]}",
                  keywords=[(k, round(w, 6)) for k, w in description.keywords],
                  size=int((labels == index).sum()), representatives=[],
                  custom_label=carried.custom_labels[index], parent=None if parents is None else parents[index])
            for index, description in enumerate(descriptions)]


def relabel(store: Store, topic_id: int, text: str | None) -> Topic:
    """Give a topic a person's label (``None`` restores the automatic one), under the write lock."""
    if text is not None and not text.split():
        raise ParameterError("text", "cannot be empty: a label needs words (None restores the automatic one)")
    with store.writing():
        model = TopicModel.load(store.path)
        topic = model.topic(topic_id)
        topic.custom_label = " ".join(text.split()) if text is not None else None
        model.save(store.path)
    return topic
