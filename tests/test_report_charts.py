"""The report's charts: time bins, article counts per topic, and the HTML read in headless Chromium at a
desktop and a phone width (screenshots in the test's tmp folder)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from index import Article, Store
from topics.fit import fit_topics
from topics.model import TopicModel
from topics.report import SCHEMA, build, build_report, render_html, render_markdown
from topics.report.build import excerpt
from topics.periods import choose_unit, periods, short_label

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
HOSTILE = "Officials said <img src=x onerror=alert(1)> was harmless."

SUBJECTS = {
    "rates": ("The central bank raised interest rates again to fight inflation.",
              "Bond markets fell sharply as traders priced in further increases in borrowing costs.",
              "Mortgage lenders passed the higher rates on to households within days."),
    "football": ("The striker scored twice as the home side won the football derby.",
                 "A full stadium watched the goalkeeper save a late penalty in the league match.",
                 "The coach praised his defenders after the cup tie finished in extra time."),
    "volcano": ("Lava from the erupting volcano forced villagers to flee their homes.",
                "Ash clouds grounded flights across the region for a third day.",
                "Scientists warned that the crater could collapse as tremors continued."),
    "elections": ("Voters queued for hours at polling stations as the election race tightened.",
                  "The opposition candidate promised reform in a final televised debate.",
                  "Officials began counting ballots after turnout reached a record high."),
}
DETAILS = ("Witnesses described the scene to reporters on Monday.", "More details are expected later this week.",
           "Local radio carried the news throughout the afternoon.", "The statement was published overnight.",
           "Several agencies confirmed the account independently.", "Analysts said the effects would last months.")


def dated_corpus() -> list[Article]:
    """Five months of wire stories: rates and football steady, elections growing, a volcano in March only,
    a quiet fortnight with a few articles, and every third article touching a second subject."""
    start, names, out = date(2024, 1, 1), list(SUBJECTS), []
    for i in range(150):
        day = start + timedelta(days=i)
        if date(2024, 2, 12) <= day < date(2024, 2, 26) and i % 4:
            continue
        subject = "volcano" if date(2024, 3, 4) <= day < date(2024, 4, 1) and i % 2 else \
            ("elections" if i % 3 == 0 or i > 100 and i % 2 else names[i % 2])
        sentences = SUBJECTS[subject]
        paragraphs = [f"{sentences[i % 3]} {DETAILS[i % 6]}",
                      f"{sentences[(i + 1) % 3]} {DETAILS[(i + 2) % 6]} Story {i}."]
        if i % 3 == 1:
            paragraphs.append(f"{SUBJECTS[names[(i + 2) % 4]][i % 3]} {DETAILS[(i + 4) % 6]}")
        if i == 7:
            paragraphs.append(HOSTILE)
        out.append(Article(id=f"a{i:03d}", title="<b>Bold</b> headline" if i == 7 else "",
                           source="Wire", published=day.isoformat(), text="\n\n".join(paragraphs)))
    return out


@pytest.mark.parametrize("first, last, unit, count", [
    ("2024-11-02", "2024-11-20", "day", 19), ("2024-01-01", "2024-05-30", "week", 22),
    ("2023-01-15", "2024-11-02", "month", 23), ("2019-06-01", "2024-06-01", "quarter", 21),
    ("2001-01-01", "2024-12-31", "year", 24)])
def test_bins_follow_the_span(first: str, last: str, unit: str, count: int):
    assert choose_unit([last, first]) == unit
    assert len(periods([first, last], unit)) == count
    assert choose_unit([]) is None


def test_period_names_are_iso_and_labels_short():
    assert periods(["2024-12-28", "2025-01-06"], "week") == ["2024-W52", "2025-W01", "2025-W02"]
    assert periods(["2024-02-10", "2024-08-01"], "quarter") == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert [short_label(p) for p in ("2025-W01", "2024-11-20", "2024-11", "2024-Q4", "2024")] == \
        ["30 Dec 2024", "20 Nov 2024", "Nov 2024", "Q4 2024", "2024"]


@pytest.fixture(scope="module")
def dated_store(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[Store]:
    with Store.open(tmp_path_factory.mktemp("dated") / "store", model=embedder, create=True) as store:
        store.add(dated_corpus())
        fit_topics(store, seed=1)
        yield store


@pytest.fixture(scope="module")
def dated_report(dated_store: Store) -> dict:
    return build_report(dated_store, TopicModel.load(dated_store.path))


def test_map_samples_deterministically_with_excerpts(dated_store: Store, monkeypatch: pytest.MonkeyPatch):
    model = TopicModel.load(dated_store.path)
    monkeypatch.setattr(build, "MAP_POINTS", 40)
    first, second = build_report(dated_store, model), build_report(dated_store, model)
    assert len(first["map"]) == 40 and first["map"] == second["map"]
    assert render_html(first) == render_html(second)
    assert excerpt("word " * 60).endswith("…") and len(excerpt("word " * 60)) <= build.EXCERPT + 1
    assert excerpt("  A short\nparagraph. ") == "A short paragraph."


def test_dated_report_counts_main_and_present_articles_and_shares(dated_report: dict):
    jsonschema.validate(dated_report, SCHEMA)
    assert dated_report["period_unit"] == "week"
    assert len(dated_report["periods"]) == len(dated_report["period_articles"])
    assert sum(dated_report["period_articles"]) == dated_report["corpus"]["articles"]
    for topic in dated_report["topics"]:
        assert topic["present_in"] >= topic["articles"]
        for point, total in zip(topic["timeline"], dated_report["period_articles"]):
            assert point["share"] == (round(point["articles"] / total, 4) if total else None)
    assert any(t["present_in"] > t["articles"] for t in dated_report["topics"])
    assert all(p["text"] and len(p["text"]) <= 161 for p in dated_report["map"])
    markdown = render_markdown(dated_report)
    assert "| Present in (articles) |" in markdown and "(by week)" in markdown and "<img" not in markdown


def _hover_tip(page, selector: str) -> str:
    element = page.locator(selector)
    element.scroll_into_view_if_needed()
    element.hover(force=True)
    page.wait_for_selector("#tip", state="visible")
    return page.locator("#tip").inner_text()


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                    "(.ci/run installs it; apt-get install chromium)")
@pytest.mark.parametrize("width", [1400, 390])
def test_report_reads_in_headless_chromium(dated_report: dict, tmp_path: Path, width: int):
    from playwright.sync_api import sync_playwright

    html = render_html(dated_report)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= {SVG_NAMESPACE}, "the file names no other host"
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    labels = [t["label"] for t in dated_report["topics"]]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}") or dialog.dismiss())
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.as_uri())
            page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)

            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), "page scrolls sideways"
            assert page.evaluate("""() => { const box = document.querySelector('.table-box'),
                table = box.querySelector('table'), style = getComputedStyle(box);
                return box.getBoundingClientRect().right <= window.innerWidth + 0.5 &&
                       (table.scrollWidth <= box.clientWidth + 1 || ['auto', 'scroll'].includes(style.overflowX)); }""")

            point_tip = _hover_tip(page, "#chart-map .point >> nth=5")
            assert any(label in point_tip for label in labels + ["unassigned"]) and len(point_tip.splitlines()) >= 2
            page.locator("#chart-map").screenshot(path=str(tmp_path / f"map-{width}.png"))

            column_tip = _hover_tip(page, "#chart-timeline .column >> nth=3")
            assert "dated articles" in column_tip and any(label in column_tip for label in labels)
            page.locator("#chart-timeline").screenshot(path=str(tmp_path / f"timeline-share-{width}.png"))
            page.locator("#chart-timeline .toggle button[data-mode=articles]").click()
            assert page.locator("#chart-timeline .mode-articles").is_visible()
            assert not page.locator("#chart-timeline .mode-share").is_visible()
            page.locator("#chart-timeline .legend li >> nth=0").hover()
            assert page.locator("#chart-timeline.focus .line.on").count() == 2
            page.locator("#chart-timeline").screenshot(path=str(tmp_path / f"timeline-articles-{width}.png"))

            cell_tip = _hover_tip(page, "#chart-similarity rect[data-tip] >> nth=1")
            assert "similarity" in cell_tip
            for chart in ("similarity", "sizes", "hierarchy"):
                page.locator(f"#chart-{chart}").screenshot(path=str(tmp_path / f"{chart}-{width}.png"))
            assert all(url.startswith(("file:", "data:")) for url in requests), requests
            assert errors == []
        finally:
            browser.close()
