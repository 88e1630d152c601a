"""Reading what is stored without changing it: ``topics show`` (an article with its paragraphs' topics
and its duplicates) and ``topics topics`` (the fit's topics), which print the same dicts as the HTTP
service's ``GET /v1/articles/{id}`` and ``GET /v1/topics``; and the words ``topics changes`` uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index import Article, Embedder, Store, duplicates, duplicates_of, read_paths
from index.story_tables import StoryTables
from topics.changes import TopicChange
from topics.cli import main
from topics.model import Topic, TopicModel
from topics.service import create_app
from topics.stable import carry_ids

from .conftest import SEEDS

HARBOUR = [Article(id=f"n{i}", title=f"Harbour report {i}", source="Wire", published=f"2024-03-{i + 1:02d}",
                   text=f"Storms closed the harbour for the {i}th time this winter, and the fishing fleet "
                        f"stayed in port. {detail}")
           for i, detail in enumerate(("Ferries to the islands were cancelled until the weekend.",
                                       "The coastguard warned boats to keep clear of the breakwater.",
                                       "Traders at the fish market said prices had doubled in a week."))]
COPY = Article(id="copy-of-n1", title="Harbour report 1", source="Other wire", text=HARBOUR[1].text)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = tmp_path_factory.mktemp("reading") / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles + HARBOUR + [COPY])
    return path


@pytest.fixture(scope="module")
def fitted(store_path: Path) -> Path:
    assert main(["cluster", "--store", str(store_path)]) == 0
    return store_path


def _json(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    assert main(list(argv)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_an_article_before_the_first_fit_shows_its_paragraphs_and_says_there_are_no_topics(
        store_path: Path, capsys: pytest.CaptureFixture):
    if (store_path / "topics").exists():
        pytest.skip("runs before the module's fit")
    shown = _json(capsys, "show", "n1", "--json", "--store", str(store_path))
    assert shown["main_topic"] is None and shown["topics"] == []
    assert all(p["topic"] is None for p in shown["paragraphs"])
    assert main(["show", "n1", "--store", str(store_path)]) == 0
    assert "no topics yet (run: topics cluster)" in capsys.readouterr().out
    assert main(["topics", "--store", str(store_path)]) == 1
    assert capsys.readouterr().err.strip() == (f"topics: error: {store_path} has no topics yet; run: topics cluster "
                                               f"--store {store_path}")


def test_show_prints_what_the_service_answers(fitted: Path, embedder: Embedder, capsys: pytest.CaptureFixture):
    shown = _json(capsys, "show", "n1", "--json", "--store", str(fitted))
    client = TestClient(create_app(fitted, model=embedder))
    assert client.get("/v1/articles/n1").json() == shown
    assert {k: shown[k] for k in ("id", "title", "source", "published")} == {
        "id": "n1", "title": "Harbour report 1", "source": "Wire", "published": "2024-03-02T00:00:00"}
    assert [set(p) for p in shown["paragraphs"]] == [
        {"paragraph_id", "position", "is_title", "text", "topic", "confidence", "story"}] * len(shown["paragraphs"])
    assert shown["paragraphs"][0]["is_title"] and all(p["topic"] is not None for p in shown["paragraphs"])
    assert shown["main_topic"] in {t["topic"] for t in shown["topics"]}
    assert shown["main_story"] is not None and all(p["story"] is not None for p in shown["paragraphs"])
    assert abs(sum(t["share"] for t in shown["topics"]) - 1) < 1e-6
    copies = [d for d in shown["duplicates"] if d["kind"] == "copy"]
    assert [d["article"]["id"] for d in copies] == ["copy-of-n1"] and copies[0]["score"] > 0.99
    assert "path" not in copies[0]["article"]

    assert main(["show", "n1", "--store", str(fitted)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Harbour report 1\nn1 · Wire · 2024-03-02\n")
    label = {t["topic"]: t["label"] for t in shown["topics"]}
    mix = ", ".join(f"{100 * t['share']:.0f}% topic {t['topic']} “{t['label']}”" for t in shown["topics"])
    assert f"main topic {shown['main_topic']} “{label[shown['main_topic']]}”; mix: {mix}\n" in out
    assert f"title  topic {shown['paragraphs'][0]['topic']}" in out
    assert "Storms closed the harbour for the 1th time" in out
    assert f"the same story: {len(shown['duplicates'])} article" in out and "  copy     1.000  copy-of-n1" in out

    assert main(["show", "nope", "--store", str(fitted)]) == 1
    assert capsys.readouterr().err.strip() == f"topics: error: no article with id 'nope' in {fitted}"
    assert client.get("/v1/articles/nope").status_code == 404


def test_topics_lists_the_fit_as_the_service_does_without_refitting(fitted: Path, embedder: Embedder,
                                                                     capsys: pytest.CaptureFixture):
    model = TopicModel.load(fitted)
    listed = _json(capsys, "topics", "--json", "--store", str(fitted))
    assert TestClient(create_app(fitted, model=embedder)).get("/v1/topics").json() == listed
    assert listed["fit_number"] == model.fit_number and listed["up_to_date"]
    assert listed["paragraphs"] == len(model.paragraph_ids)
    assert [t["id"] for t in listed["topics"]] == [t.id for t in model.topics]
    for topic, shown in zip(model.topics, listed["topics"]):
        assert shown["paragraphs"] == topic.size and shown["label"] == topic.name
        assert shown["share"] == round(topic.size / len(model.paragraph_ids), 6)
        assert shown["keywords"] == [k for k, _ in topic.keywords]

    assert main(["topics", "--store", str(fitted)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"fit {model.fit_number}" and out[1].startswith(f"{len(model.topics)} topics over ")
    assert out[2].split() == ["topic", "paragraphs", "share", "label", "keywords"]
    assert TopicModel.load(fitted).fit_number == model.fit_number  # nothing refitted


def test_duplicates_of_an_article_are_the_pairs_duplicates_lists_for_it(fitted: Path, embedder: Embedder):
    with Store.open(fitted, model=embedder) as store:
        pairs = duplicates(store)
        assert pairs, "the corpus holds a copy"
        for article_id in store.article_ids():
            assert duplicates_of(store, article_id) == [p for p in pairs if article_id in (p.first.id, p.second.id)]


def test_duplicates_of_reads_the_story_tables_of_its_generation(embedder: Embedder, tmp_path: Path):
    """One article's pairs need the whole store's story tables: saved once per generation, read by the
    next process; after a few writes the older tables stand in, the pairs with what changed found from
    the article's neighbourhood, until ``duplicates`` makes the generation's own."""
    path = tmp_path / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles[:6] + HARBOUR + [COPY])
        assert [p.first.id for p in duplicates_of(store, "n1")] == ["copy-of-n1"]
        generation = store.stats().generation
    assert {f.name for f in path.glob("stories.*")} == {f"stories.{generation}.npz", f"stories.{generation}.json"}
    with Store.open(path, model=embedder) as store:
        tables = StoryTables.load(path, (generation, 0.9, 10))
        assert tables is not None and tables.keys == sorted(store.article_ids())
        store.add([Article(id="copy-of-n2", title="Harbour report 2", text=HARBOUR[2].text)])
        store.delete(["copy-of-n1"])
        assert [p.first.id for p in duplicates_of(store, "n2")] == ["copy-of-n2"]
        assert [p.second.id for p in duplicates_of(store, "copy-of-n2")] == ["n2"]
        assert duplicates_of(store, "n1") == []
        view = store.stories.view
        assert view is not None and view.tables.generation == generation and not view.exact
        assert view.changed == {"copy-of-n2"} and view.removed == {"copy-of-n1"}
        stale = {aid: duplicates_of(store, aid) for aid in store.article_ids()}
        pairs = duplicates(store)  # the generation's own tables, made and saved
        assert store.stories.view.exact and store.stories.view.run == (generation + 2, 0.9, 10)
        assert stale == {aid: [p for p in pairs if aid in (p.first.id, p.second.id)] for aid in stale}
        assert duplicates_of(store, "n2", threshold=0.95) == stale["n2"]  # the tables made again at 0.95
        assert store.stories.view.run == (generation + 2, 0.95, 10)
    assert not (path / f"stories.{generation}.npz").exists()


def test_tables_older_than_a_stock_phrase_are_made_again(embedder: Embedder, tmp_path: Path):
    """More articles written since the tables than may hold a phrase before it is stock: the older counts
    could miss a stock phrase the new articles share, so the generation's own tables are made."""
    path = tmp_path / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(HARBOUR + [COPY])
        duplicates_of(store, "n1")
        store.add([Article(id=f"more-{i}", title=f"Harbour notice {i}", text=f"Notice {i}: {HARBOUR[0].text}")
                   for i in range(6)])
        pairs = duplicates_of(store, "n1")
        assert store.stories.view.exact and [p.first.id for p in pairs] == ["copy-of-n1"]


def test_a_share_that_fell_while_the_count_grew_says_so():
    fell = TopicChange("fell", 3, "Business", (2574, 0.262), (2605, 0.215))
    assert fell.line() == "topic 3 “Business”: share fell 26.2% → 21.5% (2,574 → 2,605 paragraphs)"
    assert fell.to_dict()["what"] == "share fell" and fell.to_dict()["text"] == fell.line()
    rose = TopicChange("rose", 1, "Rates", (10, 0.25), (9, 0.3))
    assert rose.line() == "topic 1 “Rates”: share rose 25.0% → 30.0% (10 → 9 paragraphs)"
    assert TopicChange("new", 7, "Tech", None, (2113, 0.175)).line() == "topic 7 “Tech”: new, 2,113 paragraphs (17.5%)"
    assert (TopicChange("split", 8, "Chips", None, (40, 0.05), other=2).line()
            == "topic 8 “Chips”: split from topic 2, 40 paragraphs (5.0%)")
    assert (TopicChange("merged", 4, "Golf", (1, 0.01), None, other=2).line()
            == "topic 4 “Golf”: merged into topic 2, 1 paragraph (1.0%) before")


def _previous(groups: list[int]) -> TopicModel:
    """A fit whose paragraphs 0..n-1 are in the topics ``groups`` names (ids as given)."""
    ids = sorted(set(groups))
    return TopicModel(topics=[Topic(i, f"t{i}", [], groups.count(i), []) for i in ids],
                      centroids=np.eye(len(ids), dtype=np.float32), paragraph_ids=np.arange(len(groups)),
                      assignments=np.array(groups), confidence=np.ones(len(groups), np.float32),
                      params={"min_confidence": 0.2}, corpus_hash="", embedding_model="")


def test_a_topic_mostly_of_new_articles_is_new_even_when_its_old_paragraphs_come_from_one_topic():
    previous = _previous([0] * 10 + [1] * 10)
    ids = np.arange(40)  # 20 paragraphs of the last fit, 20 of articles added since
    # topic 0 stays; topic 1 keeps 7 of its paragraphs; topic 2 takes its other 3 and the new articles
    groups = np.array([0] * 10 + [1] * 7 + [2] * 3 + [2] * 20)
    arrived = ids >= 20
    assert carry_ids(previous, ids, groups, 3).events == [{"event": "split", "topic": 2, "from": 1}]
    assert carry_ids(previous, ids, groups, 3, arrived=arrived).events == [{"event": "new", "topic": 2}]
    # half from the new articles or less: still a split
    groups = np.array([0] * 10 + [1] * 6 + [2] * 4 + [2] * 4 + [-1] * 16)
    assert carry_ids(previous, ids, groups, 3, arrived=arrived).events == [{"event": "split", "topic": 2, "from": 1}]


def test_tables_saved_without_fingerprints_do_not_stand_in(embedder: Embedder, tmp_path: Path):
    """Tables written before they recorded each article's fingerprint cannot tell which articles changed
    since, so after a write they are made again rather than read."""
    import dataclasses
    path = tmp_path / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(HARBOUR + [COPY])
        duplicates_of(store, "n1")
        generation = store.stats().generation
    dataclasses.replace(StoryTables.load(path, (generation, 0.9, 10)), fingerprints=None).save(path)
    assert StoryTables.load(path, (generation, 0.9, 10)).fingerprints is None
    with Store.open(path, model=embedder) as store:
        store.add([Article(id="copy-of-n2", title="Harbour report 2", text=HARBOUR[2].text)])
        assert [p.first.id for p in duplicates_of(store, "n2")] == ["copy-of-n2"]
        assert store.stories.view.exact
