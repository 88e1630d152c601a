"""Plain-text and Markdown articles: the first non-empty line (or heading) is the title."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from markdown_it import MarkdownIt

from ..articles import INVISIBLE, Article
from ..errors import InputError
from .clean import strip_trailing_boilerplate
from .records import article_from_record
from .wrap import unwrap

_MARKDOWN = MarkdownIt("commonmark")
_INLINE_TEXT = {"text", "code_inline"}
_INLINE_SPACE = {"softbreak", "hardbreak"}


def _titled_article(path: Path, blocks: list[str], fields: dict[str, str] | None = None) -> Article:
    blocks = strip_trailing_boilerplate([INVISIBLE.sub("", b).strip() for b in blocks])
    blocks = [b for b in blocks if b]
    if not blocks:
        raise InputError(path, "no text: the file is empty or holds only boilerplate")
    record = {"title": blocks[0], "text": "\n".join(blocks[1:]), **(fields or {})}
    return article_from_record(record, path, whole_file=True, entities=False)


def read_text(path: Path, text: str) -> Iterator[Article]:
    yield _titled_article(path, unwrap(text).splitlines())


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` front matter between ``---`` fences (title, published, source, url, id)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            pairs = (entry.split(":", 1) for entry in lines[1:end] if ":" in entry)
            fields = {k.strip().lower(): v.strip().strip("\"'") for k, v in pairs}
            for body_field in ("text", "body", "content"):  # the body is the document itself
                fields.pop(body_field, None)
            return fields, "\n".join(lines[end + 1:])
    return {}, text


def _markdown_blocks(text: str) -> list[str]:
    """Paragraphs, headings, list items and quotes as plain text; code blocks are not prose."""
    blocks = []
    for token in _MARKDOWN.parse(text):
        if token.type != "inline":
            continue
        parts = []
        for child in token.children or []:
            if child.type in _INLINE_TEXT:
                parts.append(child.content)
            elif child.type in _INLINE_SPACE:
                parts.append(" ")
            elif child.type == "image":
                parts.append(child.content)
        blocks.append("".join(parts))
    return blocks


def read_markdown(path: Path, text: str) -> Iterator[Article]:
    fields, body = _front_matter(text)
    blocks = _markdown_blocks(body)
    if "title" in fields:
        blocks.insert(0, fields.pop("title"))
    yield _titled_article(path, blocks, fields)
