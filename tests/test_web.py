"""The web app at ``/``: its pages over plain HTTP (no JavaScript needed), bad input and empty stores,
the label form and its token, and the pages in headless Chromium (search, an article, topics, a label,
the keyboard alone, a phone's width, JavaScript off), with screenshots in the test's tmp folder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from index import Article, Embedder, Store, read_paths
from topics.api import topic_detail, topics_overview
from topics.fit import fit_topics, refit
from topics.model import TopicModel
from topics.service import create_app
from topics.service.web.render import highlight, sparkline

from .browser import chromium_page, needs_chromium, serving, watch
from .conftest import HOSTILE, SEEDS, dated_corpus

TOKEN = "w3b-t0ken"
FIRST_FIT = 110  # articles of the dated corpus in the first fit; the rest come before the second
WIDTHS = (1280, 390)


def web_corpus() -> list[Article]:
    """The dated wire corpus with headlines and a desk in each article's metadata: article ``aN`` is
    "Wire story N", of the politics desk when N is even."""
    return [replace(article, title=article.title or f"Wire story {number}",
                    metadata={"desk": "politics" if number % 2 == 0 else "business"})
            for article in dated_corpus() for number in [int(article.id[1:])]]


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The seed article and the dated corpus, fitted twice (so there is a change to show), closed."""
    path = tmp_path_factory.mktemp("web") / "store"
    corpus = web_corpus()
    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles + corpus[:FIRST_FIT])
        fit_topics(store, seed=1)
        store.add(corpus[FIRST_FIT:])
        refit(store)
    return path


@pytest.fixture(scope="module")
def client(web_store: Path, embedder: Embedder) -> TestClient:
    return TestClient(create_app(web_store, model=embedder))


@pytest.fixture(scope="module")
def model(web_store: Path) -> TopicModel:
    return TopicModel.load(web_store)


def test_highlight_escapes_and_merges_spans():
    text = "Rates <b>rose</b> & rates fell"
    assert highlight(text, [(0, 5), (3, 8), (20, 25), (40, 50)]) == \
        "<mark>Rates &lt;b</mark>&gt;rose&lt;/b&gt; &amp; <mark>rates</mark> fell"
    assert highlight("plain", []) == "plain"
    line = sparkline([0, 3, 1], ["2024-W01", "2024-W02", "2024-W03"], "week")
    assert line.startswith("<svg") and "peak 3 in 8 Jan 2024" in line and sparkline([4], ["2024-W01"], "week") == ""


def test_search_is_a_plain_get_form_with_highlighted_hits(client: TestClient):
    home = client.get("/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert '<form class="search" role="search" action="/" method="get"' in home.text
    assert '<html lang="en">' in home.text and '<main id="main"' in home.text
    assert '<a class="skip" href="#main">Skip to content</a>' in home.text
    folded = client.get("/", params={"q": "interest rates inflation", "mode": "lexical", "k": 20})
    assert re.search(r'<p class="also">Also in <a href="/articles/a\d+">a\d+</a>, ', folded.text)  # the copies
    found = client.get("/", params={"q": "interest rates inflation", "mode": "lexical", "k": 20, "all": "true"})
    assert found.status_code == 200 and 'name="all" value="true" checked' in found.text
    hits = re.findall(r'<li class="hit">(.*?)</li>', found.text, re.S)
    assert len(hits) == 20
    assert all("<mark>" in hit and "Wire" in hit and "similarity <strong>" in hit for hit in hits)
    assert re.search(r"<mark>(interest|rates|inflation)</mark>", found.text, re.I)
    assert re.search(r'<time datetime="2024-\d\d-\d\d">\d+ \w{3} 2024</time>', hits[0])
    assert 'href="/articles/a' in hits[0] and 'value="lexical" checked' in found.text


def test_search_filters_and_by_article(client: TestClient):
    grouped = client.get("/", params={"q": "election ballots", "group": "true", "all": "true", "k": 20})
    ids = re.findall(r'<h3><a href="/articles/([^"#]+)#p', grouped.text)
    assert len(ids) == 20 and len(set(ids)) == 20 and "20 articles for" in grouped.text
    dated = client.get("/", params={"q": "volcano lava", "since": "2024-03-04", "until": "2024-03-10", "k": 50})
    days = re.findall(r'<time datetime="(2024-\d\d-\d\d)">', dated.text)
    assert days and all("2024-03-04" <= day <= "2024-03-10" for day in days)
    desk = client.get("/", params={"q": "football match", "where": "desk=politics", "k": 20})
    numbers = [int(n) for n in re.findall(r'href="/articles/a(\d+)#', desk.text)]
    assert numbers and all(n % 2 == 0 for n in numbers)
    assert 'value="desk=politics"' in desk.text and "<details class=\"filters\" open>" in desk.text
    nothing = client.get("/", params={"q": "football", "source": "Elsewhere"})
    assert nothing.status_code == 200 and "0 paragraphs for" in nothing.text and "fewer filters" in nothing.text


def test_hit_text_and_titles_are_escaped(client: TestClient):
    page = client.get("/", params={"q": '"was harmless"', "mode": "lexical"}).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; headline" in page and "<b>Bold</b>" not in page
    article = client.get("/articles/a007").text
    assert HOSTILE.replace("<", "&lt;").replace(">", "&gt;") in article and "<img" not in article


@pytest.mark.parametrize("url, status, needle", [
    ("/?q=rates&since=soon", 422, "Published from: &#39;soon&#39; is not a date"),
    ("/?q=rates&until=2024-02-30", 422, "Published to:"),
    ("/?q=rates&mode=fuzzy", 422, "&#39;fuzzy&#39; is not a mode"),
    ("/?q=rates&k=many", 422, "not a number of results"),
    ("/?q=rates&k=500", 422, "from 1 to 100"),
    ("/?q=rates&group=maybe", 422, "neither true nor false"),
    ("/?q=rates&where=desk", 422, "is not KEY=VALUE"),
    ("/?q=the+of", 422, "only stop words"),
    ("/topics/abc", 404, "There is no topic “abc”"),
    ("/topics/999", 404, "There is no topic “999”"),
    ("/articles/no-such-article", 404, "No article with the id"),
    ("/nowhere", 404, "There is no page at this address"),
])
def test_bad_input_gives_a_page_that_says_so(client: TestClient, url: str, status: int, needle: str):
    answer = client.get(url)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert needle in answer.text and "Traceback" not in answer.text
    assert client.get("/v1/topics/999").headers["content-type"] == "application/json"


def test_a_bad_date_stays_visible_in_its_field(client: TestClient):
    page = client.get("/", params={"q": "rates", "since": "soon"}).text
    assert re.search(r'<input id="since" name="since" type="text" value="soon" aria-invalid="true" '
                     r'aria-describedby="since-error">', page)
    assert '<p class="field-error" id="since-error">' in page


def test_article_page_shows_paragraphs_topic_mix_and_similar_articles(client: TestClient, model: TopicModel):
    page = client.get("/articles/a012").text
    assert "<h1>Wire story 12</h1>" in page and page.count('class="paragraph" id="p') >= 2
    mix = re.findall(r'<a href="/topics/(\d+)">', page.split('id="mix-title"')[1].split("</ul>")[0])
    assert mix and {int(t) for t in mix} <= {t.id for t in model.topics} and "main topic" in page
    similar = re.findall(r'<a href="/articles/(a\d+)">', page.split('id="similar-title"')[1])
    assert len(similar) == 6 and "a012" not in similar
    assert "<dt>desk</dt><dd>politics</dd>" in page


def test_topics_page_lists_topics_with_trends_and_changes(client: TestClient, model: TopicModel):
    page = client.get("/topics").text
    for topic in model.topics:
        assert f'<a href="/topics/{topic.id}">{escape(topic.name)}</a>' in page
    assert page.count('<svg class="spark"') == len(model.topics)
    assert "articles per week" in page and "Trend: articles whose main topic it is, per week" in page
    assert "What changed since the last fit" in page and "fit 1" in page


def test_topic_page_shows_central_paragraphs_and_top_articles(client: TestClient, model: TopicModel):
    topic = max(model.topics, key=lambda t: t.size)
    page = client.get(f"/topics/{topic.id}").text
    assert f"<h1>{topic.name}</h1>" in page
    assert page.count('<figure class="quote">') == 5
    assert len(re.findall(r'<li><a href="/articles/', page.split('id="top-title"')[1])) == 10
    assert '<form action="/topics/' in page and 'name="token"' not in page  # no token: no token field


def test_page_results_have_json_shapes(web_store: Path, embedder: Embedder, model: TopicModel):
    with Store.open(web_store, model=embedder) as store:
        overview = topics_overview(store, model).to_dict()
        detail = topic_detail(store, model, model.topics[0].id, 2, 3).to_dict()
    json.dumps([overview, detail])
    assert overview["timeline"]["unit"] == "week" and overview["changes"]["since"] == 1
    assert sum(sum(v) for v in overview["timeline"]["topics"].values()) <= sum(overview["timeline"]["articles"])
    assert len(detail["items"]) == 2 and all(i["article"]["id"] for i in detail["items"]) and len(detail["articles"]) == 3


def test_assets_come_from_the_package_and_pages_name_no_other_host(client: TestClient, model: TopicModel):
    for asset, kind in (("/static/web.css", "text/css"), ("/static/web.js", "javascript"),
                        ("/static/favicon.svg", "image/svg+xml")):
        answer = client.get(asset)
        assert answer.status_code == 200 and kind in answer.headers["content-type"], asset
    for url in ("/", "/?q=rates", "/articles/a012", "/topics", f"/topics/{model.topics[0].id}"):
        answer = client.get(url)
        refs = re.findall(r'(?:src|href|action)="([^"]*)"', answer.text)
        assert refs and all(ref.startswith(("/", "#")) for ref in refs), (url, refs)
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "<script>" not in answer.text and " style=" not in answer.text


def test_label_form_needs_the_token_when_the_service_has_one(web_store: Path, embedder: Embedder, model: TopicModel):
    client = TestClient(create_app(web_store, model=embedder, token=TOKEN))
    topic = model.topics[0]
    url = f"/topics/{topic.id}/label"
    form = client.get(f"/topics/{topic.id}").text
    assert '<label for="token">Service token</label>' in form and 'type="password"' in form
    missing = client.post(url, data={"label": "Harbour closures"})
    assert missing.status_code == 403 and "started with a token: enter it" in missing.text
    assert 'value="Harbour closures"' in missing.text  # what was typed is kept
    wrong = client.post(url, data={"label": "Harbour closures", "token": "guess"})
    assert wrong.status_code == 403 and "not this service&#39;s token" in wrong.text
    assert client.get("/v1/topics").json()["topics"][0]["label"] == topic.name
    crossed = client.post(url, data={"label": "X", "token": TOKEN}, headers={"Origin": "https://elsewhere.example"})
    assert crossed.status_code == 403 and "another site" in crossed.text
    empty = client.post(url, data={"label": "   ", "token": TOKEN})
    assert empty.status_code == 422 and "A label needs words" in empty.text
    saved = client.post(url, data={"label": "  Harbour   closures ", "token": TOKEN}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/topics/{topic.id}?saved=label"
    assert "Label saved." in client.get(saved.headers["location"]).text
    assert f'<a href="/topics/{topic.id}">Harbour closures</a>' in client.get("/topics").text
    assert client.get("/v1/topics").json()["topics"][0]["label"] == "Harbour closures"
    reset = client.post(url, data={"action": "reset", "token": TOKEN})
    assert reset.status_code == 200 and "Automatic label restored." in reset.text
    assert TopicModel.load(web_store).topic(topic.id).custom_label is None
    assert client.post("/topics/999/label", data={"label": "x", "token": TOKEN}).status_code == 404


def test_empty_store_and_no_fit_say_what_to_do(tmp_path: Path, embedder: Embedder):
    empty = TestClient(create_app(tmp_path / "empty", model=embedder))
    assert "The store is empty" in empty.get("/").text and "topics ingest PATH" in empty.get("/?q=rates").text
    topics = empty.get("/topics")
    assert topics.status_code == 200 and "No topics yet:" in topics.text and "topics cluster" in topics.text
    assert empty.get("/topics/0").status_code == 404 and "No topics yet" in empty.get("/topics/0").text
    with Store.open(tmp_path / "unfitted", model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles)
    unfitted = TestClient(create_app(tmp_path / "unfitted", model=embedder))
    assert "run <code>topics cluster</code>" in unfitted.get("/topics").text
    hit = unfitted.get("/", params={"q": "Taliban"}).text
    article_id = re.search(r'href="/articles/([^"#]+)#', hit).group(1)
    article = unfitted.get(f"/articles/{article_id}").text
    assert "No topics yet: run <code>topics cluster</code>" in article and 'class="paragraph"' in article
    assert unfitted.post("/topics/0/label", data={"label": "x"}).status_code == 404


# -- in headless Chromium ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(web_store: Path) -> Iterator[str]:
    with serving(web_store, TOKEN) as base:
        yield base


def _no_sideways_scroll(page: Any, width: int) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= width


@pytest.mark.slow
@needs_chromium
def test_search_open_an_article_and_a_topic_in_chromium(server: str, tmp_path: Path):
    for width in WIDTHS:
        with chromium_page(width) as page:
            seen = watch(page)
            page.goto(f"{server}/")
            page.fill("#q", "interest rates inflation")
            page.press("#q", "Enter")
            page.wait_for_selector("ol.hits li.hit")
            assert page.locator("ol.hits li.hit").count() == 10 and page.locator("li.hit mark").count() > 0
            assert page.locator("li.hit p.also a").count() > 0  # the corpus repeats its stories: copies folded
            page.screenshot(path=str(tmp_path / f"search-{width}.png"), full_page=True)
            assert _no_sideways_scroll(page, width)
            page.locator("li.hit h3 a").first.click()
            page.wait_for_selector(".paragraph:target")
            assert page.locator("ul.mix li").count() >= 1 and page.locator("ol.similar li").count() == 6
            page.screenshot(path=str(tmp_path / f"article-{width}.png"), full_page=True)
            assert _no_sideways_scroll(page, width)
            label = page.locator("ul.mix li a").first.inner_text()
            page.locator("ul.mix li a").first.click()
            page.wait_for_selector("h1")
            assert page.locator("h1").inner_text() == label
            assert page.locator("figure.quote").count() == 5
            page.screenshot(path=str(tmp_path / f"topic-{width}.png"), full_page=True)
            assert _no_sideways_scroll(page, width)
            page.locator("header.site nav a", has_text="Topics").click()
            page.wait_for_selector("ol.topic-list")
            assert page.locator("svg.spark").count() == page.locator("li.topic-row").count() >= 2
            page.screenshot(path=str(tmp_path / f"topics-{width}.png"), full_page=True)
            assert _no_sideways_scroll(page, width)
            assert seen.errors == [] and all(url.startswith(server) for url in seen.requests), seen
    assert all((tmp_path / f"{name}-{w}.png").stat().st_size > 10_000
               for name in ("search", "article", "topic", "topics") for w in WIDTHS)


@pytest.mark.slow
@needs_chromium
def test_every_page_is_accessible_and_fits_a_phone(server: str, model: TopicModel):
    urls = ["/", "/?q=volcano+ash&group=true", "/articles/a007", "/topics", f"/topics/{model.topics[0].id}",
            "/?q=rates&since=soon"]
    with chromium_page(390) as page:
        seen = watch(page)
        for url in urls:
            status = page.goto(f"{server}{url}").status
            assert page.evaluate("document.documentElement.lang") == "en"
            assert page.locator("header.site").count() == 1 and page.locator("main#main").count() == 1
            assert page.locator("header.site nav").count() == 1
            unlabelled = page.evaluate("""Array.from(document.querySelectorAll('input, select, textarea'))
                .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name)""")
            assert unlabelled == [], (url, unlabelled)
            assert _no_sideways_scroll(page, 390), url
            if status >= 400:  # the browser logs the page's own status as an error
                assert seen.errors == [f"Failed to load resource: the server responded with a status of {status} "
                                       "(Unprocessable Entity)"], (url, seen.errors)
                seen.errors.clear()
            assert seen.errors == [], (url, seen.errors)


@pytest.mark.slow
@needs_chromium
def test_keyboard_alone_finds_a_hit(server: str):
    with chromium_page() as page:
        seen = watch(page)
        page.goto(f"{server}/")
        order = []
        for _ in range(7):
            page.keyboard.press("Tab")
            order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        assert order[:2] == ["Skip to content", "topics"] and order[-1] == "q", order
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        page.goto(f"{server}/topics")
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "quick-q"
        page.keyboard.type("ballots counted after the election")
        page.keyboard.press("Enter")
        page.wait_for_selector("ol.hits li.hit")
        assert page.locator("li.hit mark").count() > 0 and "ballots" in page.url
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "q"
        page.keyboard.press("Tab")  # the search button
        page.keyboard.press("Tab")  # the checked mode
        page.keyboard.press("ArrowRight")  # the next mode: the script searches again at once
        page.wait_for_url(re.compile(r"mode=dense"))
        assert page.locator("input[name=mode][value=dense]").is_checked() and page.locator("li.hit").count() > 0
        assert seen.errors == []


@pytest.mark.slow
@needs_chromium
def test_search_works_with_javascript_off(server: str, tmp_path: Path):
    with chromium_page(390, javascript=False) as page:
        seen = watch(page)
        page.goto(f"{server}/")
        page.fill("#q", "football derby")
        page.check("input[name=group]")
        page.click("form.search .query button[type=submit]")
        page.wait_for_selector("ol.hits li.hit")
        assert "group=true" in page.url and page.locator("li.hit mark").count() > 0
        page.click("details.filters summary")
        page.fill("#source", "Wire")
        page.fill("#where-1", "desk=business")
        page.click("text=Apply filters")
        page.wait_for_url(re.compile(r"where=desk%3Dbusiness"))
        numbers = [int(n) for n in re.findall(r"/articles/a(\d+)", page.content())]
        assert numbers and all(n % 2 for n in numbers)
        page.screenshot(path=str(tmp_path / "search-no-js-390.png"), full_page=True)
        assert _no_sideways_scroll(page, 390) and seen.errors == []


@pytest.mark.slow
@needs_chromium
def test_rename_a_label_in_chromium(server: str, model: TopicModel, tmp_path: Path):
    topic = model.topics[-1]
    with chromium_page() as page:
        seen = watch(page)
        page.goto(f"{server}/topics/{topic.id}")
        page.fill("#label", "Volcano watch")
        page.click("text=Save label")
        page.wait_for_selector("#token-error")
        assert "enter it" in page.locator("#token-error").inner_text()
        seen.errors.clear()  # the refusal's 403, logged by the browser
        page.fill("#token", TOKEN)
        page.click("text=Save label")
        page.wait_for_url(re.compile(r"saved=label"))
        assert page.locator("h1").inner_text() == "Volcano watch" and page.locator("[role=status]").count() == 1
        page.screenshot(path=str(tmp_path / "label-saved.png"), full_page=True)
        page.goto(f"{server}/topics")
        assert page.locator("li.topic-row h3 a", has_text="Volcano watch").count() == 1
        page.goto(f"{server}/topics/{topic.id}")
        page.fill("#token", TOKEN)
        page.click("text=Restore automatic label")
        page.wait_for_url(re.compile(r"saved=reset"))
        assert page.locator("h1").inner_text() == topic.label
        assert seen.errors == []
