"""What every router shares: the store behind the app and the topic model in force."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi import HTTPException, Request

from index import ArticleInfo, InputError, ParameterError, QueryError, Store, StoreError, TopicsError

from ..api import ArticleTopics, article_topics
from ..model import NoTopics, TopicModel

# The library's remedies for whoever runs the service (see index.errors.Fix)
T = TypeVar("T")

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

    def __init__(self, store: Store, token: str | None, max_batch: int) -> None:
        self.store = store
        self.token = token
        self.max_batch = max_batch
        self.write_lock = threading.Lock()
        self._local = threading.local()
        self._model: TopicModel | None = None
        self._stamp = 0
        self._model_lock = threading.Lock()
        self._kept: dict[str, tuple[Hashable, Any]] = {}  # name → (fit stamp and generation, value)
        self._keeping: dict[str, threading.Lock] = {}

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

    def per_fit(self, name: str, compute: Callable[[Store, TopicModel], T]) -> T:
        """``compute(reader, model)`` worked out once per fit and store generation: what a page or
        endpoint derives from every article (the topics page's timeline and changes, the report) costs
        seconds on a large archive, and is the same for every request until a write or a refit. One
        thread computes while the others asking for the same name wait for its answer."""
        with self._model_lock:
            lock = self._keeping.setdefault(name, threading.Lock())
        with lock:
            reader, model = self.reader(), self.model()
            generation = reader.snapshot().generation
            with self._model_lock:
                if self._model is not model:  # refitted meanwhile: this answer is not kept
                    return compute(reader, model)
                key = (self._stamp, generation)
            kept = self._kept.get(name)
            if kept is None or kept[0] != key:
                kept = self._kept[name] = (key, compute(reader, model))
            return kept[1]  # type: ignore[no-any-return]

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
