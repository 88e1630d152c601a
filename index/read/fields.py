"""Field mapping: where an archive keeps each article field, for JSON, JSON Lines and CSV records.

A mapping names, for an article field (``id``, ``title``, ``text``, ``url``, ``source``, ``published``)
or for a metadata field of your choosing, the path of the value in each record: a top-level key
(``headline``), or a dotted path into nested objects and lists (``meta.date``, ``conversations.1.value``).
Given on the command line (``--field title=headline``), in a small TOML file (``--fields FILE``, a
``[fields]`` table of ``name = "path"``), or in an API batch (``"fields": {...}``). Top-level keys a
mapping reads from are not repeated in the metadata; every other key stays there, as without a mapping.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

ARTICLE_FIELDS = ("id", "title", "text", "url", "source", "published")
_MISSING = object()


@dataclass(frozen=True)
class FieldMap:
    """Article and metadata field → the path of its value in a record."""

    paths: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, path in self.paths.items():
            if not name or not isinstance(path, str) or not path or any(not part for part in path.split(".")):
                raise InputError(None, f"field mapping '{name}={path}': give NAME=PATH, PATH a key or a dotted "
                                       "path such as meta.date or conversations.1.value", field=name or None)

    def __bool__(self) -> bool:
        return bool(self.paths)

    @classmethod
    def parse(cls, pairs: Iterable[str] = (), file: str | Path | None = None) -> FieldMap:
        """From ``NAME=PATH`` pairs and/or a TOML file; a pair overrides the file for the same name."""
        paths: dict[str, str] = {}
        if file is not None:
            paths.update(_from_toml(Path(file)))
        for pair in pairs:
            name, sep, path = pair.partition("=")
            if not sep:
                raise InputError(None, f"field mapping '{pair}': give NAME=PATH, e.g. text=body", field=pair)
            paths[name.strip().lower() if name.strip().lower() in ARTICLE_FIELDS else name.strip()] = path.strip()
        return cls(paths)

    def apply(self, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The record as the article reader knows it: mapped fields under their names, the unmapped
        top-level keys as they were; and the names of mapped fields the record lacks."""
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


def _from_toml(file: Path) -> dict[str, str]:
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(file, f"cannot read the field mapping: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(file, f"not a TOML field mapping ({exc}); write a [fields] table of name = \"path\"") from None
    table = document.get("fields", document)
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise InputError(file, 'expected a [fields] table of name = "path" lines')
    return dict(table)
