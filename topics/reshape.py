"""Merge and split topics by hand, and apply those decisions again to every later fit.

A person's merge or split (:class:`topics.decisions.MergeDecision`, :class:`~topics.decisions.SplitDecision`)
names its topics by id *and* by their unit centroids at the time. A refit moves ids and centroids, so a
decision is matched by centroid: each recorded topic is the fit's topic of its level whose centroid is
nearest (cosine at least ``MATCH``; a part with none is left out, and a merge with fewer than two parts
left, or a split whose whole is gone, does nothing in that fit and stays recorded for later ones).
A merge whose parts are already one topic, or a split whose parts are already apart (each recorded
part nearest a different topic), is in force and left as it is: a warm refit starts from the merged or
split centroids, so it usually keeps them. The topic made takes the recorded id where no other topic
holds it, so a merged topic keeps its id across refits.

A merged topic holds the union of its parts' paragraphs; its centroid is the size-weighted mean of
theirs (made unit length, as every centroid), and its keywords and automatic label are described
again. A split assigns each paragraph of the topic to the nearest of the parts' centroids: its
stories' (a theme into its stories, each then a theme of one story) or those the clustering's own merge
tree gives for ``into`` parts (:class:`topics.cluster.TopicClusterer`). Named topics are neither merged
nor split: they follow their names (:mod:`topics.named`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.cluster.hierarchy import linkage

from index import ParameterError, QueryError

from .cluster import TopicClusterer, nearest_centroid
from .context import unit_rows
from .decisions import MergeDecision, Part, SplitDecision, Steering
from .describe import Encode, TopicDescriber
from .model import Topic, TopicModel

# The cosine at which a fit's topic is taken for a topic a decision recorded. Measured on 200 BBC
# articles refitted with 50 more: each theme's nearest centroid in the refit is at 0.983 or more (fresh)
# and the next nearest at most 0.452; each story's nearest at 0.784 or more (p10 0.861, median 0.967),
# its next nearest up to 0.879 — so the nearest one is taken, and 0.7 only rules out a topic that is gone.
MATCH = 0.7


@dataclass(frozen=True)
class Corpus:
    """What reshaping reads besides the model: the vectors of the model's paragraphs (rows as
    ``model.paragraph_ids``), their texts by row, and the encoder and seed the labels are made with."""

    vectors: np.ndarray
    texts: Callable[[np.ndarray], list[str]]
    encode: Encode
    seed: int = 0


def hierarchy(tree: np.ndarray, ids: Sequence[int], sizes: Sequence[int]) -> list[dict[str, object]]:
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


def is_story(model: TopicModel, topic_id: int) -> bool:
    """Whether ``topic_id`` names a story (else a theme); an id of neither raises ``TopicNotFound``."""
    return model.topic(topic_id).parent is not None


def check_merge(model: TopicModel, ids: Sequence[int]) -> bool:
    """Refuse a merge that cannot be made, in one line; returns whether the ids are stories."""
    if len(set(ids)) < 2:
        raise ParameterError("ids", "a merge needs two or more different topic ids")
    topics = [model.topic(i) for i in ids]
    story = topics[0].parent is not None
    if any((t.parent is not None) != story for t in topics):
        raise ParameterError("ids", "merge themes with themes or stories with stories, not both")
    if story and len({t.parent for t in topics}) > 1:
        raise ParameterError("ids", "stories merge only within one theme; these are of themes "
                             + ", ".join(str(p) for p in sorted({t.parent for t in topics if t.parent is not None})))
    _refuse_named(topics)
    return story


def _refuse_named(topics: Sequence[Topic]) -> None:
    for topic in topics:
        if topic.named:
            raise ParameterError("ids", f"topic {topic.id} is a named topic: change the named topics file instead")


def part(model: TopicModel, topic_id: int) -> Part:
    """The topic as a decision records it."""
    story = is_story(model, topic_id)
    row = [t.id for t in model.level(story)].index(topic_id)
    return Part(topic_id, [round(float(x), 6) for x in _centroids(model, story)[row]])


# -- the model's arrays at one level -----------------------------------------------------------
def _centroids(model: TopicModel, story: bool) -> np.ndarray:
    return model.story_centroids if story else model.centroids


def _set_level(model: TopicModel, story: bool, topics: list[Topic], centroids: np.ndarray,
               assignments: np.ndarray, confidence: np.ndarray) -> None:
    if story:
        model.stories, model.story_centroids = topics, centroids.astype(np.float32)
        model.story_assignments, model.story_confidence = assignments, confidence.astype(np.float32)
    else:
        model.topics, model.centroids = topics, centroids.astype(np.float32)
        model.assignments, model.confidence = assignments, confidence.astype(np.float32)


def _fresh_ids(model: TopicModel) -> Callable[[], int]:
    """Ids never given in this model or its history, one per call."""
    taken = [t.id for t in model.themes_and_stories] + [int(e["topic"]) for e in model.history]
    counter = iter(range(max(taken, default=-1) + 1, 2**62))
    return lambda: next(counter)


def _tidy(model: TopicModel) -> None:
    """Stories ordered by theme (the model's order), the hierarchy drawn again over the themes, and each
    topic's representatives read again."""
    rank = {t.id: row for row, t in enumerate(model.topics)}
    order = sorted(range(len(model.stories)), key=lambda i: (rank.get(model.stories[i].parent, 0),
                                                                -model.stories[i].size, model.stories[i].id))
    model.stories = [model.stories[i] for i in order]
    if len(order):
        model.story_centroids = model.story_centroids[order]
    tree = linkage(model.centroids, method="ward") if len(model.topics) > 1 else np.zeros((0, 4))
    model.hierarchy = hierarchy(tree, [t.id for t in model.topics], [t.size for t in model.topics])
    model.choose_representatives()


def _describe(model: TopicModel, corpus: Corpus, story: bool, groups: list[np.ndarray], centroids: np.ndarray,
              others: Sequence[Topic]) -> list[tuple[str, list[tuple[str, float]]]]:
    """Label and keywords of each group of rows, told apart from the ``others`` of their level."""
    rows = np.concatenate(groups)
    local = np.concatenate([np.full(len(g), k) for k, g in enumerate(groups)])
    sure = corpus.vectors[rows] @ centroids.T
    found = TopicDescriber(corpus.encode, seed=corpus.seed).describe(
        corpus.texts(rows), local, sure[np.arange(len(rows)), local], centroids,
        taken_labels=[t.name for t in others])
    return [(d.label, [(k, round(float(w), 6)) for k, w in d.keywords]) for d in found]


# -- merge --------------------------------------------------------------------------------------
def merge(model: TopicModel, corpus: Corpus, ids: Sequence[int], label: str | None = None) -> Topic:
    """Make the themes (or stories of one theme) ``ids`` one, keeping the first id; in place."""
    story = check_merge(model, ids)
    level = model.level(story)
    rows_of = {t.id: row for row, t in enumerate(level)}
    members = [model.topic(i) for i in ids]
    sizes = np.array([max(t.size, 1) for t in members], dtype=np.float64)
    centroids = _centroids(model, story)
    centre = unit_rows((sizes[:, None] * centroids[[rows_of[i] for i in ids]]).sum(axis=0, keepdims=True))
    assignments, confidence = (a.copy() for a in model._arrays(story))
    rows = np.flatnonzero(np.isin(assignments, ids))
    assignments[rows] = ids[0]
    confidence[rows] = corpus.vectors[rows] @ centre[0]
    kept = members[0]
    others = [t for t in level if t.id not in ids]
    (auto, words), = _describe(model, corpus, story, [rows], centre, others)
    merged = replace(kept, label=auto or f"topic {kept.id}", keywords=words, size=len(rows),
                     custom_label=label if label is not None else kept.custom_label)
    keep = [t.id not in ids[1:] for t in level]
    new_centroids = centroids.copy()
    new_centroids[rows_of[kept.id]] = centre[0]
    _set_level(model, story, [merged if t.id == kept.id else t for t in level if t.id not in ids[1:]],
               new_centroids[keep], assignments, confidence)
    if not story:
        for s in model.stories:
            s.parent = kept.id if s.parent in ids else s.parent
    where = {"level": "story"} if story else {}
    model.history += [{"event": "merged", "topic": int(i), "into": int(kept.id), "by_hand": True, **where,
                       "fit": model.fit_number} for i in ids[1:]]
    _tidy(model)
    return merged


# -- split --------------------------------------------------------------------------------------
def split(model: TopicModel, corpus: Corpus, topic_id: int, into: int | None = None,
          wanted: Sequence[Part] = ()) -> list[Topic]:
    """Cut a theme into its stories (``into`` ``None``) or a theme or story into ``into`` parts by the
    clustering's merge tree, or (``wanted``) into those recorded parts; in place. The largest part keeps
    the id, unless ``wanted`` gives the parts their ids."""
    topic = model.topic(topic_id)
    story = topic.parent is not None
    _refuse_named([topic])
    rows = np.flatnonzero(model._arrays(story)[0] == topic_id)
    old_stories = model.stories_of(topic_id) if not story else []
    if wanted:
        centroids = unit_rows(np.array([p.centroid for p in wanted], dtype=np.float32))
    elif into is None:
        if story:
            raise QueryError(f"{topic_id} is a story: give the number of parts (--into N) to cut it by its merge tree")
        if len(old_stories) < 2:
            raise QueryError(f"topic {topic_id} has one story: give the number of parts (--into N) to cut it by its "
                             "merge tree")
        centroids = model.story_centroids[[s in old_stories for s in model.stories]]
    else:
        if not 2 <= into <= len(rows):
            raise ParameterError("into", f"must be from 2 to the topic's {len(rows)} paragraphs, not {into}")
        centroids = TopicClusterer(into, min_topic_size=1, min_confidence=-1.0, seed=corpus.seed).fit(
            corpus.vectors[rows]).centroids_
    nearest, sure = nearest_centroid(corpus.vectors[rows], centroids, -1.0)
    counts = np.bincount(nearest, minlength=len(centroids))
    order = [int(k) for k in np.argsort(-counts, kind="stable") if counts[k]]
    if len(order) < 2:
        raise QueryError(f"topic {topic_id}'s paragraphs all lie nearest one part: nothing to split")
    fresh = _fresh_ids(model)
    free = {p.topic for p in wanted} - {t.id for t in model.themes_and_stories} | {topic_id}
    ids = [wanted[k].topic if wanted and wanted[k].topic in free else None for k in order]
    ids = [i if i is not None else (topic_id if n == 0 and topic_id not in ids else fresh()) for n, i in enumerate(ids)]
    groups = [rows[nearest == k] for k in order]
    level = model.level(story)
    others = [t for t in level if t.id != topic_id]
    described = _describe(model, corpus, story, groups, centroids[order], others)
    parts = [Topic(id=i, label=auto or f"topic {i}", keywords=words, size=len(g), representatives=[],
                   parent=topic.parent) for i, g, (auto, words) in zip(ids, groups, described)]
    assignments, confidence = (a.copy() for a in model._arrays(story))
    for i, g, k in zip(ids, groups, order):
        assignments[g] = i
        confidence[g] = sure[nearest == k]
    at = [t.id for t in level].index(topic_id)  # the parts stand where the whole stood
    old = _centroids(model, story)
    _set_level(model, story, level[:at] + parts + level[at + 1:],
               np.vstack([old[:at], centroids[order], old[at + 1:]]), assignments, confidence)
    if not story:
        _one_story_each(model, old_stories, parts, groups, centroids[order], fresh, into is None and not wanted)
    where = {"level": "story"} if story else {}
    model.history += [{"event": "split", "topic": int(p.id), "from": int(topic_id), "by_hand": True, **where,
                       "fit": model.fit_number} for p in parts if p.id != topic_id]
    _tidy(model)
    return parts


def _one_story_each(model: TopicModel, old: list[Topic], parts: list[Topic], groups: list[np.ndarray],
                    centroids: np.ndarray, fresh: Callable[[], int], keep_ids: bool) -> None:
    """The split theme's stories replaced by one story per new theme, the theme itself (a theme split
    into its stories keeps their ids and labels)."""
    gone = {s.id for s in old}
    kept = [s.id not in gone for s in model.stories]
    assignments, confidence = model.story_assignments.copy(), model.story_confidence.copy()
    by_centroid = {}
    if keep_ids:
        rows = np.flatnonzero([s.id in gone for s in model.stories])
        by_centroid = {int(np.argmax(model.story_centroids[rows] @ c)): n for n, c in enumerate(centroids)}
    stories = []
    for n, (theme, group) in enumerate(zip(parts, groups)):
        source = next((old[k] for k, m in by_centroid.items() if m == n), None)
        stories.append(replace(source or theme, id=source.id if source else fresh(), parent=theme.id,
                               size=len(group), custom_label=source.custom_label if source else None))
        assignments[group] = stories[-1].id
        confidence[group] = model.confidence[group]
    _set_level(model, True, [s for s, k in zip(model.stories, kept) if k] + stories,
               np.vstack([model.story_centroids[kept], centroids]), assignments, confidence)


# -- decisions on a later fit ----------------------------------------------------------------------
def matched(model: TopicModel, story: bool, recorded: Part) -> int | None:
    """The topic of that level nearest a recorded topic's centroid, if near enough (``MATCH``)."""
    level = model.level(story)
    if not level:
        return None
    cosine = _centroids(model, story) @ np.asarray(recorded.centroid, dtype=np.float32)
    best = int(np.argmax(cosine))
    return level[best].id if cosine[best] >= MATCH and not level[best].named else None


def _rename(model: TopicModel, story: bool, old: int, new: int) -> int:
    """Give a topic the id a decision recorded, where no other topic holds it; returns its id."""
    if old == new or any(t.id == new for t in model.themes_and_stories):
        return old
    model.topic(old).id = new
    assignments = model._arrays(story)[0]
    assignments[assignments == old] = new
    for s in model.stories if not story else []:
        s.parent = new if s.parent == old else s.parent
    _tidy(model)
    return new


def apply_merge(model: TopicModel, corpus: Corpus, decision: MergeDecision) -> str | None:
    """Merge again in ``model`` what ``decision`` merged; says what it did (``None``: nothing to do)."""
    ids = list(dict.fromkeys(i for i in (matched(model, decision.story, p) for p in decision.parts) if i is not None))
    if decision.story and ids:
        ids = [i for i in ids if model.topic(i).parent == model.topic(ids[0]).parent]
    if len(ids) < 2:
        return None
    merged = merge(model, corpus, ids, decision.label)
    _rename(model, decision.story, merged.id, decision.parts[0].topic)
    return f"merged {', '.join(map(str, ids))} by hand"


def apply_split(model: TopicModel, corpus: Corpus, decision: SplitDecision) -> str | None:
    """Split again in ``model`` what ``decision`` split; says what it did (``None``: nothing to do)."""
    found = [matched(model, decision.story, p) for p in decision.parts]
    if None not in found and len(set(found)) == len(found):
        return None
    whole = matched(model, decision.story, decision.whole)
    if whole is None:
        return None
    split(model, corpus, whole, wanted=decision.parts)
    return f"split {whole} by hand"


def reapply(model: TopicModel, corpus: Corpus, steering: Steering) -> list[str]:
    """Every merge and split in force, in the order they were made, on a new fit; what each did."""
    done = []
    for decision in steering.in_order():
        did = apply_merge(model, corpus, decision) if isinstance(decision, MergeDecision) else \
            apply_split(model, corpus, decision)
        if did:
            done.append(did)
    model.steering = steering
    return done


def undo(model: TopicModel, corpus: Corpus, decision: MergeDecision | SplitDecision) -> str | None:
    """Take back one decision in ``model``: a merge split into its recorded parts, a split's parts merged
    into the recorded whole. Says what it did (``None``: nothing left of it to undo)."""
    if isinstance(decision, MergeDecision):
        found = [matched(model, decision.story, p) for p in decision.parts]
        here = {t.id for t in model.level(decision.story)}
        # the merged topic: near the first part, else (parts unalike, their mean far from each) by its id
        merged = found[0] if found[0] is not None else decision.parts[0].topic if decision.parts[0].topic in here \
            else None
        apart = [f for f in found[1:] if f is not None and f != merged]
        if merged is None or len(set(apart)) == len(decision.parts) - 1:  # gone, or apart again (split since)
            return None
        parts = split(model, corpus, merged, wanted=decision.parts)
        return (f"merge of {', '.join(str(p.topic) for p in decision.parts)} undone: topics "
                f"{', '.join(str(p.id) for p in parts)}")
    ids = list(dict.fromkeys(i for i in (matched(model, decision.story, p) for p in decision.parts) if i is not None))
    if len(ids) < 2:
        return None
    whole = _rename(model, decision.story, merge(model, corpus, ids).id, decision.whole.topic)
    return f"split of {decision.whole.topic} undone: topic {whole}"
