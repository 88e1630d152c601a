"""Stories inside themes: the second level of the topic model (topics.stories)."""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import linkage

import jsonschema

from index import Article, read_paths
from topics.api import article_topics, topic_listing
from topics.cluster import TopicClusterer
from topics.fit import fit_topics, relabel
from topics.report import SCHEMA, build_report
from topics.stories import CORE, StoryClusterer, readable_partition

from .conftest import SEEDS


def _three_themes_of_four_stories(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors of 3 themes × 4 stories of uneven sizes: a story is its theme's direction, its own
    direction at a smaller angle, and noise; with each vector's theme and story."""
    rng = np.random.default_rng(seed)
    dim = 64
    basis = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    rows, themes, stories = [], [], []
    for theme in range(3):
        for story in range(4):
            size = (30, 45, 60, 90)[(story + theme) % 4]
            centre = 4.0 * basis[theme] + 2.0 * basis[3 + 4 * theme + story]
            rows.append(centre + 0.4 * rng.normal(size=(size, dim)))
            themes += [theme] * size
            stories += [4 * theme + story] * size
    X = np.vstack(rows).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True), np.array(themes), np.array(stories)


def test_three_themes_of_four_stories_give_three_themes_and_twelve_stories():
    X, themes, stories = _three_themes_of_four_stories()
    clusterer = TopicClusterer().fit(X)
    assert clusterer.n_topics_ == 3
    found = StoryClusterer().fit(X, clusterer.labels_, clusterer.n_topics_)
    assert len(found.themes) == 12
    for story in range(12):  # every found story is one true story, inside one theme
        members = found.labels == story
        assert len(set(stories[members])) == 1 and len(set(clusterer.labels_[members])) == 1
    assert StoryClusterer(n_stories=6).fit(X, clusterer.labels_, 3).themes.tolist().count(0) >= 1


def test_loose_paragraphs_joining_a_theme_move_no_story_and_each_gets_one():
    X, themes, _ = _three_themes_of_four_stories()
    clusterer = TopicClusterer().fit(X)
    rng = np.random.default_rng(3)
    direction = X[clusterer.labels_ == 0].mean(axis=0)
    loose = 0.5 * direction / np.linalg.norm(direction) + rng.normal(size=(150, X.shape[1])) / 2
    loose = (loose / np.linalg.norm(loose, axis=1, keepdims=True)).astype(np.float32)
    cosine = loose @ clusterer.centroids_[0]
    loose, cosine = loose[(cosine >= 0.1) & (cosine < CORE)], cosine[(cosine >= 0.1) & (cosine < CORE)]
    assert len(loose) >= 30  # the theme's edge that a floor of 0.1 takes in and one of 0.2 leaves out
    labels = np.concatenate([clusterer.labels_, np.zeros(len(loose), int)])
    confidence = np.concatenate([clusterer.confidence_, cosine])
    before = StoryClusterer().fit(X, clusterer.labels_, 3, confidence=clusterer.confidence_)
    after = StoryClusterer().fit(np.vstack([X, loose]), labels, 3, confidence=confidence)
    np.testing.assert_array_equal(before.themes, after.themes)
    np.testing.assert_allclose(before.centroids, after.centroids, atol=1e-6)
    assert (after.themes[after.labels[len(X):]] == 0).all()


def test_readable_partition_is_the_coarsest_under_the_bound_and_moves_by_one():
    rng = np.random.default_rng(5)
    tree = linkage(rng.normal(size=(40, 8)), method="ward")
    weights = rng.integers(1, 20, size=40).astype(float)
    groups = readable_partition(tree, weights, 0.2)
    shares = np.bincount(groups, weights=weights) / weights.sum()
    assert shares.max() <= 0.2 and len(set(groups)) == groups.max() + 1
    # coarsest: joining any group with the rest of its parent subtree crosses the bound
    children = {int(m): (int(a), int(b)) for m, (a, b) in zip(range(40, 79), tree[:, :2])}
    parent = {c: p for p, pair in children.items() for c in pair}
    for group in range(groups.max() + 1):
        leaves = set(np.flatnonzero(groups == group))
        node = next(n for n in range(79) if _under(children, n) == leaves)
        assert weights[sorted(_under(children, parent[node]))].sum() > 0.2 * weights.sum()
    heavier = weights.copy()
    heavier[groups == np.argmax(shares)] *= 1.05  # one story's edge grows
    assert abs(len(set(readable_partition(tree, heavier, 0.2))) - len(set(groups))) <= 1


def _under(children: dict[int, tuple[int, int]], node: int) -> set[int]:
    return {node} if node not in children else _under(children, children[node][0]) | _under(children, children[node][1])


def test_seed_has_three_stories_naming_its_subjects(new_store):
    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    model = fit_topics(store)
    assert len(model.stories) == 3
    labels = " | ".join(s.name.lower() for s in model.stories)
    assert "taliban" in labels and ("terrorist" in labels or "designation" in labels), labels
    assert "isis" in labels and ("central asia" in labels or "militan" in labels), labels
    assert "csto" in labels and "meeting" in labels, labels
    assert all(s.parent in {t.id for t in model.topics} for s in model.stories)
    assert not {s.id for s in model.stories} & {t.id for t in model.topics}


def _articles(start: int, stop: int) -> list[Article]:
    subjects = {
        "cup": "The striker scored twice as the home side won the cup final in front of a full stadium.",
        "tennis": "The champion won the tennis final in straight sets after a long rally on the grass court.",
        "rates": "The central bank raised interest rates again to fight inflation as bond markets fell.",
        "oil": "Oil prices jumped after the producers' cartel agreed to cut output for the coming months.",
    }
    return [Article(id=f"{name}-{i}", title="", text=f"{text} Report number {i} has more from the scene.")
            for i in range(start, stop) for name, text in subjects.items()]


def test_story_ids_and_labels_survive_a_refit_with_one_per_cent_more_articles(new_store):
    store = new_store()
    store.add(_articles(0, 100))
    first = fit_topics(store)
    assert first.stories and all(s.parent in {t.id for t in first.topics} for s in first.stories)
    story = first.stories[0]
    relabel(store, story.id, "My story")
    store.add(_articles(100, 101))  # 1% more
    second = fit_topics(store)
    assert {s.id for s in first.stories} == {s.id for s in second.stories}
    assert second.topic(story.id).name == "My story"
    assert {t.id for t in first.topics} == {t.id for t in second.topics}


def test_stories_reach_the_report_the_listing_and_each_article(new_store):
    store = new_store()
    store.add(_articles(0, 12))
    model = fit_topics(store)
    report = build_report(store, model)
    jsonschema.validate(report, SCHEMA)
    listed = [s["id"] for topic in report["topics"] for s in topic["stories"]]
    assert sorted(listed) == sorted(s.id for s in model.stories)
    assert all(a["main_story"] in listed for a in report["articles"] if a["main_topic"] is not None)
    listing = topic_listing(store, model).to_dict()
    assert [s["id"] for s in listing["stories"]] == [s.id for s in model.stories]
    assert all(s["theme"] in {t["id"] for t in listing["topics"]} for s in listing["stories"])
    found = article_topics(store, model, "tennis-3")
    assert found.main_story is not None and model.topic(found.main_story).parent == found.main
    stored = model.lookup(np.array([p.paragraph_id for p in found.paragraphs]), stories=True)[0]
    assert [p.story for p in found.paragraphs] == [int(s) for s in stored]
