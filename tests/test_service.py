"""The HTTP service: every endpoint in-process and through a real uvicorn process, auth, limits, bad
input, and searches that keep answering while another client writes."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from index import Article, Embedder, Store, read_paths
from topics.fit import fit_topics
from topics.service import create_app

from .browser import chromium_page, needs_chromium, serving, watch
from .conftest import SEEDS

TOKEN = "s3cret-token"
NEWS = [{"id": f"n{i}", "title": f"Harbour report {i}", "source": "Wire", "published": f"2024-03-{i + 1:02d}",
         "text": f"Storms closed the harbour for the {i}th time this winter, and the fishing fleet stayed in port."}
        for i in range(6)]


@pytest.fixture()
def store_path(tmp_path: Path, embedder: Embedder) -> Path:
    store = Store.open(tmp_path / "store", model=embedder, create=True)
    store.add(read_paths([SEEDS]).articles)
    store.add([Article(**{k: v for k, v in n.items()}) for n in NEWS])
    fit_topics(store)
    store.close()
    return tmp_path / "store"


@pytest.fixture()
def client(store_path: Path, embedder: Embedder) -> TestClient:
    return TestClient(create_app(store_path, model=embedder, max_body_bytes=20_000, max_batch=3))


def test_read_endpoints(client: TestClient):
    assert client.get("/v1/health").json()["articles"] == 7
    assert client.get("/v1/stats").json()["vectors"] > 10
    hits = client.get("/v1/search", params={"q": "Islamic State spreading toward Central Asia", "k": 3}).json()
    assert len(hits) == 3 and "ISIS" in hits[0]["text"]
    wire = client.get("/v1/search", params={"q": "Taliban", "k": 4, "source": "wire", "since": "2024-03-02",
                                            "group": True}).json()
    assert len(wire) == 4 and {h["source"] for h in wire} == {"Wire"} and len({h["article_id"] for h in wire}) == 4
    for mode in ("dense", "lexical", "hybrid"):
        found = client.get("/v1/search", params={"q": '"Harbour report 1"', "k": 5, "mode": mode}).json()
        assert [h["article_id"] for h in found] == ["n1"], mode
        assert [found[0]["text"][a:b] for a, b in found[0]["matches"]] == ["Harbour report 1"]
        assert 0 < found[0]["similarity"] <= 1 and "score" in found[0]
        assert (found[0]["bm25"] is not None) == (mode == "lexical")
    rare = client.get("/v1/search", params={"q": '"Harbour report 1"', "k": 5})
    assert rare.headers["X-Search-Note"] == 'only 1 paragraph contains "harbour report 1"'
    assert "X-Search-Note" not in client.get("/v1/search", params={"q": "harbour", "k": 2}).headers
    accented = client.get("/v1/search", params={"q": '"café crème"', "k": 2})
    assert accented.headers["X-Search-Note"] == 'no paragraph contains "caf%C3%A9 cr%C3%A8me"'
    article = client.get("/v1/articles/n1").json()
    assert article["title"] == "Harbour report 1" and article["paragraphs"][0]["topic"] is not None
    assert abs(sum(t["share"] for t in article["topics"]) - 1) < 1e-3
    assert client.get("/v1/articles/nope").status_code == 404
    similar = client.post("/v1/similar", json={"article_id": "n0", "k": 2}).json()
    assert [s["article"]["id"][0] for s in similar] == ["n", "n"]
    assert client.post("/v1/similar", json={"text": "Storm keeps the fleet in port", "k": 1}).json()[0]["article"]["id"][0] == "n"
    topics = client.get("/v1/topics").json()
    assert topics["up_to_date"] and len(topics["topics"]) >= 2
    first = topics["topics"][0]["id"]
    page = client.get(f"/v1/topics/{first}", params={"offset": 1, "limit": 2}).json()
    assert page["offset"] == 1 and len(page["items"]) <= 2 and page["total"] >= len(page["items"])
    assert client.get("/v1/topics/999").status_code == 404
    assert "<svg" in client.get("/v1/report").text
    assert client.get("/v1/report.md").text.startswith("# Topic report")
    assert client.get("/v1/report.json").json()["schema"] == "topics-report/1"
    spec = client.get("/openapi.json").json()
    assert {"/v1/search", "/v1/articles", "/v1/topics/refresh", "/v1/report"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_write_endpoints(client: TestClient):
    sent = client.post("/v1/articles", json={"articles": [
        NEWS[0], {"id": "n1", "title": "Harbour report 1", "text": "The harbour reopened after the storms passed."},
        {"title": "Fresh", "body": "A brand new article about mountain rescue teams in the Alps this week."}]})
    assert sent.status_code == 200, sent.text
    assert {k: sent.json()[k] for k in ("added", "updated", "unchanged")} == {"added": 1, "updated": 1, "unchanged": 1}
    assert client.get("/v1/health").json()["articles"] == 8
    assert client.delete("/v1/articles/n2").json() == {"deleted": "n2"}
    assert client.delete("/v1/articles/n2").status_code == 404
    refreshed = client.post("/v1/topics/refresh").json()
    assert refreshed["fit_number"] == 2 and refreshed["up_to_date"]
    assert all(e["fit"] == 2 for e in refreshed["events"]) and len(refreshed["messages"]) == len(refreshed["events"])
    changed = client.get("/v1/topics/changes").json()
    assert changed["since"] == 1 and changed["fit"] == 2 and isinstance(changed["emerging"], list)
    assert all({"kind", "topic", "label", "before", "after", "examples"} <= set(c) for c in changed["changes"])
    assert client.get("/v1/topics/changes", params={"since": 9}).status_code == 422
    assert client.post("/v1/topics/refresh", params={"fresh": True}).json()["fit_number"] == 3


@pytest.mark.parametrize("request_args, status, needle", [
    (("get", "/v1/search", {"params": {"q": "x", "k": 101}}), 422, "k"),
    (("get", "/v1/search", {"params": {"q": "   "}}), 422, "empty query"),
    (("get", "/v1/search", {"params": {"q": "x", "since": "soon"}}), 422, "since"),
    (("get", "/v1/search", {"params": {"q": "x", "mode": "fuzzy"}}), 422, "mode"),
    (("get", "/v1/search", {"params": {"q": "the of"}}), 422, "only stop words"),
    (("post", "/v1/articles", {"json": {"articles": [{"title": "a", "text": "b"}] * 4}}), 413, "at most 3"),
    (("post", "/v1/articles", {"json": {"articles": [{"title": "a", "text": "x" * 30_000}]}}), 413, "bytes"),
    (("post", "/v1/articles", {"json": {"articles": [{"title": "", "text": ""}]}}), 422, "text"),
    (("post", "/v1/articles", {"json": {"articles": [{"text": "t", "published": "tuesday"}]}}), 422, "published"),
    (("post", "/v1/articles", {"json": {"articles": []}}), 422, "articles"),
    (("post", "/v1/similar", {"json": {"k": 3}}), 422, "exactly one"),
    (("post", "/v1/similar", {"json": {"article_id": "missing"}}), 422, "no article with id"),
])
def test_limits_and_bad_input(client: TestClient, store_path: Path, request_args, status: int, needle: str):
    before = client.get("/v1/stats").json()
    method, url, kwargs = request_args
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, response.text
    assert needle in response.text
    assert client.get("/v1/stats").json() == before


def test_streamed_body_over_the_limit_is_refused(client: TestClient):
    before = client.get("/v1/stats").json()
    body = b'{"articles": [{"title": "big", "text": "' + b"x" * 30_000 + b'"}]}'
    response = client.post("/v1/articles", content=iter([body[:1000], body[1000:]]),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.get("/v1/stats").json() == before


def test_url_ids_topic_pages_after_deletes_and_refresh_parameters(client: TestClient, store_path: Path,
                                                                  embedder: Embedder):
    url = "https://example.com/news/1"
    sent = client.post("/v1/articles", json={"articles": [{"url": url, "title": "By URL",
                                                           "text": "An article known only by its address on the web."}]})
    assert sent.json()["ids"] == [url]
    assert client.get(f"/v1/articles/{url}").json()["id"] == url
    assert client.delete(f"/v1/articles/{url}").status_code == 200
    assert client.delete("/v1/articles/5715b408913339cf").status_code == 200
    for topic in client.get("/v1/topics").json()["topics"]:
        page = client.get(f"/v1/topics/{topic['id']}")
        assert page.status_code == 200 and all(item["text"] for item in page.json()["items"])
    with Store.open(store_path, model=embedder) as store:
        fit_topics(store, n_topics=2, seed=7)
    refreshed = client.post("/v1/topics/refresh").json()
    assert len(refreshed["topics"]) == 2


def test_label_changes_reach_a_running_service(client: TestClient, store_path: Path):
    from topics.cli import main

    first = client.get("/v1/topics").json()["topics"][0]["id"]
    assert main(["label", str(first), "Harbour closures", "--store", str(store_path)]) == 0
    assert client.get("/v1/topics").json()["topics"][0]["label"] == "Harbour closures"
    assert client.get("/v1/health").json()["articles"] == 7


def test_auth_for_writes(store_path: Path, embedder: Embedder):
    client = TestClient(create_app(store_path, model=embedder, token=TOKEN))
    body = {"articles": [{"title": "T", "text": "A short text about the weather in the mountains today."}]}
    assert client.post("/v1/articles", json=body).status_code == 401
    assert client.post("/v1/articles", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.delete("/v1/articles/n1").status_code == 401
    assert client.post("/v1/topics/refresh").status_code == 401
    assert client.get("/v1/search", params={"q": "weather"}).status_code == 200
    assert client.post("/v1/articles", json=body, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.fixture()
def server(store_path: Path) -> Iterator[str]:
    with serving(store_path, TOKEN) as base:
        yield base


@pytest.mark.slow
def test_real_server_endpoints_and_concurrent_reads_during_writes(server: str):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server, timeout=60) as http:
        assert http.get("/v1/stats").json()["articles"] == 7
        assert http.get("/v1/report").status_code == 200 and http.get("/openapi.json").status_code == 200
        assert http.post("/v1/articles", json={"articles": [NEWS[0]]}).status_code == 401
        errors: list[str] = []
        stop = threading.Event()

        def reader() -> None:
            with httpx.Client(base_url=server, timeout=60) as own:
                while not stop.is_set():
                    response = own.get("/v1/search", params={"q": "storms in the harbour", "k": 5})
                    if response.status_code != 200 or len(response.json()) != 5:
                        errors.append(f"{response.status_code} {response.text[:200]}")

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for thread in threads:
            thread.start()
        for i in range(4):
            batch = [{"id": f"w{i}-{j}", "title": f"Writer {i}", "text": f"Fresh report {i}-{j} on ferries delayed by "
                      f"high winds along the coast, with more storms forecast."} for j in range(3)]
            assert http.post("/v1/articles", json={"articles": batch}, headers=auth).status_code == 200
        assert http.post("/v1/topics/refresh", headers=auth).status_code == 200
        assert http.delete("/v1/articles/w0-0", headers=auth).status_code == 200
        stop.set()
        for thread in threads:
            thread.join()
        assert errors == []
        assert http.get("/v1/health").json()["articles"] == 7 + 12 - 1


@pytest.mark.slow
@needs_chromium
def test_report_renders_in_headless_chromium(server: str, tmp_path: Path):
    with chromium_page() as page:
        seen = watch(page)
        assert page.goto(f"{server}/v1/report").status == 200
        rows = page.locator("#topic-table tbody tr")
        assert rows.count() >= 2
        assert page.locator("#chart-map svg circle").count() >= 10
        assert page.locator("#chart-sizes svg rect").count() == rows.count()
        assert page.locator("#chart-map svg").bounding_box()["width"] > 100
        rows.first.click()
        assert page.locator("#chart-map .point.dim").count() > 0
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert (tmp_path / "report.png").stat().st_size > 10_000
        assert seen.errors == []


@pytest.mark.slow
@needs_chromium
def test_api_docs_render_in_chromium_with_the_network_blocked(server: str, tmp_path: Path):
    with chromium_page() as page:
        outside: list[str] = []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                   else (outside.append(route.request.url), route.abort()))
        page.goto(f"{server}/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        page.screenshot(path=str(tmp_path / "docs.png"))
        assert outside == []
        page.goto(f"{server}/redoc")
        page.wait_for_selector(".redoc-wrap", timeout=30_000)
        assert page.get_by_text("/v1/search").count() > 0
        page.screenshot(path=str(tmp_path / "redoc.png"))
        assert outside == []  # not even ReDoc's "powered by" logo, which its script is served without


def test_batches_take_a_field_mapping(client: TestClient):
    batch = {"fields": {"title": "headline", "text": "story.body"},
             "articles": [{"id": "m1", "headline": "Mapped", "story": {"body": "A storm hit the bay and closed the harbour."}}]}
    assert client.post("/v1/articles", json=batch).status_code == 200
    article = client.get("/v1/articles/m1").json()
    assert article["title"] == "Mapped" and "storm hit the bay" in article["paragraphs"][1]["text"]
    bad = client.post("/v1/articles", json={**batch, "fields": {"text": "story..body"}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "fields"]
    rows = {"fields": {"title": "1", "text": "2", "class": "0"},  # a headerless CSV's rows, by column number
            "articles": [["2", "Harbour  quot;closed quot;", "The fleet stayed in port &amp; the bay froze."]]}
    added = client.post("/v1/articles", json=rows)
    assert added.status_code == 200, added.text
    row = client.get(f"/v1/articles/{added.json()['ids'][0]}").json()
    assert (row["title"], row["metadata"]) == ('Harbour "closed"', {"class": "2"})
    assert row["paragraphs"][1]["text"] == "The fleet stayed in port & the bay froze."
    short = client.post("/v1/articles", json={**rows, "fields": {"title": "1", "text": "5"}}).json()["detail"][0]
    assert short["loc"] == ["body", "articles", 0, "text"] and short["msg"].startswith("column 5 is out of range")


def test_api_docs_render_from_the_service_alone(client: TestClient):
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        refs = re.findall(r'(?:src|href|url)\s*[=:]\s*["\']([^"\']+)', html)
        assert refs and all(not re.match(r"(https?:)?//", ref) for ref in refs), (page, refs)
        for ref in refs:
            if ref.startswith(("/docs-assets/", "/redoc.js")):
                assert client.get(ref).status_code == 200, ref
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
    assert "cdn.redoc.ly" not in client.get("/redoc.js").text


def test_search_folds_copies_unless_all_and_notes_filters_that_cannot_match(tmp_path: Path, embedder: Embedder):
    from .test_stories import STORY, edited

    with Store.open(tmp_path / "store", model=embedder, create=True) as store:
        store.add([Article(id="bridge", title="Tallest bridge opens", text="\n".join(STORY), metadata={"desk": "news"}),
                   Article(id="update", title="Update: the bridge opens", text="\n".join(edited(STORY)),
                           metadata={"desk": "news"})])
    client = TestClient(create_app(tmp_path / "store", model=embedder))
    query = {"q": "the tallest road bridge in the world near Millau", "group": True}
    folded = client.get("/v1/search", params=query)
    assert [(h["article_id"], h["also_in"]) for h in folded.json()] == [("bridge", ["update"])]
    assert "X-Search-Note" not in folded.headers
    apart = client.get("/v1/search", params={**query, "all": True}).json()
    assert sorted(h["article_id"] for h in apart) == ["bridge", "update"] and all(not h["also_in"] for h in apart)
    missing = client.get("/v1/search", params={**query, "where": "section=arts"})
    assert missing.json() == [] and missing.headers["X-Search-Note"] == \
        "no stored article has the metadata field 'section' (metadata fields: desk)"
    undated = client.get("/v1/search", params={**query, "until": "2024-12-31"})
    assert undated.json() == [] and undated.headers["X-Search-Note"] == \
        "no stored article has a publication date (published), so until matches no article (metadata fields: desk)"
    page = client.get("/", params={**query, "where": "section=arts"}).text
    assert "No stored article has the metadata field" in page
    assert client.get("/", params=query).text.count('class="hit"') == 1
    assert client.get("/", params={**query, "all": "true"}).text.count('class="hit"') == 2
