"""Named topics: subjects an analyst knows before the data does, given by a name and, optionally, seed
phrases and example paragraphs.

A named topic's vector is the normalised mean of its name's, seeds' and examples' vectors (the bundled
model, as every paragraph). It is *zero-shot* by default: a paragraph joins it when its cosine to that
vector is at least the topic's threshold, and the paragraphs no named topic takes are clustered as
usual. *Guided*, it is a theme whose centroid starts there and grows by the clustering
(:class:`topics.cluster.TopicClusterer`). The definitions are kept in the fit's parameters, so a refit
keeps them; the file format is TOML (``[[topic]]`` tables), the service takes the same entries as JSON.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index import InputError, ParameterError

from .context import unit_rows
from .describe import Encode

ZERO_SHOT, GUIDED = "zero-shot", "guided"
MODES = (ZERO_SHOT, GUIDED)
# Cosine at which a paragraph joins a zero-shot named topic: the value that kept precision high on the
# seed and on the BBC and ISAF subjects of scripts/eval_named.py (see the README's measure).
DEFAULT_THRESHOLD = 0.5
FIELDS = ("name", "seeds", "examples", "mode", "threshold")


@dataclass(frozen=True)
class NamedTopic:
    """One named topic as given: ``threshold`` ``None`` means the fit's (zero-shot only)."""

    name: str
    seeds: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    mode: str = ZERO_SHOT
    threshold: float | None = None

    @property
    def guided(self) -> bool:
        return self.mode == GUIDED

    def texts(self) -> list[str]:
        """What the topic's vector is the mean of."""
        return [self.name, *self.seeds, *self.examples]

    def to_dict(self) -> dict[str, Any]:
        """As kept in the fit's parameters (JSON), and as the service takes it."""
        data = asdict(self)
        return {**data, "seeds": list(self.seeds), "examples": list(self.examples)}


@dataclass(frozen=True)
class NamedTopics:
    """The named topics of a fit and the threshold of those that set none."""

    topics: tuple[NamedTopic, ...] = ()
    threshold: float = DEFAULT_THRESHOLD
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), compare=False)

    def thresholds(self) -> np.ndarray:
        """Each topic's threshold, NaN for a guided one (no fixed threshold)."""
        return np.array([math.nan if t.guided else (self.threshold if t.threshold is None else t.threshold)
                         for t in self.topics], dtype=np.float64)

    def embedded(self, encode: Encode) -> NamedTopics:
        """The same topics with their vectors: the unit mean of their texts' vectors."""
        if not self.topics:
            return self
        vectors = [unit_rows(encode(t.texts()).mean(axis=0, keepdims=True, dtype=np.float64))[0]
                   for t in self.topics]
        return NamedTopics(self.topics, self.threshold, np.vstack(vectors).astype(np.float32))


def _text_list(value: Any, where: str, index: int, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(where, "must be a list of non-empty strings", item=index, field=name)
    return tuple(" ".join(v.split()) for v in value)


def _cosine(value: Any) -> bool:
    """Whether ``value`` can be a cosine threshold: a number from -1 to 1."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and -1 <= value <= 1


def entry(raw: Any, where: str, index: int) -> NamedTopic:
    """One ``[[topic]]`` entry (or JSON object), checked field by field; ``index`` counts from 1."""
    if not isinstance(raw, dict):
        raise InputError(where, "must be a table with a 'name'", item=index)
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise InputError(where, f"is not a field of a named topic (fields: {', '.join(FIELDS)})", item=index,
                         field=unknown[0])
    name = raw.get("name")
    if not isinstance(name, str) or not name.split():
        raise InputError(where, "is missing or empty: every named topic needs a name", item=index, field="name")
    mode = raw.get("mode", ZERO_SHOT)
    if mode not in MODES:
        raise InputError(where, f"must be {' or '.join(repr(m) for m in MODES)}, not {mode!r}", item=index,
                         field="mode")
    threshold = raw.get("threshold")
    if threshold is not None:
        if not _cosine(threshold):
            raise InputError(where, f"must be a number from -1 to 1, not {threshold!r}", item=index,
                             field="threshold")
        if mode == GUIDED:
            raise InputError(where, "is for zero-shot topics; a guided topic grows by the clustering", item=index,
                             field="threshold")
    return NamedTopic(" ".join(name.split()), _text_list(raw.get("seeds", []), where, index, "seeds"),
                      _text_list(raw.get("examples", []), where, index, "examples"), mode,
                      None if threshold is None else float(threshold))


def entries(raw: Sequence[Any], where: str) -> tuple[NamedTopic, ...]:
    """Named topics from a list of entries; two of one name would be one topic, and are refused."""
    topics = tuple(entry(item, where, index) for index, item in enumerate(raw, start=1))
    seen: set[str] = set()
    for index, topic in enumerate(topics, start=1):
        if topic.name.lower() in seen:
            raise InputError(where, f"'{topic.name}' is named twice", item=index, field="name")
        seen.add(topic.name.lower())
    return topics


def read_named(path: str | Path) -> tuple[NamedTopic, ...]:
    """The ``[[topic]]`` entries of a TOML file; anything else in it is refused, naming the key."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"is not valid TOML: {exc}") from None
    other = sorted(set(document) - {"topic"})
    if other:
        raise InputError(path, "is not a key of a named-topics file: give each topic as a [[topic]] table",
                         field=other[0])
    topics = document.get("topic", [])
    if not isinstance(topics, list):
        raise InputError(path, "must be [[topic]] tables, one per named topic", field="topic")
    return entries(topics, str(path))


def from_params(params: dict[str, Any]) -> NamedTopics:
    """The named topics a fit's parameters keep (none in a model fitted before there were any)."""
    threshold = params.get("named_threshold")
    return NamedTopics(tuple(entry(raw, "params", i) for i, raw in enumerate(params.get("named") or [], start=1)),
                       DEFAULT_THRESHOLD if threshold is None else float(threshold))


def to_params(named: Sequence[NamedTopic], threshold: float | None) -> dict[str, Any]:
    """The named topics as the fit's parameters keep them."""
    if threshold is not None and not _cosine(threshold):
        raise ParameterError("named_threshold", f"must be a number from -1 to 1, not {threshold!r}")
    return {"named": [t.to_dict() for t in named], "named_threshold": threshold}
