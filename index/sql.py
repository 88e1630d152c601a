"""Small helpers for SQL with many bound parameters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
CHUNK = 900  # stay under SQLite's bound-parameter limit on old builds


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def marks(values: Sequence[Any]) -> str:
    """``?,?,…`` for an ``IN (…)`` list of ``values``."""
    return ",".join("?" * len(values))
