"""TopicMap, the notebook API: fits a list of texts or a DataFrame, with and without pandas."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import ParameterError
from topics import TopicMap
from topics.export import ARTICLE_COLUMNS, TOPIC_COLUMNS, topic_table
from topics.model import NoTopics

from .conftest import ROOT, SEEDS, SHARED_DATA

BBC = SHARED_DATA / "bbc-news" / "bbc"


def short_texts(count: int) -> list[str]:
    """``count`` BBC paragraphs (the first of each business and politics story, in file order) when
    ../shared is there, else the seed article's sentences."""
    if BBC.is_dir():
        texts = []
        for path in sorted((BBC / "business").glob("*.txt")) + sorted((BBC / "politics").glob("*.txt")):
            body = path.read_text(encoding="latin-1").split("\n\n")[1:]
            texts += [p.strip() for p in body[:2] if len(p.strip()) > 60]
            if len(texts) >= count:
                return texts[:count]
    seed = next(SEEDS.glob("*")).read_text(encoding="utf-8")
    return [s for s in re.split(r"(?<=[.!?])\s+", seed) if len(s) > 30][:count]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return short_texts(200)


@pytest.fixture(scope="module")
def mapped(texts: list[str], embedder) -> Iterator[TopicMap]:
    tm = TopicMap(model=embedder, seed=0).fit(texts)
    yield tm
    tm.close()


def _rows(table) -> list[dict]:
    return table if isinstance(table, list) else table.astype(object).where(table.notna(), None).to_dict("records")


def test_fits_a_list_of_strings(mapped: TopicMap, texts: list[str]):
    if BBC.is_dir():
        assert len(texts) == 200
    documents = _rows(mapped.document_info())
    assert [d["id"] for d in documents] == [str(n) for n in range(len(texts))]  # numbered, in the order given
    assert list(documents[0]) == [c.name for c in ARTICLE_COLUMNS]
    assert _rows(mapped.topic_info()) == list(topic_table(mapped.store, mapped.topic_model).rows)
    assert {d["main_topic"] for d in documents} - {None} <= {t.id for t in mapped.topic_model.topics}
    paragraphs = _rows(mapped.paragraph_info())
    assert {p["article_id"] for p in paragraphs} == {d["id"] for d in documents}


def test_search_similar_assign_and_report(mapped: TopicMap, texts: list[str]):
    assert _rows(mapped.search(texts[5], k=1, mode="dense"))[0]["article_id"] == "5"
    hits = _rows(mapped.search("profits rose", k=3))
    assert len(hits) == 3 and {h["article_id"] for h in hits} <= {str(n) for n in range(len(texts))}
    near = _rows(mapped.similar("5", k=4))
    assert len(near) == 4 and "5" not in {n["article_id"] for n in near}
    assigned = mapped.assign(texts[5])
    shown = next(d for d in _rows(mapped.document_info()) if d["id"] == "5")
    assert assigned["main"] == shown["main_topic"]
    assert len(mapped.over_time()) == 0  # nothing dated
    page = mapped.report()._repr_html_()
    assert page.startswith("<iframe srcdoc=") and "&lt;html" in page.lower()
    assert mapped._repr_html_() == page


def test_a_temporary_store_goes_with_close(texts: list[str], embedder):
    tm = TopicMap(model=embedder).fit(texts[:12])
    folder = tm.store.path.parent
    assert folder.is_dir()
    tm.close()
    assert not folder.exists()
    dropped = TopicMap(model=embedder).fit(texts[:12])
    folder = dropped.store.path.parent
    del dropped
    gc.collect()
    assert not folder.exists()  # collected without close: removed all the same


def test_a_store_at_a_path_stays_and_answers_without_a_fit(tmp_path: Path, texts: list[str], embedder):
    with TopicMap(model=embedder, path=tmp_path / "store").fit(texts[:12]) as tm:
        topics = _rows(tm.topic_info())
    assert (tmp_path / "store").is_dir()
    again = TopicMap(model=embedder, path=tmp_path / "store")
    assert _rows(again.topic_info()) == topics
    again.close()


def test_fits_a_dataframe_with_its_columns(embedder, texts: list[str]):
    pandas = pytest.importorskip("pandas", reason="pandas is not installed (pip install 'topics[notebook]')")
    data = pandas.DataFrame({"key": [f"n{i}" for i in range(24)], "headline": [t[:40] for t in texts[:24]],
                             "body": texts[:24], "when": pandas.date_range("2024-01-01", periods=24, freq="D"),
                             "desk": ["a", "b", None] * 8, "rank": range(24)})
    with TopicMap(model=embedder).fit(data, text="body", title="headline", date="when", id="key") as tm:
        documents = tm.document_info()
        assert isinstance(documents, pandas.DataFrame) and len(documents) == 24
        assert list(documents.columns) == [c.name for c in ARTICLE_COLUMNS] + ["metadata.desk", "metadata.rank"]
        assert documents["id"].tolist() == [f"n{i}" for i in range(24)]
        assert documents.loc[0, "published"] == "2024-01-01T00:00:00" and documents.loc[0, "title"] == texts[0][:40]
        assert str(documents["main_topic"].dtype) == "Int64" and documents["metadata.desk"].isna().sum() == 8
        timeline = tm.over_time()
        assert set(timeline.columns) == {"period", "topic", "label", "documents", "period_documents"}
        assert timeline.groupby("period")["period_documents"].first().sum() == 24
        assert isinstance(tm.topic_info(), pandas.DataFrame)


def test_tables_are_lists_of_dicts_without_pandas(tmp_path: Path):
    code = ("import sys, json; sys.modules['pandas'] = None\n"
            "from topics import TopicMap\n"
            f"sys.path.insert(0, {str(ROOT)!r}); from tests.test_notebook import short_texts\n"
            "with TopicMap().fit([{'text': t, 'source': 'Wire'} for t in short_texts(12)]) as tm:\n"
            "    info, docs = tm.topic_info(), tm.document_info()\n"
            "    print(json.dumps([type(info).__name__, type(docs).__name__, len(docs), docs[0]['source']]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '["list", "list", 12, "Wire"]'


def test_bad_input_is_one_clear_error(embedder):
    with pytest.raises(ParameterError, match="^n_topics must be at least 1"):
        TopicMap(n_topics=0)
    tm = TopicMap(model=embedder)
    with pytest.raises(NoTopics, match="call fit"):
        tm.topic_info()
    with pytest.raises(ParameterError, match="^documents must be a list of texts"):
        tm.fit(42)
    with pytest.raises(ParameterError, match="'text' is no column of the documents; name the column"):
        tm.fit([{"body": "A paragraph about rates."}])
    tm.close()
    assert [c.name for c in TOPIC_COLUMNS][-1] == "named"
