"""A slice of the real BBC corpus from ../shared: the same code path as a full ingest."""

from __future__ import annotations

from index import Store, read_paths, search

from .conftest import SHARED_DATA, needs_shared

BBC = SHARED_DATA / "bbc-news" / "bbc"


@needs_shared
def test_bbc_slice_ingests_and_searches(new_store):
    files = sorted((BBC / "business").glob("00*.txt")) + [BBC / "sport" / "199.txt"]
    articles = read_paths(files).articles
    assert len(articles) == len(files)
    assert any("£15.8m" in a.text for a in articles), "the Windows-1252 pound sign must survive"
    store: Store = new_store()
    report = store.add(articles)
    assert report.added == len(files)
    top = search(store, "Time Warner quarterly profits rose", k=3, by_article=True)[0]
    assert top.article.title == "Ad sales boost Time Warner profit"
