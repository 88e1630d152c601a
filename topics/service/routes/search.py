"""Search and similar articles."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError

from index import Article, Filters, Mode, search, similar

from ..schemas import MAX_K, HitOut, SimilarIn, SimilarOut
from ..state import Service, service

router = APIRouter(prefix="/v1", tags=["search"])
State = Annotated[Service, Depends(service)]
NOTE_HEADER = "X-Search-Note"
_NOTE = {"description": "when a quoted phrase leaves fewer than k hits, how many paragraphs (articles, with "
                        "group) contain it, e.g. 'only 1 paragraph contains \"hot line\"'; when a where field "
                        "or a date filter asks for what no stored article has, which, and the metadata fields "
                        "there are; notes joined by '; ', non-ASCII characters UTF-8 percent-encoded",
         "schema": {"type": "string"}}


def header_value(text: str) -> str:
    """``text`` as an HTTP header value: printable ASCII as it is, anything else (and ``%``) percent-encoded."""
    return "".join(c if " " <= c <= "~" and c != "%" else quote(c) for c in text)


@router.get("/search", response_model=list[HitOut], responses={200: {"headers": {NOTE_HEADER: _NOTE}}})
def find(state: State, response: Response,
         q: Annotated[str, Query(min_length=1, max_length=2000, description="the query, in plain words")],
         k: Annotated[int, Query(ge=1, le=MAX_K)] = 10, source: str | None = None,
         since: str | None = None, until: str | None = None,
         group: Annotated[bool, Query(description="one hit per article")] = False,
         where: Annotated[list[str] | None, Query(description="KEY=VALUE or KEY!=VALUE on article metadata; "
                                                              "repeat for more, all must hold")] = None,
         mode: Annotated[Mode, Query(description="hybrid: meaning and words; dense: meaning only; "
                                                 "lexical: words only (BM25)")] = "hybrid",
         show_all: Annotated[bool, Query(alias="all", description="copies and edited versions of a higher "
                                                                  "hit's article as hits of their own (by "
                                                                  "default listed in its also_in)")] = False,
         ) -> list[dict[str, Any]]:
    hits = search(state.reader(), q, k, Filters(source, since, until, tuple(where or ())), by_article=group, mode=mode,
                  fold=not show_all)
    if hits.note:
        response.headers[NOTE_HEADER] = header_value(hits.note)
    return [hit.to_dict() for hit in hits]


@router.post("/similar", response_model=list[SimilarOut])
def find_similar(request: SimilarIn, state: State) -> list[dict[str, Any]]:
    if bool(request.article_id) == bool(request.text):
        raise RequestValidationError([{"loc": ["body", "article_id"], "type": "value_error",
                                       "msg": "give exactly one of article_id or text"}])
    ref = request.article_id or Article(title=request.title or "", text=request.text or "")
    filters = Filters(where=tuple(request.where or ()))
    return [result.to_dict() for result in similar(state.reader(), ref, request.k, filters)]
