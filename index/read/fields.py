"""Field mapping: where an archive keeps each article field, for JSON, JSON Lines and CSV records.

A mapping names, for an article field (``id``, ``title``, ``text``, ``url``, ``source``, ``published``)
or for a metadata field of your choosing, the path of the value in each record: a top-level key
(``headline``), or a dotted path into nested objects and lists (``meta.date``, ``conversations.1.value``).
Given on the command line (``--field title=headline``), in a small TOML file (``--fields FILE``, a
``[fields]`` table of ``name = "path"``), or in an API batch (``"fields": {...}``). Top-level keys a
mapping reads from are not repeated in the metadata; every other key stays there, as without a mapping.

A record that is a row of values (a line of a CSV file without a header row, a JSON array) is read by
column number, counted from 0 (``text=2``); its columns no mapping reads are kept under their numbers.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..wording import counted

ARTICLE_FIELDS = ("id", "title", "text", "url", "source", "published")
_MISSING = object()


@dataclass(frozen=True)
class FieldMap:
    """Article and metadata field → the path of its value in a record."""

    paths: dict[str, str] = field(default_factory=dict)
    header: bool = True  # whether a CSV file's first line names its columns; without one, paths are numbers

    def __post_init__(self) -> None:
        for name, path in self.paths.items():
            if not name or not isinstance(path, str) or not path or any(not part for part in path.split(".")):
                raise InputError(None, f"field mapping '{name}={path}': give NAME=PATH, PATH a key or a dotted "
                                       "path such as meta.date or conversations.1.value", field=name or None)
            if not self.header and not path.isdigit():
                raise InputError(None, f"field mapping '{name}={path}': without a header row, give a column "
                                       "number counted from 0, e.g. text=2", field=name)
        if not self.header and not {"text", "title"} & set(self.paths):
            raise InputError(None, "without a header row, say which column holds the text: text=N (or title=N), "
                                   "columns counted from 0", field="text")

    def __bool__(self) -> bool:
        return bool(self.paths)

    @classmethod
    def parse(cls, pairs: Iterable[str] = (), file: str | Path | None = None,
              header: bool | None = None) -> FieldMap:
        """From ``NAME=PATH`` pairs and/or a TOML file; a pair overrides the file for the same name, and
        ``header``, when given, what the file says of a header row."""
        paths: dict[str, str] = {}
        file_header = None
        if file is not None:
            table, file_header = _from_toml(Path(file))
            paths.update(table)
        for pair in pairs:
            name, sep, path = pair.partition("=")
            if not sep:
                raise InputError(None, f"field mapping '{pair}': give NAME=PATH, e.g. text=body", field=pair)
            paths[name.strip().lower() if name.strip().lower() in ARTICLE_FIELDS else name.strip()] = path.strip()
        chosen = header if header is not None else file_header
        return cls(paths, header=chosen if chosen is not None else True)

    def out_of_range(self, row: Sequence[Any]) -> tuple[str, str] | None:
        """For a row of values: the first mapped field whose column the row lacks, and why; else ``None``."""
        for name, path in self.paths.items():
            column = path.split(".", 1)[0]
            if column.isdigit() and int(column) >= len(row):
                numbers = "column 0" if len(row) == 1 else f"0 to {len(row) - 1}"
                return name, (f"column {column} is out of range: the row has {counted(len(row), 'column')} "
                              f"({numbers}); columns are counted from 0")
        return None

    def apply(self, record: Mapping[str, Any] | Sequence[Any]) -> tuple[dict[str, Any], list[str]]:
        """The record as the article reader knows it: mapped fields under their names, the unmapped
        top-level keys (a row's columns, under their numbers) as they were; and the names of mapped
        fields the record lacks."""
        if not isinstance(record, Mapping):
            record = {str(column): value for column, value in enumerate(record)}
        used = {path.split(".", 1)[0] for path in self.paths.values()}
        out = {k: v for k, v in record.items() if k not in used}
        missing = []
        for name, path in self.paths.items():
            value = _at(record, path)
            if value is _MISSING:
                missing.append(name)
            else:
                out[name] = value
        return out, missing


def _at(record: Any, path: str) -> Any:
    """The value at a dotted path (list items by their index), or ``_MISSING``."""
    value = record
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _from_toml(file: Path) -> tuple[dict[str, str], bool | None]:
    """The ``[fields]`` table (column numbers may be written as numbers) and a top-level ``header``."""
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(file, f"cannot read the field mapping: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(file, f"not a TOML field mapping ({exc}); write a [fields] table of name = \"path\"") from None
    header = document.pop("header", None)
    if header is not None and not isinstance(header, bool):
        raise InputError(file, f"header = {header!r}: write header = false for a CSV file without a header row",
                         field="header")
    table = document.get("fields", document)
    if isinstance(table, dict) and isinstance(table.get("header"), bool):  # written under [fields]
        header = table.pop("header")
    if not isinstance(table, dict) or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                              for v in table.values()):
        raise InputError(file, 'expected a [fields] table of name = "path" lines (or name = N, a column number)')
    return {name: str(value) for name, value in table.items()}, header
