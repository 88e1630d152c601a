"""What every router shares: the store behind the app and the topic model in force."""

from __future__ import annotations

import hmac
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException, Request

from index import ArticleInfo, InputError, ParameterError, QueryError, Store, StoreError, TopicsError

from ..api import ArticleTopics, TopicsOverview, article_topics, export, topics_overview
from ..model import NoTopics, TopicModel
from .building import Builder
from .preparing import LANES, Prepared, Preparing

T = TypeVar("T")
ASIDE = LANES[1]  # the lane of builds run in a process aside
PREPARING: dict[int | str, dict[str, Any]] = {
    503: {"description": "being prepared for the fit and store generation in force (the first ask after a "
                         "write or a refit, on a large archive): ask again after Retry-After seconds",
          "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}}}
# The library's remedies for whoever runs the service (see index.errors.Fix)
SERVICE_WORDS = {
    "repair": "the service's operator can rebuild it with: topics repair --store {store}",
    "check": "the service's operator can see what is wrong with: topics check --store {store}",
}


def status_of(exc: TopicsError) -> tuple[int, str]:
    """HTTP status and message of a library error, the fix worded for the service's users; one rule for
    the JSON routes and the pages."""
    if isinstance(exc, NoTopics):
        return 404, f"{exc}; POST /v1/topics/refresh first"
    if isinstance(exc, ParameterError):
        return 422, f"field '{exc.parameter}' {exc.reason}"
    if isinstance(exc, (InputError, QueryError)):
        return 422, exc.worded(SERVICE_WORDS)
    return (503 if isinstance(exc, StoreError) else 400), exc.worded(SERVICE_WORDS)


class Service:
    """The store behind the app: one writer handle that writes take turns on, one reader handle per
    worker thread, and the topic model, loaded again only when a refit or a label change replaced it."""

    def __init__(self, store: Store, token: str | None, max_batch: int, patience: float | None = None) -> None:
        self.store = store
        self.token = token
        self.max_batch = max_batch
        self.write_lock = threading.Lock()
        self._local = threading.local()
        self._model: TopicModel | None = None
        self._stamp = 0
        self._model_lock = threading.Lock()
        self.prepared = Prepared(patience)
        # A service that answers "being prepared" builds the heaviest things in a process aside (see
        # .building); one that waits for every answer (a library caller, the tests) builds them here.
        self.builder = Builder() if patience is not None else None
        self.exports = Path(tempfile.mkdtemp(prefix="topics-exports-"))
        weakref.finalize(self, shutil.rmtree, self.exports, ignore_errors=True)

    def reader(self) -> Store:
        if not hasattr(self._local, "store"):
            self._local.store = self.store.reader()
        return self._local.store

    def model(self) -> TopicModel:
        """The topic model in force; 404 before the first fit."""
        found = self.model_or_none()
        if found is None:
            raise HTTPException(404, "no topics yet: POST /v1/topics/refresh first")
        return found

    def model_or_none(self) -> TopicModel | None:
        with self._model_lock:
            stamp = TopicModel.stamp(self.store.path)  # taken first: a save during the load shows next time
            if not stamp:
                return None
            if self._model is None or self._stamp != stamp:
                self._model = TopicModel.load(self.store.path)
                self._stamp = stamp
            return self._model

    def per_fit(self, name: str, compute: Callable[[Store, TopicModel], T], what: str, lane: str = LANES[0]) -> T:
        """``compute(reader, model)`` worked out once per fit and store generation, by the background
        worker (see :mod:`.preparing`): what a page or endpoint derives from every article (the topics
        page's timeline and changes, the report, the exports) costs seconds to minutes on a large
        archive, and is the same for every request until a write or a refit. Past the service's
        patience the request gets :class:`Preparing`, which names ``what`` is being prepared."""
        reader, model = self.reader(), self.model()
        generation = reader.snapshot().generation
        with self._model_lock:
            stamp = self._stamp if self._model is model else -1  # refitted meanwhile: the next ask keys it
        return self.prepared.get(name, (stamp, generation), lambda: compute(self.reader(), model), what, lane)

    def warm_up(self, *asks: Callable[[], object]) -> None:
        """Begin preparing what ``asks`` ask for (the topics page, the report) without waiting, if there
        is a fit, so the first people to ask find them ready."""
        if self.model_or_none() is None:
            return
        with self.prepared.starting():
            for ask in asks:
                try:
                    ask()
                except Preparing:
                    pass

    def overview(self) -> TopicsOverview:
        """The topics page's topics, timeline and changes (the changes also answer ``/v1/topics/changes``)."""
        return self.per_fit("overview", topics_overview, "the topics overview")

    def export_file(self, kind: str, fmt: str) -> Path:
        """The file of ``topics export KIND`` in ``fmt`` for the fit and generation in force, written once
        (replaced crash-safely, so a download under way keeps reading the file it opened)."""
        def write(reader: Store, model: TopicModel) -> Path:
            target = self.exports / f"{kind}.{fmt}"
            if self.builder is not None:
                return self.builder.export(self.store.path, kind, fmt, target)
            export(reader, model, kind, target, fmt)
            return target
        return self.per_fit(f"export.{kind}.{fmt}", write, f"the {kind} export ({fmt})", ASIDE)

    def article(self, article_id: str) -> tuple[ArticleInfo, ArticleTopics] | None:
        """A stored article and its paragraphs with their topics, read from one snapshot (``None``
        when there is no such article)."""
        reader = self.reader()
        with reader.reading():
            info = reader.article(article_id)
            if info is None:
                return None
            try:
                return info, article_topics(reader, self.model_or_none(), article_id)
            except QueryError:
                return None

    def check_token(self, given: str) -> bool:
        """Whether ``given`` is the service's token (always, when it has none), in constant time."""
        return self.token is None or hmac.compare_digest(given.encode(), self.token.encode())


def service(request: Request) -> Service:
    """The app's :class:`Service`, for ``Depends``."""
    return request.app.state.service


def write_access(request: Request) -> None:
    """Writes need the bearer token when one is set (compared in constant time)."""
    token = service(request).token
    if token is None:
        return
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
