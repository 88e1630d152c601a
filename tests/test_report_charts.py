"""The report's charts: time bins, article counts per topic, the map's layout and colours, and the HTML
read in headless Chromium at a desktop and a phone width with 5 and 30 topics (screenshots in the test's
tmp folder)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from index import Store
from topics.fit import fit_topics
from topics.model import TopicModel
from topics.report import SCHEMA, build, build_report, render_html, render_markdown
from topics.report.build import excerpt
from topics.report.charts import PALETTE, colours
from topics.report.layout import pca_layout
from topics.report.tree import WIDTH
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


@pytest.fixture(scope="module")
def crowded_store(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[Store]:
    """The same articles cut into 30 topics: many colours, labels and leaves."""
    with Store.open(tmp_path_factory.mktemp("crowded") / "store", model=embedder, create=True) as store:
        store.add(dated_corpus())
        fit_topics(store, n_topics=30, seed=1)
        yield store


@pytest.fixture(scope="module")
def crowded_report(crowded_store: Store) -> dict:
    return build_report(crowded_store, TopicModel.load(crowded_store.path))


def _lab(colour: str) -> np.ndarray:
    """CIELAB (D65) of a ``#rrggbb`` colour."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 216 / 24389))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _nearest_in_own_topic(xy: np.ndarray, topics: np.ndarray) -> float:
    """Share of the points of topics with two or more points whose nearest other point shares their topic."""
    distance = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    counts = {t: int((topics == t).sum()) for t in set(topics.tolist())}
    rows = [i for i, t in enumerate(topics) if t != -1 and counts[t] > 1]
    return float(np.mean([topics[distance[i].argmin()] == topics[i] for i in rows]))


@pytest.mark.parametrize("topics", [5, 30])
def test_map_keeps_topics_apart_in_colours_that_differ(request: pytest.FixtureRequest, topics: int):
    store: Store = request.getfixturevalue("dated_store" if topics == 5 else "crowded_store")
    report: dict = request.getfixturevalue("dated_report" if topics == 5 else "crowded_report")
    assert len(report["topics"]) == topics
    topic_colours = [colours(report)[t["id"]] for t in report["topics"]]
    assert len(set(topic_colours)) == topics and "#cccccc" not in topic_colours
    assert min(np.linalg.norm(_lab(a) - _lab(b)) for a, b in itertools.combinations(PALETTE[:topics], 2)) > 25
    with store.reading() as snapshot:
        ids, vectors = np.asarray(snapshot.ids), np.asarray(snapshot.vectors)
    xy = np.array([[p["x"], p["y"]] for p in report["map"]])
    drawn = vectors[np.searchsorted(ids, [p["paragraph_id"] for p in report["map"]])]
    assert xy.min() >= 0 and xy.max() <= 1
    of = np.array([p["topic"] for p in report["map"]])
    ours, pca = _nearest_in_own_topic(xy, of), _nearest_in_own_topic(pca_layout(drawn), of)
    assert ours >= 0.9 and ours > pca, (ours, pca)


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


def _check_hierarchy(page, report: dict, width: int) -> None:
    """Every topic a named leaf beside the tree, the tree as tall as its names, and a merge height scale."""
    names = page.locator("#chart-hierarchy .tree-name")
    assert names.count() == len(report["topics"])
    assert sorted(names.all_inner_texts()) == sorted(f"{t['id']}: {t['label']}" for t in report["topics"])
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('#chart-hierarchy .tree-label'),
        l => [l.clientWidth, l.scrollWidth])""")
    assert all(visible >= min(full, 60) for visible, full in shown), "a leaf's name is cut to nothing"
    if width >= 1000:
        assert all(visible >= full for visible, full in shown), "names cut on a wide screen"
    tree = page.locator("#chart-hierarchy .tree-svg").bounding_box()
    first, last = (page.locator(f"#chart-hierarchy .tree-name >> nth={i}").bounding_box() for i in (0, -1))
    assert abs(first["y"] - tree["y"]) <= 1 and abs(last["y"] + last["height"] - tree["y"] - tree["height"]) <= 1
    ticks = page.locator("#chart-hierarchy .tree-axis span").all_inner_texts()
    assert len(ticks) >= 3 and ticks[0] == "0" and float(ticks[-1]) >= max(m["distance"] for m in report["hierarchy"])
    assert "merge height" in page.locator("#chart-hierarchy").inner_text()


def _check_sizes(page, report: dict) -> None:
    """One bar per topic and no blank beside or under them: the chart is as tall as its rows."""
    figure = page.locator("#chart-sizes").bounding_box()
    bars = page.locator("#chart-sizes .bars").bounding_box()
    assert page.locator("#chart-sizes .bar").count() == len(report["topics"])
    assert figure["y"] + figure["height"] - (bars["y"] + bars["height"]) <= 2
    assert bars["height"] <= 24 * len(report["topics"])
    assert figure["width"] >= page.locator(".charts").bounding_box()["width"] - 1, "the chart has a row of its own"


def _check_map(page, report: dict, width: int, folder: Path) -> None:
    """A label per topic at its points (names on a wide screen, ids on a phone), a colour per topic, and
    a legend entry that picks out its topic's points."""
    drawn = {p["topic"] for p in report["map"]} - {-1}
    labels = page.locator("#chart-map .map-label")
    assert labels.count() == len(drawn)
    fills = set(page.evaluate("() => Array.from(document.querySelectorAll('#chart-map .point'), "
                              "p => p.getAttribute('fill'))"))
    assert len(fills - {"#cccccc"}) == len(drawn)
    names = page.locator("#chart-map .map-label .rest")
    visible = sum(names.nth(i).is_visible() for i in range(names.count()))
    assert visible == 0 if width < 600 else visible >= min(5, len(drawn))
    box = page.locator("#chart-map svg").bounding_box()
    for i in range(labels.count()):
        label = labels.nth(i).bounding_box()
        if labels.nth(i).is_visible():
            assert box["x"] <= label["x"] and label["x"] + label["width"] <= box["x"] + box["width"] + 1
    topic = report["topics"][1]["id"]
    page.locator(f'#chart-map .legend li[data-topic="{topic}"]').hover()
    assert page.locator("#chart-map.focus").count() == 1
    assert page.locator("#chart-map .point.on").count() == sum(p["topic"] == topic for p in report["map"])
    assert page.locator(f"#chart-map .map-label.t{topic}.on").count() == 1
    other = page.locator(f"#chart-map .point:not(.t{topic})").first
    assert float(other.evaluate("p => getComputedStyle(p).opacity")) < 0.2
    page.locator("#chart-map").screenshot(path=str(folder / f"map-focus-{width}.png"))
    page.mouse.move(0, 0)
    assert page.locator("#chart-map.focus").count() == 0


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("topics", [5, 30])
def test_report_reads_in_headless_chromium(request: pytest.FixtureRequest, tmp_path: Path, width: int, topics: int):
    report = request.getfixturevalue("dated_report" if topics == 5 else "crowded_report")
    assert len(report["topics"]) == topics
    html = render_html(report)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= {SVG_NAMESPACE}, "the file names no other host"
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    labels = [t["label"] for t in report["topics"]]
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
        _check_hierarchy(page, report, width)
        _check_sizes(page, report)
        _check_map(page, report, width, tmp_path)
        root = page.locator("#chart-hierarchy .tree-hit >> nth=-1")
        root.scroll_into_view_if_needed()
        _, top, x, bottom, _ = map(float, re.findall(r"[\d.]+", root.get_attribute("d")))
        tree = page.locator("#chart-hierarchy .tree-svg").bounding_box()
        page.mouse.move(tree["x"] + tree["width"] * x / WIDTH - 1, tree["y"] + (top + bottom) / 2)  # its upright
        page.wait_for_selector("#tip", state="visible")
        assert page.locator("#tip").inner_text().startswith("merge at ") and f"{topics} topics" in \
            page.locator("#tip").inner_text()
        for chart in ("similarity", "sizes", "hierarchy"):
            page.locator(f"#chart-{chart}").screenshot(path=str(tmp_path / f"{chart}-{width}.png"))
        assert all(url.startswith(("file:", "data:")) for url in seen.requests), seen.requests
        assert seen.errors == []
