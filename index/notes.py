"""Notes that say why a search found fewer hits than asked for, or none: quoted phrases that few
paragraphs hold, and filters that cannot match because the store lacks what they ask about (a metadata
field no article has, a date filter where no article is dated). A filter note names the fields that do
exist, so a misspelt or misremembered field is fixed at once rather than guessed at."""

from __future__ import annotations

from .catalog import Catalog, Filters
from .lexical import LexicalQuery

LISTED_FIELDS = 20  # fields a note names before it only counts the rest


def shortfall(query: LexicalQuery, found: int, by_article: bool, filtered: bool) -> str:
    """Says how many paragraphs (articles) contain the query's phrases, when fewer than asked for."""
    unit = "article" if by_article else "paragraph"
    phrases = " and ".join(f'"{" ".join(p)}"' for p in query.phrases)
    scope = " among the articles the filters allow" if filtered else ""
    if not found:
        return f"no {unit} contains {phrases}{scope}"
    return f"only {found} {unit}{'s' * (found != 1)} contain{'s' * (found == 1)} {phrases}{scope}"


def _fields(names: list[str]) -> str:
    """The stored metadata fields, as a note ends: the first ``LISTED_FIELDS`` named, the rest counted."""
    if not names:
        return "no article has metadata fields"
    more = f" and {len(names) - LISTED_FIELDS} more" if len(names) > LISTED_FIELDS else ""
    return "metadata fields: " + ", ".join(names[:LISTED_FIELDS]) + more


def filter_notes(catalog: Catalog, filters: Filters) -> list[str]:
    """Notes on ``where`` fields that no stored article has and on a date filter (``since``, ``until``)
    where no article has a publication date, the last naming the metadata fields that do exist; none
    when the filters can match. While the store has what a filter asks about, checking reads one row."""
    notes = []
    missing = [key for key in filters.fields if not catalog.has_field(key)]
    if missing:
        notes.append("no stored article has the metadata field " + " or ".join(f"'{key}'" for key in missing))
    used = [name for name in ("since", "until") if getattr(filters, name)]
    if used and not catalog.has_dates():
        notes.append(f"no stored article has a publication date (published), so {' and '.join(used)} "
                     f"match{'es' * (len(used) == 1)} no article")
    if notes:
        notes[-1] += f" ({_fields(catalog.metadata_fields())})"
    return notes
