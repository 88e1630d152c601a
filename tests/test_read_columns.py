"""Records read by column number: CSV files without a header row (AG News's layout), in a field mapping
given as flags, as a TOML file and to the command line; JSON arrays; columns out of range."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import FieldMap, InputError, Store, read_paths
from topics.cli import main

# class, title, description, as AG News's test.csv, with a quoted comma and a blank line between rows
ROWS = ('"3","Fears for pension after talks","Unions representing workers say they are disappointed, '
        'after talks with the parent firm."\n\n'
        '"4","Second private team sets launch date","A second team of rocketeers has announced the first '
        'launch date for its manned rocket.","extra"\n')


@pytest.fixture()
def headerless(tmp_path: Path) -> Path:
    path = tmp_path / "test.csv"
    path.write_text(ROWS.replace(',"extra"', ""), encoding="utf-8")
    return path


def test_a_csv_without_a_header_is_read_by_column_number(headerless: Path):
    mapping = FieldMap.parse(["title=1", "text=2", "class=0"], header=False)
    first, second = read_paths([headerless], fields=mapping).articles
    assert first.title == "Fears for pension after talks"
    assert first.text == "Unions representing workers say they are disappointed, after talks with the parent firm."
    assert (first.metadata, second.metadata) == ({"class": "3"}, {"class": "4"})
    unnamed = read_paths([headerless], fields=FieldMap.parse(["text=2"], header=False)).articles[0]
    assert unnamed.title == "" and unnamed.metadata == {"0": "3", "1": "Fears for pension after talks"}


def test_the_same_mapping_as_a_toml_file(headerless: Path, tmp_path: Path):
    toml = tmp_path / "ag.toml"
    toml.write_text("header = false\n\n[fields]\ntitle = 1\ntext = \"2\"\nclass = 0\n", encoding="utf-8")
    articles = read_paths([headerless], fields=FieldMap.parse(file=toml)).articles
    assert [(a.title, a.metadata) for a in articles] == [("Fears for pension after talks", {"class": "3"}),
                                                         ("Second private team sets launch date", {"class": "4"})]
    toml.write_text("[fields]\nheader = false\ntitle = 1\ntext = 2\n", encoding="utf-8")  # under [fields] too
    assert FieldMap.parse(file=toml) == FieldMap({"title": "1", "text": "2"}, header=False)
    toml.write_text("[fields]\ntitle = 1\ntext = 2\n", encoding="utf-8")
    assert FieldMap.parse(file=toml, header=False).header is False  # --no-header with a file that says nothing


def test_a_column_out_of_range_names_the_file_line_column_and_count(headerless: Path, tmp_path: Path):
    with pytest.raises(InputError, match=r"test.csv:1: field 'text': column 3 is out of range: the row has "
                                         r"3 columns \(0 to 2\); columns are counted from 0$"):
        read_paths([headerless], fields=FieldMap.parse(["title=1", "text=3"], header=False))
    short = tmp_path / "short.csv"
    short.write_text('"1","A title","A body with words."\n"2","Only a title"\n', encoding="utf-8")
    result = read_paths([short], skip_bad=True, fields=FieldMap.parse(["title=1", "text=2"], header=False))
    assert len(result.articles) == 1
    assert str(result.skipped[0]).endswith("short.csv:2: field 'text': column 2 is out of range: the row has "
                                           "2 columns (0 to 1); columns are counted from 0")
    wide = tmp_path / "wide.csv"
    wide.write_text(ROWS, encoding="utf-8")
    with pytest.raises(InputError, match=r"wide.csv:3: 4 values where the first row has 3; quote fields"):
        read_paths([wide], fields=FieldMap.parse(["text=2"], header=False))


def test_mappings_that_cannot_read_a_headerless_file_say_what_to_give(headerless: Path):
    with pytest.raises(InputError, match="field 'title': field mapping 'title=headline': without a header row, "
                                         "give a column number counted from 0"):
        FieldMap.parse(["title=headline", "text=2"], header=False)
    with pytest.raises(InputError, match="without a header row, say which column holds the text: text=N"):
        FieldMap.parse(["class=0"], header=False)
    with pytest.raises(InputError, match=r"test.csv:1: no text column: the header has 3, Fears for pension "
                                         r"after talks, Unions representing workers say they ar…; .* --no-header"):
        read_paths([headerless])


def test_json_arrays_are_read_by_position_with_a_mapping(tmp_path: Path):
    path = tmp_path / "rows.jsonl"
    path.write_text('["3", "A title", "The body of the article."]\n', encoding="utf-8")
    article = read_paths([path], fields=FieldMap.parse(["title=1", "text=2", "class=0"])).articles[0]
    assert (article.title, article.text, article.metadata) == ("A title", "The body of the article.", {"class": "3"})
    with pytest.raises(InputError, match=r"rows.jsonl:1: expected a JSON object, got an array; .* text=2"):
        read_paths([path])


def test_ingest_with_no_header_on_the_command_line(headerless: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    store = tmp_path / "store"
    assert main(["ingest", str(headerless), "--no-header", "--field", "title=1", "--field", "text=4",
                 "--store", str(store), "--quiet"]) == 1
    assert "test.csv:1: field 'text': column 4 is out of range: the row has 3 columns" in capsys.readouterr().err
    assert not store.exists()
    assert main(["ingest", str(headerless), "--no-header", "--field", "title=1", "--field", "text=2",
                 "--field", "class=0", "--store", str(store), "--quiet"]) == 0
    assert "read 2 articles from 1 file" in capsys.readouterr().out
    with Store.open(store) as opened:
        assert opened.stats().articles == 2
