"""Adding, reading and deleting articles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.exceptions import RequestValidationError

from index import Article, FieldMap, InputError, QueryError, article_from_record

from ...api import article_view
from ..schemas import ArticleOut, ArticlesIn, Deleted, IngestResult
from ..state import Service, service, write_access

router = APIRouter(prefix="/v1/articles", tags=["articles"])
State = Annotated[Service, Depends(service)]


def _articles(batch: ArticlesIn) -> list[Article]:
    """The batch as articles, or one 422 naming every bad item and field."""
    articles, errors = [], []
    try:
        fields = FieldMap(batch.fields or {})
    except InputError as exc:
        raise RequestValidationError([{"loc": ["body", "fields"], "msg": exc.reason, "type": "value_error"}]) from None
    for number, item in enumerate(batch.articles):
        try:
            record = item if isinstance(item, list) else item.model_dump(exclude_none=True)
            articles.append(article_from_record(record, None, fields=fields))
        except InputError as exc:
            errors.append({"loc": ["body", "articles", number, exc.field or "text"], "msg": exc.reason,
                           "type": "value_error"})
    if errors:
        raise RequestValidationError(errors)
    return articles


@router.post("", response_model=IngestResult, dependencies=[Depends(write_access)])
def ingest(batch: ArticlesIn, state: State) -> IngestResult:
    if len(batch.articles) > state.max_batch:
        raise HTTPException(413, f"{len(batch.articles)} articles in one request; send at most {state.max_batch}")
    articles = _articles(batch)
    with state.write_lock:
        report = state.store.add(articles, progress=False)
    return IngestResult(ids=[a.key for a in articles], added=report.added, updated=report.updated,
                        unchanged=report.unchanged, paragraphs_embedded=report.paragraphs_embedded)


@router.get("/{article_id:path}", response_model=ArticleOut)
def get_article(article_id: str, state: State) -> dict[str, Any]:
    try:
        return article_view(state.reader(), state.model_or_none(), article_id).to_dict()
    except QueryError:
        raise HTTPException(404, f"no article with id '{article_id}'") from None


@router.delete("/{article_id:path}", response_model=Deleted, dependencies=[Depends(write_access)])
def delete_article(article_id: str, state: State) -> Deleted:
    with state.write_lock:
        if not state.store.delete([article_id]):
            raise HTTPException(404, f"no article with id '{article_id}'")
    return Deleted(deleted=article_id)
