"""Errors a user can act on: each message names what is wrong, where, and what to do."""

from __future__ import annotations

from pathlib import Path


class TopicsError(Exception):
    """A failure caused by input or environment, reported as one clear message (never a traceback)."""


class InputError(TopicsError):
    """A file, record or field that cannot be read.

    ``where`` renders as ``path:line`` so editors and terminals can jump to it; ``item`` numbers the
    record in formats without lines of their own (JSON arrays, feeds).
    """

    def __init__(self, path: str | Path | None, message: str, *, line: int | None = None,
                 item: int | None = None, field: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.item = item
        self.field = field
        self.reason = message
        super().__init__(self._render())

    @property
    def where(self) -> str:
        if self.path is None:
            return "input"
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def _render(self) -> str:
        item = f" item {self.item}:" if self.item is not None else ""
        field = f" field '{self.field}':" if self.field else ""
        return f"{self.where}:{item}{field} {self.reason}"


class StoreError(TopicsError):
    """The store folder is missing, foreign, from another model or another format version."""


class QueryError(TopicsError):
    """A search or similarity request that cannot be answered as asked."""


class ParameterError(QueryError):
    """A parameter outside what it can be; ``parameter`` is its name in the Python API, so the CLI and
    the service can word the fix in their own terms (a flag, a field)."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"{parameter} {reason}")
