"""The HTTP service: the Python API over FastAPI, under ``/v1``, and pages for people at ``/`` (:mod:`.web`).

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

import sys
from functools import partial
from pathlib import Path
from typing import Any

import faiss
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match
from threadpoolctl import threadpool_limits

from index import Store, TopicsError, offline_environment

from .. import __version__
from ..guards import BodyLimit, HeadAsGet, WriteGate, allowed_hosts as default_hosts
from .docs import add_docs
from .preparing import Preparing
from .routes import articles, health, reports, search, topics
from .state import Service, status_of, write_access
from .web import add_web
from .web.render import is_page, message

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH = 500
PATIENCE = 0.25  # seconds a request of `topics serve` waits for an answer being prepared: within a page's budget
# How long a thread holds the interpreter before another may take it (Python's default 5 ms): each
# SQLite or numpy call of a short request gives it up and may wait that long to get it back. At 10⁵
# paragraphs under 8 clients, 1 ms served 7–30% more requests with lower p99s (two runs each).
SWITCH_S = 0.001
ROUTERS = (health.router, articles.router, search.router, topics.router, reports.router)


def create_app(store_path: str | Path, *, token: str | None = None, model: Any = None,
               max_body_bytes: int = MAX_BODY_BYTES, max_batch: int = MAX_BATCH,
               allowed_hosts: list[str] | None = None, patience: float | None = None) -> FastAPI:
    """Build the app over the store at ``store_path`` (created on first ingest if missing).

    ``token`` protects the write endpoints; ``model`` may be a loaded :class:`index.Embedder`;
    ``allowed_hosts`` (``None``: any) are the Host header names answered; ``patience`` is how long a
    request waits for a report, an export or the topics page being prepared before it is answered 503
    with ``Retry-After`` (``None``: until it is ready). A service with patience starts preparing the
    topics page and the report at once (see :mod:`.preparing`).
    """
    store = Store.open(store_path, model=model, create=True)
    store.embedder.encode(["warm up"])
    app = FastAPI(title="topics", version=__version__, docs_url=None, redoc_url=None,
                  description="Paragraph-level semantic search, similarity and topics for news articles.")
    add_docs(app)
    app.state.service = Service(store, token, max_batch, patience)
    if patience is not None:
        app.state.service.warm_up(app.state.service.overview, partial(reports.report, app.state.service))
    for router in ROUTERS:
        app.include_router(router)
    add_web(app)
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
    async def topics_error(request: Request, exc: TopicsError) -> Response:
        status, text = status_of(exc)
        if is_page(request):
            return message(request, status, "The store cannot answer", text)
        return JSONResponse({"detail": text}, status_code=status)

    @app.exception_handler(Preparing)
    async def preparing(request: Request, exc: Preparing) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        if not is_page(request):
            return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)
        answer = message(request, 503, "Being prepared", f"{exc.what[:1].upper()}{exc.what[1:]} is being "
                         f"prepared for this archive; it will be ready in about {exc.retry_after} s.",
                         "This page reloads itself then.")
        answer.headers.update({**headers, "Refresh": str(exc.retry_after)})
        return answer

    return app


def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          hosts: str | None = None, patience: float = PATIENCE) -> None:
    """Run the service with uvicorn until interrupted; ``hosts`` as for :func:`topics.guards.allowed_hosts`,
    ``patience`` as for :func:`create_app`."""
    import uvicorn

    offline_environment()
    # Requests run side by side; a single search gains nothing from FAISS's OpenMP threads, whose
    # spinning only steals the cores other requests need. A process-wide setting, so set here. The same
    # holds for numpy's BLAS: its threads spinning beside busy request threads made one SVD of the
    # report's map 40 times slower (a 100k-paragraph report: 40 s instead of 11 s on 2 cores).
    faiss.omp_set_num_threads(1)
    threadpool_limits(1)
    sys.setswitchinterval(SWITCH_S)
    uvicorn.run(create_app(store_path, token=token, allowed_hosts=default_hosts(host, hosts), patience=patience),
                host=host, port=port, log_level="warning")
