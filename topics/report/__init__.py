"""Topic reports: one document (:func:`build_report`) rendered as JSON, Markdown or self-contained HTML."""

from .build import build_report
from .html import render_html
from .markdown import render_markdown
from .schema import SCHEMA, render_json

FORMATS = {"html": render_html, "md": render_markdown, "json": render_json}

__all__ = ["FORMATS", "SCHEMA", "build_report", "render_html", "render_json", "render_markdown"]
