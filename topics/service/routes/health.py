"""Liveness and store statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from index import StoreStats

from ... import __version__
from ..schemas import Health
from ..state import Service, service

router = APIRouter(prefix="/v1", tags=["health"])
State = Annotated[Service, Depends(service)]


@router.get("/health", response_model=Health)
def health(state: State) -> Health:
    reader = state.reader()
    return Health(status="ok", version=__version__, articles=reader.article_count(),
                  generation=reader.snapshot().generation)


@router.get("/stats", response_model=StoreStats)
def stats(state: State) -> StoreStats:
    return state.reader().stats()
