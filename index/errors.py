"""Errors a user can act on: each message names what is wrong, where, and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# How the library words each remedy; the CLI and the service have their own words for the same ones.
WORDS = {
    "repair": "repair the store at {store} (index.repair) to rebuild it",
    "check": "check the store at {store} (index.check); repairing it rebuilds what can be rebuilt",
    "create": "create it with Store.open({store!r}, create=True)",
    "folder": "give the path of a store folder",
    "empty-folder": "give an empty or new folder",
    "own-model": "open it with its own model (model=None), or use another store for the other model",
    "encoding": "read it with encoding={encoding!r}",
    "name-encoding": "give the file's real encoding",
}


@dataclass(frozen=True)
class Fix:
    """What the user can do about an error, as an action and its details, so each front end can word
    it in its own terms (a command and its flags, an endpoint) and the library in its own."""

    action: str
    detail: dict[str, str] = field(default_factory=dict)

    def worded(self, words: dict[str, str]) -> str:
        return words.get(self.action, WORDS[self.action]).format(**self.detail)

    def __str__(self) -> str:
        return self.worded(WORDS)


class TopicsError(Exception):
    """A failure caused by input or environment, reported as one clear message (never a traceback).

    ``problem`` says what is wrong; ``fix``, when there is one, what to do, in words each front end
    chooses (:meth:`worded`).
    """

    def __init__(self, problem: str = "", fix: Fix | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.worded(WORDS))

    def worded(self, words: dict[str, str]) -> str:
        """The message with the fix in ``words`` (action → template; unlisted actions as the library says)."""
        return self.problem if self.fix is None else f"{self.problem}; {self.fix.worded(words)}"


class InputError(TopicsError):
    """A file, record or field that cannot be read.

    ``where`` renders as ``path:line`` so editors and terminals can jump to it; ``item`` numbers the
    record in formats without lines of their own (JSON arrays, feeds).
    """

    def __init__(self, path: str | Path | None, message: str, *, line: int | None = None,
                 item: int | None = None, field: str | None = None, fix: Fix | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.item = item
        self.field = field
        self.reason = message
        super().__init__(self._render(), fix)

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


class ClusterError(TopicsError):
    """Embedding on a Ray cluster cannot go on: Ray is not installed, the cluster cannot be joined, or a
    worker failed; the store keeps every batch committed before."""


class QueryError(TopicsError):
    """A search or similarity request that cannot be answered as asked."""


class ParameterError(QueryError):
    """A parameter outside what it can be; ``parameter`` is its name in the Python API, so the CLI and
    the service can word the fix in their own terms (a flag, a field)."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"{parameter} {reason}")
