"""topics export: the rows per paragraph, article and topic, read back from each format."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index import Article, QueryError, Store, read_paths
from topics.api import article_topics, export
from topics.cli import main
from topics.export import ARTICLE_COLUMNS, KINDS, export_table
from topics.fit import fit_topics
from topics.model import TopicModel
from topics.tabular import Column, csv_cell

from .conftest import ROOT, SEEDS, SUBJECTS

METADATA = [{"desk": {"name": "World", "floor": 3}, "score": 2, "tags": ["a", "b"], "mixed": 1},
            {"desk": {"name": "Sport"}, "score": 2.5, "mixed": "one"}, {}]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory, embedder) -> Store:
    """The seed article and a few short ones with metadata of several kinds (nested, numbers, a list, a
    field of mixed kinds), ids that sort differently as text and as numbers, fitted."""
    store = Store.open(tmp_path_factory.mktemp("export") / "store", model=embedder, create=True)
    store.add(read_paths([SEEDS]).articles)
    store.add([Article(id=f"a{n}", title=f"Wire story {n}", text="\n\n".join(SUBJECTS[subject]), source="Wire",
                       published=f"2024-03-{n:02d}", metadata=METADATA[n % 3])
               for n, subject in zip((2, 10, 1, 21), SUBJECTS)])
    fit_topics(store, seed=0)
    return store


def _rows(store: Store, kind: str) -> list[dict]:
    return list(export_table(store, TopicModel.load(store.path), kind).rows)


def _typed(cell: str, column: Column):
    """A CSV cell read back as its column's kind."""
    if cell == "":
        return None
    return {bool: lambda c: c == "true", int: int, float: float}.get(column.kind, str)(cell)


@pytest.mark.parametrize("kind", KINDS)
def test_csv_and_jsonl_read_back_the_same_rows(fitted: Store, tmp_path: Path, kind: str):
    model = TopicModel.load(fitted.path)
    rows = _rows(fitted, kind)
    assert rows and export(fitted, model, kind, tmp_path / "out.jsonl").rows == len(rows)
    assert [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()] == rows
    done = export(fitted, model, kind, tmp_path / "out.csv")
    assert (done.format, done.rows, done.regular) == ("csv", len(rows), True)
    table = export_table(fitted, model, kind)
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        read = list(csv.reader(handle))
    assert read[0] == table.names
    assert [{c.name: _typed(cell, c) for c, cell in zip(table.columns, line)} for line in read[1:]] == rows
    assert all(csv_cell(value) == cell for row, line in zip(rows, read[1:]) for value, cell in zip(row.values(), line))


@pytest.mark.parametrize("kind", KINDS)
def test_parquet_reads_back_the_same_rows_and_types(fitted: Store, tmp_path: Path, kind: str):
    parquet = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install 'topics[parquet]')")
    done = export(fitted, TopicModel.load(fitted.path), kind, tmp_path / "out.parquet")
    table = parquet.read_table(tmp_path / "out.parquet")
    assert done.format == "parquet" and table.num_rows == done.rows
    assert table.to_pylist() == _rows(fitted, kind)
    assert str(table.schema.field("named" if kind == "topics" else "position" if kind == "paragraphs" else
                                  "paragraphs").type) == {"topics": "bool"}.get(kind, "int64")


def test_rows_agree_with_what_an_article_shows(fitted: Store):
    """The export is no second rule: main topic, story, mix and paragraph topics are those of
    ``topics show``."""
    model = TopicModel.load(fitted.path)
    paragraphs = _rows(fitted, "paragraphs")
    for row in _rows(fitted, "articles"):
        shown = article_topics(fitted, model, row["id"])
        assert (row["main_topic"], row["main_story"]) == (shown.main, shown.main_story)
        assert json.loads(row["topic_mix"]) == {str(s.topic): pytest.approx(s.share, abs=1e-4) for s in shown.mix}
        mine = [p for p in paragraphs if p["article_id"] == row["id"]]
        assert [(p["position"], p["topic"], p["story"]) for p in mine] == \
            [(p.position, p.topic, p.story) for p in shown.paragraphs]
        assert row["paragraphs"] == len(mine)


def test_articles_in_id_order_with_metadata_flattened(fitted: Store):
    table = export_table(fitted, TopicModel.load(fitted.path), "articles")
    rows = list(table.rows)
    assert [r["id"] for r in rows if r["id"] in {"a1", "a2", "a10", "a21"}] == ["a1", "a2", "a10", "a21"]
    assert table.columns[len(ARTICLE_COLUMNS):] == [
        Column("metadata.desk.floor", int), Column("metadata.desk.name", str), Column("metadata.mixed", str),
        Column("metadata.score", float), Column("metadata.tags", str)]
    a21 = next(r for r in rows if r["id"] == "a21")  # metadata holding a whole number where others hold text
    assert (a21["metadata.desk.name"], a21["metadata.score"], a21["metadata.tags"], a21["metadata.mixed"]) == \
        ("World", 2.0, '["a", "b"]', "1")
    assert next(r for r in rows if r["id"] == "a2")["metadata.desk.floor"] is None


def test_topic_rows_hold_themes_then_stories(fitted: Store):
    model = TopicModel.load(fitted.path)
    rows = _rows(fitted, "topics")
    assert [(r["level"], r["id"]) for r in rows] == \
        [("topic", t.id) for t in sorted(model.topics, key=lambda t: t.id)] + \
        [("story", s.id) for s in sorted(model.stories, key=lambda t: t.id)]
    assert all(r["parent"] is None for r in rows if r["level"] == "topic")
    assert all(r["parent"] in model.ids for r in rows if r["level"] == "story")
    assert all(1 <= r["articles"] <= 5 and not r["named"] for r in rows)


def test_cli_writes_a_file_and_stdout_and_the_same_bytes_twice(fitted: Store, tmp_path: Path, capsys):
    store = str(fitted.path)
    assert main(["export", "paragraphs", "-o", str(tmp_path / "p.jsonl"), "--store", store]) == 0
    count = len(_rows(fitted, "paragraphs"))
    assert capsys.readouterr().out == f"wrote {count} rows of paragraphs as jsonl to {tmp_path / 'p.jsonl'}\n"
    assert main(["export", "paragraphs", "--format", "jsonl", "--store", store]) == 0
    assert capsys.readouterr().out == (tmp_path / "p.jsonl").read_text()
    assert main(["export", "topics", "-o", str(tmp_path / "t.csv"), "--store", store]) == 0
    first = (tmp_path / "t.csv").read_bytes()
    assert main(["export", "topics", "-o", str(tmp_path / "t.csv"), "--store", store]) == 0
    assert (tmp_path / "t.csv").read_bytes() == first


def test_no_topics_yet_is_one_line(new_store, tmp_path: Path, capsys):
    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    store.close()
    assert main(["export", "articles", "-o", str(tmp_path / "a.csv"), "--store", str(store.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no topics yet; run: topics cluster" in err
    assert not (tmp_path / "a.csv").exists()


def test_unknown_kind_is_refused_by_the_api(fitted: Store, tmp_path: Path):
    with pytest.raises(QueryError, match="choose one of paragraphs, articles, topics"):
        export(fitted, TopicModel.load(fitted.path), "stories", tmp_path / "x.csv")


def test_parquet_without_pyarrow_is_one_line_and_writes_nothing(fitted: Store, tmp_path: Path):
    target = tmp_path / "a.parquet"
    code = ("import sys; sys.modules['pyarrow'] = None; from topics.cli import main; "
            f"sys.exit(main(['export', 'articles', '-o', {str(target)!r}, '--store', {str(fitted.path)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("topics: error: writing Parquet needs pyarrow: pip install 'topics[parquet]' "
                           "(or choose --format csv or jsonl)\n")
    assert not target.exists()


def test_the_service_streams_the_same_rows(fitted: Store, embedder, tmp_path: Path):
    from fastapi.testclient import TestClient

    from topics.service import create_app

    client = TestClient(create_app(fitted.path, model=embedder))
    answer = client.get("/v1/export/articles", params={"format": "jsonl"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in answer.text.splitlines()] == _rows(fitted, "articles")
    export(fitted, TopicModel.load(fitted.path), "topics", tmp_path / "t.csv")
    topics = client.get("/v1/export/topics")
    assert topics.content == (tmp_path / "t.csv").read_bytes()
    assert topics.headers["content-disposition"] == 'attachment; filename="topics.csv"'
    assert client.get("/v1/export/stories").status_code == 422


def test_a_fifo_is_written_into_and_a_reader_that_stops_early_is_no_error(fitted: Store, tmp_path: Path):
    import threading

    model = TopicModel.load(fitted.path)
    export(fitted, model, "topics", tmp_path / "t.csv")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()))
    reader.start()
    assert export(fitted, model, "topics", fifo, "csv").regular is False
    reader.join(timeout=60)
    assert fifo.is_fifo() and read == [(tmp_path / "t.csv").read_bytes()]
    code = "from topics.cli import main; raise SystemExit(main())"
    done = subprocess.run(f"{sys.executable} -c {code!r} export paragraphs --store {fitted.path} | head -1",
                          shell=True, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout == "article_id,position,is_title,paragraph_id,text,topic,story,confidence\n"
    assert done.stderr == ""
