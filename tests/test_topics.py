"""Topic clustering, labels, stable ids, assignment and reports with the real model."""

from __future__ import annotations

import json
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from index import Article, QueryError, Store, read_paths
from topics import cluster
from topics.cli import main
from topics.describe import TopicDescriber
from topics.api import assign_article
from topics.changes import changes, emerging
from topics.fit import fit_topics
from topics.model import UNASSIGNED, TopicModel, topic_mix
from topics.report import SCHEMA, build_report, render_html, render_json, render_markdown

from .conftest import SEEDS


def _seed_store(new_store, name: str = "store") -> Store:
    store = new_store(name)
    store.add(read_paths([SEEDS]).articles)
    return store


def _topic_at(store: Store, model: TopicModel, phrase: str) -> int:
    links = [link for link in store.links(article_ids=store.article_ids()) if phrase in link.text]
    assert links, phrase
    topics, _ = model.topics_of(store, np.array([links[0].paragraph_id]))
    return int(topics[0])


def test_seed_gives_the_two_mission_topics(new_store):
    store = _seed_store(new_store)
    model = fit_topics(store)
    assert 2 <= len(model.topics) <= 4
    duma = {_topic_at(store, model, p) for p in ("Parliament (Duma)", "legal authority to remove the Taliban")}
    isis = {_topic_at(store, model, p) for p in ("increasing presence of ISIS", "ISIS’s growing influence")}
    assert len(duma) == 1 and len(isis) == 1 and duma != isis
    assert UNASSIGNED not in duma | isis
    assert all(len(t.keywords) == 10 and 1 <= len(t.label.split()) <= 5 for t in model.topics)


def test_same_store_and_parameters_give_identical_files(new_store):
    folders = []
    for name in ("one", "two"):
        store = _seed_store(new_store, name)
        store.add(_themed(0, 8))
        fit_topics(store, seed=3)
        folders.append(store.path / "topics")
    names = sorted(p.name for p in folders[0].iterdir())
    assert names == sorted(p.name for p in folders[1].iterdir())
    for name in names:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name


THEMES = {
    "rates": "The central bank raised interest rates again to fight inflation, and bond markets fell sharply.",
    "football": "The striker scored twice as the home side won the football derby in front of a full stadium.",
    "volcano": "Lava from the erupting volcano forced villagers to flee as ash clouds grounded flights.",
    "elections": "Voters queued for hours at polling stations as the tight election race came to an end.",
}


def _themed(start: int, stop: int, themes: tuple[str, ...] = ("rates", "football", "volcano")) -> list[Article]:
    return [Article(id=f"{theme}-{i}", title="", source="Wire", published=f"2024-0{1 + i % 3}-1{i % 9}",
                    text=f"{THEMES[theme]} Report number {i} gives further details from the scene.")
            for i in range(start, stop) for theme in themes]


def test_ids_and_labels_survive_new_articles(new_store):
    store = new_store()
    store.add(_themed(0, 10))
    first = fit_topics(store)
    assert len(first.topics) == 3
    football = _topic_at(store, first, "football derby")
    assert main(["label", str(football), "Derby day", "--store", str(store.path)]) == 0
    store.add(_themed(10, 16) + _themed(0, 10, ("elections",)))
    second = fit_topics(store)
    assert _topic_at(store, second, "football derby") == football
    assert second.topic(football).name == "Derby day"
    assert {t.id for t in first.topics} <= {t.id for t in second.topics}
    new = [e for e in second.history if e["fit"] == 2 and e.get("level") != "story"]
    assert [e["event"] for e in new] == ["new"] and new[0]["topic"] not in {t.id for t in first.topics}


def test_assign_equals_the_fit_for_stored_paragraphs(new_store):
    store = new_store()
    store.add(_themed(0, 6))
    model = fit_topics(store)
    with store.reading() as snapshot:
        topics, confidence = model.assign(np.asarray(snapshot.vectors))
    assert np.array_equal(topics, model.assignments) and np.allclose(confidence, model.confidence)
    for article_id in store.article_ids():
        rows = [l.paragraph_id for l in store.links(article_ids=[article_id])]
        expected = topic_mix(model.lookup(np.array(rows))[0])
        assert assign_article(store, model, article_id) == expected
    new = Article(title="", text=THEMES["volcano"])
    assert assign_article(store, model, new)[0][0] == _topic_at(store, model, "erupting volcano")


HOSTILE_TITLE = "<script>alert('title')</script>"
HOSTILE_TEXT = "Officials said <img src=x onerror=alert(1)> was harmless, and the ministry denied everything."


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_report_is_self_contained_and_escapes_text(new_store):
    store = _seed_store(new_store)
    # Three hostile articles make a topic of their own, so their text is among its representatives.
    store.add([Article(id=f"bad{i}", title=HOSTILE_TITLE, text=f"{HOSTILE_TEXT} Statement {i} of the ministry.",
                       url="javascript:alert(2)", published="2024-11-20") for i in range(3)])
    model = fit_topics(store)
    html = render_html(build_report(store, model))
    assert HOSTILE_TITLE not in html and "<img src=x" not in html and "javascript:alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    parser = _Collector()
    parser.feed(html)
    tags = {tag for tag, _ in parser.tags}
    assert {"table", "svg", "circle", "rect", "path"} <= tags
    for tag, attrs in parser.tags:
        assert "src" not in attrs or tag != "script", "no external scripts"
        assert not (tag == "link" and attrs.get("rel") == "stylesheet"), "no external styles"
        assert not str(attrs.get("src", "")).startswith("http"), "nothing fetched from the web"
    assert sum(1 for tag, _ in parser.tags if tag == "script") == 1


def test_json_report_matches_schema_and_markdown_escapes(new_store):
    store = _seed_store(new_store)
    store.add([Article(id="bad", title=HOSTILE_TITLE, text=HOSTILE_TEXT)])
    report = build_report(store, fit_topics(store))
    jsonschema.validate(json.loads(render_json(report)), SCHEMA)
    markdown = render_markdown(report)
    assert "<img" not in markdown and "<script" not in markdown
    assert report["corpus"]["articles"] == 2 and report["model"]["up_to_date"]


@pytest.mark.parametrize("texts", [
    ["Only one paragraph in the whole store, about a storm over the bay."],
    ["A storm hit the bay overnight and closed the harbour for all boats.",
     "Parliament passed the budget after a long debate about school funding."],
    ["The same paragraph, repeated across three different articles in the store."] * 3,
    ["The and of it is.", "It is the and of."],
])
def test_tiny_corpora(new_store, texts: list[str]):
    store = new_store()
    store.add([Article(id=str(i), title="", text=text) for i, text in enumerate(texts)])
    model = fit_topics(store)
    assert len(model.topics) >= 1
    report = build_report(store, model)
    jsonschema.validate(report, SCHEMA)
    html, markdown = render_html(report), render_markdown(report)
    articles = "1 article ·" if len(texts) == 1 else f"{len(texts)} articles ·"
    assert articles in html and articles in markdown


def test_labels_of_vanished_topics_stay_in_history_and_bad_parameters_are_clear(new_store):
    store = new_store()
    store.add(_themed(0, 6))
    first = fit_topics(store, n_topics=3)
    volcano = _topic_at(store, first, "erupting volcano")
    assert main(["label", str(volcano), "Eruptions", "--store", str(store.path)]) == 0
    store.delete([a for a in store.article_ids() if a.startswith("volcano")])
    fit_topics(store, n_topics=2)
    events = [e for e in TopicModel.load(store.path).history if e["fit"] == 2]
    assert {"event": "vanished", "topic": volcano, "custom_label": "Eruptions", "fit": 2} in events
    for kwargs, message in [({"seed": -1}, "seed must"), ({"min_confidence": 1.5}, "min_confidence must"),
                            ({"n_topics": 0}, "n_topics must")]:
        with pytest.raises(QueryError, match=message):
            fit_topics(store, **kwargs)


def test_timeline_keeps_empty_periods(new_store):
    store = new_store()
    store.add([Article(id="old", title="", text=THEMES["rates"], published="2019-06-01"),
               Article(id="new", title="", text=THEMES["football"], published="2024-06-01")])
    report = build_report(store, fit_topics(store))
    assert report["period_unit"] == "quarter" and len(report["periods"]) == 21
    assert report["periods"][:3] == ["2019-Q2", "2019-Q3", "2019-Q4"] and report["periods"][-1] == "2024-Q2"
    assert report["period_articles"] == [1] + [0] * 19 + [1]


def test_empty_store_and_missing_model_are_clear_messages(new_store, capsys: pytest.CaptureFixture):
    store = new_store()
    with pytest.raises(QueryError, match="holds no articles yet"):
        fit_topics(store)
    assert main(["report", "--store", str(store.path)]) == 1
    assert "has no topics yet; run: topics cluster" in capsys.readouterr().err
    assert main(["cluster", "--seed", "-1", "--store", str(store.path)]) == 1
    assert "topics: error: --seed must be a whole number" in capsys.readouterr().err
    assert main(["label", "0", "x", "--store", str(store.path)]) == 1


def test_cli_cluster_assign_report(new_store, tmp_path: Path, capsys: pytest.CaptureFixture):
    store = _seed_store(new_store)
    path = str(store.path)
    assert main(["cluster", "--topics", "2", "--store", path]) == 0
    assert "2 topics over 11 paragraphs" in capsys.readouterr().out
    assert main(["assign", str(SEEDS / "000_d008b0bbdf9d98a1.txt"), "--json", "--store", path]) == 0
    mix = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert abs(sum(m["share"] for m in mix) - 1) < 1e-6
    labels = [t.name for t in TopicModel.load(store.path).topics]
    for fmt in ("html", "md", "json"):
        out = tmp_path / f"report.{fmt}"
        assert main(["report", "-o", str(out), "--store", path]) == 0
        text = out.read_text(encoding="utf-8")
        assert all(html_escape(label, quote=False) in text or label in text for label in labels), fmt
        title = "CSTO meeting held on Afghanistan’s security situation"
        assert title in (json.dumps(json.loads(text), ensure_ascii=False) if fmt == "json" else text), fmt
    assert main(["label", "99", "nope", "--store", path]) == 1
    assert "no topic 99" in capsys.readouterr().err


def test_predict_before_fit_says_so():
    with pytest.raises(cluster.NotFittedError, match="not fitted yet"):
        cluster.TopicClusterer().predict(np.zeros((1, 4), np.float32))


def test_clusterer_beyond_its_sample_finds_the_topics_and_predicts_its_own_fit(monkeypatch: pytest.MonkeyPatch):
    """3,000 vectors with 8 points per micro-cluster: k-means and the cut see a sample, membership all of them."""
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(3), 1000)
    X = (rng.standard_normal((3, 384))[truth] + 0.6 * rng.standard_normal((3000, 384))).astype(np.float32)
    whole = cluster.TopicClusterer(points_per_micro=8, seed=1).fit(X)
    monkeypatch.setattr(cluster, "CHUNK", 256)
    chunked = cluster.TopicClusterer(points_per_micro=8, seed=1).fit(X)
    assert whole.n_topics_ == 3 and UNASSIGNED not in whole.labels_
    assert all(len(np.unique(whole.labels_[truth == t])) == 1 for t in range(3))
    assert np.array_equal(whole.labels_, chunked.labels_) and np.allclose(whole.confidence_, chunked.confidence_)
    labels, confidence = chunked.predict(X)
    assert np.array_equal(labels, chunked.labels_) and np.array_equal(confidence, chunked.confidence_)


def test_seeds_give_the_same_topics_on_a_corpus_without_sharp_subjects():
    """2,400 vectors spread along a continuum (no clear gap): a random k-means start would move the
    micro-clusters and the count with the seed; the divisive start does not."""
    rng = np.random.default_rng(5)
    anchors = rng.standard_normal((12, 384))
    mix = rng.dirichlet(np.full(12, 0.3), size=2400)
    X = (mix @ anchors + 0.8 * rng.standard_normal((2400, 384))).astype(np.float32)
    fits = [cluster.TopicClusterer(seed=seed).fit(X) for seed in (0, 1, 2)]
    assert fits[0].n_topics_ >= 2
    assert all(np.array_equal(fits[0].labels_, fit.labels_) for fit in fits[1:])


def test_divisive_start_splits_by_spread_and_stops_at_identical_rows():
    from topics.divisive import divisive_centroids

    X = np.repeat(np.eye(4, dtype=np.float32), [30, 20, 10, 5], axis=0)
    centroids = divisive_centroids(X, 6)
    assert len(centroids) == 4  # four distinct rows cannot make six groups
    assert np.allclose(np.sort(centroids @ np.eye(4, dtype=np.float32), axis=0)[-1], 1.0)


def test_describer_caps_large_cores_and_leaves_small_corpora_alone(embedder):
    themes = ("rates", "football", "volcano")
    texts = [f"{THEMES[t]} Report number {i} gives further details from the scene." for i in range(40) for t in themes]
    labels = np.tile(np.arange(3), 40)
    confidence = np.random.default_rng(0).uniform(0.3, 0.9, len(texts)).astype(np.float32)
    centroids = embedder.encode([THEMES[t] for t in themes])
    default = TopicDescriber(embedder.encode).describe(texts, labels, confidence, centroids)
    unlimited = TopicDescriber(embedder.encode, max_core=10**6)
    assert unlimited.describe(texts, labels, confidence, centroids) == default
    capped = TopicDescriber(embedder.encode, max_core=5)
    cored = capped._core(texts, labels, confidence, None, capped.max_core)
    assert np.bincount(cored[cored >= 0]).tolist() == [5, 5, 5]
    described = capped.describe(texts, labels, confidence, centroids)
    assert described == capped.describe(texts, labels, confidence, centroids)
    for theme, word in zip(described, ("inflation", "football", "volcano")):
        assert word in {w for k, _ in theme.keywords for w in k.split()}


def _label_of(store: Store, model: TopicModel, phrase: str) -> str:
    return model.topic(_topic_at(store, model, phrase)).label


def test_seed_labels_name_its_two_themes(new_store):
    store = _seed_store(new_store)
    model = fit_topics(store)
    duma = _label_of(store, model, "legal authority to remove the Taliban")
    isis = _label_of(store, model, "increasing presence of ISIS")
    assert "Taliban" in duma and any(word in duma.lower() for word in ("list", "designation"))
    assert "ISIS" in isis and any(word in isis.lower() for word in ("central asia", "border", "milit"))
    labels = [t.label for t in model.topics]
    assert len({label.lower() for label in labels}) == len(labels)
    assert labels == [t.label for t in fit_topics(store).topics]


WIRE = [("LONDON (Reuters) - ", " Reporting by Jane Doe; editing by the desk."),
        ("KABUL, Afghanistan (AP) - ", " Copyright The Associated Press."),
        ("WASHINGTON (AFP) - ", " Follow AFP on the web for more.")]
SUBJECTS = {
    "rates": ["The central bank raised interest rates to curb inflation as bond yields climbed.",
              "Mortgage lenders passed the higher interest rates on to borrowers within days.",
              "Economists expect inflation to ease once interest rates stay high for a year."],
    "football": ["The striker scored a late winner as the home side took the cup final.",
                 "The club's manager praised the goalkeeper after the cup final penalty shootout.",
                 "Fans filled the stadium for the cup final between the two rival clubs."],
    "volcano": ["Lava from the erupting volcano forced villagers to flee their homes overnight.",
                "Ash clouds from the volcano grounded flights across the region for two days.",
                "Scientists warned that the volcano could erupt again within weeks."],
}


def test_labels_and_keywords_keep_out_boilerplate_reporting_verbs_honorifics_and_numbers(new_store):
    """A wire corpus: every article opens with a dateline and credit and closes with a sign-off, and the
    text is full of "Mr Smith said", ages and figures; none of it may name a topic."""
    articles = []
    for i in range(36):
        subject = list(SUBJECTS)[i % 3]
        opener, closer = WIRE[(i // 3) % 3]  # each wire across all subjects
        body = " ".join(SUBJECTS[subject][j % 3] for j in range(i, i + 2))
        extra = f"Mr Smith said the {20 + i}-year-old official told reporters that 000 jobs and {i}5 75 figures mattered."
        articles.append(Article(id=f"wire-{i}", title="", text=f"{opener}{body} {extra}{closer}"))
    store = new_store()
    store.add(articles)
    model = fit_topics(store)
    assert len(model.topics) >= 3
    banned = ("reuters", "associated press", "afp", "london", "kabul", "washington", "said", "told", "mr ",
              "mr smith", "year old", "year-old", "000", "75", "reporting", "copyright")
    for topic in model.topics:
        words = [topic.label.lower()] + [k.lower() for k, _ in topic.keywords]
        assert not any(b in w for w in words for b in banned), (topic.label, topic.keywords)
        assert all(any(c.isalpha() for c in k) for k, _ in topic.keywords)
    labels = [t.label.lower() for t in model.topics]
    assert len(set(labels)) == len(labels)


def test_boilerplate_paragraphs_are_unassigned_and_counted_apart(new_store, capsys):
    """A release footer in every article is no topic's: it stays unassigned, and the fit says how many
    of the unassigned it is, also after it is read back."""
    articles = [Article(id=f"release-{i}", title="", text="\n".join(
        SUBJECTS[list(SUBJECTS)[i % 3]][(i + j) % 3] for j in range(2)) + f"\nFor more information on release "
        f"{i} contact the press office of the news agency by telephone.") for i in range(36)]
    store = new_store()
    store.add(articles)
    fit_topics(store)
    model = TopicModel.load(store.path)
    footers = [pid for pid, text in zip(model.paragraph_ids.tolist(), store.paragraph_texts(model.paragraph_ids))
               if text.startswith("For more information")]
    assert model.boilerplate == len(footers) == 36
    assert (model.assignments[np.isin(model.paragraph_ids, footers)] == UNASSIGNED).all()
    assert main(["topics", "--store", str(store.path)]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if "unassigned" in line)
    assert header.endswith(f"{100 * model.unassigned_rate:.1f}% unassigned (85.7% boilerplate)"), header


@pytest.mark.parametrize("k", [3, 8, 20])
def test_automatic_count_finds_well_separated_subjects_of_uneven_sizes(k: int):
    rng = np.random.default_rng(k)
    sizes = np.maximum(20, (600 * 0.8 ** np.arange(k)).astype(int))  # the largest several times the smallest
    truth = np.repeat(np.arange(k), sizes)
    centres = rng.standard_normal((k, 384))
    X = (centres[truth] + 0.5 * rng.standard_normal((len(truth), 384))).astype(np.float32)
    found = cluster.TopicClusterer(seed=0).fit(X)
    assert k <= found.n_topics_ <= 3 * k


def test_emerging_topics_list_a_subject_new_in_the_last_week_and_not_the_steady_ones(new_store):
    store = new_store()
    steady = [Article(id=f"{theme}-{week}-{i}", title="", published=f"2024-0{1 + (7 * week + i) // 31}-"
                      f"{1 + (7 * week + i) % 28:02d}",
                      text=f"{THEMES[theme]} Report {week}.{i} gives further details from the scene.")
              for week in range(8) for i in range(3) for theme in ("rates", "football", "volcano")]
    fresh = [Article(id=f"elections-{i}", title="", published=f"2024-02-{26 + i % 3:02d}",
                     text=f"{THEMES['elections']} Report {i} gives further details from the scene.") for i in range(6)]
    store.add(steady + fresh)
    model = fit_topics(store)
    elections = _topic_at(store, model, "polling stations")
    found = emerging(store, model)
    assert [e.topic for e in found] == [elections]
    assert found[0].articles >= 5 and found[0].z >= 3 and found[0].period.startswith("2024-W")


def test_changes_between_fits_name_new_topics_and_keep_examples(new_store, capsys: pytest.CaptureFixture):
    store = new_store()
    store.add(_themed(0, 10))
    fit_topics(store)
    store.add(_themed(0, 10, ("elections",)))
    second = fit_topics(store)
    found = changes(store, second)
    kinds = {c.kind for c in found.changes}
    new = [c for c in found.changes if c.kind == "new" and c.level == "topic"]
    assert found.since == 1 and found.fit == 2 and "new" in kinds and "fell" in kinds
    assert len(new) == 1 and new[0].topic == _topic_at(store, second, "polling stations")
    assert new[0].before is None and new[0].after[0] == 10 and len(new[0].examples) == 2
    assert main(["changes", "--store", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "fit 2 against fit 1" in out and f"topic {new[0].topic} “{new[0].label}”: new, 10 paragraphs (25.0%)" in out
    fell = next(c for c in found.changes if c.kind == "fell")
    assert f"topic {fell.topic} “{fell.label}”: share fell " in out
    assert main(["changes", "--since", "7", "--store", str(store.path)]) == 1
    assert "no fit 7 to compare with; earlier fits kept: 1" in capsys.readouterr().err
    report = build_report(store, second)
    jsonschema.validate(report, SCHEMA)
    for text in (render_markdown(report), render_html(report)):
        assert "What changed" in text and "new</strong>" in text or "**new**" in text
        assert "share fell</strong>" in text or "**share fell**" in text
