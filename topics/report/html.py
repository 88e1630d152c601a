"""The report as one self-contained HTML file: inline CSS, inline SVG charts, a few lines of inline JS."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..display import counted
from . import charts
from .heatmap import similarity_chart
from .paragraph_map import map_chart
from .timeline import timeline_chart
from .tree import hierarchy_chart

_ENV = Environment(loader=PackageLoader("topics.report", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def http_url(url: str | None) -> str | None:
    """Only web links become hyperlinks: a ``javascript:`` URL in an article must not run."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


_ENV.filters.update(http_url=http_url, counted=counted)


def render_html(report: dict[str, Any]) -> str:
    """All text is escaped by the template engine; charts escape their own labels."""
    return _ENV.get_template("report.html").render(
        report=report, colours=charts.colours(report), sizes=charts.sizes_chart(report),
        map=map_chart(report), similarity=similarity_chart(report), legend=charts.legend(report),
        map_legend=charts.legend(report, unassigned=report["unassigned"]["paragraphs"] > 0, keywords=3),
        hierarchy=hierarchy_chart(report), timeline=timeline_chart(report))
