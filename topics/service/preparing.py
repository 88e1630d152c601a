"""Answers that cost seconds to minutes on a large archive (the report, the exports, the topics page),
worked out once per fit and store generation by one background worker.

On an archive of 10⁵–10⁶ paragraphs such an answer takes seconds to minutes of CPU. Worked out inside the
request, every client asking for it while it is built holds a request thread, and on a small machine the
queue behind them stalls search and every other page. So a worker builds them, one at a time, and a
request waits for its answer at most the service's *patience*, and not at all when the build will plainly
take longer (by the last one of that name, see :meth:`Prepared._left`): it is answered at once with
:class:`Preparing` (the routes turn it into 503 with ``Retry-After``), and the answer is there for the
next request. With no patience (``None``) a request waits for its answer, as a library caller would.
The worker is a daemon thread, so stopping the service never waits for a build.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from concurrent.futures import CancelledError, Future, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
FIRST_GUESS_S = 5  # Retry-After before a build of that name was ever timed
# Builds worked out in this process, and builds that wait on a process aside (see .building): each lane
# its own worker, so a topic's page is not queued behind an export of minutes.
LANES = ("here", "aside")


class Preparing(Exception):
    """``what`` is being prepared; ask again in about ``retry_after`` seconds."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"{what} is being prepared; ask again in about {retry_after} s")
        self.what = what
        self.retry_after = retry_after


@dataclass
class _Entry:
    key: Hashable
    future: Future[Any]
    started: float | None = None  # when the worker began it


class Prepared:
    """Values by name, each valid for one key (the fit stamp and store generation), built by one worker
    per lane (:data:`LANES`)."""

    def __init__(self, patience: float | None) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._took: dict[str, float] = {}
        self._local = threading.local()
        self._jobs: dict[str, queue.SimpleQueue[tuple[str, _Entry, Callable[[], Any]]]] = {
            lane: queue.SimpleQueue() for lane in LANES}
        self._workers = {lane: threading.Thread(target=self._work, args=(jobs,), name=f"topics-prepare-{lane}",
                                                daemon=True) for lane, jobs in self._jobs.items()}
        for worker in self._workers.values():
            worker.start()

    def get(self, name: str, key: Hashable, compute: Callable[[], T], what: str, lane: str = LANES[0]) -> T:
        """The value of ``name`` for ``key``: kept, or built by the worker (waiting at most the
        patience for it, else :class:`Preparing`). A build's error is raised to one asker (the one
        waiting, else the next); the one after builds again."""
        entry = self.start(name, key, compute, lane)
        on_worker = self._on_worker()
        patience = 0 if getattr(self._local, "starting", False) else self.patience
        if patience and not entry.future.done() and self._left(name, entry) > patience:
            patience = 0  # not ready within it: said at once, holding no request thread for nothing
        try:
            return entry.future.result(timeout=None if on_worker else patience)  # type: ignore[no-any-return]
        except (FutureTimeout, CancelledError):
            raise Preparing(what, self._retry_after(name, entry)) from None
        except BaseException:
            self._forget(name, entry)  # told once; the next ask builds again
            raise

    @contextmanager
    def starting(self) -> Iterator[None]:
        """Within the block, :meth:`get` of this thread only starts a build, raising :class:`Preparing`
        unless the value is there already (how a service warms up)."""
        self._local.starting = True
        try:
            yield
        finally:
            self._local.starting = False

    def start(self, name: str, key: Hashable, compute: Callable[[], Any], lane: str = LANES[0]) -> _Entry:
        """``name``'s entry for ``key``, its build begun in ``lane`` unless it is kept or under way. Asked
        for by another build (the report by its HTML), it is built there and then, not queued behind it."""
        on_worker = self._on_worker()
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and entry.key == key and _failed(entry.future):
                return entry  # its error goes to this asker (see get)
            if entry is None or entry.key != key or entry.future.cancelled():
                if entry is not None:
                    entry.future.cancel()  # queued for a key now stale: never built
                entry = self._entries[name] = _Entry(key, Future())
                if not on_worker:
                    self._jobs[lane].put((name, entry, compute))
            if not on_worker:
                return entry
        self._run(name, entry, compute)  # nothing when it is built already
        return entry

    def _on_worker(self) -> bool:
        return threading.current_thread() in self._workers.values()

    def _forget(self, name: str, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(name) is entry:
                del self._entries[name]

    def _left(self, name: str, entry: _Entry) -> float:
        """Seconds left of the build, by how long the last one of that name took; one never timed is
        taken to need :data:`FIRST_GUESS_S`, or as long again as it has run so far."""
        ran = 0.0 if entry.started is None else time.monotonic() - entry.started
        took = self._took.get(name)
        return max(FIRST_GUESS_S - ran, ran) if took is None else max(took - ran, 0.0)

    def _retry_after(self, name: str, entry: _Entry) -> int:
        return max(1, math.ceil(self._left(name, entry)))

    def _work(self, jobs: queue.SimpleQueue[tuple[str, _Entry, Callable[[], Any]]]) -> None:
        while True:
            name, entry, compute = jobs.get()
            self._run(name, entry, compute)

    def _run(self, name: str, entry: _Entry, compute: Callable[[], Any]) -> None:
        future = entry.future
        try:
            if not future.set_running_or_notify_cancel():
                return
        except RuntimeError:  # built already, by a build that needed it first
            return
        begin = entry.started = time.monotonic()
        try:
            future.set_result(compute())
        except BaseException as exc:  # handed to whoever asks: the route answers it as it would have
            future.set_exception(exc)
        self._took[name] = time.monotonic() - begin


def _failed(future: Future[Any]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None
