"""Input that was accepted wrongly or reported unclearly: each gets one line that names the file and
line and says what to do, and ``skip_bad`` reports one line per bad file."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from index import InputError, read_paths
from topics.cli import main

from .conftest import write_jsonl


def _read_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_paths([path])
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_csv_with_an_unclosed_quote_names_the_line(tmp_path: Path):
    path = tmp_path / "news.csv"
    path.write_text('title,text\nFirst,The first body.\n"Second,The second body.\nThird,The third body.\n')
    assert ":3: a quoted field that starts on this line is never closed" in _read_error(path)
    result = read_paths([path], skip_bad=True)
    assert [a.title for a in result.articles] == ["First"] and len(result.skipped) == 1


@pytest.mark.parametrize("order", ["le", "be"])
def test_utf16_without_a_byte_order_mark_suggests_the_encoding(tmp_path: Path, order: str,
                                                              capsys: pytest.CaptureFixture):
    path = tmp_path / "story.txt"
    path.write_bytes("Harbour closed\nStorms closed the harbour again.\n".encode(f"utf-16-{order}"))
    assert f"looks like UTF-16 text without a byte-order mark; read it with encoding='utf-16-{order}'" in \
        _read_error(path)
    assert main(["ingest", str(path), "--store", str(tmp_path / "s")]) == 1
    assert f"read it with --encoding utf-16-{order}" in capsys.readouterr().err
    assert read_paths([path], encoding=f"utf-16-{order}").articles[0].title == "Harbour closed"


def test_truncated_utf16_with_a_byte_order_mark_is_a_clean_error(tmp_path: Path):
    path = tmp_path / "cut.txt"
    path.write_bytes("Title\nBody text here.\n".encode("utf-16")[:-1])
    assert "not valid utf-16 although the file starts with its byte-order mark" in _read_error(path)


def test_a_wrapper_that_is_not_a_list(tmp_path: Path):
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"articles": "nope"}))
    assert "field 'articles': expected a list of article objects, got str" in _read_error(path)


def test_control_characters_are_stripped_and_a_bodiless_article_is_noted(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture):
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "title": "Bad\x00 title\x07\nhere", "text": "Body\x00 text.\nLine two."},
                                              {"id": "2", "title": "Only a title", "text": ""}])
    with caplog.at_level(logging.WARNING):
        first, second = read_paths([path]).articles
    assert (first.title, first.text) == ("Bad title here", "Body text.\nLine two.")
    assert second.text == "" and "'Only a title' has a title but no body text" in caplog.text


def test_entries_that_are_not_articles_are_named(tmp_path: Path, capsys: pytest.CaptureFixture):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.txt").mkdir()
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "a.pdf").write_bytes(b"%PDF-1.4")
    assert main(["ingest", str(folder), "--store", str(tmp_path / "store")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"topics: error: no articles found in {folder}; passed over ") and "\n" not in err
    for name, reason in [("a.pdf", "unsupported type '.pdf'"), ("pipe.txt", "a pipe or socket, not a file"),
                         ("loop.txt", "a broken or looping link"), ("x.txt", "a folder"),
                         ("zero.txt", "a device, not a file")]:
        assert f"{folder / name} ({reason})" in err
    assert not (tmp_path / "store").exists()


def test_skip_bad_warns_once_per_file_with_a_count(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                   capsys: pytest.CaptureFixture):
    lines = [json.dumps({"id": f"ok{i}", "text": "The harbour board met again to discuss the storms."}) for i in range(3)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text("\n".join([*lines, *["{broken"] * 50]) + "\n")
    (tmp_path / "in" / "b.txt").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        result = read_paths([tmp_path / "in"], skip_bad=True)
    assert len(result.articles) == 3 and len(result.skipped) == 51
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"skipped 50 bad records of {tmp_path / 'in' / 'a.jsonl'} (the first: ")
    assert main(["ingest", str(tmp_path / "in"), "--skip-bad", "--quiet", "--store", str(tmp_path / "s")]) == 0
    assert "skipped 51 bad records or files (from 2 files)" in capsys.readouterr().out


def test_the_windows_1252_note_is_printed_once(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    path = tmp_path / "pound.txt"
    path.write_bytes(b"Transfer fee\nA \xa315.8m signing from Parma last season was written off.\n")
    with caplog.at_level(logging.WARNING):
        assert main(["ingest", str(path), "--quiet", "--store", str(tmp_path / "s")]) == 0
    assert [r.getMessage() for r in caplog.records].count(
        f"{path}:2: not UTF-8; read as Windows-1252 (pass --encoding to choose another)") == 1


def test_a_file_of_byte_order_marks_is_no_article(tmp_path: Path, capsys: pytest.CaptureFixture):
    """Byte-order marks past a file's first are invisible characters, not a 4,999-character title."""
    marks = tmp_path / "marks.txt"
    marks.write_text("\ufeff" * 5000, encoding="utf-8")
    rows = tmp_path / "marks.csv"
    rows.write_text("title,text\n" + "\ufeff" * 50 + "," + "\ufeff" * 50 + "\n", encoding="utf-8")
    for source, message in ((marks, "no text: the file is empty"), (rows, "marks.csv:2: field 'text': empty article")):
        assert main(["ingest", str(source), "--store", str(tmp_path / "store")]) == 1
        assert message in capsys.readouterr().err


def test_no_articles_found_says_what_was_passed_over_and_why(tmp_path: Path, capsys: pytest.CaptureFixture):
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    loops = tmp_path / "loops"
    loops.mkdir()
    (loops / "a").symlink_to(loops / "b")
    (loops / "b").symlink_to(loops / "a")
    for source, reason in ((empty, "holds no article: an empty list"), (loops, "a broken or looping link")):
        assert main(["ingest", str(source), "--store", str(tmp_path / "store")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("topics: error: no articles found in") and str(source) in err and reason in err
