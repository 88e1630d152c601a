"""Repeated ids within one ingest, and articles far longer than any paragraph: the later version wins,
and the cost of reading, splitting and hashing grows with the input, not its square."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from index import Article, Store, read_paths
from topics.cli import main

from .conftest import SEEDS, write_jsonl


def _records(n: int) -> list[dict]:
    # Ten distinct bodies, so the ingest embeds little: the ids are what the test is about.
    return [{"id": f"a{i}", "text": f"The harbour board met for the {i % 10}th time to discuss the winter storms."}
            for i in range(n)]


def test_an_id_repeated_in_one_batch_keeps_the_last_version(tmp_path: Path, capsys: pytest.CaptureFixture):
    last = {"id": "a0", "text": "The last version of the first record says the harbour reopened in spring."}
    source = write_jsonl(tmp_path / "news.jsonl", [*_records(300), last])
    store = tmp_path / "store"
    assert main(["ingest", str(source), "--store", str(store), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "read 301 articles" in out and "added 300, updated 0, unchanged 0, 1 repeated id (last kept)" in out
    with Store.open(store) as opened:
        assert opened.article_count() == 300
        assert [link.text for link in opened.links(article_ids=["a0"])] == [last["text"]]
    assert main(["ingest", str(source), "--store", str(store), "--quiet"]) == 0  # a rerun changes nothing
    assert "added 0, updated 0, unchanged 300, 1 repeated id (last kept)" in capsys.readouterr().out


def test_a_repeat_that_restores_the_stored_version_wins_over_the_pending_one(new_store):
    store = new_store()
    first = Article(id="x", title="", text="The bridge opened to traffic on Monday after two years of work.")
    store.add([first])
    changed = Article(id="x", title="", text="The bridge closed again on Tuesday because of a crack in a pier.")
    filler = [Article(id=f"f{i}", title="", text=first.text) for i in range(300)]
    store.add([changed, *filler, first])  # the stored version comes back last, in another group
    assert [link.text for link in store.links(article_ids=["x"])] == [first.text]


def test_identical_files_in_one_folder_share_an_id(tmp_path: Path, new_store):
    folder = tmp_path / "flat"
    folder.mkdir()
    for i in range(3):
        shutil.copy(next(SEEDS.glob("*.txt")), folder / f"{i}.txt")
    report = new_store().add(read_paths([folder]).articles)
    assert (report.added, report.duplicate_ids) == (1, 2)


def _long_line(size: int) -> str:
    words = "the market rose after the central bank said rates would stay on hold for longer".split()
    text = " ".join(words[i % len(words)] for i in range(size // 5))
    return text[:size]


@pytest.mark.parametrize("size", [200_000, 1_000_000])
def test_reading_splitting_and_hashing_a_long_line_is_linear(tmp_path: Path, new_store, size: int):
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"title": "One very long line", "text": _long_line(size)}) + "\n")
    store = new_store()
    start = time.perf_counter()
    article = read_paths([path]).articles[0]
    paragraphs = store.splitter.split(article)
    hashes = {p.hash for p in paragraphs} | {article.key}
    seconds = time.perf_counter() - start
    assert len(hashes) > 1 and sum(len(p.text) for p in paragraphs) >= size * 0.99
    assert seconds < 3 * size / 1_000_000 + 1.5, f"{seconds:.1f} s for a {size}-character line"
