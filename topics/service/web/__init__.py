"""The web app for people, at ``/`` of ``topics serve``: search, articles, topics and their labels as
server-rendered pages that work without JavaScript (a little script only adds shortcuts). Styles,
script and icon are served from this package (``/static``); nothing is fetched from another host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .render import is_page, message
from .routes import router

STATIC = Path(__file__).parent / "static"
TITLES = {404: "Not found", 405: "Not allowed", 413: "Too large", 422: "Bad request"}


def add_web(app: FastAPI) -> None:
    """Serve the pages and their assets, and answer errors on page URLs with a page, not JSON."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not is_page(request):
            return await http_exception_handler(request, exc)
        text = {404: "There is no page at this address."}.get(exc.status_code, str(exc.detail))
        return message(request, exc.status_code, TITLES.get(exc.status_code, "Something went wrong"), text)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request):
            return await request_validation_exception_handler(request, exc)
        reasons = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', '')}" for e in exc.errors())
        return message(request, 422, TITLES[422], reasons)
