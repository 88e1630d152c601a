"""Topic reports: one document (:func:`build_report`) rendered as JSON, Markdown or self-contained HTML.

``build_report`` is imported on first use: it needs scikit-learn and the topic model, which listing the
formats (the command line's choices) does not.
"""

from typing import Any

from .html import render_html
from .markdown import render_markdown
from .schema import SCHEMA, render_json

FORMATS = {"html": render_html, "md": render_markdown, "json": render_json}

__all__ = ["FORMATS", "SCHEMA", "build_report", "render_html", "render_json", "render_markdown"]


def __getattr__(name: str) -> Any:
    if name == "build_report":
        from .build import build_report

        return build_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
