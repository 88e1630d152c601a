"""The API's documentation pages, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, with their scripts and
styles served by the service itself from the ``fastapi-offline`` package's copies (MIT), so the pages
render with no network at all. ReDoc's script is served with its one outside address, the logo of its
footer, replaced by an empty image: the page fetches nothing from elsewhere."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


def add_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` (the app must be built with ``docs_url=None, redoc_url=None``)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{PREFIX}/swagger-ui.css",
                                   swagger_favicon_url=f"{PREFIX}/favicon.png")

    script = (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8").replace(REDOC_LOGO, EMPTY_IMAGE)

    @app.get("/redoc.js", include_in_schema=False)
    def redoc_script() -> Response:
        return Response(script, media_type="text/javascript")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                              redoc_js_url="/redoc.js", redoc_favicon_url=f"{PREFIX}/favicon.png",
                              with_google_fonts=False)
