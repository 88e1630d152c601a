"""The Article record every reader produces, and the rules that give it a stable identity."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

_SPACE = re.compile(r"\s+")
# Invisible characters that join nothing: byte-order marks past the first (a file's own is read by the
# decoder), zero-width spaces and word joiners. Left in, a file of nothing else is a title of thousands
# of characters no one can see.
INVISIBLE = re.compile("[\ufeff\u200b\u2060]+")


def tidy_text(text: str) -> str:
    """Text as written, with its white space tidied: one space between words, no outer space, no
    invisible characters. What is stored, shown and embedded."""
    return _SPACE.sub(" ", INVISIBLE.sub("", text)).strip()


def normalize_text(text: str) -> str:
    """Canonical form used for identity and hashing only: NFKC, one space between words, no outer space.

    Two paragraphs that differ only in Unicode form or spacing are the same paragraph; what is stored
    and shown is the text as written (:func:`tidy_text`), so "…" stays "…" and "2 ½" stays "2 ½".
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def content_hash(*parts: str) -> str:
    """Hex SHA-256 of the normalised parts, separated so ("ab", "c") differs from ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(normalize_text(part).encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def parse_date(value: str) -> str:
    """Parse ISO-8601 or RFC 2822 (feeds, e-mail) into a sortable ISO string.

    Aware times are converted to UTC and stored without offset so that string order is time order.
    Raises ``ValueError`` with the accepted forms when the value is neither.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            raise ValueError(
                f"'{value}' is not a date; use ISO-8601 such as 2024-05-31 or 2024-05-31T14:05:00Z"
            ) from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(f"'{value}' is out of the range of dates") from None
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Article:
    """One news article as read from a file, feed or API batch.

    Parameters
    ----------
    title:
        Headline; may be empty when the source has none.
    text:
        Body text; paragraphs are separated by line breaks.
    id:
        Identifier given by the source. When absent the url, else a hash of title and text, is used.
    url, source:
        Where the article lives and who published it.
    published:
        Publication time, ISO-8601 or RFC 2822; normalised by :func:`parse_date`.
    path:
        File the article was read from.
    whole_file:
        True when the file holds this article alone, so a later version of the same file replaces it
        even though its content-derived id changed.
    metadata:
        Any further fields of the source record, kept verbatim.
    """

    title: str
    text: str
    id: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None
    path: str | None = None
    whole_file: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.published is not None:
            object.__setattr__(self, "published", parse_date(self.published))

    @cached_property
    def key(self) -> str:
        """The stable id: given id, else url, else a hash of title and text (computed once: hashing a
        long article is the costly part of reading it)."""
        if self.id:
            return self.id
        if self.url:
            return self.url
        return content_hash(self.title, self.text)[:16]
