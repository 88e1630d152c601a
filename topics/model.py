"""The fitted topic model, saved beside the store it describes in open formats.

``<store>/topics/`` holds, for fit number n: ``model.n.json`` (parameters, topics, labels, keywords,
hierarchy, history, corpus hash) and ``centroids.n.npy``, ``paragraphs.n.npy`` (paragraph ids),
``assignments.n.npy`` (topic id per paragraph, -1 unassigned), ``confidence.n.npy``, and for the stories
inside the themes (:mod:`topics.stories`) ``story_centroids.n.npy``, ``story_assignments.n.npy`` and
``story_confidence.n.npy``. ``current.json``
names the fit in use and is replaced last, so a crash mid-save leaves the previous model in force. Every
file carries a checksum and is verified when read (:mod:`topics.model_files`); the labels people gave,
and their merges and splits, are kept apart too, in ``decisions.json`` (:mod:`topics.decisions`), so
they outlive any fit file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index import QueryError, Store, StoreError, sync_folder
from index.arrays import unique_sorted
from index.damage import reading
from index.files import remove_path

from .cluster import UNASSIGNED, article_topic, article_topics, nearest_topic
from .decisions import Decisions, Steering
from .model_files import (ARRAYS, CURRENT, FOLDER, STORY_ARRAYS, FitFiles, fit_numbers, inspect_fit, model_path,
                          read_current, remove_fit, write_current, write_fit)
from .stories import story_of

MODEL_VERSION = 1
REPRESENTATIVES = 3  # paragraphs shown for a topic


class NoTopics(StoreError):
    """The store has no fitted topic model (yet)."""


class NoParagraphs(QueryError):
    """There is nothing to fit topics to: the store holds no paragraphs."""


class TopicNotFound(QueryError, KeyError):
    """No topic of that id in the model; the message lists those there are."""

    def __init__(self, topic_id: int, ids: list[int]) -> None:
        super().__init__(f"no topic {topic_id}; topics are " + ", ".join(map(str, ids)))

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Topic:
    """One topic: a theme, or a story inside the theme ``parent``. ``label`` is automatic;
    ``custom_label`` is set by a person and survives refits. A ``named`` theme was given by the analyst
    (:mod:`topics.named`) as ``named_label``; ``threshold`` is a zero-shot one's (``None``: guided)."""

    id: int
    label: str
    keywords: list[tuple[str, float]]
    size: int
    representatives: list[int]
    custom_label: str | None = None
    parent: int | None = None
    named: bool = False
    named_label: str | None = None
    threshold: float | None = None

    @property
    def name(self) -> str:
        return self.custom_label or self.named_label or self.label


@dataclass
class TopicModel:
    """Topics of one fit, with every fitted paragraph's topic and confidence."""

    topics: list[Topic]
    centroids: np.ndarray
    paragraph_ids: np.ndarray
    assignments: np.ndarray
    confidence: np.ndarray
    params: dict[str, Any]
    corpus_hash: str
    embedding_model: str
    hierarchy: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    fits: list[dict[str, Any]] = field(default_factory=list)  # a summary of each fit, for what changed
    cuts: dict[int, float] = field(default_factory=dict)
    fit_number: int = 1
    stories: list[Topic] = field(default_factory=list)  # inside the themes, ordered by theme
    story_centroids: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    story_assignments: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    story_confidence: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    steering: Steering = field(default_factory=Steering)  # merges and splits in force, kept in decisions.json
    boilerplate: int = 0  # paragraphs left unassigned as boilerplate (release headers, datelines)

    def topic(self, topic_id: int) -> Topic:
        """The theme or story of that id."""
        for topic in self.themes_and_stories:
            if topic.id == topic_id:
                return topic
        raise TopicNotFound(topic_id, sorted(t.id for t in self.themes_and_stories))

    @property
    def themes_and_stories(self) -> list[Topic]:
        return self.topics + self.stories

    def level(self, stories: bool) -> list[Topic]:
        """The themes, or the stories."""
        return self.stories if stories else self.topics

    def stories_of(self, theme_id: int) -> list[Topic]:
        return [story for story in self.stories if story.parent == theme_id]

    @property
    def story_ids(self) -> np.ndarray:
        return np.array([s.id for s in self.stories], dtype=np.int64)

    @property
    def ids(self) -> np.ndarray:
        return np.array([t.id for t in self.topics], dtype=np.int64)

    @property
    def thresholds(self) -> np.ndarray:
        """Each theme's zero-shot threshold, NaN for the themes that are not zero-shot named topics."""
        return np.array([t.threshold if t.named and t.threshold is not None else np.nan for t in self.topics],
                        dtype=np.float64)

    @property
    def unassigned_rate(self) -> float:
        """The share of paragraphs in no topic, boilerplate included."""
        return float((self.assignments == UNASSIGNED).mean()) if len(self.assignments) else 0.0

    @property
    def boilerplate_rate(self) -> float:
        """The share of paragraphs left out as boilerplate (part of :attr:`unassigned_rate`)."""
        return self.boilerplate / len(self.assignments) if len(self.assignments) else 0.0

    def assign(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Topic id (or -1) and confidence for each vector, by the fit's rule (:func:`nearest_topic`)."""
        rows, confidence = nearest_topic(vectors, self.centroids if len(self.topics) else np.zeros((0, 1)),
                                         self.thresholds, self.params["min_confidence"])
        ids = np.append(self.ids, UNASSIGNED)[rows]  # row -1 picks the last entry
        return ids, confidence

    def assign_stories(self, vectors: np.ndarray, theme_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Story id (or -1) and confidence for vectors whose themes are ``theme_ids``: the nearest story
        centroid of the vector's theme, as in the fit."""
        if not self.stories:
            return np.full(len(theme_ids), UNASSIGNED, np.int64), np.zeros(len(theme_ids), np.float32)
        row_of = {int(t): row for row, t in enumerate(self.ids)}
        themes = np.array([row_of.get(int(t), UNASSIGNED) for t in theme_ids], dtype=np.int64)
        parents = np.array([row_of[s.parent] for s in self.stories], dtype=np.int64)
        rows, confidence = story_of(vectors, themes, parents, self.story_centroids)
        return np.append(self.story_ids, UNASSIGNED)[rows], confidence

    def summary(self) -> dict[str, Any]:
        """This fit in brief, kept in later fits' ``fits`` so changes can be told since any of them:
        its size and, per topic, label, size and most central paragraphs."""
        def brief(t: Topic) -> dict[str, Any]:
            return {"id": t.id, "label": t.name, "size": t.size, "representatives": t.representatives,
                    **({"parent": t.parent} if t.parent is not None else {}), **({"named": True} if t.named else {})}

        return {"fit": self.fit_number, "paragraphs": int(len(self.paragraph_ids)),
                "topics": [brief(t) for t in self.topics], "stories": [brief(t) for t in self.stories]}

    def members(self, topic_id: int, present: np.ndarray | None = None) -> np.ndarray:
        """Paragraph ids of a theme's or story's fitted paragraphs, most confident first (ties by id);
        with ``present``, only those among these ids (the paragraphs still stored)."""
        story = any(s.id == topic_id for s in self.stories)
        assignments, confidence = self._arrays(story)
        rows = np.flatnonzero(assignments == topic_id)
        if present is not None:
            rows = rows[np.isin(self.paragraph_ids[rows], present)]
        return self.paragraph_ids[rows[np.argsort(-confidence[rows], kind="stable")]]

    def choose_representatives(self) -> None:
        """Each theme's and story's :data:`REPRESENTATIVES` most confident paragraphs, chosen again
        whenever its members change (a fit, a merge, a split)."""
        for topic in self.themes_and_stories:
            topic.representatives = [int(pid) for pid in self.members(topic.id)[:REPRESENTATIVES]]

    def _arrays(self, stories: bool) -> tuple[np.ndarray, np.ndarray]:
        """Assignments and confidences of the themes, or of the stories."""
        if stories:
            return self.story_assignments, self.story_confidence
        return self.assignments, self.confidence

    @classmethod
    def stamp(cls, store_path: Path) -> int:
        """Changes whenever the model in force is replaced, a label change included (0: no model; -1: a
        model whose ``current.json`` is gone, which :meth:`load` reports as damage)."""
        try:
            return (store_path / FOLDER / CURRENT).stat().st_mtime_ns
        except OSError:
            return -1 if cls.exists(store_path) else 0

    def main_topic(self, vectors: np.ndarray, topics: np.ndarray) -> int:
        """An article's main topic from the article as a whole: the topic whose centroid is nearest the
        confidence-weighted mean of its assigned paragraphs (of all of them when none is), ``UNASSIGNED``
        below the fit's confidence floor. Boilerplate and stray paragraphs do not pull the article away,
        and a long article is not split by a count of its paragraphs (measured against the majority
        paragraph topic in ``scripts/eval_topics.py``)."""
        if not len(self.topics):
            return UNASSIGNED
        row = article_topic(vectors, np.asarray(topics) != UNASSIGNED, self.centroids, self.params["min_confidence"],
                            self.thresholds)
        return int(self.ids[row]) if row != UNASSIGNED else UNASSIGNED

    def main_story(self, vectors: np.ndarray, topics: np.ndarray, main: int) -> int:
        """An article's main story: of the stories of its main theme ``main``, the one nearest the same
        weighted mean of its paragraphs that chose the theme (``UNASSIGNED`` without a main theme)."""
        own = [row for row, story in enumerate(self.stories) if story.parent == main]
        if main == UNASSIGNED or not own:
            return UNASSIGNED
        row = article_topic(vectors, np.asarray(topics) != UNASSIGNED, self.story_centroids[own], -1.0)
        return int(self.stories[own[row]].id)

    def main_topics(self, vectors: np.ndarray, topics: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`main_topic` and :meth:`main_story` of many articles at once (article i has rows
        ``starts[i]`` up to ``starts[i + 1]``): each main theme's articles are weighed against that
        theme's stories together."""
        mains = np.full(len(starts), UNASSIGNED, np.int64)
        stories = np.full(len(starts), UNASSIGNED, np.int64)
        if not len(self.topics) or not len(starts):
            return mains, stories
        assigned = np.asarray(topics) != UNASSIGNED
        rows = article_topics(vectors, assigned, starts, self.centroids, self.params["min_confidence"], self.thresholds)
        mains[rows != UNASSIGNED] = self.ids[rows[rows != UNASSIGNED]]
        ends = np.append(starts[1:], len(vectors))
        for theme in unique_sorted(mains[mains != UNASSIGNED]):
            own = [row for row, story in enumerate(self.stories) if story.parent == theme]
            if not own:
                continue
            chosen = np.flatnonzero(mains == theme)
            spans = [np.arange(starts[i], ends[i]) for i in chosen]
            picked = np.concatenate(spans)
            inner = np.cumsum([0] + [len(span) for span in spans[:-1]])
            found = article_topics(vectors[picked], assigned[picked], inner, self.story_centroids[own], -1.0)
            stories[chosen] = [self.stories[own[row]].id for row in found]
        return mains, stories

    def lookup(self, paragraph_ids: np.ndarray, stories: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fitted theme (or story) and confidence of stored paragraphs, and a mask of those the fit has
        seen."""
        assignments, confidence = self._arrays(stories and bool(self.stories))
        rows = np.searchsorted(self.paragraph_ids, paragraph_ids)
        rows = np.clip(rows, 0, max(len(self.paragraph_ids) - 1, 0))
        known = (self.paragraph_ids[rows] == paragraph_ids) if len(self.paragraph_ids) else \
            np.zeros(len(paragraph_ids), bool)
        return assignments[rows], confidence[rows], known

    def topics_of(self, store: Store, paragraph_ids: np.ndarray,
                  stories: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Topics (or stories) of stored paragraphs: as fitted where the fit saw them, else by nearest
        centroid."""
        paragraph_ids = np.asarray(paragraph_ids, dtype=np.int64)
        topics, confidence, known = self.lookup(paragraph_ids, stories)
        topics, confidence = topics.copy(), confidence.copy()
        if not known.all():
            fresh = store.snapshot().vectors_of(paragraph_ids[~known])
            themes, sureness = self.assign(fresh)
            topics[~known], confidence[~known] = self.assign_stories(fresh, themes) if stories else (themes, sureness)
        return topics, confidence

    # -- persistence ---------------------------------------------------------------------------
    def save(self, store_path: Path) -> None:
        """Write the fit with its checksums, make it the fit in force, record the person-given labels
        apart (:mod:`topics.decisions`), and drop fits older than the one before."""
        folder = store_path / FOLDER
        folder.mkdir(exist_ok=True)
        n = self.fit_number
        arrays = dict(zip(ARRAYS, (self.centroids.astype(np.float32), self.paragraph_ids.astype(np.int64),
                                   self.assignments.astype(np.int64), self.confidence.astype(np.float32))))
        if self.stories:
            arrays.update(zip(STORY_ARRAYS, (self.story_centroids.astype(np.float32),
                                             self.story_assignments.astype(np.int64),
                                             self.story_confidence.astype(np.float32))))
        document = {
            "format_version": MODEL_VERSION, "fit_number": n, "params": self.params,
            "corpus_hash": self.corpus_hash, "embedding_model": self.embedding_model,
            "topics": [asdict(t) for t in self.topics], "stories": [asdict(t) for t in self.stories],
            "hierarchy": self.hierarchy,
            "history": self.history, "fits": self.fits, "cuts": {str(k): v for k, v in self.cuts.items()},
            "boilerplate": self.boilerplate,
        }
        write_fit(folder, n, document, arrays)
        sync_folder(folder)
        write_current(store_path, n)
        Decisions.of_model(self).save(folder)
        sync_folder(folder)
        for old in fit_numbers(folder):
            if old not in (n, n - 1):
                remove_fit(folder, old)
        for stale in folder.glob("*.tmp"):
            remove_path(stale)

    @classmethod
    def exists(cls, store_path: Path) -> bool:
        """Whether the store has a topic model, sound or not. Fit files without ``current.json`` are a
        model that lost it once a save has completed (it leaves ``decisions.json``, or two fits), and
        otherwise a first fit whose save was interrupted, which is no model yet."""
        folder = store_path / FOLDER
        if (folder / CURRENT).exists() or (folder / CURRENT).is_symlink():
            return True
        fits = fit_numbers(folder)
        return bool(fits) and (len(fits) > 1 or Decisions.path(folder).exists())

    @classmethod
    def current_fit(cls, store_path: Path) -> int | None:
        """Number of the fit in use, or None before the first; cheap enough to ask per request."""
        try:
            return read_current(store_path)
        except StoreError:
            return None

    @classmethod
    def load(cls, store_path: Path) -> TopicModel:
        """The fit in force, every file verified (:func:`topics.model_files.inspect_fit`), with the labels
        people gave; damage raises :class:`~index.damage.DamagedFile`, which says to repair the store."""
        if not cls.exists(store_path):
            raise NoTopics(f"{store_path} has no topics yet")
        found = inspect_fit(store_path, read_current(store_path))
        found.raise_first(store_path)
        folder = store_path / FOLDER
        with reading(model_path(folder, found.number), store_path):
            model = cls.from_files(found, store_path)
        decisions = Decisions.load(folder, store_path)  # when it is missing, the fit's own copy of the labels
        if decisions is not None:
            model.steering = decisions.steering
        if decisions is not None and decisions.fit == model.fit_number:
            decisions.apply(model)
        return model

    @classmethod
    def from_files(cls, found: FitFiles, store_path: Path) -> TopicModel:
        """The model of a fit read whole by :func:`topics.model_files.inspect_fit`."""
        document, arrays, n = found.document or {}, found.arrays, found.number
        if document.get("format_version") != MODEL_VERSION:
            raise StoreError(f"{store_path / FOLDER} holds topic model version {document.get('format_version')}; "
                             f"this version reads {MODEL_VERSION}; fit the topics again")
        stories = [_topic(t) for t in document.get("stories", [])]
        topics = [_topic(t) for t in document["topics"]]
        return cls(topics=topics, centroids=arrays["centroids"], paragraph_ids=arrays["paragraphs"],
                   assignments=arrays["assignments"], confidence=arrays["confidence"],
                   params=document["params"], corpus_hash=document["corpus_hash"],
                   embedding_model=document["embedding_model"], hierarchy=document["hierarchy"],
                   history=document["history"], fits=document.get("fits", []),
                   cuts={int(k): v for k, v in document.get("cuts", {}).items()}, fit_number=n, stories=stories,
                   boilerplate=int(document.get("boilerplate", 0)),
                   **{name: arrays[name] for name in STORY_ARRAYS if stories})


def _topic(saved: dict[str, Any]) -> Topic:
    return Topic(**{**saved, "keywords": [tuple(k) for k in saved["keywords"]]})


def topic_mix(topic_ids: np.ndarray) -> list[tuple[int, float]]:
    """Share of paragraphs per topic, largest first (unassigned paragraphs count in the total only)."""
    listed = np.asarray(topic_ids).tolist()
    counts = Counter(topic for topic in listed if topic != UNASSIGNED)  # an article's few: no array sort
    return [(int(topic), count / len(listed)) for topic, count in sorted(counts.items(), key=lambda c: (-c[1], c[0]))]
