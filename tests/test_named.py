"""Named topics (zero-shot and guided) on the seed article, with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from index import Article, InputError, Store, read_paths
from index.files import CHECKSUM_KEY
from topics.api import topic_listing
from topics.changes import changes
from topics.cli import main
from topics.fit import fit_topics, refit
from topics.model import UNASSIGNED, TopicModel
from topics.named import DEFAULT_THRESHOLD, GUIDED, NamedTopic, read_named
from topics.report import SCHEMA, build_report, render_json, render_markdown

from .conftest import SEEDS, dated_corpus

# The seed's two subjects as an analyst names them; the example paragraph and the threshold are what a
# single article on one region needs (every paragraph of it is near both names; see README).
NAMED = """
[[topic]]
name = "Terrorist designation policy"
seeds = ["list of terrorist organisations", "delisting", "banned organisations"]
examples = ["A government takes a militant group off its list of banned terrorist organisations."]
threshold = 0.38

[[topic]]
name = "Cross-border militancy"
seeds = ["ISIS in Central Asia", "militants crossing borders"]
threshold = 0.38
"""
DESIGNATION = ("Parliament (Duma)", "legal authority to remove the Taliban")
MILITANCY = ("particularly Kazakhstan", "increasing presence of ISIS", "ISIS’s growing influence")


def _seed_store(new_store, name: str = "store") -> Store:
    store = new_store(name)
    store.add(read_paths([SEEDS]).articles)
    return store


def _named_file(tmp_path: Path, text: str = NAMED, name: str = "named.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _topics_of(store: Store, model: TopicModel, phrases: tuple[str, ...]) -> set[int]:
    links = [link for link in store.links(article_ids=store.article_ids()) if any(p in link.text for p in phrases)]
    assert len(links) == len(phrases)
    topics, _ = model.topics_of(store, np.array([link.paragraph_id for link in links]))
    return {int(t) for t in topics}


def _by_name(model: TopicModel) -> dict[str, int]:
    return {t.name: t.id for t in model.topics if t.named}


def test_seed_named_topics_take_their_paragraphs_and_the_rest_is_clustered(new_store, tmp_path):
    store = _seed_store(new_store)
    model = fit_topics(store, named=read_named(_named_file(tmp_path)))
    ids = _by_name(model)
    assert list(ids) == ["Terrorist designation policy", "Cross-border militancy"]
    assert _topics_of(store, model, DESIGNATION) == {ids["Terrorist designation policy"]}
    assert _topics_of(store, model, MILITANCY) == {ids["Cross-border militancy"]}
    for topic in model.topics[:2]:  # named topics keep their names, and are described as any other
        assert topic.named and topic.label and topic.keywords and topic.threshold == pytest.approx(0.38)
        assert model.stories_of(topic.id)  # stories inside them, as for any theme
    rest = [t for t in model.topics if not t.named]
    assert rest and all(not t.named for t in model.stories)
    outside = ~np.isin(model.assignments, list(ids.values()))
    assert outside.any() and set(model.assignments[outside].tolist()) <= {t.id for t in rest} | {UNASSIGNED}
    assert sum(t.size for t in rest) > 0
    assert model.params["named"][0]["name"] == "Terrorist designation policy"  # kept with the fit's parameters


def test_named_topics_keep_names_and_ids_across_refits(new_store, tmp_path):
    store = _seed_store(new_store)
    first = _by_name(fit_topics(store, named=read_named(_named_file(tmp_path))))
    store.add(dated_corpus()[:40])
    for model in (refit(store), fit_topics(store), refit(store, fresh=True)):  # a plain refit keeps them
        assert _by_name(model) == first
        assert _topics_of(store, model, DESIGNATION) == {first["Terrorist designation policy"]}
        assert _topics_of(store, model, MILITANCY) == {first["Cross-border militancy"]}
        assert len(model.topics) > 2
    assert not any(t.named for t in fit_topics(store, named=[]).topics)  # [] drops them


def test_a_named_topic_matching_nothing_is_kept_empty(new_store, tmp_path):
    store = _seed_store(new_store)
    named = [*read_named(_named_file(tmp_path)), NamedTopic("Volcanic eruptions", ("lava", "ash cloud"))]
    model = fit_topics(store, named=named)
    empty = next(t for t in model.topics if t.name == "Volcanic eruptions")
    assert empty.named and empty.size == 0 and empty.threshold == DEFAULT_THRESHOLD
    assert not (model.assignments == empty.id).any()
    listing = topic_listing(store, model).to_dict()
    shown = next(t for t in listing["topics"] if t["id"] == empty.id)
    assert shown["named"] is True and shown["paragraphs"] == 0
    report = build_report(store, model)
    jsonschema.validate(json.loads(render_json(report)), SCHEMA)
    assert next(t for t in report["topics"] if t["id"] == empty.id)["named"] is True
    assert "named topic" in render_markdown(report)
    assert _by_name(refit(store))["Volcanic eruptions"] == empty.id


def test_guided_topic_grows_from_its_name(new_store, tmp_path):
    store = _seed_store(new_store)
    guided = [NamedTopic(t.name, t.seeds, t.examples, GUIDED) for t in read_named(_named_file(tmp_path, NAMED.replace(
        "threshold = 0.38\n", "")))]
    model = fit_topics(store, named=guided)
    ids = _by_name(model)
    assert list(ids) == ["Terrorist designation policy", "Cross-border militancy"]
    assert all(t.threshold is None for t in model.topics[:2]) and np.isnan(model.thresholds).all()
    assert _topics_of(store, model, DESIGNATION) == {ids["Terrorist designation policy"]}
    assert ids["Cross-border militancy"] in _topics_of(store, model, MILITANCY)
    assert (model.assignments == ids["Cross-border militancy"]).sum() >= 2
    again = refit(store)  # warm: the guided topics start where they ended, and take no other topic's place
    assert _by_name(again) == ids and [t.id for t in again.topics] == [t.id for t in model.topics]
    assert np.array_equal(again.assignments, model.assignments)


def test_named_paragraph_of_a_new_article_takes_the_named_topic(new_store, tmp_path):
    store = _seed_store(new_store)
    model = fit_topics(store, named=read_named(_named_file(tmp_path)))
    vectors = store.embedder.encode(["ISIS fighters spread from Afghanistan into Central Asia, "
                                     "threatening Tajikistan and Uzbekistan."])
    topics, confidence = model.assign(vectors)
    assert int(topics[0]) == _by_name(model)["Cross-border militancy"] and confidence[0] >= 0.38


def test_cli_marks_named_topics_and_changes_name_them(new_store, tmp_path, capsys):
    store = _seed_store(new_store)
    path = str(store.path)
    store.close()
    assert main(["cluster", "--named", str(_named_file(tmp_path)), "--store", path]) == 0
    out = capsys.readouterr().out
    assert "Terrorist designation policy" in out and "* named topic" in out
    assert main(["topics", "--json", "--store", path]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["named"] for t in listed["topics"]][:2] == [True, True] and not listed["topics"][-1]["named"]
    with Store.open(path) as again:
        again.add([Article(id="more", title="ISIS in Central Asia",
                           text="ISIS fighters crossed the border from Afghanistan into Tajikistan.\n\n"
                                "Central Asian states warned of militants on their borders.")])
    assert main(["cluster", "--store", path]) == 0
    with Store.open(path) as again:
        found = changes(again, TopicModel.load(again.path))
    assert all(c.named == (c.label in ("Terrorist designation policy", "Cross-border militancy"))
               for c in found.changes if c.level == "topic")


def test_named_topic_gaining_a_burst_is_emerging(new_store):
    store = new_store()
    store.add(dated_corpus())
    volcano = NamedTopic("Volcanic eruptions", ("lava", "ash clouds", "erupting volcano"), threshold=0.4)
    model = fit_topics(store, named=[volcano])
    assert model.topics[0].named and model.topics[0].size > 0
    store.add([Article(id=f"v{i}", title="", published="2024-05-30", source="Wire",
                       text=f"Lava from the erupting volcano forced villagers to flee, day {i}.\n\n"
                            "Ash clouds grounded flights across the region.") for i in range(8)])
    model = refit(store)
    rising = changes(store, model).emerging
    assert any(e.topic == model.topics[0].id and e.named for e in rising)
    assert "emerging named topic" in next(e.line() for e in rising if e.named)


@pytest.mark.parametrize("text, message", [
    ("[[topic]\nname = 'x'", "named.toml: is not valid TOML"),
    ("[[topic]]\nseeds = ['a']", "named.toml: item 1: field 'name': is missing or empty"),
    ("[[topic]]\nname = 'a'\n[[topic]]\nname = 'b'\nmode = 'fixed'", "item 2: field 'mode': must be 'zero-shot' or"),
    ("[[topic]]\nname = 'a'\nthreshold = 2", "item 1: field 'threshold': must be a number from -1 to 1"),
    ("[[topic]]\nname = 'a'\nseed = ['b']", "item 1: field 'seed': is not a field of a named topic"),
    ("[[topic]]\nname = 'a'\nseeds = [1]", "item 1: field 'seeds': must be a list of non-empty strings"),
    ("[[topic]]\nname = 'a'\n[[topic]]\nname = 'A'", "item 2: field 'name': 'A' is named twice"),
    ("title = 'x'", "field 'title': is not a key of a named-topics file"),
])
def test_bad_named_file_is_one_line(new_store, tmp_path, capsys, text, message):
    store = _seed_store(new_store)
    path = str(store.path)
    store.close()
    named = _named_file(tmp_path, text)
    assert main(["cluster", "--named", str(named), "--store", path]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("topics: error: ") and message in err, err
    assert str(named) in err
    assert not TopicModel.exists(Path(path))


def test_missing_named_file_and_bad_threshold_are_one_line(new_store, tmp_path, capsys):
    store = _seed_store(new_store)
    path = str(store.path)
    store.close()
    assert main(["cluster", "--named", str(tmp_path / "none.toml"), "--store", path]) == 1
    assert "none.toml: cannot be read" in capsys.readouterr().err
    assert main(["cluster", "--named-threshold", "3", "--store", path]) == 1
    assert capsys.readouterr().err == "topics: error: --named-threshold must be a number from -1 to 1, not 3.0\n"
    with pytest.raises(InputError, match="named: item 1: field 'mode'"):
        from topics.named import entries
        entries([{"name": "a", "mode": "x"}], "named")


def test_service_refresh_takes_named_topics_as_json(new_store, embedder, tmp_path):
    from fastapi.testclient import TestClient

    from topics.service import create_app

    store = _seed_store(new_store)
    fit_topics(store)
    path = store.path
    store.close()
    client = TestClient(create_app(path, model=embedder))
    entries = [{"name": "Cross-border militancy", "seeds": ["ISIS in Central Asia", "militants crossing borders"],
                "threshold": 0.38}, {"name": "Volcanic eruptions", "seeds": ["lava"]}]
    sent = client.post("/v1/topics/refresh", json={"named": entries})
    assert sent.status_code == 200, sent.text
    named = {t["label"]: t for t in sent.json()["topics"] if t["named"]}
    assert set(named) == {"Cross-border militancy", "Volcanic eruptions"}
    assert named["Volcanic eruptions"]["paragraphs"] == 0
    assert "#%d · named" % named["Volcanic eruptions"]["id"] in client.get("/topics").text  # the web app too
    page = client.get(f"/topics/{named['Cross-border militancy']['id']}").text
    assert "named topic · automatic label" in page
    again = client.post("/v1/topics/refresh").json()  # no body: the named topics of the fit in force
    assert {t["id"] for t in again["topics"] if t["named"]} == {t["id"] for t in named.values()}
    bad = client.post("/v1/topics/refresh", json={"named": [{"name": "x", "mode": "fixed"}]})
    assert bad.status_code == 422 and "named: item 1: field 'mode'" in bad.json()["detail"]
    bad = client.post("/v1/topics/refresh", json={"named_threshold": 7})
    assert bad.status_code == 422 and "named_threshold" in bad.json()["detail"]


def test_a_model_saved_before_named_topics_loads_and_refits(new_store):
    store = _seed_store(new_store)
    model = fit_topics(store)
    path = store.path / "topics" / f"model.{model.fit_number}.json"
    saved = json.loads(path.read_text())
    for topic in saved["topics"] + saved["stories"]:
        for key in ("named", "named_label", "threshold"):
            topic.pop(key)
    for key in ("named", "named_threshold"):
        saved["params"].pop(key)
    saved.pop(CHECKSUM_KEY)  # a model written before named topics had no checksum either
    path.write_text(json.dumps(saved))
    old = TopicModel.load(store.path)
    assert not any(t.named for t in old.topics) and np.isnan(old.thresholds).all()
    assert [t.id for t in refit(store).topics] == [t.id for t in model.topics]
