"""Read articles from files and folders; the format is chosen by file extension.

Every reader yields :class:`~index.articles.Article` records, or :class:`~index.errors.InputError` for a
record it could not read, so the caller decides whether a bad record stops the run (the default) or
is counted and skipped.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..articles import Article
from ..errors import InputError
from .decode import check_not_binary, head, text_codec
from .feeds import read_feed
from .html import read_html
from .fields import FieldMap
from .records import read_csv, read_json, read_jsonl
from .text import read_markdown, read_text

log = logging.getLogger(__name__)

Reader = Callable[..., Iterable["Article | InputError"]]
# Readers of decoded text, and readers that take the raw bytes (their parsers honour declared charsets).
TEXT_READERS: dict[str, Reader] = {
    ".txt": read_text, ".text": read_text, ".md": read_markdown, ".markdown": read_markdown,
}
RECORD_READERS: dict[str, Reader] = {  # text readers of structured records, which take a field mapping
    ".jsonl": read_jsonl, ".ndjson": read_jsonl, ".json": read_json, ".csv": read_csv,
}
BYTES_READERS: dict[str, Reader] = {
    ".html": read_html, ".htm": read_html, ".xml": read_feed, ".rss": read_feed, ".atom": read_feed,
}
# A JSON Lines record ends at a line feed (a lone carriage return stays inside it); every file is read with
# its line breaks as written.
NEWLINES = {".jsonl": "\n", ".ndjson": "\n"}
SUPPORTED = tuple(sorted({*TEXT_READERS, *RECORD_READERS, *BYTES_READERS}))


@dataclass
class ReadResult:
    """What a read produced: the articles, the records skipped (with ``skip_bad``), and the entries of
    folders passed over with the reason (other file types, folders named like files, devices, links)."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)
    files: int = 0
    ignored: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ignored_files(self) -> int:
        return len(self.ignored)

    def ignored_summary(self, limit: int = 5) -> str:
        """The first ``limit`` entries passed over, with their reasons, for a message."""
        shown = "; ".join(f"{path} ({reason})" for path, reason in self.ignored[:limit])
        return shown + (f"; and {len(self.ignored) - limit} more" if len(self.ignored) > limit else "")


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a regular file to read, or ``None`` when it is one."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return "a broken or looping link" if path.is_symlink() else f"cannot read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a pipe or socket, not a file" if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else "a device, not a file"


def _files(path: Path, result: ReadResult) -> Iterator[Path]:
    """The file itself, or a folder's supported files in sorted order (hidden ones left out)."""
    if not path.exists() and not path.is_symlink():
        raise InputError(path, "no such file or folder")
    if not path.is_dir():
        reason = _not_a_file(path)
        if reason is not None:
            raise InputError(path, f"{reason}; pass text files or folders of them")
        if path.suffix.lower() not in SUPPORTED:
            raise InputError(path, f"unsupported format '{path.suffix or path.name}'; "
                                   f"supported: {', '.join(SUPPORTED)}")
        yield path
        return
    for child in sorted(path.rglob("*")):
        if any(part.startswith(".") for part in child.relative_to(path).parts):
            continue
        reason = _not_a_file(child)
        if reason == "a folder" and child.suffix.lower() not in SUPPORTED:
            continue  # an ordinary sub-folder, read through rglob
        if reason is None and child.suffix.lower() in SUPPORTED:
            yield child
        else:
            result.ignored.append((child, reason or f"unsupported type '{child.suffix or child.name}'"))


def read_file(path: Path, encoding: str | None = None, *, warn: bool = True,
              fields: FieldMap | None = None) -> Iterator[Article | InputError]:
    """Articles (or bad records) of one file; errors that spoil the whole file are raised. ``warn``
    logs what was read in a way that may not be meant (an encoding guessed); ``fields`` maps the fields
    of structured records. Records are read one at a time from a stream, so memory stays flat in the
    size of the file; a file that is one article (text, Markdown, HTML, a feed) is read whole."""
    suffix = path.suffix.lower()
    try:
        if suffix in BYTES_READERS:
            first = head(path)
            if encoding is None:
                check_not_binary(path, first)
            yield from BYTES_READERS[suffix](path, path.read_bytes(), encoding)
            return
        codec = text_codec(path, encoding, warn=warn)
        with path.open(encoding=codec, newline=NEWLINES.get(suffix, "")) as stream:
            if suffix in RECORD_READERS:
                yield from RECORD_READERS[suffix](path, stream, fields)
            else:
                yield from TEXT_READERS[suffix](path, stream.read())
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "changed while it was read; read it again") from None


def iter_articles(paths: Iterable[str | Path], *, skip_bad: bool = False, encoding: str | None = None,
                  result: ReadResult | None = None, warn: bool = True,
                  fields: FieldMap | None = None) -> Iterator[Article]:
    """Yield every article under ``paths``, one file at a time, so a corpus of any size streams.

    With ``skip_bad=False`` the first bad file or record raises :class:`InputError`. With ``skip_bad=True``
    bad files and records are passed over and counted in ``result.skipped``. ``warn`` logs one line per
    file with bad records (their count and the first), and articles with a title but no body.
    """
    result = result if result is not None else ReadResult()
    for root in paths:
        for path in _files(Path(root), result):
            result.files += 1
            bad: list[InputError] = []
            found = 0
            try:
                for item in read_file(path, encoding, warn=warn, fields=fields):
                    if isinstance(item, Article):
                        if warn and item.title and not item.text:
                            log.warning("%s: '%s' has a title but no body text; only the title is stored",
                                        path, item.title[:60])
                        found += 1
                        yield item
                        continue
                    if not skip_bad:
                        raise item
                    bad.append(item)
            except InputError as exc:  # the file as a whole is unreadable
                if not skip_bad:
                    raise
                bad.append(exc)
            result.skipped += bad
            if not found and not bad:
                result.ignored.append((path, "holds no article: an empty list or only blank records"))
            if bad and warn:
                _warn_skipped(path, bad)


def _warn_skipped(path: Path, bad: list[InputError]) -> None:
    if len(bad) == 1:
        log.warning("skipped %s", bad[0])
    else:
        log.warning("skipped %d bad records of %s (the first: %s)", len(bad), path, bad[0])


def read_paths(paths: Iterable[str | Path], *, skip_bad: bool = False, encoding: str | None = None,
               fields: FieldMap | None = None) -> ReadResult:
    """Read every article under ``paths`` into memory (see :func:`iter_articles`)."""
    result = ReadResult()
    result.articles = list(iter_articles(paths, skip_bad=skip_bad, encoding=encoding, result=result,
                                         fields=fields))
    return result
