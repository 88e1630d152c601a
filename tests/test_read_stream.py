"""Reads that stream: records one at a time, JSON lists through a bounded window, binary files refused
from their first block, and fields that cleaning leaves empty read as missing."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from pathlib import Path

import pytest

from index import FieldMap, InputError, iter_articles, read_paths
from index.read.decode import NOT_TEXT
from index.read.jsonstream import JSONStream, Malformed

DOCUMENTS = [
    '[]', '[1, -2.5e3, "a\\nb", {"k": [true, null]}, []]', '[\n {"title": "x",\n  "n": 12345678901234}\n]',
    '[1,]', '[1 2]', '[{"a" 1}]', '[{"a": 1,}]', '["cut', '[1.5e', '[1]]', '[{"a": "\\u12"}]', '[\n\n  tru\n]',
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_a_list_read_through_a_small_window_reads_as_json_loads_does(text: str):
    """Values cut by the window's edge are read whole; bad JSON is placed at json.loads's line and column."""
    try:
        expected: tuple = ("ok", json.loads(text))
    except json.JSONDecodeError as exc:
        expected = ("bad", exc.msg, exc.lineno, exc.colno)
    for block in (1, 2, 3, 7, 4096):
        try:
            stream = JSONStream(io.StringIO(text), block=block)
            got: tuple = ("ok", list(stream.items()))
            stream.end()
        except Malformed as exc:
            got = ("bad", exc.message, exc.line, exc.column)
        assert got == expected, block


def _records(count: int, length: int = 900) -> list[dict[str, str]]:
    return [{"id": f"a{n}", "title": f"Harbour report {n}", "text": f"Ships waited at the harbour. {'x' * length} {n}"}
            for n in range(count)]


def test_a_long_json_list_is_read_an_item_at_a_time_and_errors_name_their_line(tmp_path: Path):
    records = _records(300)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"source": "wire", "articles": records}, indent=1), encoding="utf-8")
    assert [a.id for a in read_paths([good]).articles] == [r["id"] for r in records]
    bad = tmp_path / "bad.json"
    text = json.dumps(records, indent=1).replace('"a250",', '"a250"', 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(InputError) as caught:
        read_paths([bad])
    assert str(caught.value) == (f"{bad}:{expected.value.lineno}: malformed JSON at column {expected.value.colno}: "
                                 "Expecting ',' delimiter")


def test_one_object_and_a_wrapper_that_holds_no_list(tmp_path: Path):
    one = tmp_path / "one.json"
    one.write_text('{"title": "Rates", "text": "Banks raised rates.", "desk": "money"}', encoding="utf-8")
    assert read_paths([one]).articles[0].metadata == {"desk": "money"}
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text('{"articles": {"title": "x"}}', encoding="utf-8")
    with pytest.raises(InputError, match="field 'articles': expected a list of article objects, got dict"):
        read_paths([wrapped])
    extra = tmp_path / "extra.json"
    extra.write_text('[{"title": "a", "text": "b"}] x', encoding="utf-8")
    with pytest.raises(InputError, match=r"extra.json:1: malformed JSON at column 31: Extra data"):
        read_paths([extra])


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_reading_holds_one_record_at_a_time(tmp_path: Path, suffix: str):
    """Memory follows the largest record, not the file: reading 2 MB allocates a third of it at its peak."""
    records = _records(100, 20_000)
    path = tmp_path / f"many{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif suffix == ".json":
        path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    else:
        path.write_text("id,title,text\n" + "".join(f'{r["id"]},{r["title"]},{r["text"]}\n' for r in records),
                        encoding="utf-8")
    assert path.stat().st_size > 2_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_articles([path], warn=False))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == len(records)
    assert peak < 700_000, peak


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".txt", ".html"])
def test_two_gigabytes_of_nul_bytes_are_refused_from_the_first_block(tmp_path: Path, suffix: str):
    path = tmp_path / f"zeros{suffix}"
    with path.open("wb") as file:
        file.truncate(2 << 30)  # sparse: takes no room on disk, and read whole would take 2 GB
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read_paths([path])
    assert str(caught.value) == f"{path}: {NOT_TEXT}"
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("encoding", [None, "utf-8"])
def test_nul_bytes_after_a_byte_order_mark_or_with_an_encoding_named_are_not_text(tmp_path: Path,
                                                                                  encoding: str | None):
    path = tmp_path / "marked.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\x00" * 100_000)
    with pytest.raises(InputError, match="marked.jsonl: binary file, not text"):
        read_paths([path], encoding=encoding)


def test_a_field_left_empty_by_cleaning_is_a_missing_one(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"title": "\u200b\ufeff", "text": "\u2060 \x00", "body": "The body stands in."}) + "\n"
                    + json.dumps({"title": "\ufeff", "text": "\u200b"}) + "\n", encoding="utf-8")
    result = read_paths([path], skip_bad=True)
    assert [(a.title, a.text) for a in result.articles] == [("", "The body stands in.")]
    assert str(result.skipped[0]) == (f"{path}:2: field 'text': empty article: give a 'text' (or 'body'/'content') "
                                      "or a 'title'")
    mapped = tmp_path / "b.jsonl"
    mapped.write_text(json.dumps({"story": {"words": "\ufeff\u200b"}}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b.jsonl:1: field 'text': no value at 'story.words' in this record"):
        read_paths([mapped], fields=FieldMap.parse(["text=story.words"]))


def test_encoding_errors_name_the_byte_and_line_past_the_first_block(tmp_path: Path):
    path = tmp_path / "late.jsonl"
    lines = [json.dumps({"title": f"t{n}", "text": "words " * 40}) + "\n" for n in range(2000)]
    prefix = "".join(lines).encode("utf-8")
    path.write_bytes(prefix + b'{"title": "\x81", "text": "x"}\n')
    where = f"late.jsonl:2001: byte {len(prefix) + 11}"
    with pytest.raises(InputError, match=rf"{where} is not UTF-8 \(nor Windows-1252\)"):
        read_paths([path])
    with pytest.raises(InputError, match=rf"{where} is not valid utf-8"):
        read_paths([path], encoding="utf-8")
