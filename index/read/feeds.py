"""RSS and Atom feeds via feedparser: one article per item, the feed's title as source.

feedparser undoes the feed's own escaping; entities still in the text after that (a feed escaped twice)
are decoded as in other records.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import feedparser

from ..articles import Article
from ..errors import InputError
from .clean import strip_trailing_boilerplate
from .html import html_blocks
from .records import article_from_record

log = logging.getLogger(__name__)


def _iso(parsed: object) -> str | None:
    """feedparser normalises every date format to a UTC ``struct_time``."""
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).isoformat()


def read_feed(path: Path, data: bytes, encoding: str | None = None) -> Iterator[Article | InputError]:
    feed = feedparser.parse(data, response_headers={"content-type": f"text/xml; charset={encoding}"}
                            if encoding else None)
    if feed.bozo and not feed.entries:
        error = feed.get("bozo_exception")
        line = error.getLineNumber() if hasattr(error, "getLineNumber") else None
        raise InputError(path, f"not a readable RSS/Atom feed: {error}", line=line)
    if not feed.entries:
        raise InputError(path, "no items: not an RSS or Atom feed, or an empty one")
    if feed.bozo:
        log.warning("%s: feed is malformed (%s); read the %d items that could be recovered",
                    path, feed.get("bozo_exception"), len(feed.entries))
    source = feed.feed.get("title")
    for number, entry in enumerate(feed.entries, start=1):
        content = entry.get("content") or []
        markup = content[0].get("value") if content else entry.get("summary", "")
        record = {
            "id": entry.get("id"),
            "title": entry.get("title", ""),
            "text": "\n".join(strip_trailing_boilerplate(html_blocks(markup or ""))),
            "url": entry.get("link"),
            "source": source,
            "published": _iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            "author": entry.get("author"),
            "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")] or None,
        }
        try:
            yield article_from_record({k: v for k, v in record.items() if v}, path, item=number)
        except InputError as exc:
            yield exc
