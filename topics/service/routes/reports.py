"""The topic report in its three formats, and the exports' tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse

from index import Store

from ...export import export_table
from ...model import TopicModel
from ...report import build_report, render_html, render_markdown
from ...tabular import encode, require
from ..state import Service, service

router = APIRouter(prefix="/v1", tags=["report"])
State = Annotated[Service, Depends(service)]


def _built(reader: Store, model: TopicModel) -> dict[str, Any]:
    with reader.reading():
        return build_report(reader, model)


def _report(state: Service) -> dict[str, Any]:
    """The report of the fit in force, built once per fit and store generation."""
    return state.per_fit("report", _built)


@router.get("/report", response_class=HTMLResponse)
def report_html(state: State) -> HTMLResponse:
    return HTMLResponse(state.per_fit("report.html", lambda _reader, _model: render_html(_report(state))))


@router.get("/report.md", response_class=PlainTextResponse)
def report_markdown(state: State) -> PlainTextResponse:
    return PlainTextResponse(state.per_fit("report.md", lambda _reader, _model: render_markdown(_report(state))),
                             media_type="text/markdown; charset=utf-8")


@router.get("/report.json")
def report_json(state: State) -> JSONResponse:
    return JSONResponse(_report(state))


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
               "parquet": "application/vnd.apache.parquet"}


@router.get("/export/{kind}", response_class=StreamingResponse)
def export_rows(kind: Literal["paragraphs", "articles", "topics"], state: State,
                format: Annotated[Literal["csv", "jsonl", "parquet"],
                                  Query(description="parquet needs pyarrow on the server")] = "csv"
                ) -> StreamingResponse:
    """The rows ``topics export KIND`` writes, streamed as they are read, from a connection of the
    answer's own (closed with it), so a long download holds no worker's reader."""
    require(format)
    model = state.model()
    reader = state.store.reader()
    try:
        table = export_table(reader, model, kind)
    except BaseException:
        reader.close()
        raise

    def body() -> Iterator[bytes]:
        try:
            yield from encode(table, format)
        finally:
            reader.close()
    return StreamingResponse(body(), media_type=MEDIA_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="{kind}.{format}"'})
