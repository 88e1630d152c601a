"""How the pages are rendered: one Jinja environment (autoescaping every value), the filters the
templates share, and the two responses every page ends in, a page or a message."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from index import TopicsError

from ... import __version__
from ...display import counted
from ...periods import short_label
from ...report.html import http_url

_ENV = Environment(loader=PackageLoader("topics.service.web", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Pages load nothing from another host, run no inline script and cannot be framed (the label form).
HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                      "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
SPARK_WIDTH, SPARK_HEIGHT = 160, 36


def highlight(text: str, spans: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> Markup:
    """``text`` with the character ``spans`` (the query's words found in it) in ``<mark>``, everything
    escaped; overlapping or touching spans are merged and spans out of range are clipped."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, a), min(len(text), b)) for a, b in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out += [escape(text[at:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def day(published: str | None) -> str:
    """A stored publication time as people read it: "1 Mar 2024" (empty when undated)."""
    if not published:
        return ""
    try:
        when = date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def sparkline(counts: list[int], periods: list[str], unit: str) -> Markup:
    """A topic's articles per period as a small inline SVG line over a filled area, its figures in the
    accessible name and in a ``<title>`` for hover; empty with fewer than two periods."""
    if len(counts) < 2:
        return Markup("")
    peak = max(counts) or 1
    step = (SPARK_WIDTH - 4) / (len(counts) - 1)
    points = [(2 + i * step, SPARK_HEIGHT - 3 - (SPARK_HEIGHT - 6) * c / peak) for i, c in enumerate(counts)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    top = max(range(len(counts)), key=lambda i: (counts[i], i))
    words = (f"articles per {unit}, {short_label(periods[0])} to {short_label(periods[-1])}: peak {counts[top]} "
             f"in {short_label(periods[top])}, {counts[-1]} in the latest")
    last_x, last_y = points[-1]
    base = SPARK_HEIGHT - 3
    return Markup(
        f'<svg class="spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
        f'role="img" aria-label="{escape(words)}"><title>{escape(words)}</title>'
        f'<path class="spark-area" d="M2,{base} L{line.replace(" ", " L")} L{last_x:.1f},{base} Z"/>'
        f'<polyline class="spark-line" points="{line}"/>'
        f'<circle class="spark-dot" cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5"/></svg>')


def article_url(article_id: str) -> str:
    """The article page of an id; ids may be URLs, so every reserved character is encoded."""
    return "/articles/" + quote(article_id, safe="")


def query_url(path: str, **params: Any) -> str:
    """``path`` with the non-empty ``params`` as its query string (lists repeat their key)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", (), [], False)}
    return path + ("?" + urlencode(kept, doseq=True) if kept else "")


_ENV.filters.update(highlight=highlight, day=day, article_url=article_url, http_url=http_url, period=short_label,
                    counted=counted)
_ENV.globals.update(sparkline=sparkline, query_url=query_url, version=__version__)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page rendered with the context every page shares (which nav entry is current, the store)."""
    body = _ENV.get_template(template).render(request=request, **_store(request), **context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _store(request: Request) -> dict[str, Any]:
    """What the page header and footer say about the store; nothing when the store cannot be read
    (the page then says why)."""
    service = request.app.state.service
    try:
        return {"articles": service.reader().article_count(), "fitted": service.model_or_none() is not None}
    except (TopicsError, OSError):
        return {"articles": None, "fitted": False}


def message(request: Request, status: int, title: str, text: str, hint: str | None = None) -> HTMLResponse:
    """A page that says what went wrong and what to do, with the status it stands for."""
    return page(request, "message.html", status, title=title, text=text, hint=hint)


API_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi.json", "/docs-assets/")


def is_page(request: Request) -> bool:
    """Whether a request is for a page (answered in HTML) rather than the JSON API or its docs."""
    return not request.url.path.startswith(API_PREFIXES)
