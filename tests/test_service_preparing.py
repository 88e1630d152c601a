"""What costs seconds on an archive is prepared once per fit and store generation by background workers
(the exports and the report in a process aside): a request past the service's patience is told, at once,
that it is being prepared (503 with Retry-After, and a page that says so), then gets the answer; a write
makes the next ask prepare it again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from index import Article, Embedder, Store, read_paths
from topics.api import export
from topics.fit import fit_topics
from topics.model import TopicModel
from topics.service import create_app
from topics.service.preparing import Prepared, Preparing

from .conftest import SEEDS

NEWS = [Article(id=f"n{i}", title=f"Harbour report {i}", published=f"2024-03-{i + 1:02d}",
                text=f"Storms closed the harbour for the {i}th time this winter, and the fleet stayed in port.")
        for i in range(6)]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = tmp_path_factory.mktemp("preparing") / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles + NEWS)
        fit_topics(store)
    return path


def _until_ready(client: TestClient, url: str, seconds: float = 60) -> Response:
    """Ask again, as Retry-After says, until the answer is there (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(url)
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answer
        time.sleep(min(int(answer.headers["retry-after"]), 0.2))


def test_an_export_asked_while_it_is_built_is_answered_at_once_then_given(store_path: Path, embedder: Embedder,
                                                                          tmp_path: Path):
    client = TestClient(create_app(store_path, model=embedder, patience=0))
    first = client.get("/v1/export/articles")
    assert first.status_code == 503 and int(first.headers["retry-after"]) >= 1
    assert first.json()["detail"].startswith("the articles export (csv) is being prepared; ask again in about")
    ready = _until_ready(client, "/v1/export/articles")
    with Store.open(store_path) as store:
        export(store, TopicModel.load(store_path), "articles", tmp_path / "a.csv")
    assert ready.status_code == 200 and ready.content == (tmp_path / "a.csv").read_bytes()
    assert ready.headers["content-disposition"] == 'attachment; filename="articles.csv"'
    assert client.get("/v1/export/articles").status_code == 200  # kept: no second build


def test_the_topics_page_says_it_is_being_prepared_and_a_write_prepares_it_again(store_path: Path,
                                                                                  embedder: Embedder):
    client = TestClient(create_app(store_path, model=embedder, patience=0))
    ready = _until_ready(client, "/topics")  # the service began preparing it when it started
    assert ready.status_code == 200 and "<h1>Topics</h1>" in ready.text and "Being prepared" not in ready.text
    assert _until_ready(client, "/v1/topics/changes").status_code == 200  # from the same overview
    extra = {"id": "n9", "title": "Harbour report 9", "published": "2024-03-20",
             "text": "The harbour reopened once the storms had passed, and the fleet went back out."}
    assert client.post("/v1/articles", json={"articles": [extra]}).status_code == 200
    waiting = client.get("/topics")
    assert waiting.status_code == 503 and waiting.headers["refresh"] == waiting.headers["retry-after"]
    assert "The topics overview is being prepared for this archive" in waiting.text
    assert _until_ready(client, "/topics").status_code == 200
    assert client.delete("/v1/articles/n9").status_code == 200


def test_a_service_without_patience_waits_for_every_answer(store_path: Path, embedder: Embedder):
    client = TestClient(create_app(store_path, model=embedder))
    for url in ("/topics", "/v1/report", "/v1/report.md", "/v1/export/topics", "/v1/topics/changes"):
        assert client.get(url).status_code == 200, url


def test_the_worker_builds_once_per_key_and_hands_errors_on():
    prepared = Prepared(patience=None)
    built: list[str] = []

    def build(value: str) -> str:
        built.append(value)
        return value

    assert prepared.get("x", 1, lambda: build("one"), "x") == "one"
    assert prepared.get("x", 1, lambda: build("again"), "x") == "one" and built == ["one"]
    assert prepared.get("x", 2, lambda: build("two"), "x") == "two"

    def fail() -> str:
        raise ValueError("no such thing")
    with pytest.raises(ValueError, match="no such thing"):
        prepared.get("y", 1, fail, "y")
    assert prepared.get("y", 1, lambda: "mended", "y") == "mended"  # the failure is not kept
    # a build asking for another value builds it there, not behind itself in the queue
    assert prepared.get("outer", 1, lambda: prepared.get("inner", 1, lambda: "in", "inner") + "+out", "o") == "in+out"


def test_past_its_patience_a_request_is_told_and_a_stale_build_is_never_run():
    prepared = Prepared(patience=0.05)
    release = threading.Event()
    built: list[int] = []
    with pytest.raises(Preparing) as told:
        prepared.get("slow", 1, lambda: release.wait(30), "the slow answer")
    assert str(told.value) == f"the slow answer is being prepared; ask again in about {told.value.retry_after} s"
    with pytest.raises(Preparing):
        prepared.get("next", 1, lambda: built.append(1), "next")  # queued behind the slow one
    with pytest.raises(Preparing):
        prepared.get("next", 2, lambda: built.append(2), "next")  # a newer generation replaces it
    release.set()
    deadline = time.monotonic() + 30
    while not built and time.monotonic() < deadline:
        time.sleep(0.01)
    assert prepared.get("next", 2, lambda: built.append(3), "next") is None and built == [2]


def test_a_build_that_will_plainly_take_longer_is_told_at_once_and_a_quick_one_waited_for():
    prepared = Prepared(patience=2.0)
    release = threading.Event()
    begin = time.monotonic()
    with pytest.raises(Preparing):  # never timed: taken to need FIRST_GUESS_S, past the patience
        prepared.get("slow", 1, lambda: release.wait(30), "the slow answer")
    assert time.monotonic() - begin < 1.0  # no request thread held for the patience
    release.set()
    assert _eventually(lambda: prepared.get("slow", 1, lambda: None, "the slow answer"))
    assert prepared.get("slow", 2, lambda: "quick", "the slow answer") == "quick"  # timed quick: waited for


def _eventually(ask: Callable[[], Any], seconds: float = 30) -> Any:
    """``ask()`` again while it is being prepared (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return ask()
        except Preparing:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def test_a_build_in_the_lane_aside_holds_up_none_here():
    prepared = Prepared(patience=0)
    release = threading.Event()
    with pytest.raises(Preparing):
        prepared.get("export", 1, lambda: release.wait(30), "the export", "aside")
    assert _eventually(lambda: prepared.get("page", 1, lambda: "page", "the page")) == "page"
    assert not release.is_set()  # built while the export still waited
    release.set()


def test_the_report_built_in_a_process_aside_is_the_report_built_here(store_path: Path, embedder: Embedder):
    aside = TestClient(create_app(store_path, model=embedder, patience=0))
    here = TestClient(create_app(store_path, model=embedder))
    for url in ("/v1/report.json", "/v1/report.md", "/v1/report"):
        ready = _until_ready(aside, url)
        assert ready.status_code == 200 and ready.content == here.get(url).content, url
