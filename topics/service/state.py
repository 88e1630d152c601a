"""What every router shares: the store behind the app and the topic model in force."""

from __future__ import annotations

import hmac
import threading

from fastapi import HTTPException, Request

from index import Store

from ..model import TopicModel


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
