"""Read articles from files and folders; the format is chosen by file extension.

Every reader yields :class:`~index.articles.Article` records, or :class:`~index.errors.InputError` for a
record it could not read, so the caller decides whether a bad record stops the run (the default) or
is counted and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..articles import Article
from ..errors import InputError
from .decode import check_not_binary, decode
from .feeds import read_feed
from .html import read_html
from .records import read_csv, read_json, read_jsonl
from .text import read_markdown, read_text

log = logging.getLogger(__name__)

Reader = Callable[..., Iterable["Article | InputError"]]
# Readers of decoded text, and readers that take the raw bytes (their parsers honour declared charsets).
TEXT_READERS: dict[str, Reader] = {
    ".txt": read_text, ".text": read_text, ".md": read_markdown, ".markdown": read_markdown,
    ".jsonl": read_jsonl, ".ndjson": read_jsonl, ".json": read_json, ".csv": read_csv,
}
BYTES_READERS: dict[str, Reader] = {
    ".html": read_html, ".htm": read_html, ".xml": read_feed, ".rss": read_feed, ".atom": read_feed,
}
SUPPORTED = tuple(sorted({*TEXT_READERS, *BYTES_READERS}))


@dataclass
class ReadResult:
    """What a read produced: the articles, the records skipped (with ``skip_bad``) and counts."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)
    files: int = 0
    ignored_files: int = 0


def _files(path: Path, result: ReadResult) -> Iterator[Path]:
    """The file itself, or a folder's supported files in sorted order (hidden ones left out)."""
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED:
            raise InputError(path, f"unsupported format '{path.suffix or path.name}'; "
                                   f"supported: {', '.join(SUPPORTED)}")
        yield path
        return
    for child in sorted(path.rglob("*")):
        if any(part.startswith(".") for part in child.relative_to(path).parts) or not child.is_file():
            continue
        if child.suffix.lower() in SUPPORTED:
            yield child
        else:
            result.ignored_files += 1


def read_file(path: Path, encoding: str | None = None) -> Iterator[Article | InputError]:
    """Articles (or bad records) of one file; errors that spoil the whole file are raised."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    if not data.strip():
        raise InputError(path, "file is empty")
    suffix = path.suffix.lower()
    if suffix in BYTES_READERS:
        if encoding is None:
            check_not_binary(path, data)
        yield from BYTES_READERS[suffix](path, data, encoding)
    else:
        yield from TEXT_READERS[suffix](path, decode(path, data, encoding))


def iter_articles(paths: Iterable[str | Path], *, skip_bad: bool = False, encoding: str | None = None,
                  result: ReadResult | None = None, warn: bool = True) -> Iterator[Article]:
    """Yield every article under ``paths``, one file at a time, so a corpus of any size streams.

    With ``skip_bad=False`` the first bad file or record raises :class:`InputError`. With ``skip_bad=True``
    bad files and records are passed over, counted in ``result.skipped`` and (``warn``) logged.
    """
    result = result if result is not None else ReadResult()
    for root in paths:
        for path in _files(Path(root), result):
            result.files += 1
            try:
                for item in read_file(path, encoding):
                    if isinstance(item, Article):
                        yield item
                        continue
                    _skip(item, skip_bad, warn, result)
            except InputError as exc:  # the file as a whole is unreadable
                _skip(exc, skip_bad, warn, result)


def _skip(error: InputError, skip_bad: bool, warn: bool, result: ReadResult) -> None:
    if not skip_bad:
        raise error
    if warn:
        log.warning("skipped %s", error)
    result.skipped.append(error)


def read_paths(paths: Iterable[str | Path], *, skip_bad: bool = False,
               encoding: str | None = None) -> ReadResult:
    """Read every article under ``paths`` into memory (see :func:`iter_articles`)."""
    result = ReadResult()
    result.articles = list(iter_articles(paths, skip_bad=skip_bad, encoding=encoding, result=result))
    return result
