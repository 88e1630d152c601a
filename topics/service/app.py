"""The HTTP service: the Python API over FastAPI, under ``/v1``.

- The model is loaded and warmed up once at start, so the first request is as fast as the rest.
- Each worker thread reads through its own database connection; all share one loaded index, and every
  read sees one committed generation, so searches keep answering during an ingest or a re-cluster.
- Writes (ingest, delete, re-cluster) take turns behind one lock and the store's file lock.
- With ``TOPICS_API_TOKEN`` set, every write needs ``Authorization: Bearer <token>``, checked before
  the body is read.
- Request bodies, batch sizes and ``k`` are bounded; no endpoint takes a file path; ``HEAD`` answers on
  every ``GET`` route; ``allowed_hosts`` limits the Host names served (see :mod:`topics.guards`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from index import InputError, ParameterError, QueryError, Store, StoreError, TopicsError, offline_environment

from .. import __version__
from ..guards import BodyLimit, HeadAsGet, WriteGate, allowed_hosts as default_hosts
from ..model import NoTopics
from .docs import add_docs
from .routes import articles, health, reports, search, topics
from .state import Service, write_access

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH = 500
# The library's remedies for whoever runs the service (see index.errors.Fix)
SERVICE_WORDS = {
    "repair": "the service's operator can rebuild it with: topics repair --store {store}",
    "check": "the service's operator can see what is wrong with: topics check --store {store}",
}
ROUTERS = (health.router, articles.router, search.router, topics.router, reports.router)


def _status(exc: TopicsError) -> tuple[int, str]:
    """HTTP status and message of a library error, the fix worded for HTTP clients."""
    if isinstance(exc, NoTopics):
        return 404, f"{exc}; POST /v1/topics/refresh first"
    if isinstance(exc, ParameterError):
        return 422, f"field '{exc.parameter}' {exc.reason}"
    if isinstance(exc, (InputError, QueryError)):
        return 422, exc.worded(SERVICE_WORDS)
    return (503 if isinstance(exc, StoreError) else 400), exc.worded(SERVICE_WORDS)


def create_app(store_path: str | Path, *, token: str | None = None, model: Any = None,
               max_body_bytes: int = MAX_BODY_BYTES, max_batch: int = MAX_BATCH,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """Build the app over the store at ``store_path`` (created on first ingest if missing).

    ``token`` protects the write endpoints; ``model`` may be a loaded :class:`index.Embedder`;
    ``allowed_hosts`` (``None``: any) are the Host header names answered.
    """
    store = Store.open(store_path, model=model, create=True)
    store.embedder.encode(["warm up"])
    app = FastAPI(title="topics", version=__version__, docs_url=None, redoc_url=None,
                  description="Paragraph-level semantic search, similarity and topics for news articles.")
    add_docs(app)
    app.state.service = Service(store, token, max_batch)
    for router in ROUTERS:
        app.include_router(router)
    write_routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)
                    and any(d.dependency is write_access for d in r.dependencies)]

    def protected(scope: dict[str, Any]) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in write_routes)

    app.add_middleware(HeadAsGet)
    app.add_middleware(WriteGate, token=token, protected=protected)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.exception_handler(TopicsError)
    async def topics_error(_: Request, exc: TopicsError) -> JSONResponse:
        status, message = _status(exc)
        return JSONResponse({"detail": message}, status_code=status)

    return app


def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          hosts: str | None = None) -> None:
    """Run the service with uvicorn until interrupted; ``hosts`` as for :func:`topics.guards.allowed_hosts`."""
    import uvicorn

    offline_environment()
    # Requests run side by side; a single search gains nothing from FAISS's OpenMP threads, whose
    # spinning only steals the cores other requests need. A process-wide setting, so set here.
    faiss.omp_set_num_threads(1)
    uvicorn.run(create_app(store_path, token=token, allowed_hosts=default_hosts(host, hosts)), host=host,
                port=port, log_level="warning")
