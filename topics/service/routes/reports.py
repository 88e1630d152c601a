"""The topic report in its three formats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from ...report import build_report, render_html, render_markdown
from ..state import Service, service

router = APIRouter(prefix="/v1", tags=["report"])
State = Annotated[Service, Depends(service)]


def _report(state: Service) -> dict[str, Any]:
    reader = state.reader()
    with reader.reading():
        return build_report(reader, state.model())


@router.get("/report", response_class=HTMLResponse)
def report_html(state: State) -> HTMLResponse:
    return HTMLResponse(render_html(_report(state)))


@router.get("/report.md", response_class=PlainTextResponse)
def report_markdown(state: State) -> PlainTextResponse:
    return PlainTextResponse(render_markdown(_report(state)), media_type="text/markdown; charset=utf-8")


@router.get("/report.json")
def report_json(state: State) -> JSONResponse:
    return JSONResponse(_report(state))
