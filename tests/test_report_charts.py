"""The report's charts: time bins, article counts per topic, and the HTML read in headless Chromium at a
desktop and a phone width (screenshots in the test's tmp folder)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from index import Store
from topics.fit import fit_topics
from topics.model import TopicModel
from topics.report import SCHEMA, build, build_report, render_html, render_markdown
from topics.report.build import excerpt
from topics.periods import choose_unit, periods, short_label

from .browser import chromium_page, needs_chromium, watch
from .conftest import dated_corpus

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


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
@needs_chromium
@pytest.mark.parametrize("width", [1400, 390])
def test_report_reads_in_headless_chromium(dated_report: dict, tmp_path: Path, width: int):
    html = render_html(dated_report)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= {SVG_NAMESPACE}, "the file names no other host"
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    labels = [t["label"] for t in dated_report["topics"]]
    with chromium_page(width) as page:
        seen = watch(page)
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
        assert all(url.startswith(("file:", "data:")) for url in seen.requests), seen.requests
        assert seen.errors == []
