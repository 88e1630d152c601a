"""Readers on small files written by the tests, and every kind of bad input."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index import FieldMap, InputError, read_paths
from index.articles import parse_date

from .conftest import SEEDS, SHARED_DATA, needs_shared, write_jsonl


def one(path: Path, **kwargs):
    result = read_paths([path], **kwargs)
    assert len(result.articles) == 1
    return result.articles[0]


def test_seed_text_title_and_footer_removed():
    article = one(SEEDS)
    assert article.title == "CSTO meeting held on Afghanistan’s security situation"
    assert "appeared first on" not in article.text
    assert article.text.splitlines()[0].startswith("Kazakh Media Reports")
    assert article.whole_file and article.path.endswith(".txt")


def test_markdown_front_matter_and_blocks(tmp_path: Path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Budget vote delayed\npublished: 2024-03-05\nsource: Example Times\n---\n"
                    "Lawmakers **postponed** the budget vote until [next week](http://x.test).\n\n"
                    "```\ncode is not prose\n```\n\n- first item of a list with enough words in it\n",
                    encoding="utf-8")
    article = one(path)
    assert article.title == "Budget vote delayed"
    assert article.published == "2024-03-05T00:00:00" and article.source == "Example Times"
    assert article.text.splitlines() == ["Lawmakers postponed the budget vote until next week.",
                                         "first item of a list with enough words in it"]


def test_html_parser_drops_furniture(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text("""<html><head><title>Site | Floods</title>
        <meta property="og:site_name" content="Daily Planet">
        <meta property="article:published_time" content="2024-07-01T08:30:00+02:00">
        <link rel="canonical" href="https://planet.test/floods"><script>var x = "<p>no</p>";</script>
        <style>p { color: red }</style></head><body><nav><p>Home News Sport</p></nav>
        <article><h1>Floods hit the valley</h1><p>Heavy rain flooded the valley overnight, residents said.</p>
        <p>Rescue teams <b>evacuated</b> two hundred people by boat.</p></article>
        <footer><p>Copyright Daily Planet</p></footer></body></html>""", encoding="utf-8")
    article = one(path)
    assert article.title == "Floods hit the valley"
    assert article.source == "Daily Planet" and article.url == "https://planet.test/floods"
    assert article.published == "2024-07-01T06:30:00"
    assert article.text.splitlines() == ["Heavy rain flooded the valley overnight, residents said.",
                                         "Rescue teams evacuated two hundred people by boat."]


def test_jsonl_fields_ids_and_metadata(tmp_path: Path):
    path = write_jsonl(tmp_path / "a.jsonl", [
        {"id": 7, "title": "T1", "body": "Body one.", "source": "Wire", "published": "2024-01-02T03:04:05Z",
         "lang": "en"},
        {"title": "T2", "content": "Body two.", "url": "https://x.test/2"},
        {"title": "T3", "text": "Body three."},
    ])
    first, second, third = read_paths([path]).articles
    assert (first.key, first.text, first.source, first.published) == ("7", "Body one.", "Wire",
                                                                      "2024-01-02T03:04:05")
    assert first.metadata == {"lang": "en"}
    assert second.key == "https://x.test/2"
    assert len(third.key) == 16 and third.key == read_paths([path]).articles[2].key
    assert not first.whole_file


def test_json_array_and_wrapped_object(tmp_path: Path):
    (tmp_path / "list.json").write_text('[{"title": "A", "text": "x y"}]', encoding="utf-8")
    (tmp_path / "wrapped.json").write_text('{"articles": [{"title": "B", "text": "z"}]}', encoding="utf-8")
    titles = [a.title for a in read_paths([tmp_path]).articles]
    assert titles == ["A", "B"]


def test_csv_with_body_column_and_quoted_commas(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text('id,title,body,section\n1,"Rates, again","Banks raised rates, again.",money\n', encoding="utf-8")
    article = one(path)
    assert (article.key, article.title, article.text, article.metadata) == (
        "1", "Rates, again", "Banks raised rates, again.", {"section": "money"})


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Khaama Press</title>
<item><title>First story</title><link>https://k.test/1</link><guid>k-1</guid>
<pubDate>Tue, 19 Nov 2024 10:00:00 +0430</pubDate>
<description><![CDATA[<p>Officials met in Kabul on Tuesday.</p><p>The post First story appeared first on Khaama Press.</p>]]></description>
</item><item><title>Second story</title><link>https://k.test/2</link><description>Talks resumed.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><id>urn:1</id><title>Atom story</title><updated>2024-02-01T12:00:00Z</updated>
<link href="https://w.test/a"/><content type="html">&lt;p&gt;Markets rallied.&lt;/p&gt;</content></entry></feed>"""


def test_rss_and_atom_feeds(tmp_path: Path):
    (tmp_path / "k.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "w.atom").write_text(ATOM, encoding="utf-8")
    rss_one, rss_two, atom = read_paths([tmp_path / "k.rss", tmp_path / "w.atom"]).articles
    assert (rss_one.key, rss_one.source, rss_one.url) == ("k-1", "Khaama Press", "https://k.test/1")
    assert rss_one.text == "Officials met in Kabul on Tuesday."
    assert rss_one.published == "2024-11-19T05:30:00"
    assert rss_two.key == "https://k.test/2"
    assert (atom.key, atom.title, atom.text, atom.published) == ("urn:1", "Atom story", "Markets rallied.",
                                                                 "2024-02-01T12:00:00")


def test_windows_1252_is_read_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    path = tmp_path / "pound.txt"
    path.write_bytes(b"Transfer fee\nA \xa315.8m signing from Parma last season was written off.\n")
    with caplog.at_level(logging.WARNING):
        article = one(path)
    assert "£15.8m" in article.text
    assert "pound.txt:2: not UTF-8" in caplog.text


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"  \n\n", "file is empty"),
    ("blob.txt", b"\x00\x01\x02binary\x00" * 50, "binary file"),
    ("bad.txt", b"Title\nok line\n\x81\x8d\x90 bytes\n", ":3: byte 14 is not UTF-8"),
    ("bad.jsonl", b'{"title": "a", "text": "b"}\n{"title": "c", "text": \n', "bad.jsonl:2: malformed JSON at column"),
    ("nolist.json", b'"just a string"', "expected a list of article objects"),
    ("notext.csv", b"id,title,summary\n1,a,b\n", "no text column: the header has id, title, summary"),
    ("empty.html", b"<html><body><nav><p>Home</p></nav><div><img src=x></div></body></html>", "no paragraph text"),
    ("date.jsonl", b'{"text": "t", "published": "last tuesday"}\n', "date.jsonl:1: field 'published':"),
    ("blank.jsonl", b'{"title": "", "text": ""}\n', "field 'text': empty article"),
    ("note.xml", b"<note><to>Tove</to></note>", "not an RSS or Atom feed"),
    ("broken.rss", b"<rss><channel><title>x</title><item><title", "item 1: field 'text': empty article"),
    ("a.pdf", b"%PDF-1.4", "unsupported format '.pdf'"),
])
def test_bad_input_names_file_and_line(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_paths([path])
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_path():
    with pytest.raises(InputError, match="no such file or folder"):
        read_paths(["/no/such/place"])


def test_explicit_encoding_errors_name_the_line(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"Title\n\xa3 sign\n")
    with pytest.raises(InputError, match=r"a.txt:2: byte 6 is not valid utf-8"):
        read_paths([path], encoding="utf-8")


def test_skip_bad_goes_on_and_counts(tmp_path: Path):
    write_jsonl(tmp_path / "a.jsonl", [{"title": "fine", "text": "ok"}])
    (tmp_path / "a.jsonl").write_text((tmp_path / "a.jsonl").read_text() + "{broken\n"
                                      + '{"title": "also fine", "text": "ok too"}\n', encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = read_paths([tmp_path], skip_bad=True)
    assert [a.title for a in result.articles] == ["fine", "also fine"]
    assert len(result.skipped) == 2 and result.ignored_files == 1


def test_parse_date_forms():
    assert parse_date("2024-05-31") == "2024-05-31T00:00:00"
    assert parse_date("2024-05-31T14:05:00+02:00") == "2024-05-31T12:05:00"
    assert parse_date("Fri, 31 May 2024 14:05:00 GMT") == "2024-05-31T14:05:00"
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_date("soon")


def test_records_keep_unicode_line_separators_and_refuse_broken_escapes(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"title": "T", "text": "one\u2028two"}\n', encoding="utf-8")
    assert one(path).text == "one\u2028two"
    (tmp_path / "b.csv").write_text('id,title,text\n1,T,"first part\x0csecond part"\n', encoding="utf-8")
    assert one(tmp_path / "b.csv").text == "first part\x0csecond part"
    (tmp_path / "c.jsonl").write_text('{"title": "T", "text": "broken \\ud83d emoji"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"c.jsonl:1: field 'text': holds a broken character"):
        read_paths([tmp_path / "c.jsonl"])


@pytest.mark.parametrize("content, message", [
    ('{"text": "t", "published": "0001-01-01T00:00:00+05:00"}', "out of the range of dates"),
    ('{"text": "t", "n": ' + "9" * 5000 + "}", "unreadable JSON"),
])
def test_extreme_values_are_clean_errors(tmp_path: Path, content: str, message: str):
    (tmp_path / "x.jsonl").write_text(content + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_paths([tmp_path / "x.jsonl"])


def test_utf16_with_byte_order_mark(tmp_path: Path):
    (tmp_path / "u.txt").write_bytes("Title\nBody text in UTF-16.\n".encode("utf-16"))
    assert one(tmp_path / "u.txt").text == "Body text in UTF-16."


def test_front_matter_cannot_replace_the_body(tmp_path: Path):
    (tmp_path / "a.md").write_text("---\ntitle: Hello\ntext: oops\n---\nThe real body of the article.\n")
    assert one(tmp_path / "a.md").text == "The real body of the article."


def test_field_mapping_reads_nested_paths_list_items_and_renamed_columns(tmp_path: Path):
    records = [{"meta": {"date": "2024-05-01", "desk": "World"}, "headline": f"Story {i}",
                "conversations": [{"value": "prompt"}, {"value": f"Body of story {i}, which has enough words."}]}
               for i in range(2)]
    mapping = FieldMap.parse(["title=headline", "text=conversations.1.value", "published=meta.date"])
    articles = read_paths([write_jsonl(tmp_path / "nested.jsonl", records)], fields=mapping).articles
    assert [a.title for a in articles] == ["Story 0", "Story 1"]
    assert articles[1].text == "Body of story 1, which has enough words."
    assert articles[0].published == "2024-05-01T00:00:00"
    assert "conversations" not in articles[0].metadata and "meta" not in articles[0].metadata
    export = tmp_path / "export.csv"
    export.write_text("headline,body,date,desk\nDam opens,The new dam opened on the river today.,2024-06-01,Local\n",
                      encoding="utf-8")
    toml = tmp_path / "fields.toml"
    toml.write_text('[fields]\ntitle = "headline"\ntext = "body"\npublished = "date"\n', encoding="utf-8")
    article = one(export, fields=FieldMap.parse(file=toml))
    assert (article.title, article.published, article.metadata) == ("Dam opens", "2024-06-01T00:00:00",
                                                                    {"desk": "Local"})


def test_field_mapping_errors_name_the_path(tmp_path: Path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"body": "x"}])
    with pytest.raises(InputError, match=r"a.jsonl:1: field 'text': no value at 'conversations.1.value'"):
        read_paths([path], fields=FieldMap.parse(["text=conversations.1.value"]))
    export = tmp_path / "b.csv"
    export.write_text("headline,story\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'body' for the text field; the header has headline, story"):
        read_paths([export], fields=FieldMap.parse(["text=body"]))
    for bad in (["text"], ["text="], ["text=a..b"]):
        with pytest.raises(InputError, match="field mapping"):
            FieldMap.parse(bad)


WRAPPED = ["During a security operation in Andar district, Ghazni province, yesterday, an Afghan and coalition "
           "force killed the Taliban leader, Alaudin, who oversaw a group of insurgents.",
           "Alaudin oversaw a group of insurgents responsible for conducting remote-controlled improvised explosive "
           "device and small-arms fire attacks against Afghan and coalition forces in the district.",
           "Short one.",
           "Prior to his death, Alaudin was planning attacks against Afghan National Police in Ghazni province, "
           "officials said on Friday after the operation ended without civilian harm."]


@pytest.mark.parametrize("width", [64, 72, 80])
def test_hard_wrapped_text_gives_the_paragraphs_of_the_unwrapped_text(tmp_path: Path, width: int):
    import textwrap

    plain = tmp_path / "plain.txt"
    plain.write_text("A raid in Ghazni\n\n" + "\n\n".join(WRAPPED), encoding="utf-8")
    wrapped = tmp_path / "wrapped.txt"
    wrapped.write_text("A raid in Ghazni\n\n" + "\n\n".join(textwrap.fill(p, width) for p in WRAPPED), encoding="utf-8")
    assert one(wrapped).text == one(plain).text == "\n".join(WRAPPED)
    record = write_jsonl(tmp_path / "r.jsonl", [{"title": "t", "text": "\n\n".join(textwrap.fill(p, width) for p in WRAPPED)}])
    assert one(record).text == "\n\n".join(WRAPPED)


def test_short_header_lines_above_a_long_paragraph_are_not_wrapping():
    from index.read.wrap import unwrap

    text = ("PRESS RELEASE TEXT: 2012-11-S-029\nFor Immediate Release\n\nKABUL, Afghanistan (Nov. 20, 2012)\n"
            "Afghan and coalition forces killed an insurgent during an operation in Nangarhar province Monday.")
    assert unwrap(text) == text


@needs_shared
def test_unwrapped_text_is_left_as_it_is():
    from index.read.wrap import unwrap

    files = sorted((SHARED_DATA / "bbc-news" / "bbc").glob("*/*.txt"))
    for path in [*files[::10], *SEEDS.glob("*.txt")]:
        text = path.read_text(encoding="latin-1")
        assert unwrap(text) == text, path
