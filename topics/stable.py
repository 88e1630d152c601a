"""Keep topic ids (and the labels people gave them) across refits.

New topics are matched one-to-one with the previous fit's topics by the paragraphs they share: the score
of a pair is ``shared / √(|old| · |new|)`` over paragraphs present in both fits (1.0 for an identical
topic), and the Hungarian algorithm picks the pairing with the highest total. A pair scoring at least
``min_overlap`` keeps the old id. The rest are recorded as events:

- ``split``: a new topic drawn mostly from an old topic whose id went to another new topic;
- ``new``: any other unmatched new topic, and any made mostly (more than half its paragraphs) of articles
  new since the previous fit, even when the few old paragraphs in it came mostly from one old topic. On
  BBC, the 401 tech articles added at once to the other four desks form a topic whose paragraphs are 91%
  from them (no other topic over 5%), and its old 9% mostly business ones: a new desk, not a split;
- ``merged``: an old topic now mostly inside a new topic that kept another id;
- ``vanished``: any other unmatched old topic.

Named topics (:mod:`topics.named`) keep their ids by name, not by paragraphs: a named topic takes the id
of the previous fit's named topic of that name (so one that matches nothing, or whose paragraphs all
moved, keeps it too), and takes part in no other matching; a name new to the fit gets a new id.

A label a person gave a topic follows its paragraphs: when the topic merged into another or split,
the label goes to the new topic holding most of its paragraphs (unless that one keeps a label of its
own), and the event says so (``label_to``); a label with nowhere to go stays in its event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from .model import UNASSIGNED, TopicModel


@dataclass(frozen=True)
class Carried:
    ids: list[int]
    custom_labels: list[str | None]
    events: list[dict[str, object]]


def carry_ids(previous: TopicModel | None, paragraph_ids: np.ndarray, groups: np.ndarray, n_topics: int,
              min_overlap: float = 0.5, *, stories: bool = False, taken: Sequence[int] = (),
              arrived: np.ndarray | None = None, names: Sequence[str | None] = ()) -> Carried:
    """Ids for topics ``0..n_topics-1`` of a new fit whose paragraph ``paragraph_ids[i]`` is in ``groups[i]``;
    ``arrived[i]`` says whether that paragraph belongs to an article the previous fit did not have.

    Themes and stories share one id space, so ``topics label ID`` names either: with ``stories`` the
    new fit's stories are matched with the previous fit's stories, and an id never given before is
    above every id of both levels, of the history and of ``taken`` (the new fit's theme ids). ``names``
    gives the named topics' names by index (``None`` or missing: not named)."""
    old_topics = previous.level(stories) if previous is not None else []
    ever = [t.id for t in (previous.themes_and_stories if previous is not None else [])]
    ever += [int(e["topic"]) for e in (previous.history if previous is not None else [])] + list(taken)
    next_id = max(ever, default=-1) + 1
    level: dict[str, object] = {"level": "story"} if stories else {}
    if not old_topics:
        ids = list(range(next_id, next_id + n_topics))
        return Carried(ids, [None] * n_topics, [{"event": "new", "topic": i, **level} for i in ids])
    assert previous is not None
    old_groups, _, known = previous.lookup(paragraph_ids, stories)
    old_index = {topic.id: row for row, topic in enumerate(old_topics)}
    both = known & (groups != UNASSIGNED) & (old_groups != UNASSIGNED)
    table = np.zeros((len(old_topics), n_topics))
    np.add.at(table, (np.array([old_index.get(int(g), 0) for g in old_groups[both]], dtype=int), groups[both]), 1)
    old_sizes, new_sizes = table.sum(axis=1), table.sum(axis=0)
    score = table / np.sqrt(np.maximum(np.outer(old_sizes, new_sizes), 1))
    named_old = {t.named_label: row for row, t in enumerate(old_topics) if t.named}
    named_new = [new for new in range(n_topics) if new < len(names) and names[new] is not None]
    score[[row for row, t in enumerate(old_topics) if t.named]] = 0.0  # named topics match by name only
    score[:, named_new] = 0.0
    rows, cols = linear_sum_assignment(-score)
    matched = {int(c): int(r) for r, c in zip(rows, cols) if score[r, c] >= min_overlap}
    matched.update({new: named_old[names[new]] for new in named_new if names[new] in named_old})
    ids: list[int] = []
    custom: list[str | None] = []
    events: list[dict[str, object]] = []
    for new in range(n_topics):
        if new in matched:
            old = old_topics[matched[new]]
            ids.append(old.id)
            custom.append(old.custom_label)
            continue
        ids.append(next_id)
        custom.append(None)
        source = int(np.argmax(table[:, new])) if new_sizes[new] else -1
        members = groups == new
        arrivals = arrived is not None and 2 * int(arrived[members].sum()) > int(members.sum())
        if source >= 0 and table[source, new] >= new_sizes[new] / 2 and source in matched.values() and not arrivals:
            events.append({"event": "split", "topic": next_id, "from": old_topics[source].id, **level})
        else:
            events.append({"event": "new", "topic": next_id, **level})
        next_id += 1
    for row, old in enumerate(old_topics):
        if row in matched.values():
            continue
        target = int(np.argmax(table[row])) if old_sizes[row] else -1
        label: dict[str, object] = {"custom_label": old.custom_label} if old.custom_label else {}
        if old.custom_label and target >= 0 and table[row, target] and custom[target] is None:
            custom[target] = old.custom_label
            label["label_to"] = ids[target]
        if target >= 0 and table[row, target] >= old_sizes[row] / 2 and target in matched:
            events.append({"event": "merged", "topic": old.id, "into": ids[target], **label, **level})
        else:
            events.append({"event": "vanished", "topic": old.id, **label, **level})
    return Carried(ids, custom, events)
