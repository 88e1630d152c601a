"""Topics: the list, one topic's paragraphs, and refitting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from ...api import topic_listing, topic_page
from ...changes import changes
from ...fit import refit
from ...model import TopicNotFound
from ..schemas import MAX_K, TopicOut, TopicsOut
from ..state import Service, service, write_access

router = APIRouter(prefix="/v1/topics", tags=["topics"])
State = Annotated[Service, Depends(service)]


@router.get("", response_model=TopicsOut)
def list_topics(state: State) -> dict[str, Any]:
    return topic_listing(state.reader(), state.model()).to_dict()


@router.get("/changes")
def topic_changes(state: State, since: Annotated[int | None, Query(description="compare with this fit "
                                                                   "(default: the one before the latest)")] = None
                  ) -> dict[str, Any]:
    """New, grown, shrunk, merged, split and vanished topics, with examples; emerging topics."""
    if since is None:
        return state.per_fit("changes", lambda reader, model: changes(reader, model).to_dict())
    return changes(state.reader(), state.model(), since).to_dict()


@router.get("/{topic_id}", response_model=TopicOut)
def get_topic(topic_id: int, state: State, offset: Annotated[int, Query(ge=0)] = 0,
              limit: Annotated[int, Query(ge=1, le=MAX_K)] = 20) -> dict[str, Any]:
    try:
        return topic_page(state.reader(), state.model(), topic_id, offset, limit).to_dict()
    except TopicNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/refresh", response_model=TopicsOut, dependencies=[Depends(write_access)])
def refresh(state: State, fresh: Annotated[bool, Query(description="from scratch, not from the last fit")] = False
            ) -> dict[str, Any]:
    with state.write_lock:
        model = refit(state.store, fresh=fresh)
    return topic_listing(state.reader(), model).to_dict()
