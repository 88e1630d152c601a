"""HTML pages: title, metadata and paragraph text via BeautifulSoup; page furniture is dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from ..articles import Article
from ..errors import InputError
from .clean import strip_trailing_boilerplate
from .records import article_from_record

# Elements that hold navigation, code or decoration rather than article text.
FURNITURE = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
             "iframe", "svg", "button", "select", "figure")
BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "figcaption")
_META = {
    "title": ("og:title", "twitter:title"),
    "published": ("article:published_time", "datePublished", "date", "pubdate", "dc.date"),
    "source": ("og:site_name", "application-name"),
    "url": ("og:url",),
}


def _soup(markup: str | bytes, encoding: str | None = None) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser", from_encoding=encoding if isinstance(markup, bytes) else None)


def html_blocks(markup: str | bytes | BeautifulSoup) -> list[str]:
    """Text of the block elements of the main content, furniture removed, in document order."""
    soup = markup if isinstance(markup, BeautifulSoup) else _soup(markup)
    for tag in soup.find_all(FURNITURE):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = []
    for tag in root.find_all(BLOCKS):
        if tag.find_parent(BLOCKS):  # a <p> inside <li> or <blockquote> is read with its parent
            continue
        text = " ".join(tag.get_text(" ").split())
        if text:
            blocks.append(text)
    if not blocks:
        text = root.get_text("\n")
        blocks = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return blocks


def _meta(soup: BeautifulSoup, names: tuple[str, ...]) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name}) \
            or soup.find("meta", attrs={"itemprop": name})
        if isinstance(tag, Tag) and tag.get("content"):
            return str(tag["content"]).strip()
    return None


def read_html(path: Path, data: bytes, encoding: str | None = None) -> Iterator[Article]:
    soup = _soup(data, encoding)
    fields = {key: _meta(soup, names) for key, names in _META.items()}
    if not fields["published"]:
        time_tag = soup.find("time", attrs={"datetime": True})
        fields["published"] = str(time_tag["datetime"]) if isinstance(time_tag, Tag) else None
    if not fields["url"]:
        canonical = soup.find("link", rel="canonical")
        fields["url"] = str(canonical["href"]) if isinstance(canonical, Tag) and canonical.get("href") else None
    heading = soup.find("h1")
    page_title = soup.title.get_text(" ").strip() if soup.title else ""
    title = fields.pop("title") or (heading.get_text(" ").strip() if heading else "") or page_title
    title = " ".join(title.split())
    blocks = strip_trailing_boilerplate(html_blocks(soup))
    if blocks and blocks[0] == title:
        blocks = blocks[1:]
    if not any(len(b.split()) > 1 for b in blocks):
        raise InputError(path, "no paragraph text found (no <p>, <li> or heading with words); "
                               "is this an article page?")
    record = {k: v for k, v in fields.items() if v}
    yield article_from_record({"title": title, "text": "\n".join(blocks), **record},
                              path, whole_file=True, entities=False)
