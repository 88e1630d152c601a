"""Topics: the list, one topic's paragraphs, and refitting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from ...api import merge_topics, reset, split_topic, topic_listing, topic_page
from ...changes import changes
from ...fit import refit
from ...model import TopicNotFound
from ...named import entries
from ..schemas import MAX_K, MergeIn, RefreshIn, ReshapedOut, SplitIn, TopicOut, TopicsOut
from ..state import PREPARING, Service, service, write_access

router = APIRouter(prefix="/v1/topics", tags=["topics"])
State = Annotated[Service, Depends(service)]


@router.get("", response_model=TopicsOut)
def list_topics(state: State) -> dict[str, Any]:
    return topic_listing(state.reader(), state.model()).to_dict()


@router.get("/changes", responses=PREPARING)
def topic_changes(state: State, since: Annotated[int | None, Query(description="compare with this fit "
                                                                   "(default: the one before the latest)")] = None
                  ) -> dict[str, Any]:
    """New, grown, shrunk, merged, split and vanished topics, with examples; emerging topics."""
    if since is None:
        return state.overview().changes.to_dict()
    return changes(state.reader(), state.model(), since).to_dict()


@router.post("/merge", response_model=ReshapedOut, dependencies=[Depends(write_access)])
def merge(body: MergeIn, state: State) -> dict[str, Any]:
    """Make two or more themes (or stories of one theme) one, keeping the first id: a decision kept and
    made again after every refit (``topics merge``)."""
    with state.write_lock, _found():
        return merge_topics(state.store, body.ids, body.label).to_dict()


@router.post("/decisions/reset", response_model=ReshapedOut, dependencies=[Depends(write_access)])
def reset_decisions(state: State, kind: Annotated[str, Query(pattern="^(merges|splits|all)$",
                                                           description="what to undo")] = "all") -> dict[str, Any]:
    """Undo the merges, the splits or both made by hand (``topics merge --reset``, ``topics split --reset``)."""
    with state.write_lock:
        return reset(state.store, kind).to_dict()


@router.post("/{topic_id}/split", response_model=ReshapedOut, dependencies=[Depends(write_access)])
def split(topic_id: int, state: State, body: SplitIn | None = None) -> dict[str, Any]:
    """Cut a theme into its stories, or a theme or story into ``into`` parts by the merge tree: a
    decision kept and made again after every refit (``topics split``)."""
    with state.write_lock, _found():
        return split_topic(state.store, topic_id, (body or SplitIn()).into).to_dict()


@contextmanager
def _found() -> Iterator[None]:
    """A topic id that is not there answers 404, naming the ids there are."""
    try:
        yield
    except TopicNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/{topic_id}", response_model=TopicOut)
def get_topic(topic_id: int, state: State, offset: Annotated[int, Query(ge=0)] = 0,
              limit: Annotated[int, Query(ge=1, le=MAX_K)] = 20) -> dict[str, Any]:
    try:
        return topic_page(state.reader(), state.model(), topic_id, offset, limit).to_dict()
    except TopicNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/refresh", response_model=TopicsOut, dependencies=[Depends(write_access)])
def refresh(state: State, fresh: Annotated[bool, Query(description="from scratch, not from the last fit")] = False,
            body: RefreshIn | None = None) -> dict[str, Any]:
    """Fit the topics again with the parameters of the fit in force; a body may change its named topics."""
    body = body or RefreshIn()
    named = None if body.named is None else entries(body.named, "named")
    with state.write_lock:
        model = refit(state.store, fresh=fresh, named=named, named_threshold=body.named_threshold)
    return topic_listing(state.reader(), model).to_dict()
