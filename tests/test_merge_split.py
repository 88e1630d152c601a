"""Merge and split by hand: kept in decisions.json, made again after refits, undone by reset; the same
through the API, the command line, the service and the topic page, with the real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index import Embedder, Store
from topics.api import merge_topics, reset, split_topic
from topics.changes import changes
from topics.cli import main
from topics.fit import fit_topics, refit
from topics.model import TopicModel
from topics.model_files import FOLDER
from topics.notebook import TopicMap
from topics.service import create_app

from .conftest import dated_corpus

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """Five months of wire stories, fitted once: five themes, one of them (football and the volcano)
    of several stories."""
    path = tmp_path_factory.mktemp("merge") / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(dated_corpus(), progress=False)
        fit_topics(store)
    return path


@pytest.fixture()
def store(fitted: Path, tmp_path: Path, embedder: Embedder):
    copy = shutil.copytree(fitted, tmp_path / "store")
    with Store.open(copy, model=embedder) as opened:
        yield opened


def _one_story_themes(model: TopicModel) -> list[int]:
    return [t.id for t in model.topics if len(model.stories_of(t.id)) == 1]


def _many_story_theme(model: TopicModel) -> int:
    return next(t.id for t in model.topics if len(model.stories_of(t.id)) > 1)


def _members(model: TopicModel, topic_id: int) -> set[int]:
    return {int(p) for p in model.members(topic_id)}


def test_merge_makes_one_topic_of_the_union_and_survives_refits(store: Store):
    before = TopicModel.load(store.path)
    first, second = _one_story_themes(before)[:2]
    union = _members(before, first) | _members(before, second)
    done = merge_topics(store, [first, second], label="Money and markets")
    model = TopicModel.load(store.path)
    assert done.fit == before.fit_number + 1 == model.fit_number
    assert _members(model, first) == union and second not in {t.id for t in model.themes_and_stories}
    merged = model.topic(first)
    assert merged.size == len(union) and merged.name == "Money and markets" and merged.keywords
    assert abs(float(np.linalg.norm(model.centroids[list(model.ids).index(first)])) - 1) < 1e-4
    assert all(s.parent != second for s in model.stories)
    kept = json.loads((store.path / FOLDER / "decisions.json").read_text())
    assert [p["topic"] for p in kept["merges"][0]["parts"]] == [first, second]
    lines = [c.line() for c in changes(store, model).changes]
    assert f"topic {second} “{before.topic(second).name}”: merged into topic {first} by hand" in " ".join(lines)
    for fresh in (False, True):  # warm: the merged centroid is kept; fresh: the decision merges again
        again = refit(store, fresh=fresh)
        assert first in again.ids and second not in again.ids
        assert len(_members(again, first) & union) >= 0.9 * len(union)
        assert again.topic(first).name == "Money and markets"


def test_split_into_stories_survives_a_fresh_refit_and_reset_undoes_both(store: Store):
    before = TopicModel.load(store.path)
    theme = _many_story_theme(before)
    stories = before.stories_of(theme)
    done = split_topic(store, theme)
    parts = [t.id for t in done.topics]
    model = TopicModel.load(store.path)
    assert len(parts) == len(stories) and theme in parts
    assert set().union(*(_members(model, p) for p in parts)) == _members(before, theme)
    assert all(model.topic(p).parent is None and len(model.stories_of(p)) == 1 for p in parts)
    first, second = [t for t in _one_story_themes(before) if t != theme][:2]
    merge_topics(store, [first, second])
    again = refit(store, fresh=True)
    assert set(parts) <= set(again.ids.tolist()) and second not in again.ids
    undone = reset(store)
    assert undone.done[0].startswith(f"merge of {first}, {second} undone")
    assert undone.done[1].startswith(f"split of {theme} undone")
    restored = TopicModel.load(store.path)
    assert {first, second, theme} <= set(restored.ids.tolist())
    assert not set(parts) - {theme} & set(restored.ids.tolist())
    assert _members(restored, theme) == _members(before, theme)
    assert restored.steering.merges == [] and restored.steering.splits == []
    assert reset(store).done == ["no merges or splits to undo"]


def test_split_into_n_by_the_tree_and_a_story_merge(store: Store):
    model = TopicModel.load(store.path)
    theme = _many_story_theme(model)
    a, b = [s.id for s in model.stories_of(theme)][:2]
    merged = merge_topics(store, [a, b]).topics[0]
    assert merged.id == a and merged.parent == theme
    cut = split_topic(store, theme, into=2)
    assert len(cut.topics) == 2 and sum(t.size for t in cut.topics) == model.topic(theme).size


def test_command_line_merge_split_reset_and_one_line_errors(store: Store, capsys: pytest.CaptureFixture[str]):
    model = TopicModel.load(store.path)
    first, second = _one_story_themes(model)[:2]
    path = str(store.path)
    store.close()
    assert main(["merge", str(first), "999", "--store", path]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("topics: error: no topic 999; topics are ") and str(first) in err and "\n" not in err
    assert main(["split", "999", "--store", path]) == 1
    assert "no topic 999; topics are" in capsys.readouterr().err
    assert main(["merge", str(first), "--store", path]) == 1
    assert "two or more" in capsys.readouterr().err
    assert main(["merge", str(first), str(second), "--label", "Rates", "--store", path]) == 0
    out = capsys.readouterr().out
    assert f"topic {second} merged into topic {first} by hand" in out and f"topic {first}: Rates" in out
    assert main(["merge", "--reset", "--store", path]) == 0
    assert capsys.readouterr().out.startswith(f"merge of {first}, {second} undone")


@pytest.fixture()
def served(store: Store, embedder: Embedder) -> tuple[TestClient, TopicModel, int, int]:
    """The store served with a token, its model and two one-story themes."""
    model = TopicModel.load(store.path)
    first, second = _one_story_themes(model)[:2]
    store.close()
    return TestClient(create_app(store.path, model=embedder, token=TOKEN)), model, first, second


def test_service_endpoints_need_the_token(served: tuple[TestClient, TopicModel, int, int]):
    client, _, first, second = served
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/v1/topics/merge", json={"ids": [first, second]}).status_code == 401
    assert client.post(f"/v1/topics/{first}/split").status_code == 401
    assert client.post("/v1/topics/decisions/reset").status_code == 401
    missing = client.post("/v1/topics/merge", json={"ids": [first, 999]}, headers=auth)
    assert missing.status_code == 404 and "no topic 999" in missing.json()["detail"]
    done = client.post("/v1/topics/merge", json={"ids": [first, second], "label": "Rates"}, headers=auth)
    assert done.status_code == 200 and done.json()["topics"][0]["label"] == "Rates"
    assert second not in [t["id"] for t in client.get("/v1/topics").json()["topics"]]
    assert client.post("/v1/topics/decisions/reset", params={"kind": "merges"}, headers=auth).json()["done"]
    assert second in [t["id"] for t in client.get("/v1/topics").json()["topics"]]


def test_topic_page_form_keeps_the_token_rule(served: tuple[TestClient, TopicModel, int, int], store: Store):
    client, model, first, second = served
    path = store.path
    page = client.get(f"/topics/{first}")
    assert f'action="/topics/{first}/reshape"' in page.text
    refused = client.post(f"/topics/{first}/reshape", data={"action": "merge", "with": str(second)})
    assert refused.status_code == 403 and TopicModel.load(path).fit_number == model.fit_number
    sent = client.post(f"/topics/{first}/reshape", data={"action": "merge", "with": str(second), "token": TOKEN},
                       follow_redirects=False)
    assert sent.status_code == 303 and second not in TopicModel.load(path).ids
    bad = client.post(f"/topics/{first}/reshape", data={"action": "merge", "with": "999", "token": TOKEN})
    assert bad.status_code == 422 and "no topic 999" in bad.text


def test_reset_of_a_merge_takes_a_later_split_of_it_along(store: Store):
    model = TopicModel.load(store.path)
    first, second = _one_story_themes(model)[:2]
    merge_topics(store, [first, second])
    split_topic(store, first, into=2)
    undone = reset(store, "merges")
    assert [line.split(" undone")[0] for line in undone.done] == [f"split of {first}", f"merge of {first}, {second}"]
    restored = TopicModel.load(store.path)
    assert _members(restored, first) == _members(model, first) and _members(restored, second) == _members(model, second)
    assert reset(store, "splits").done == ["no splits to undo"]


def test_decisions_outlive_the_fit_files(store: Store):
    model = TopicModel.load(store.path)
    first, second = _one_story_themes(model)[:2]
    union = _members(model, first) | _members(model, second)
    merge_topics(store, [first, second])
    folder = store.path / FOLDER
    for path in folder.iterdir():
        if path.name != "decisions.json":
            path.unlink()
    again = fit_topics(store)
    assert len(again.topics) == len(model.topics) - 1
    assert any(len(_members(again, t.id) & union) >= 0.9 * len(union) for t in again.topics)


def test_the_notebook_merges_splits_and_resets(embedder: Embedder):
    texts = [article.text for article in dated_corpus()[:60]]
    with TopicMap(model=embedder).fit(texts) as tm:
        first, second = [t.id for t in tm.topic_model.topics][:2]
        done = tm.merge(first, second, label="Both")
        assert done["topics"][0]["label"] == "Both" and second not in tm.topic_model.ids
        assert tm.topic_model.topic(first).name == "Both"
        assert tm.reset()["done"][0].startswith(f"merge of {first}, {second} undone")
        assert second in tm.topic_model.ids
