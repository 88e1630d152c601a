"""Merge and split the stored topics by hand, and take those decisions back: the one implementation the
CLI (``topics merge``, ``topics split``), the service and the web app call.

Each change is saved as a new fit (so ``topics changes`` shows it against the fit before, the history
marking it ``by_hand``) and recorded in ``decisions.json``, from which every later fit applies it again
(:mod:`topics.reshape` says how a decision is found again when ids move).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index import ParameterError, Store

from .decisions import MergeDecision, SplitDecision, Steering
from .fit import KEPT_FITS
from .model import Topic, TopicModel
from .reshape import Corpus, check_merge, is_story, merge, part, reapply, split, undo

KINDS = ("merges", "splits", "all")


@dataclass(frozen=True)
class Reshaped:
    """What a merge, split or reset did: the topics it made and one line each of what it did."""

    fit: int
    topics: list[Topic]
    done: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"fit": self.fit, "done": self.done,
                "topics": [{"id": t.id, "label": t.name, "automatic_label": t.label, "size": t.size,
                            "parent": t.parent, "keywords": [k for k, _ in t.keywords]} for t in self.topics]}


def corpus_of(store: Store, model: TopicModel) -> Corpus:
    """The model's paragraphs' vectors and texts as the store holds them now (a paragraph deleted since
    the fit has a zero vector and no text: it joins whichever part, as it will leave at the next fit)."""
    snapshot = store.snapshot()
    present = np.isin(model.paragraph_ids, snapshot.ids)
    vectors = np.zeros((len(model.paragraph_ids), snapshot.index.dim), np.float32)
    vectors[present] = snapshot.vectors_of(model.paragraph_ids[present])

    def texts(rows: np.ndarray) -> list[str]:
        rows = np.asarray(rows)
        found = dict(zip(rows[present[rows]].tolist(),
                         store.paragraph_texts([int(p) for p in model.paragraph_ids[rows[present[rows]]]])))
        return [found.get(int(r), "") for r in rows]
    return Corpus(vectors, texts, store.embedder.encode, int(model.params.get("seed", 0)))


def _saved(store: Store, model: TopicModel, steering: Steering, topics: list[Topic], done: list[str]) -> Reshaped:
    """Save ``model`` (its ``fit_number`` already the next) with ``steering`` in force."""
    model.steering = steering
    model.fits = (model.fits + [model.summary()])[-KEPT_FITS:]
    model.save(store.path)
    return Reshaped(model.fit_number, topics, done)


def merge_topics(store: Store, ids: Sequence[int], label: str | None = None) -> Reshaped:
    """Merge the themes (or stories of one theme) ``ids`` into the first, a decision kept across refits;
    ``label`` names the merged topic (as ``topics label`` would)."""
    if label is not None and not label.split():
        raise ParameterError("label", "cannot be empty: a label needs words")
    with store.writing():
        model = TopicModel.load(store.path)
        model.fit_number += 1  # the change is a fit of its own, its events dated with it
        story = check_merge(model, ids)
        label = None if label is None else " ".join(label.split())
        decision = MergeDecision(model.steering.next_order, [part(model, i) for i in ids], story, label)
        before = len(model.history)
        merged = merge(model, corpus_of(store, model), list(ids), label)
        steering = Steering(model.steering.merges + [decision], model.steering.splits)
        return _saved(store, model, steering, [merged], [_line(e) for e in model.history[before:]])


def split_topic(store: Store, topic_id: int, into: int | None = None) -> Reshaped:
    """Split a theme into its stories (``into`` ``None``), or a theme or story into ``into`` parts by the
    clustering's merge tree, a decision kept across refits."""
    with store.writing():
        model = TopicModel.load(store.path)
        model.fit_number += 1  # the change is a fit of its own, its events dated with it
        story = is_story(model, topic_id)
        whole = part(model, topic_id)
        before = len(model.history)
        parts = split(model, corpus_of(store, model), topic_id, into)
        decision = SplitDecision(model.steering.next_order, whole, [part(model, p.id) for p in parts], into, story)
        steering = Steering(model.steering.merges, model.steering.splits + [decision])
        return _saved(store, model, steering, parts, [_line(e) for e in model.history[before:]])


def reset(store: Store, kind: str = "all") -> Reshaped:
    """Take back the merges, the splits or both (``kind``) and forget them: every decision is undone,
    latest first (a split may cut what a merge made), and those kept are made again."""
    if kind not in KINDS:
        raise ParameterError("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    with store.writing():
        model = TopicModel.load(store.path)
        model.fit_number += 1  # the change is a fit of its own, its events dated with it
        steering = model.steering
        chosen = [d for d in steering.in_order()
                  if kind == "all" or isinstance(d, MergeDecision) == (kind == "merges")]
        chosen = _with_later(steering, chosen)
        if not chosen:
            return Reshaped(model.fit_number - 1, [], [f"no {'merges or splits' if kind == 'all' else kind} to undo"])
        corpus = corpus_of(store, model)
        done = []
        for decision in reversed(steering.in_order()):  # all of them, latest first: one may build on another
            did = undo(model, corpus, decision)
            if decision in chosen:
                done.append(did or f"{_what(decision)}: nothing of it left in fit {model.fit_number - 1}")
        kept = Steering([d for d in steering.merges if d not in chosen], [d for d in steering.splits if d not in chosen])
        reapply(model, corpus, kept)  # the decisions kept, made again
        return _saved(store, model, kept, [], done)


def _with_later(steering: Steering, chosen: list[MergeDecision | SplitDecision]) -> list[MergeDecision | SplitDecision]:
    """The decisions ``chosen`` and every later one made on a topic they made (a split of a merged
    topic goes with the merge): undone without them, it would make what they made again."""
    out, made = [], set()
    for decision in steering.in_order():
        uses = {p.topic for p in decision.parts} if isinstance(decision, MergeDecision) else {decision.whole.topic}
        if decision in chosen or uses & made:
            out.append(decision)
            made |= {decision.parts[0].topic} if isinstance(decision, MergeDecision) else \
                {p.topic for p in decision.parts}
    return out


def _what(decision: MergeDecision | SplitDecision) -> str:
    if isinstance(decision, MergeDecision):
        return "merge of " + ", ".join(str(p.topic) for p in decision.parts)
    return f"split of {decision.whole.topic}"


def _line(event: dict[str, Any]) -> str:
    level = event.get("level", "topic")
    if event["event"] == "merged":
        return f"{level} {event['topic']} merged into {level} {event['into']} by hand"
    return f"{level} {event['topic']} split from {level} {event['from']} by hand"
