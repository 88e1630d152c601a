"""Search, filters, grouping, similar articles and duplicates on the seed and small test corpora."""

from __future__ import annotations

import numpy as np
import pytest

from index import Article, Filters, QueryError, Store, duplicates, search, similar
from index.search import Fusion
from tests.test_stories import STORY, edited, releases


def test_taliban_delisting_query_ranks_the_duma_paragraph_first(seed_store: Store):
    top = search(seed_store, "Russia may remove the Taliban from its list of terrorist organisations", k=3)[0]
    assert "remove the Taliban" in top.text and not top.is_title


def test_isis_query_ranks_an_isis_paragraph_first(seed_store: Store):
    top = search(seed_store, "Islamic State spreading toward Central Asia", k=3)[0]
    assert "ISIS" in top.text


def test_hits_carry_article_and_position(seed_store: Store):
    hits = search(seed_store, "Who chaired the CSTO meeting?", k=11)
    assert len(hits) == 11
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert sorted(h.position for h in hits) == list(range(11))
    assert hits[0].to_dict()["title"] == "CSTO meeting held on Afghanistan’s security situation"


@pytest.mark.parametrize("query, k, message", [("   ", 3, "empty query"), ("taliban", 0, "k must be")])
def test_bad_queries(seed_store: Store, query: str, k: int, message: str):
    with pytest.raises(QueryError, match=message):
        search(seed_store, query, k=k)


@pytest.fixture()
def mixed_store(new_store) -> Store:
    """Forty articles from Wire about economics, four from Local about football, dated 2024-01-01..44."""
    store = new_store()
    articles = [Article(id=f"w{i}", title=f"Markets report {i}", source="Wire", published=f"2024-01-{i % 28 + 1:02d}",
                        text=f"Shares and bond yields moved on day {i} as investors weighed the central bank's "
                             f"interest rate outlook and inflation data.") for i in range(40)]
    articles += [Article(id=f"l{i}", title=f"Derby match {i}", source="Local", published=f"2024-02-0{i + 1}",
                         text=f"The home team won the football derby {i} with a late goal from the striker in "
                              f"front of a sold-out stadium.") for i in range(4)]
    store.add(articles)
    return store


def test_filters_search_deep_enough_to_return_k(mixed_store: Store):
    hits = search(mixed_store, "football derby late goal", k=4, filters=Filters(source="wire"))
    assert len(hits) == 4 and {h.article.source for h in hits} == {"Wire"}
    january = search(mixed_store, "football derby", k=100, filters=Filters(until="2024-01-31"))
    assert len(january) == 80 and all(h.article.published < "2024-02" for h in january)
    february = search(mixed_store, "interest rates", k=100, filters=Filters(since="2024-02-01", until="2024-02-02"),
                      fold=False)  # the two derby reports differ in a number: one story, unless shown apart
    assert {h.article.id for h in february} == {"l0", "l1"}
    assert search(mixed_store, "rates", k=5, filters=Filters(source="Nobody")) == []


def test_a_metadata_filter_keeps_to_matching_articles_that_share_a_paragraph(new_store):
    store = new_store()
    shared = "The river burst its banks after a week of heavy rain."
    store.add([Article(id="in", title="", text=shared, metadata={"desk": "news"}),
               Article(id="out", title="", text=f"{shared}\nFlood defences failed along the river.",
                       metadata={"desk": "sport"})])
    news = Filters(where=("desk=news",))
    articles, paragraphs = store.matching(news)
    assert len(articles) == 1 and len(paragraphs) == 1
    for mode in ("hybrid", "dense", "lexical"):
        hits = search(store, "river flood defences", k=5, filters=news, mode=mode)
        assert [(h.article.id, h.also_in) for h in hits] == [("in", ())], mode


def test_a_filter_asked_again_sees_articles_added_since(new_store):
    store = new_store()
    news = Filters(where=("desk=news",))
    store.add([Article(id="a", title="", text="The harbour reopened after the storm.", metadata={"desk": "news"})])
    assert [h.article.id for h in search(store, "harbour storm", k=5, filters=news)] == ["a"]
    store.add([Article(id="b", title="", text="Fishing boats left the harbour at dawn.", metadata={"desk": "news"}),
               Article(id="c", title="", text="The harbour festival drew crowds.", metadata={"desk": "arts"})])
    assert {h.article.id for h in search(store, "harbour", k=5, filters=news)} == {"a", "b"}


def test_compact_until_date_includes_the_whole_day(new_store):
    store = new_store()
    store.add([Article(id="a", title="", text="Noon news about the harbour and its boats.", published="2024-05-31T12:00Z")])
    assert [h.article.id for h in search(store, "harbour", k=1, filters=Filters(until="20240531"))] == ["a"]


def test_paragraph_repeated_in_one_article_is_not_also_in_itself(new_store):
    store = new_store()
    line = "The same long sentence appears twice in this one article about rivers."
    store.add([Article(id="x", title="", text=f"{line}\nSomething else entirely about mountains and snow.\n{line}")])
    assert search(store, "rivers", k=1)[0].also_in == ()


def test_group_by_article_returns_k_distinct_articles(mixed_store: Store):
    hits = search(mixed_store, "central bank interest rates", k=12, by_article=True)
    ids = [h.article.id for h in hits]
    assert len(ids) == 12 == len(set(ids))
    assert all(i.startswith("w") for i in ids)


def test_similar_to_stored_article_and_to_new_text(mixed_store: Store):
    results = similar(mixed_store, "l0", k=3)
    assert [r.article.id[0] for r in results] == ["l", "l", "l"]
    assert all(r.article.id != "l0" for r in results)
    new = Article(title="Cup final", text="A late goal from the striker settled the football derby in a full stadium.")
    assert similar(mixed_store, new, k=1)[0].article.id.startswith("l")
    with pytest.raises(QueryError, match="no article with id 'nope'"):
        similar(mixed_store, "nope")


def test_duplicates_finds_near_copies(new_store):
    store = new_store()
    body = ("Heavy snow closed the mountain pass for a third day, stranding hundreds of lorries.\n"
            "Police urged drivers to avoid the route until ploughs had cleared the road.")
    store.add([Article(id="orig", title="Pass closed", text=body),
               Article(id="copy", title="Pass shut", text=body.replace("third", "3rd")),
               Article(id="other", title="Budget", text="The finance minister presented a budget with higher "
                                                         "spending on schools and hospitals.")])
    pairs = duplicates(store, threshold=0.9)
    assert [(p.first.id, p.second.id, p.kind) for p in pairs] == [("copy", "orig", "edited")]
    assert pairs[0].score > 0.95
    with pytest.raises(QueryError, match="threshold"):
        duplicates(store, threshold=1.5)


def test_duplicates_tells_an_edited_copy_from_template_releases_of_other_events(new_store):
    """Releases written from one template embed alike (similarity above the threshold) and share most of
    their phrases, two of them a digest's header too; each is another raid, so none is flagged."""
    store = new_store()
    store.add([Article(id=key, title=title, text="\n".join(paragraphs)) for key, (title, paragraphs) in
               (releases() | {"story": ("Tallest bridge opens", STORY),
                              "story-edited": ("Update: tallest bridge opens in France", edited(STORY))}).items()])
    assert [(p.first.id, p.second.id, p.kind) for p in duplicates(store)] == [("story", "story-edited", "edited")]


def test_metadata_filters_in_every_mode_and_by_article(new_store):
    store = new_store()
    store.add([Article(id=f"r{i}", title="", text=f"Insurgents were detained in a raid on compound {i} at dawn.",
                       metadata={"province": ["helmand"] if i % 3 == 0 else "kandahar", "desk": {"name": f"d{i % 2}"}})
               for i in range(12)])
    for mode in ("hybrid", "dense", "lexical"):
        hits = search(store, "raid on a compound", 10, Filters(where=("province=helmand",)), mode=mode)
        assert sorted(h.article.id for h in hits) == ["r0", "r3", "r6", "r9"], mode
        hits = search(store, "raid on a compound", 10, Filters(where=("province!=helmand", "desk.name=d1")),
                      mode=mode, by_article=True)
        assert sorted(h.article.id for h in hits) == ["r1", "r11", "r5", "r7"], mode
    with pytest.raises(QueryError, match="is not KEY=VALUE"):
        Filters(where=("province",))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_similarity_is_the_cosine_of_query_and_paragraph_in_every_mode(seed_store: Store, mode: str):
    query = "Taliban security concerns in Central Asia"
    hits = search(seed_store, query, k=4, mode=mode)
    stored = seed_store.snapshot().vectors_of([h.paragraph_id for h in hits])
    assert [h.similarity for h in hits] == pytest.approx((stored @ seed_store.embedder.encode([query])[0]).tolist(), abs=1e-5)
    # the stored vectors are the texts' own: embedding them again gives them back
    assert np.allclose(seed_store.embedder.encode([h.text for h in hits]), stored, atol=1e-5)
    assert all(h.bm25 == (h.score if mode == "lexical" else None) for h in hits)
    if mode == "dense":
        assert [h.similarity for h in hits] == pytest.approx([h.score for h in hits], abs=1e-5)
    assert {"score", "similarity", "bm25"} <= set(hits[0].to_dict())


def test_similarity_does_not_follow_the_per_query_scaling(seed_store: Store):
    """A hybrid score is scaled within its query, so a poor best hit still reads high (its cosine scaled
    to 1 gives it the whole dense weight); its similarity says how poor it is."""
    poor = search(seed_store, "flood", k=1)[0]
    good = search(seed_store, "CSTO meeting on the security situation in Afghanistan", k=1)[0]
    assert poor.score >= Fusion().dense_weight - 1e-6
    assert poor.similarity < 0.3 < good.similarity


def test_a_rare_phrase_says_how_few_paragraphs_hold_it(seed_store: Store):
    hits = search(seed_store, '"security situation"', k=5)
    assert len(hits) == 1 and hits.note == 'only 1 paragraph contains "security situation"'
    assert search(seed_store, '"security situation"', k=5, by_article=True).note == \
        'only 1 article contains "security situation"'
    assert search(seed_store, '"no such phrase" Taliban', k=3, mode="lexical").note == \
        'no paragraph contains "no such phrase"'
    assert search(seed_store, '"security situation"', k=1).note is None
    assert search(seed_store, "security situation", k=3).note is None


def test_similar_keeps_to_the_metadata_filter(new_store):
    store = new_store()
    body = "Insurgents were detained in a raid on a compound in the district at dawn, officials said."
    store.add([Article(id=f"s{i}", title="", text=f"{body} Report {i}.", metadata={"desk": "a" if i % 2 else "b"})
               for i in range(8)])
    found = similar(store, "s0", k=5, filters=Filters(where=("desk=a",)))
    assert found and {r.article.metadata["desk"] for r in found} == {"a"}


@pytest.fixture()
def story_store(new_store) -> Store:
    """The bridge story three times (as published, copied under another title, re-published with edits)
    beside eight releases written from one template, each another raid."""
    store = new_store()
    stories = {"story": ("Tallest bridge opens", STORY), "story-copy": ("Bridge opens in France", STORY),
               "story-edited": ("Update: tallest bridge opens in France", edited(STORY))}
    store.add([Article(id=key, title=title, text="\n".join(paragraphs))
               for key, (title, paragraphs) in (releases() | stories).items()])
    return store


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_copies_and_edited_versions_fold_under_the_higher_hit(story_store: Store, mode: str):
    query = "the tallest road bridge opened over the Tarn valley near Millau"
    folded = search(story_store, query, k=3, by_article=True, mode=mode)
    story = {"story", "story-copy", "story-edited"}
    assert folded[0].article.id in story and set(folded[0].also_in) == story - {folded[0].article.id}
    assert all(hit.article.id.startswith("release-") and not hit.also_in for hit in folded[1:])
    assert len(folded) == (1 if mode == "lexical" else 3)  # no release holds the query's words
    apart = search(story_store, query, k=3, by_article=True, mode=mode, fold=False)
    assert {hit.article.id for hit in apart} == story and all(not hit.also_in for hit in apart)
    assert [hit.to_dict() for hit in search(story_store, query, k=3, by_article=True, mode=mode)] == \
        [hit.to_dict() for hit in folded]


def test_folded_paragraphs_still_fill_k_and_keep_their_own_order(story_store: Store):
    query = "the tallest road bridge opened over the Tarn valley near Millau"
    hits = search(story_store, query, k=6)
    assert len(hits) == 6 and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    shown = {h.article.id for h in hits} & {"story", "story-copy", "story-edited"}
    assert len(shown) == 1  # the copies' paragraphs are listed under the first, not shown
    assert {"story-copy", "story-edited"} - shown <= set().union(*(h.also_in for h in hits))


@pytest.mark.parametrize("k", [2, 8])
def test_releases_from_one_template_are_not_folded(story_store: Store, k: int):
    hits = search(story_store, "a combined Afghan and coalition force detained suspected insurgents", k=k,
                  by_article=True)
    assert len(hits) == k and all(h.article.id.startswith("release-") and not h.also_in for h in hits)


def test_a_filter_on_a_field_no_article_has_says_which_fields_there_are(new_store):
    store = new_store()
    store.add([Article(id=f"a{i}", title="", text=f"Storms closed the harbour on day {i}.",
                       metadata={"section": "weather", "tags": {"region": "north"}}) for i in range(3)])
    hits = search(store, "harbour storms", k=2, filters=Filters(where=("desk=news",)))
    assert hits == [] and hits.note == \
        "no stored article has the metadata field 'desk' (metadata fields: section, tags)"
    other = search(store, "harbour", k=2, filters=Filters(where=("desk!=news", "tags.city!=x")))
    assert len(other) == 2 and other.note == \
        "no stored article has the metadata field 'desk' or 'tags.city' (metadata fields: section, tags)"
    assert search(store, "harbour", k=2, filters=Filters(where=("tags.region=north",))).note is None
    undated = search(store, '"harbour" storms', k=5, filters=Filters(since="2024-01-01", where=("desk=x",)))
    assert undated.note == ('no paragraph contains "harbour" among the articles the filters allow; no stored '
                            "article has the metadata field 'desk'; no stored article has a publication date "
                            "(published), so since matches no article (metadata fields: section, tags)")


def test_a_date_filter_on_dated_articles_has_no_note(mixed_store: Store):
    assert search(mixed_store, "rates", k=3, filters=Filters(since="2030-01-01", until="2030-02-01")).note is None


def test_articles_scored_in_one_product_score_as_each_alone():
    from index.similarity import article_similarity, articles_similarity

    rng = np.random.default_rng(5)

    def unit(n: int) -> np.ndarray:
        vectors = rng.standard_normal((n, 8))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    reference, others, sizes = unit(3), unit(10), np.array([2, 5, 1, 2])
    starts = np.concatenate(([0], np.cumsum(sizes)))
    expected = [article_similarity(reference, others[a:b]) for a, b in zip(starts[:-1], starts[1:])]
    assert articles_similarity(reference, others, sizes) == pytest.approx(expected, abs=1e-9)
    assert len(articles_similarity(reference, others[:0], sizes[:0])) == 0
