"""The service's guards: the token before the body, HEAD on readable URLs, Host names against DNS
rebinding, requests framed two ways, and a batch that repeats an id."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index import Embedder
from topics.guards import allowed_hosts
from topics.service import create_app

from .conftest import seeded

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    return seeded(tmp_path_factory.mktemp("guards") / "store", embedder)


@pytest.fixture(scope="module")
def client(store_path: Path, embedder: Embedder) -> TestClient:
    return TestClient(create_app(store_path, model=embedder, token=TOKEN))


def test_the_token_is_checked_before_the_body(client: TestClient):
    for content in (b"{not json", b'{"articles": "nope"}'):
        answer = client.post("/v1/articles", content=content, headers={"Content-Type": "application/json"})
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert client.post("/v1/articles", content=b"{not json", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}).status_code == 422
    assert client.post("/v1/similar", json={"text": "Taliban in Moscow"}).status_code == 200  # a read


def test_head_answers_on_get_routes(client: TestClient):
    answer = client.head("/v1/health")
    assert answer.status_code == 200 and answer.content == b""
    assert int(answer.headers["content-length"]) == len(client.get("/v1/health").content)
    assert client.head("/v1/articles/no-such-id").status_code == 404


def test_content_length_with_transfer_encoding_is_refused(client: TestClient):
    answer = client.post("/v1/similar", content=b'{"text": "x"}', headers={
        "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Content-Length": "13"})
    assert answer.status_code == 400 and "both Content-Length and Transfer-Encoding" in answer.json()["detail"]


def test_allowed_hosts(store_path: Path, embedder: Embedder):
    assert allowed_hosts("127.0.0.1", None) == ["localhost", "127.0.0.1", "::1", "[::1]"]
    assert allowed_hosts("0.0.0.0", None) == ["*"]
    assert allowed_hosts("0.0.0.0", "news.example, api.example") == ["news.example", "api.example"]
    guarded = TestClient(create_app(store_path, model=embedder, allowed_hosts=allowed_hosts("127.0.0.1", None)),
                         base_url="http://127.0.0.1:8000")
    assert guarded.get("/v1/health").status_code == 200
    assert guarded.get("/v1/health", headers={"Host": "localhost:8000"}).status_code == 200
    assert guarded.get("/v1/health", headers={"Host": "attacker.example"}).status_code == 400


def test_a_batch_that_repeats_an_id_keeps_the_last(tmp_path: Path, embedder: Embedder):
    app = create_app(tmp_path / "store", model=embedder)
    articles = [{"id": f"a{i}", "text": "An article about the fishing fleet staying in port again."}
                for i in range(300)]
    articles.append({"id": "a0", "text": "The second version of the first article, about the harbour storms."})
    answer = TestClient(app).post("/v1/articles", json={"articles": articles})  # past one planning group
    assert answer.status_code == 200 and answer.json()["added"] == 300
    assert [p["text"] for p in TestClient(app).get("/v1/articles/a0").json()["paragraphs"]] == [articles[-1]["text"]]
