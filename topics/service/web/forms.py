"""The search form as the page reads it from its query string: the parameters of ``GET /v1/search``
(``q``, ``mode``, ``source``, ``since``, ``until``, ``where``, ``group``, ``all``, ``k``), checked here so a bad
value becomes a message beside its field rather than a JSON error."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import QueryParams

from index import MODES, Filters, QueryError

from ..schemas import MAX_K

MAX_QUERY = 2000
RESULTS = (10, 20, 50)
LABELS = {"q": "Search", "mode": "Mode", "since": "Published from", "until": "Published to", "where": "Metadata",
          "group": "By article", "all": "Copies apart", "k": "Results"}
_TRUE, _FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no", "")


@dataclass(frozen=True)
class SearchForm:
    """What the search form asked for, and what is wrong with it, by field (empty when nothing)."""

    q: str = ""
    mode: str = "hybrid"
    source: str = ""
    since: str = ""
    until: str = ""
    where: tuple[str, ...] = ()
    group: bool = False
    k: int = RESULTS[0]
    errors: dict[str, str] = field(default_factory=dict)
    filters: Filters | None = Filters()
    apart: bool = False  # ``all``: copies and edited versions of a higher hit's article as hits of their own

    @classmethod
    def parse(cls, params: QueryParams) -> SearchForm:
        """The form from a query string; a field that cannot be read keeps its default and gets an error."""
        errors: dict[str, str] = {}
        text = {name: params.get(name, "").strip()
                for name in ("q", "mode", "source", "since", "until", "group", "all", "k")}
        if len(text["q"]) > MAX_QUERY:
            errors["q"] = f"the query is {len(text['q']):,} characters long; use at most {MAX_QUERY:,}"
        mode = text["mode"] or "hybrid"
        if mode not in MODES:
            errors["mode"] = f"'{mode}' is not a mode; use one of {', '.join(MODES)}"
            mode = "hybrid"
        group, apart = text["group"].lower(), text["all"].lower()
        for name in ("group", "all"):
            if text[name].lower() not in _TRUE + _FALSE:
                errors[name] = f"'{text[name]}' is neither true nor false"
        k = RESULTS[0]
        if text["k"]:
            try:
                k = int(text["k"])
            except ValueError:
                k = 0
            if not 1 <= k <= MAX_K:
                errors["k"] = f"'{text['k']}' is not a number of results from 1 to {MAX_K}"
                k = RESULTS[0]
        where = tuple(w.strip() for w in params.getlist("where") if w.strip())
        filters = _filters(text["source"], text["since"], text["until"], where, errors)
        return cls(text["q"][:MAX_QUERY], mode, text["source"], text["since"], text["until"], where,
                   group in _TRUE, k, errors, filters, apart in _TRUE)

    @property
    def filtered(self) -> bool:
        """Whether any filter is set, so the page opens its filters panel."""
        return bool(self.source or self.since or self.until or self.where
                    or self.errors.keys() & {"since", "until", "where"})

    def messages(self) -> list[str]:
        """Each error as a sentence naming its field as the page labels it."""
        return [f"{LABELS.get(name, 'Filters')}: {reason}" for name, reason in self.errors.items()]


def _filters(source: str, since: str, until: str, where: tuple[str, ...], errors: dict[str, str]) -> Filters | None:
    """The filters asked for, checked by :class:`index.Filters` itself; ``None`` when one is bad, its
    reason then recorded under its field (the library's messages start with the parameter's name)."""
    try:
        return Filters(source or None, since or None, until or None, where)
    except QueryError as exc:
        name, _, reason = str(exc).partition(": ")
        if name in LABELS:
            errors[name] = reason
        else:
            errors["filters"] = str(exc)
        return None
