"""The topic report in its three formats, and the exports' tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse

from index import Store

from ...model import TopicModel
from ...report import build_report, render_html, render_markdown
from ...tabular import require
from ..state import ASIDE, PREPARING, Service, service

router = APIRouter(prefix="/v1", tags=["report"])
State = Annotated[Service, Depends(service)]
REPORT = "the report"
T = TypeVar("T")


def _built(reader: Store, model: TopicModel) -> dict[str, Any]:
    with reader.reading():
        return build_report(reader, model)


def report(state: Service) -> dict[str, Any]:
    """The report of the fit in force, built once per fit and store generation (in a process aside
    when the service has one, see :mod:`..building`)."""
    def build(reader: Store, model: TopicModel) -> dict[str, Any]:
        if state.builder is None:
            return _built(reader, model)
        return state.builder.report(state.store.path, state.exports / "report.json")
    return state.per_fit("report", build, REPORT, ASIDE)


def _rendered(state: Service, name: str, render: Callable[[dict[str, Any]], T]) -> T:
    """The report rendered once per fit and generation, in this process; asked for only once the report
    is there (else :class:`..preparing.Preparing` at once), so rendering it never waits behind an export."""
    report(state)
    return state.per_fit(name, lambda _reader, _model: render(report(state)), REPORT)


@router.get("/report", response_class=HTMLResponse, responses=PREPARING)
def report_html(state: State) -> HTMLResponse:
    return HTMLResponse(_rendered(state, "report.html", render_html))


@router.get("/report.md", response_class=PlainTextResponse, responses=PREPARING)
def report_markdown(state: State) -> PlainTextResponse:
    return PlainTextResponse(_rendered(state, "report.md", render_markdown), media_type="text/markdown; charset=utf-8")


@router.get("/report.json", responses=PREPARING)
def report_json(state: State) -> Response:
    """The report as JSON, encoded once per fit and generation too (7 MB at 100,000 paragraphs:
    encoding it for each request cost more than the request's other work)."""
    return Response(_rendered(state, "report.json", lambda document: JSONResponse(document).body),
                    media_type="application/json")


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
               "parquet": "application/vnd.apache.parquet"}
CHUNK = 1 << 20


@router.get("/export/{kind}", response_class=StreamingResponse, responses=PREPARING)
def export_rows(kind: Literal["paragraphs", "articles", "topics"], state: State,
                format: Annotated[Literal["csv", "jsonl", "parquet"],
                                  Query(description="parquet needs pyarrow on the server")] = "csv"
                ) -> StreamingResponse:
    """The file ``topics export KIND`` writes, written once per fit and store generation by the
    background worker and streamed from the handle opened here (a newer file replacing it meanwhile
    leaves this download whole)."""
    require(format)
    handle = state.export_file(kind, format).open("rb")

    def body() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    return StreamingResponse(body(), media_type=MEDIA_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="{kind}.{format}"'})
