"""Where an ingest's embedding runs: in this process, or on a pool of Ray actors (:mod:`index.ray_embed`).

An executor takes one batch of texts and hands back a :class:`Pending` whose ``result()`` is their vectors,
in the order given. The ingest (the store's single writer) commits batches in the order it submitted
them, and lets at most :attr:`Executor.ahead` batches wait beyond the one it is committing: a pool keeps
embedding while the writer plans and commits, and a run killed at any point has committed a prefix of
its batches, as a local run does.

Ray is imported only when a Ray executor is asked for, so ``import index`` never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .embed import Embedder, Progress
from .errors import ClusterError

RAY_INSTALL = "pip install 'topics[ray]'"


class Pending(Protocol):
    def result(self) -> np.ndarray:
        """The batch's vectors, row i for text i (waiting for them if need be)."""


class Executor(Protocol):
    """Embeds batches for an ingest; a context manager that releases its workers on exit."""

    ahead: int  # batches that may wait, submitted, beyond the one being committed

    def submit(self, embedder: Embedder, texts: list[str], progress: Progress | None = None) -> Pending:
        """Start embedding ``texts`` with ``embedder``'s model, backend and batch size; ``progress`` is told
        how many texts each forward pass (or each slice a worker hands back) embedded."""

    def close(self) -> None:
        """Release the workers (and a cluster connection the executor made)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class _Deferred:
    """A local batch, embedded when its vectors are asked for: one batch at a time, as the writer goes."""

    embedder: Embedder
    texts: list[str]
    progress: Progress | None = None

    def result(self) -> np.ndarray:
        return self.embedder.encode(self.texts, self.progress)


class LocalExecutor:
    """Embedding in this process with the store's own model: the default."""

    ahead = 0

    def submit(self, embedder: Embedder, texts: list[str], progress: Progress | None = None) -> Pending:
        return _Deferred(embedder, texts, progress)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ray_executor(address: str, **options: Any) -> Executor:
    """A :class:`index.ray_embed.RayExecutor` joined to ``address`` (``"local"``, ``"auto"`` or
    ``"ray://host:port"``); a :class:`ClusterError` saying how to install Ray where it is missing."""
    try:
        from .ray_embed import RayExecutor
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "ray":
            raise
        raise ClusterError(f"embedding on Ray needs the ray package, which is not installed; install it "
                           f"with: {RAY_INSTALL}") from None
    return RayExecutor(address, **options)
