"""Lexical and hybrid search: names and phrases, the lexical index kept in step, filters in every mode,
query syntax, highlighting and the retrieval metrics."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import faiss
import numpy as np
import pytest

from index import Article, Filters, QueryError, Store, search
from index.evaluate import mean_metric, ndcg_at_k, recall_at_k
from index.lexical import LexicalQuery
from topics.display import BOLD_YELLOW, RESET, excerpt

MODES = ("hybrid", "dense", "lexical")


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, embedder) -> Store:
    """Thirty look-alike diplomacy articles; one paragraph names Talgat Kaliev, one says 'Bank of England'."""
    store = Store.open(tmp_path_factory.mktemp("news") / "store", model=embedder, create=True)
    countries = ["Kazakhstan", "Uzbekistan", "Tajikistan", "Kyrgyzstan", "Turkmenistan"]
    articles = [Article(id=f"d{i}", title=f"Regional security talks {i}", source="Wire" if i % 2 else "Agency",
                        published=f"2024-03-{i + 1:02d}",
                        text=f"Diplomats from {countries[i % 5]} met envoys to discuss border security and "
                             f"the situation in Afghanistan on day {i}.\n"
                             f"The special representative of the foreign ministry said talks would continue "
                             f"in the spring, and officials praised the cooperation of the delegations.")
                for i in range(30)]
    articles[17] = Article(id="d17", title="Regional security talks 17", source="Wire", published="2024-03-18",
                           text="Diplomats met envoys to discuss border security and Afghanistan.\n"
                                "Talgat Kaliev, the special representative of the foreign ministry, said talks "
                                "would continue in the spring.")
    articles.append(Article(id="boe", title="Rates", source="Agency", published="2024-04-01",
                            text="The Bank of England kept interest rates on hold."))
    articles.append(Article(id="mix", title="Bank holiday", source="Agency", published="2024-04-02",
                            text="England fans filled the bank of the river during the holiday."))
    store.add(articles)
    return store


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_a_name_in_one_paragraph_is_found_first(news: Store, mode: str):
    top = search(news, "Talgat Kaliev", k=3, mode=mode)[0]
    assert top.article.id == "d17" and "Talgat Kaliev" in top.text
    assert [top.text[a:b] for a, b in top.matches] == ["Talgat", "Kaliev"]


@pytest.mark.parametrize("mode", MODES)
def test_a_quoted_phrase_must_match_as_written(news: Store, mode: str):
    hits = search(news, '"Bank of England" rates', k=10, mode=mode)
    assert [h.article.id for h in hits] == ["boe"]
    assert [hits[0].text[a:b] for a, b in hits[0].matches] == ["Bank of England", "rates"]
    loose = {h.article.id for h in search(news, "bank england", k=5, mode="lexical")}
    assert {"boe", "mix"} <= loose


@pytest.mark.parametrize("mode", MODES)
def test_filters_and_grouping_work_in_every_mode(news: Store, mode: str):
    hits = search(news, "special representative Kaliev", k=40, mode=mode, filters=Filters(source="agency"))
    assert hits and {h.article.source for h in hits} == {"Agency"}
    assert all(h.article.id != "d17" for h in hits)
    dated = search(news, "border security", k=5, mode=mode, filters=Filters(since="2024-03-10", until="2024-03-12"))
    assert {h.article.id for h in dated} <= {"d9", "d10", "d11"} and dated
    grouped = search(news, "special representative talks spring", k=8, mode=mode, by_article=True,
                     fold=False)  # articles of one country differ in a number: copies, unless shown apart
    ids = [h.article.id for h in grouped]
    assert len(ids) == 8 == len(set(ids))


def test_stemmed_words_match_and_are_highlighted(news: Store):
    hit = search(news, "delegation cooperating", k=1, mode="lexical")[0]
    assert sorted(hit.text[a:b] for a, b in hit.matches) == ["cooperation", "delegations"]


@pytest.mark.parametrize("query, message", [
    ("the of and", "only stop words"), ("?! -- ...", "only punctuation"), ('""', "only punctuation"),
    ("   ", "empty query")])
@pytest.mark.parametrize("mode", MODES)
def test_queries_with_nothing_to_search_for_get_a_clear_message(news: Store, query: str, message: str, mode: str):
    with pytest.raises(QueryError, match=message):
        search(news, query, mode=mode)


def test_unknown_mode_is_refused(news: Store):
    with pytest.raises(QueryError, match="unknown search mode 'fuzzy'"):
        search(news, "talks", mode="fuzzy")  # type: ignore[arg-type]


def test_query_syntax_parses_phrases_terms_and_stray_quotes():
    query = LexicalQuery.parse('the "Bank of England" raised RATES, "sharply')
    assert query.phrases == (("bank", "of", "england"),)
    assert query.terms == ("raised", "rates", "sharply")
    assert query.required == '"bank of england"'
    assert np.array_equal(query.ranking_terms, LexicalQuery.parse("banks England raise rate sharply").ranking_terms)


def _lexical_ids(store: Store, query: str) -> set[str]:
    return {h.article.id for h in search(store, query, k=50, mode="lexical")}


def test_updates_and_deletes_keep_the_lexical_index_in_step(new_store):
    store = new_store()
    store.add([Article(id="a", title="Harbour", text="The zanzibarite ore ship docked at the harbour."),
               Article(id="b", title="Market", text="Fishmongers sold zanzibarite souvenirs at the market.")])
    assert _lexical_ids(store, "zanzibarite") == {"a", "b"}
    store.add([Article(id="a", title="Harbour", text="The grain ship docked at the harbour.")])
    assert _lexical_ids(store, "zanzibarite") == {"b"}
    assert _lexical_ids(store, "grain") == {"a"}
    store.delete(["b"])
    for mode in MODES:
        assert "b" not in {h.article.id for h in search(store, "zanzibarite souvenirs market", k=10, mode=mode)}
    db = sqlite3.connect(store.path / "store.db")
    db.execute("INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('integrity-check', 1)")
    indexed = db.execute("SELECT COUNT(*) FROM paragraphs_fts").fetchone()[0]
    assert indexed == db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]


def _as_format_1(path: Path) -> None:
    """Rewrite a store in the first format's layout: one vectors/index file per generation, no lexical
    index, no vector segments."""
    db = sqlite3.connect(path / "store.db")
    ids = [r[0] for r in db.execute("SELECT id FROM paragraphs ORDER BY id")]
    rows = dict(((pid, (seg, row)) for pid, seg, row in db.execute("SELECT id, segment, row FROM paragraphs")))
    vectors = np.stack([np.load(path / "segments" / f"{rows[i][0]:06d}.npy")[rows[i][1]] for i in ids])
    for name in ("paragraphs_fts_insert", "paragraphs_fts_delete", "paragraphs_fts_update"):
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE paragraphs_fts")
    db.execute("DROP TABLE segments")
    db.execute("ALTER TABLE paragraphs DROP COLUMN terms")
    db.execute("ALTER TABLE paragraphs DROP COLUMN segment")
    db.execute("ALTER TABLE paragraphs DROP COLUMN row")
    db.execute("DELETE FROM meta WHERE key IN ('next_segment', 'index_build', 'index_kind')")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    db.execute("UPDATE meta SET value = '7' WHERE key = 'generation'")
    db.commit()
    db.close()
    shutil.rmtree(path / "segments")
    for old in path.glob("index.*"):
        old.unlink()
    np.save(path / "vectors.7.npy", vectors)
    faiss.write_index(faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1])), str(path / "index.7.faiss"))


def _as_format_2(path: Path) -> None:
    """Rewrite a store in the second format's layout: BM25 from FTS5, a second FTS5 table of whole
    articles, no stored term counts."""
    _as_format_3(path)
    db = sqlite3.connect(path / "store.db")
    db.execute("ALTER TABLE paragraphs DROP COLUMN terms")
    db.execute("ALTER TABLE articles ADD COLUMN lexical_id INTEGER")
    db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize='porter unicode61')")
    db.execute("INSERT INTO articles_fts (rowid, title, body) SELECT rowid, title, '' FROM articles")
    db.execute("UPDATE articles SET lexical_id = rowid")
    db.execute("CREATE INDEX articles_lexical ON articles (lexical_id)")
    db.execute("CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
               "DELETE FROM articles_fts WHERE rowid = old.lexical_id; END")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'format_version'")
    db.commit()
    db.close()
    for postings in path.glob("index.*.terms.npz"):
        postings.unlink()


def _as_format_3(path: Path) -> None:
    """Rewrite a store as the third format had it: no checksums of the vector segments."""
    db = sqlite3.connect(path / "store.db")
    db.execute("DROP TABLE segments")
    db.execute("UPDATE meta SET value = '3' WHERE key = 'format_version'")
    db.commit()
    db.close()


@pytest.mark.parametrize("downgrade", [_as_format_1, _as_format_2, _as_format_3])
def test_a_store_of_an_older_format_is_upgraded_in_place(new_store, downgrade):
    store = new_store()
    store.add([Article(id="a", title="Harbour", text="The zanzibarite ore ship docked at the harbour."),
               Article(id="b", title="Market", text="Fishmongers sold grain at the market.")])
    before = search(store, "ship in port", k=4, mode="dense")
    path, embedder = store.path, store.embedder
    store.reindex()  # a saved build, as older stores have
    store.close()
    downgrade(path)
    with Store.open(path, model=embedder) as reopened:
        assert reopened.meta("format_version") == "5"
        assert _lexical_ids(reopened, "zanzibarite") == {"a"}
        after = search(reopened, "ship in port", k=4, mode="dense")
        assert [(h.paragraph_id, round(h.score, 5)) for h in after] == \
               [(h.paragraph_id, round(h.score, 5)) for h in before]
        reopened.add([Article(id="c", title="Fog", text="Fog delayed the ferry.")])
        assert _lexical_ids(reopened, "ferry zanzibarite") == {"a", "c"}
        assert not list(path.glob("vectors.*")) and reopened.stats().vectors == 6


def test_excerpt_highlights_matches_and_shows_a_late_match():
    text = " ".join(["filler"] * 120) + " the Kaliev remark"
    start = text.index("Kaliev")
    shown = excerpt(text, [(start, start + 6)], limit=200, colour=True)
    assert f"{BOLD_YELLOW}Kaliev{RESET}" in shown and shown.lstrip().startswith("…")
    plain = excerpt("short text here", [(0, 5)], colour=False)
    assert plain == "      short text here"


def test_metrics_agree_with_trec_eval():
    pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval is in the dev extra")
    rng = random.Random(7)
    docs = [f"doc{i}" for i in range(60)]
    qrels = {f"q{q}": {d: rng.choice([1, 1, 2]) for d in rng.sample(docs, rng.randint(1, 6))} for q in range(25)}
    run = {q: rng.sample(docs, 40) for q in qrels}
    scored = {q: {d: float(len(ranked) - i) for i, d in enumerate(ranked)} for q, ranked in run.items()}
    trec = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100", "recall.10"}).evaluate(scored)
    for q in qrels:
        assert ndcg_at_k(run[q], qrels[q], 10) == pytest.approx(trec[q]["ndcg_cut_10"], abs=1e-9)
        assert recall_at_k(run[q], qrels[q], 10) == pytest.approx(trec[q]["recall_10"], abs=1e-9)
        assert recall_at_k(run[q], qrels[q], 100) == pytest.approx(trec[q]["recall_100"], abs=1e-9)
    mean = sum(trec[q]["ndcg_cut_10"] for q in qrels) / len(qrels)
    assert mean_metric(run, qrels, "ndcg", 10) == pytest.approx(mean, abs=1e-9)
