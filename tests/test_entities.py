"""HTML entities in records: decoded, also where an export lost their ``&``; text otherwise as written,
and Markdown, HTML and plain-text files as their own readers leave them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import FieldMap, read_paths
from index.read.entities import decode_entities

from .conftest import SHARED_DATA, needs_shared

TEXT = ("Intel doesn #39;t expect the  #36;10 million deal, said  quot;helping quot; AT amp;T, "
        "Texas Instruments Inc. &lt;TXN.N&gt; and Johnson  amp; Johnson.")
DECODED = ("Intel doesn't expect the $10 million deal, said \"helping\" AT&T, "
           "Texas Instruments Inc. <TXN.N> and Johnson & Johnson.")


@pytest.mark.parametrize("written, read", [
    ("doesn #39;t", "doesn't"), (" quot;It hurt, quot; he said", '"It hurt," he said'),
    ("Inc. #39;s board", "Inc.'s board"), ("the 1950 #39;s", "the 1950's"), ("a 2 amp;1 win", "a 2&1 win"),
    ("&amp;lt; stays one level", "&lt; stays one level"), ("&#x27;&#36;", "'$"),
    # left as written: a bare '&', HTML's entities without ';', names not in the list, 'amp' as a word
    ("R&D, AT&T, ?a=1&copy=2, &notes", "R&D, AT&T, ?a=1&copy=2, &notes"),
    ("Section #3; applies", "Section #3; applies"),
    ("a 5 amp; fuse", "a 5 amp; fuse"), ("plugged into an amp; it hummed", "plugged into an amp; it hummed"),
    ("the new GT; Lt; Dan", "the new GT; Lt; Dan"), ("&bogus; stays", "&bogus; stays"),
])
def test_decode_entities(written: str, read: str):
    assert decode_entities(written) == read


def test_a_csv_and_a_jsonl_record_are_decoded_in_title_text_and_source(tmp_path: Path):
    csv = tmp_path / "a.csv"
    csv.write_text(f'id,title,text,source,note\nx amp;1,Don #39;t &amp; won #39;t,"{TEXT}",S amp;P &lt;Wire&gt;,'
                   'a &lt; b\n', encoding="utf-8")
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(json.dumps({"id": "j1", "title": "Don #39;t &amp; won #39;t", "body": TEXT,
                                 "url": "https://x.test/?a=1&amp;b=2"}) + "\n", encoding="utf-8")
    from_csv, from_jsonl = read_paths([csv, jsonl]).articles
    for article in (from_csv, from_jsonl):
        assert (article.title, article.text) == ("Don't & won't", DECODED)
    assert from_csv.source == "S&P <Wire>"
    assert (from_csv.key, from_csv.metadata) == ("x amp;1", {"note": "a &lt; b"})  # ids and metadata as written
    assert from_jsonl.url == "https://x.test/?a=1&amp;b=2"


def test_positional_csv_fields_are_decoded_too(tmp_path: Path):
    path = tmp_path / "ag.csv"
    path.write_text(f'"2","Stocks  quot;rally quot;","{TEXT}"\n', encoding="utf-8")
    article = read_paths([path], fields=FieldMap.parse(["title=1", "text=2"], header=False)).articles[0]
    assert (article.title, article.text) == ('Stocks "rally"', DECODED)


def test_feeds_escaped_twice_are_decoded_once_more(tmp_path: Path):
    (tmp_path / "f.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><title>AT&amp;amp;T '
        'doesn #39;t sell</title><link>https://w.test/1</link><description>&lt;p&gt;Shares of AT&amp;amp;T '
        'fell.&lt;/p&gt;</description></item></channel></rss>', encoding="utf-8")
    article = read_paths([tmp_path / "f.rss"]).articles[0]
    assert (article.title, article.text) == ("AT&T doesn't sell", "Shares of AT&T fell.")


def test_markdown_html_and_text_files_keep_their_own_handling(tmp_path: Path):
    (tmp_path / "a.md").write_text("# Escapes\n\nWrite &amp;lt; for a less-than sign; it doesn #39;t bite.\n")
    (tmp_path / "b.html").write_text("<html><body><article><h1>Escapes</h1><p>Write &amp;lt; for a less-than "
                                     "sign; it doesn #39;t bite.</p></article></body></html>")
    (tmp_path / "c.txt").write_text("Escapes\nWrite &lt; for a less-than sign; it doesn #39;t bite.\n")
    texts = [a.text for a in read_paths([tmp_path]).articles]
    assert texts == ["Write &lt; for a less-than sign; it doesn #39;t bite."] * 3


@needs_shared
def test_ag_news_reads_as_written_prose():
    """AG News's test.csv, as distributed (no header, entities whose '&' became a space), read as is."""
    mapping = FieldMap.parse(["title=1", "text=2", "class=0"], header=False)
    articles = read_paths([SHARED_DATA / "ag-news" / "test.csv"], fields=mapping).articles
    assert len(articles) == 7600 and articles[0].metadata == {"class": "3"}
    prose = "\n".join(f"{a.title}\n{a.text}" for a in articles)
    for expected in ("doesn't", 'In "helping themselves,"', "the $10 million Ansari X Prize",
                     "Texas Instruments Inc. <TXN.N>", "AT&T Wireless", "Johnson & Johnson"):
        assert expected in prose, expected
    for lost in (" #39;", " quot;", " #36;", " amp;", "&lt;", "&quot;"):
        assert lost not in prose, lost
