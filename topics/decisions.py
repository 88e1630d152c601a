"""What people decided about the topics, kept apart from the fits so it outlives any of them.

``<store>/topics/decisions.json`` (checksummed, see :func:`index.files.save_checked_json`) holds the
labels people gave, each with the topic's id, its level and its most central paragraphs, written
after every fit and label change. The fit a label was given in may be lost; the paragraphs find the
topic again in whatever fit replaces it (:func:`place_labels`). Other kinds of decision are further
keys of the same document (readers pass over keys they do not know): ``merges`` and ``splits``
(:class:`Steering`, applied by :mod:`topics.reshape`), each naming its topics by id *and* centroid, so
a refit whose ids moved finds them again by centroid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index import Store
from index.damage import reading
from index.files import load_checked_json, save_checked_json

if TYPE_CHECKING:
    from .model import TopicModel

NAME = "decisions.json"
VERSION = 1
KEPT_PARAGRAPHS = 10  # central paragraphs kept to find a labelled topic again


@dataclass(frozen=True)
class LabelDecision:
    """A person's label for a theme (or, with ``story``, a story) and its central paragraphs."""

    topic: int
    label: str
    paragraphs: list[int]
    story: bool = False


@dataclass(frozen=True)
class Part:
    """A topic as a merge or split found it: its id and unit centroid (what finds it in a later fit)."""

    topic: int
    centroid: list[float]


@dataclass(frozen=True)
class MergeDecision:
    """Themes (or stories of one theme) made one by a person; the first part's id is kept. ``order``
    places it among all merges and splits, which are applied in the order they were made."""

    order: int
    parts: list[Part]
    story: bool = False
    label: str | None = None


@dataclass(frozen=True)
class SplitDecision:
    """A theme or story cut by a person into ``parts`` (into its stories when ``into`` is ``None``, else
    into ``into`` by the merge tree); ``whole`` is the topic as it was before."""

    order: int
    whole: Part
    parts: list[Part]
    into: int | None = None
    story: bool = False


@dataclass
class Steering:
    """The merges and splits in force."""

    merges: list[MergeDecision] = field(default_factory=list)
    splits: list[SplitDecision] = field(default_factory=list)

    def in_order(self) -> list[MergeDecision | SplitDecision]:
        return sorted([*self.merges, *self.splits], key=lambda d: d.order)

    @property
    def next_order(self) -> int:
        return max((d.order for d in self.in_order()), default=0) + 1

    def to_document(self) -> dict[str, Any]:
        return {"merges": [asdict(d) for d in self.merges], "splits": [asdict(d) for d in self.splits]}

    @classmethod
    def of_document(cls, document: dict[str, Any]) -> Steering:
        def part(p: dict[str, Any]) -> Part:
            return Part(int(p["topic"]), [float(x) for x in p["centroid"]])
        return cls([MergeDecision(int(d["order"]), [part(p) for p in d["parts"]], bool(d["story"]), d.get("label"))
                    for d in document.get("merges", [])],
                   [SplitDecision(int(d["order"]), part(d["whole"]), [part(p) for p in d["parts"]],
                                  None if d.get("into") is None else int(d["into"]), bool(d["story"]))
                    for d in document.get("splits", [])])


@dataclass
class Decisions:
    """The decisions in force when fit ``fit`` was saved."""

    fit: int
    labels: list[LabelDecision] = field(default_factory=list)
    steering: Steering = field(default_factory=Steering)

    @staticmethod
    def path(folder: Path) -> Path:
        return folder / NAME

    @classmethod
    def of_model(cls, model: TopicModel) -> Decisions:
        """The labels a person gave the topics of ``model``."""
        return cls(model.fit_number, [
            LabelDecision(t.id, t.custom_label, [int(p) for p in model.members(t.id)[:KEPT_PARAGRAPHS]],
                          t.parent is not None)
            for t in model.themes_and_stories if t.custom_label], model.steering)

    @classmethod
    def load(cls, folder: Path, store_path: Path) -> Decisions | None:
        """The decisions saved in ``folder`` (``None`` when there is no file: an older store, whose
        labels live in its fits); damage raises :class:`~index.damage.DamagedFile`."""
        path = cls.path(folder)
        if not (path.exists() or path.is_symlink()):
            return None
        document = load_checked_json(path, store=store_path)
        with reading(path, store_path):
            return cls(int(document["fit"]), [LabelDecision(int(d["topic"]), str(d["label"]),
                                                            [int(p) for p in d["paragraphs"]], bool(d["story"]))
                                              for d in document["labels"]], Steering.of_document(document))

    def save(self, folder: Path) -> None:
        save_checked_json(self.path(folder), {"format_version": VERSION, "fit": self.fit,
                                              "labels": [asdict(d) for d in self.labels],
                                              **self.steering.to_document()})

    def apply(self, model: TopicModel) -> None:
        """Give ``model``'s topics these labels by id: for the fit they were saved with."""
        given = {(d.topic, d.story): d.label for d in self.labels}
        for topic in model.themes_and_stories:
            topic.custom_label = given.get((topic.id, topic.parent is not None))


def place_labels(decisions: Decisions, model: TopicModel, store: Store) -> tuple[list[str], list[str]]:
    """Give the labels to the topics of ``model``, another fit than theirs: each to the topic of its level
    that now holds most of its central paragraphs (its own id breaks a tie). Returns what was placed
    and what could not be, one phrase each."""
    placed, lost = [], []
    taken: set[tuple[int, bool]] = set()
    for decision in decisions.labels:
        ids = np.array(decision.paragraphs, dtype=np.int64)
        present = ids[np.isin(ids, store.snapshot().ids)] if len(ids) else ids
        topics = model.topics_of(store, present, stories=decision.story)[0] if len(present) else []
        votes = Counter(int(t) for t in topics if t >= 0 and (int(t), decision.story) not in taken)
        if not votes:
            lost.append(f"'{decision.label}' of {'story' if decision.story else 'topic'} {decision.topic}")
            continue
        best = max(votes.items(), key=lambda item: (item[1], item[0] == decision.topic, -item[0]))[0]
        model.topic(best).custom_label = decision.label
        taken.add((best, decision.story))
        placed.append(f"'{decision.label}' on {'story' if decision.story else 'topic'} {best}")
    return placed, lost


def document_labels(document: dict[str, Any], fit: int) -> Decisions:
    """The labels a fit's JSON holds (where labels lived before ``decisions.json``)."""
    labels = [LabelDecision(int(t["id"]), t["custom_label"], list(t.get("representatives", [])), story)
              for key, story in (("topics", False), ("stories", True)) for t in document.get(key, [])
              if t.get("custom_label")]
    return Decisions(fit, labels)
