"""In-memory BM25: the scores follow the formula over the stored terms, for paragraphs and whole
articles, and a scorer caught up from a saved build agrees with one read fresh from the database."""

from __future__ import annotations

import math
import sqlite3
from collections import Counter

import numpy as np
import pytest

from index import Article, Store
from index.bm25 import B, BM25, K1, Postings
from index.lexical import LexicalQuery
from index.terms import content_words, pack, term, unpack

ARTICLES = [
    Article(id="port", title="Harbour news", text="The ferry docked at the harbour at dawn.\n"
                                                  "Harbour workers unloaded grain from the ferry."),
    Article(id="farm", title="Grain prices", text="Grain prices rose after the dry summer.\n"
                                                  "Farmers sold grain early."),
    Article(id="city", title="Council vote", text="The council voted to repair the harbour wall."),
]


def _expected(docs: list[list[str]], query: list[str]) -> np.ndarray:
    """BM25 written out from its definition (Lucene's IDF), one document per list of words."""
    counts = [Counter(term(w) for w in doc) for doc in docs]
    lengths = np.array([sum(c.values()) for c in counts], float)
    scores = np.zeros(len(docs))
    for t in {term(w) for w in query}:
        df = sum(t in c for c in counts)
        idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
        for i, c in enumerate(counts):
            if c[t]:
                scores[i] += idf * c[t] * (K1 + 1) / (c[t] + K1 * (1 - B + B * lengths[i] / lengths.mean()))
    return scores


def test_terms_round_trip_and_fold_like_the_index():
    stored = [pack("Designations, designation: DÉSIGNATION!"), pack("the of and"), pack("Kaliev")]
    rows, terms, counts = unpack(stored)
    assert rows.tolist() == [0, 2] and terms.tolist() == [term("designation"), term("kaliev")]
    assert counts.tolist() == [3, 1]


def test_scores_follow_the_formula_for_paragraphs_and_articles(new_store):
    store = new_store()
    store.add(ARTICLES)
    query = LexicalQuery.parse("harbour grain ferry")
    with store.reading() as snapshot:
        bm25 = store.lexicon.bm25(snapshot)
        texts = store.paragraph_texts(snapshot.ids.tolist())
        matched = bm25.paragraph_scores(query.ranking_terms)
        paragraphs = matched.of(np.arange(len(texts)))
        articles = bm25.article_scores(query.ranking_terms).of(np.arange(len(bm25.articles)))
        keys = dict(store.catalog.db.execute("SELECT id, rowid FROM articles"))
    assert paragraphs == pytest.approx(_expected([content_words(t) for t in texts], list(query.terms)), rel=1e-5)
    whole = {a.id: content_words(a.title + "\n" + a.text) for a in ARTICLES}
    order = sorted(whole, key=lambda a: keys[a])
    assert articles == pytest.approx(_expected([whole[a] for a in order], list(query.terms)), rel=1e-5)
    best = matched.top(10)
    assert "Harbour workers unloaded grain" in texts[best[0]]
    assert len(best) == np.count_nonzero(paragraphs) < len(texts)  # no term, no hit
    assert list(paragraphs[best]) == sorted(paragraphs[best], reverse=True)


def test_a_caught_up_scorer_agrees_with_a_fresh_one(new_store):
    store = new_store()
    store.add(ARTICLES)
    store.reindex()  # postings saved with the build
    assert list(store.path.glob("index.*.terms.npz"))
    store.add([Article(id="late", title="Ferry strike", text="Ferry crews walked out over grain quotas.")])
    store.delete(["farm"])
    query = LexicalQuery.parse("ferry grain harbour quotas")
    reopened = Store.open(store.path, model=store.embedder)
    with reopened.reading() as snapshot:
        caught_up = reopened.lexicon.bm25(snapshot)
        assert snapshot.build and len(caught_up.parts) == 2
    db = sqlite3.connect(store.path / "store.db")
    stored = db.execute("SELECT id, terms FROM paragraphs ORDER BY id").fetchall()
    links = np.array(db.execute("SELECT l.paragraph_id, a.rowid FROM links l JOIN articles a "
                                "ON a.id = l.article_id").fetchall())
    fresh = BM25(snapshot.ids, [Postings.from_stored(stored)], links[:, 0], links[:, 1])
    merged = Postings.merged(snapshot.ids, [part for part, _ in caught_up.parts])  # what a build saves
    for name in ("ids", "lengths", "terms", "starts", "rows", "counts"):
        assert np.array_equal(getattr(merged, name), getattr(fresh.parts[0][0], name)), name
    terms = query.ranking_terms
    everything = np.arange(len(snapshot.ids))
    assert caught_up.paragraph_scores(terms).of(everything) == pytest.approx(fresh.paragraph_scores(terms).of(everything))
    assert np.array_equal(caught_up.article_scores(terms).keys, fresh.article_scores(terms).keys)
    assert caught_up.article_scores(terms).values == pytest.approx(fresh.article_scores(terms).values)
    assert len(caught_up.articles) == 3


def test_terms_hash_and_stop_words_are_scikit_learns():
    """Stored term counts were made with scikit-learn's hash and stop words; the query path's own copies
    (which spare it importing scikit-learn) must give the same terms."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    from sklearn.utils import murmurhash3_32 as reference

    from index.murmur import murmurhash3_32
    from index.stopwords import ENGLISH_STOP_WORDS as ours

    assert ours == ENGLISH_STOP_WORDS
    samples = ["", "a", "ab", "abc", "abcd", "abcde", "designation", "naïve", "中文字", "😀x", "x" * 37]
    assert [murmurhash3_32(w) for w in samples] == [reference(w, positive=True) for w in samples]
    assert [murmurhash3_32(w, seed=7) for w in samples] == [reference(w, seed=7, positive=True) for w in samples]


def test_an_article_counts_a_paragraph_it_shares_with_others(new_store):
    """A paragraph stored once but placed in several articles (twice in one) counts in each place."""
    shared = "Grain ferry crews joined the harbour strike after a week of talks failed."
    articles = ARTICLES + [
        Article(id="wire", title="", text=f"{shared}\nPickets stood at the grain silos through the night while the managers met union leaders in the city.\n{shared}"),
        Article(id="copy", title="", text=shared),
    ]
    store = new_store()
    store.add(articles)
    query = LexicalQuery.parse("harbour grain ferry strike")
    with store.reading() as snapshot:
        bm25 = store.lexicon.bm25(snapshot)
        scores = bm25.article_scores(query.ranking_terms)
        keys = dict(store.catalog.db.execute("SELECT id, rowid FROM articles"))
    assert store.catalog.db.execute("SELECT COUNT(*) FROM links l JOIN paragraphs p ON p.id = l.paragraph_id "
                                    "WHERE p.text = ?", [shared]).fetchone()[0] == 3
    whole = {a.id: content_words(a.title + "\n" + a.text) for a in articles}
    order = sorted(whole, key=lambda a: keys[a])
    expected = _expected([whole[a] for a in order], list(query.terms))
    assert scores.keys.tolist() == np.flatnonzero(expected).tolist()
    assert scores.values == pytest.approx(expected[expected > 0], rel=1e-5)


def test_frequencies_count_the_paragraphs_holding_each_term(new_store):
    """What ranks a paragraph's words by rarity when its copies are looked for."""
    store = new_store()
    store.add(ARTICLES)
    with store.reading() as snapshot:
        bm25 = store.lexicon.bm25(snapshot)
        texts = [link.text for link in store.links(article_ids=["city", "farm", "port"])]
    words = ["grain", "harbour", "council", "zeppelin"]
    expected = [sum(w in content_words(text) for text in texts) for w in words]
    assert bm25.frequencies(np.array([term(w) for w in words], np.uint32)).tolist() == expected
    assert expected[-1] == 0 and min(expected[:-1]) > 0


def test_kept_weights_of_common_terms_score_as_fresh_ones_and_stay_within_budget(new_store, monkeypatch):
    """Common terms' weights are kept for the next query, the most recently used within a budget; scores
    from kept weights equal a fresh scorer's to the last digit."""
    store = new_store()
    store.add(ARTICLES)
    with store.reading() as snapshot:
        bm25 = store.lexicon.bm25(snapshot)
        links = np.array(store.catalog.db.execute("SELECT l.paragraph_id, a.rowid FROM links l JOIN articles a "
                                                  "ON a.id = l.article_id").fetchall())
        parts = [part for part, _ in bm25.parts]
    queries = [LexicalQuery.parse(q).ranking_terms for q in ("harbour grain", "grain ferry", "council harbour")]
    for terms in queries * 2:  # the second time from the kept weights
        bm25.paragraph_scores(terms), bm25.article_scores(terms)
    assert len(bm25._hot) == 2 * len({t for terms in queries for t in terms.tolist()})
    monkeypatch.setattr("index.bm25.HOT_ENTRIES", 0)
    for terms in queries:
        fresh = BM25(snapshot.ids, parts, links[:, 0], links[:, 1])
        for scores, again in ((bm25.paragraph_scores(terms), fresh.paragraph_scores(terms)),
                              (bm25.article_scores(terms), fresh.article_scores(terms))):
            assert np.array_equal(scores.keys, again.keys) and np.array_equal(scores.values, again.values)
        assert not fresh._hot  # no budget, nothing kept
    monkeypatch.setattr("index.bm25.HOT_ENTRIES", 0.5)  # room for 3 entries
    bm25.paragraph_scores(LexicalQuery.parse("dawn").ranking_terms)  # one paragraph: kept, the oldest go
    assert 1 <= bm25._hot_entries <= 3 == 0.5 * len(snapshot.ids)
    assert bm25._hot_entries == sum(len(items) for items, _ in bm25._hot.values())
    assert list(bm25._hot)[-1] == (int(LexicalQuery.parse("dawn").ranking_terms[0]), False)
