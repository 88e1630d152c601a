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

import hmac
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import faiss
import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from index import (Article, Filters, InputError, QueryError, Store, StoreError, StoreStats, TopicsError, search,
                   similar)
from index.read.records import article_from_record
from index.embed import offline_environment
from index.search import Mode

from . import __version__
from .fit import fit_topics
from .guards import BodyLimit, HeadAsGet, WriteGate, allowed_hosts as default_hosts
from .model import TopicModel, topic_mix
from .report import build_report, render_html, render_markdown

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_BATCH = 500
MAX_K = 100


# -- response and request models ---------------------------------------------------------------
class Health(BaseModel):
    status: str
    version: str
    articles: int
    generation: int


class ArticleIn(BaseModel):
    """One article, with the fields of a JSONL record; unknown fields are kept as metadata."""

    model_config = ConfigDict(extra="allow")
    id: str | None = None
    title: str | None = None
    text: str | None = Field(None, description="body; 'body' or 'content' are accepted too")
    url: str | None = None
    source: str | None = None
    published: str | None = Field(None, description="ISO-8601 or RFC 2822")


class ArticlesIn(BaseModel):
    articles: list[ArticleIn] = Field(..., min_length=1)


class IngestResult(BaseModel):
    ids: list[str]
    added: int
    updated: int
    unchanged: int
    paragraphs_embedded: int


class ArticleMeta(BaseModel):
    id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    metadata: dict[str, Any]


class ParagraphOut(BaseModel):
    paragraph_id: int
    position: int
    is_title: bool
    text: str
    topic: int | None = None
    confidence: float | None = None


class TopicShare(BaseModel):
    topic: int
    label: str
    share: float


class ArticleOut(ArticleMeta):
    paragraphs: list[ParagraphOut]
    topics: list[TopicShare]


class Deleted(BaseModel):
    deleted: str


class HitOut(BaseModel):
    score: float
    article_id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    paragraph_id: int
    position: int
    is_title: bool
    text: str
    also_in: list[str]
    matches: list[tuple[int, int]] = Field(
        description="[start, end) character spans of the query's words found in text, for highlighting")


class SimilarIn(BaseModel):
    article_id: str | None = Field(None, description="a stored article")
    text: str | None = Field(None, description="or the text of an article not in the store")
    title: str | None = None
    k: int = Field(10, ge=1, le=MAX_K)


class SimilarOut(BaseModel):
    score: float
    article: ArticleMeta


class TopicSummary(BaseModel):
    id: int
    label: str
    automatic_label: str
    keywords: list[str]
    paragraphs: int


class TopicsOut(BaseModel):
    fit_number: int
    unassigned_rate: float
    up_to_date: bool
    topics: list[TopicSummary]


class TopicParagraph(BaseModel):
    paragraph_id: int
    confidence: float
    text: str


class TopicOut(TopicSummary):
    total: int
    offset: int
    limit: int
    items: list[TopicParagraph]


# -- the application ---------------------------------------------------------------------------
class Service:
    """The store behind the app: one writer handle, one reader handle per worker thread."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.write_lock = threading.Lock()
        self._local = threading.local()
        self._model: TopicModel | None = None
        self._model_mtime = 0
        self._model_lock = threading.Lock()

    def reader(self) -> Store:
        if not hasattr(self._local, "store"):
            self._local.store = self.store.reader()
        return self._local.store

    def model(self) -> TopicModel:
        """The current topic model, loaded again only when a refit or a label change saved a new one."""
        if TopicModel.current_fit(self.store.path) is None:
            raise HTTPException(404, "no topics yet: POST /v1/topics/refresh first")
        with self._model_lock:
            stamp = self._stamp()  # taken first: a save during the load shows up as a change next time
            if self._model is None or self._model_mtime != stamp:
                self._model = TopicModel.load(self.store.path)
                self._model_mtime = stamp
            return self._model

    def _stamp(self) -> int:
        """Changes whenever ``current.json`` is replaced, also when a label change keeps the fit number."""
        try:
            return (self.store.path / "topics" / "current.json").stat().st_mtime_ns
        except OSError:
            return 0


def _meta(info: Any) -> ArticleMeta:
    data = asdict(info)
    data.pop("path", None)
    return ArticleMeta(**data)


def create_app(store_path: str | Path, *, token: str | None = None, model: Any = None,
               max_body_bytes: int = MAX_BODY_BYTES, max_batch: int = MAX_BATCH,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """Build the app over the store at ``store_path`` (created on first ingest if missing).

    ``token`` protects the write endpoints; ``model`` may be a loaded :class:`index.Embedder`;
    ``allowed_hosts`` (``None``: any) are the Host header names answered.
    """
    store = Store.open(store_path, model=model, create=True)
    store.embedder.encode(["warm up"])
    service = Service(store)
    app = FastAPI(title="topics", version=__version__,
                  description="Paragraph-level semantic search, similarity and topics for news articles.")
    app.state.service = service

    write_routes: list[APIRoute] = []  # filled once the routes exist

    def protected(scope: dict[str, Any]) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in write_routes)

    app.add_middleware(HeadAsGet)
    app.add_middleware(WriteGate, token=token, protected=protected)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

    @app.exception_handler(TopicsError)
    async def topics_error(_: Request, exc: TopicsError) -> JSONResponse:
        status = 422 if isinstance(exc, (InputError, QueryError)) else 503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def write_access(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    writes = [Depends(write_access)]

    @app.get("/v1/health", response_model=Health)
    def health() -> Health:
        reader = service.reader()
        return Health(status="ok", version=__version__, articles=reader.article_count(),
                      generation=reader.snapshot().generation)

    @app.get("/v1/stats", response_model=StoreStats)
    def stats() -> StoreStats:
        return service.reader().stats()

    @app.post("/v1/articles", response_model=IngestResult, dependencies=writes)
    def ingest(batch: ArticlesIn) -> IngestResult:
        if len(batch.articles) > max_batch:
            raise HTTPException(413, f"{len(batch.articles)} articles in one request; send at most {max_batch}")
        articles, errors = [], []
        for number, item in enumerate(batch.articles):
            try:
                articles.append(article_from_record(item.model_dump(exclude_none=True), None))
            except InputError as exc:
                errors.append({"loc": ["body", "articles", number, exc.field or "text"], "msg": exc.reason,
                               "type": "value_error"})
        if errors:
            raise RequestValidationError(errors)
        with service.write_lock:
            report = store.add(articles, progress=False)
        return IngestResult(ids=[a.key for a in articles], added=report.added, updated=report.updated,
                            unchanged=report.unchanged, paragraphs_embedded=report.paragraphs_embedded)

    @app.get("/v1/articles/{article_id:path}", response_model=ArticleOut)
    def get_article(article_id: str) -> ArticleOut:
        reader = service.reader()
        with reader.reading():
            links = reader.links(article_ids=[article_id])
            if not links:
                raise HTTPException(404, f"no article with id '{article_id}'")
            topics: list[Any] = [None] * len(links)
            confidence: list[Any] = [None] * len(links)
            mix: list[TopicShare] = []
            if TopicModel.current_fit(reader.path) is not None:
                model = service.model()
                found, conf = model.topics_of(reader, np.array([link.paragraph_id for link in links]))
                topics, confidence = [int(t) for t in found], [round(float(c), 4) for c in conf]
                mix = [TopicShare(topic=t, label=model.topic(t).name, share=round(s, 4)) for t, s in topic_mix(found)]
        return ArticleOut(**_meta(links[0].article).model_dump(), topics=mix, paragraphs=[
            ParagraphOut(paragraph_id=link.paragraph_id, position=link.position, is_title=link.is_title,
                         text=link.text, topic=t, confidence=c) for link, t, c in zip(links, topics, confidence)])

    @app.delete("/v1/articles/{article_id:path}", response_model=Deleted, dependencies=writes)
    def delete_article(article_id: str) -> Deleted:
        with service.write_lock:
            if not store.delete([article_id]):
                raise HTTPException(404, f"no article with id '{article_id}'")
        return Deleted(deleted=article_id)

    @app.get("/v1/search", response_model=list[HitOut])
    def find(q: Annotated[str, Query(min_length=1, max_length=2000, description="the query, in plain words")],
             k: Annotated[int, Query(ge=1, le=MAX_K)] = 10, source: str | None = None,
             since: str | None = None, until: str | None = None,
             group: Annotated[bool, Query(description="one hit per article")] = False,
             mode: Annotated[Mode, Query(description="hybrid: meaning and words; dense: meaning only; "
                                                     "lexical: words only (BM25)")] = "hybrid") -> list[HitOut]:
        hits = search(service.reader(), q, k, Filters(source, since, until), by_article=group, mode=mode)
        return [HitOut(**hit.to_dict()) for hit in hits]

    @app.post("/v1/similar", response_model=list[SimilarOut])
    def find_similar(request: SimilarIn) -> list[SimilarOut]:
        if bool(request.article_id) == bool(request.text):
            raise RequestValidationError([{"loc": ["body", "article_id"], "type": "value_error",
                                           "msg": "give exactly one of article_id or text"}])
        ref = request.article_id or Article(title=request.title or "", text=request.text or "")
        results = similar(service.reader(), ref, request.k)
        return [SimilarOut(score=round(r.score, 6), article=_meta(r.article)) for r in results]

    def summary(model: TopicModel, topic: Any) -> dict[str, Any]:
        return {"id": topic.id, "label": topic.name, "automatic_label": topic.label,
                "keywords": [k for k, _ in topic.keywords], "paragraphs": topic.size}

    @app.get("/v1/topics", response_model=TopicsOut)
    def list_topics() -> TopicsOut:
        model = service.model()
        return TopicsOut(fit_number=model.fit_number, unassigned_rate=round(model.unassigned_rate, 6),
                         up_to_date=model.corpus_hash == service.reader().content_hash(),
                         topics=[TopicSummary(**summary(model, t)) for t in model.topics])

    @app.get("/v1/topics/{topic_id}", response_model=TopicOut)
    def get_topic(topic_id: int, offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=MAX_K)] = 20) -> TopicOut:
        model = service.model()
        try:
            topic = model.topic(topic_id)
        except KeyError:
            raise HTTPException(404, f"no topic {topic_id}") from None
        reader = service.reader()
        with reader.reading() as snapshot:
            members = np.flatnonzero((model.assignments == topic_id) & np.isin(model.paragraph_ids, snapshot.ids))
            members = members[np.argsort(-model.confidence[members], kind="stable")]
            page = members[offset:offset + limit]
            texts = reader.paragraph_texts([int(model.paragraph_ids[i]) for i in page])
        return TopicOut(**summary(model, topic), total=len(members), offset=offset, limit=limit, items=[
            TopicParagraph(paragraph_id=int(model.paragraph_ids[i]), confidence=round(float(model.confidence[i]), 4),
                           text=text) for i, text in zip(page, texts)])

    @app.post("/v1/topics/refresh", response_model=TopicsOut, dependencies=writes)
    def refresh() -> TopicsOut:
        previous = TopicModel.load(store.path).params if TopicModel.exists(store.path) else {}
        with service.write_lock:
            fit_topics(store, **previous)
        return list_topics()

    def report() -> dict[str, Any]:
        reader = service.reader()
        with reader.reading():
            return build_report(reader, service.model())

    @app.get("/v1/report", response_class=HTMLResponse)
    def report_html() -> HTMLResponse:
        return HTMLResponse(render_html(report()))

    @app.get("/v1/report.md", response_class=PlainTextResponse)
    def report_markdown() -> PlainTextResponse:
        return PlainTextResponse(render_markdown(report()), media_type="text/markdown; charset=utf-8")

    @app.get("/v1/report.json")
    def report_json() -> JSONResponse:
        return JSONResponse(report())

    write_routes += [r for r in app.routes if isinstance(r, APIRoute) and
                     any(d.dependency is write_access for d in r.dependencies)]
    return app


def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          hosts: str | None = None) -> None:
    """Run the service with uvicorn until interrupted; ``hosts`` as for :func:`topics.guards.allowed_hosts`."""
    import uvicorn

    offline_environment()
    # Requests run side by side; a single search gains nothing from FAISS's OpenMP threads, whose
    # spinning only steals the cores other requests need.
    faiss.omp_set_num_threads(1)
    uvicorn.run(create_app(store_path, token=token, allowed_hosts=default_hosts(host, hosts)), host=host,
                port=port, log_level="warning")

