"""The store with the real model and real FAISS: counts, caching, updates, deletes, crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index import Article, Embedder, Store, StoreError, read_paths, search

from .conftest import ROOT, SEEDS, store_state, write_jsonl


def test_seed_ingest_counts(seed_store: Store):
    stats = seed_store.stats()
    assert (stats.articles, stats.paragraphs, stats.vectors) == (1, 11, 11)
    texts = [link.text for link in seed_store.links(article_ids=seed_store.article_ids())]
    assert texts[0] == "CSTO meeting held on Afghanistan’s security situation"
    assert not any("appeared first on" in t for t in texts)
    assert stats.model.startswith("all-MiniLM-L6-v2@") and stats.dim == 384


def test_reingest_does_no_model_work(new_store, monkeypatch: pytest.MonkeyPatch):
    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    calls = []
    original = store.embedder.model.encode
    monkeypatch.setattr(store.embedder.model, "encode", lambda *a, **k: calls.append(a) or original(*a, **k))
    report = store.add(read_paths([SEEDS]).articles)
    assert (report.unchanged, report.added, report.updated, report.paragraphs_embedded) == (1, 0, 0, 0)
    assert calls == []
    assert store.snapshot().generation == 1  # nothing was rewritten


def _articles(n: int, source: str = "Wire", **extra) -> list[Article]:
    topics = ["central bank interest rates", "football transfer window", "volcanic eruption in Iceland",
              "new smartphone battery", "parliament budget vote", "film festival awards"]
    return [Article(id=f"{source}-{i}", title=f"Report {i} on {topics[i % len(topics)]}",
                    text=f"This is a detailed news paragraph number {i} about the {topics[i % len(topics)]}, "
                         f"written for the test corpus of {source}.", source=source, **extra)
            for i in range(n)]


def test_update_replaces_paragraphs_and_vectors(new_store):
    store = new_store()
    store.add([Article(id="a", title="Harbour opens", text="The new harbour opened on Monday with a parade of boats.")])
    before = store.snapshot()
    report = store.add([Article(id="a", title="Harbour opens",
                                text="Storms forced the harbour to close again after only two days.")])
    assert (report.updated, report.paragraphs_embedded, report.paragraphs_reused) == (1, 1, 1)
    after = store.snapshot()
    assert len(after.ids) == 2 and after.generation == before.generation + 1
    assert set(after.ids) != set(before.ids)
    hit = search(store, "parade of boats at the opening", k=5)
    assert all("parade" not in h.text for h in hit)


def test_whole_file_update_replaces_the_earlier_version(new_store, tmp_path: Path):
    store = new_store()
    path = tmp_path / "story.txt"
    path.write_text("Dam repairs\nEngineers began repairing the dam after the floods of last spring.\n")
    store.add(read_paths([path]).articles)
    path.write_text("Dam repairs finished\nEngineers finished repairing the dam ahead of the winter rains.\n")
    report = store.add(read_paths([path]).articles)
    assert (report.added, report.updated) == (0, 1)
    assert store.stats().articles == 1


def test_shared_paragraph_has_one_vector_and_survives_one_delete(new_store):
    store = new_store()
    shared = "The agency said the figures would be revised next month after a review of the survey."
    store.add([Article(id="x", title="", text=f"{shared}\nFirst article has its own second paragraph here."),
               Article(id="y", title="", text=f"{shared}\nThe second article ends quite differently with this longer line.")])
    assert store.stats().vectors == 3 and store.stats().paragraphs == 4
    hit = search(store, "survey figures will be revised", k=1)[0]
    assert hit.article.id == "x" and hit.also_in == ("y",)
    assert store.delete(["x"]) == 1
    assert store.stats().vectors == 2
    assert search(store, "survey figures will be revised", k=1)[0].article.id == "y"
    assert store.delete(["y"]) == 1
    assert store.stats().vectors == 0 and search(store, "survey", k=3) == []


def test_delete_removes_vectors_from_index(new_store):
    store = new_store()
    store.add(_articles(6))
    assert store.delete(["Wire-2", "missing-id"]) == 1
    snapshot = store.snapshot()
    assert len(snapshot.index) == len(snapshot.ids) == 5 * 2
    assert all(h.article.id != "Wire-2" for h in search(store, "volcanic eruption in Iceland", k=10))


def test_deterministic_ids_and_vectors(tmp_path: Path, embedder: Embedder):
    stores = [Store.open(tmp_path / name, model=embedder, create=True) for name in ("a", "b")]
    for store in stores:
        store.add(_articles(6))
    a, b = (s.snapshot() for s in stores)
    assert np.array_equal(a.ids, b.ids) and np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))


def test_not_a_store_and_missing_store(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match="is not a topics store"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "nothing")


def test_unknown_format_version_is_refused(new_store):
    store = new_store()
    store.catalog.db.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(StoreError, match="format version 99"):
        Store.open(store.path)


def test_other_model_is_refused_and_store_unchanged(new_store, tmp_path: Path, embedder: Embedder):
    store = new_store()
    store.add(_articles(2))
    other = tmp_path / "other-model"
    other.mkdir()
    for item in embedder.path.iterdir():
        (other / item.name).symlink_to(item)
    (other / "config.json").unlink()
    (other / "config.json").write_text((embedder.path / "config.json").read_text().replace("{", '{"x": 1,', 1))
    before = store_state(store.path)
    with pytest.raises(StoreError, match="was built with model all-MiniLM-L6-v2@"):
        Store.open(store.path, model=other)
    assert store_state(store.path) == before


def test_a_float_store_keeps_its_backend_under_the_int8_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """New stores embed with int8; one made with --backend onnx goes on embedding float vectors, whether
    it is opened with its own model, with the model folder named, or from the command line."""
    from index.embed import bundled_model_path
    from topics.cli import main

    path = tmp_path / "fp32"
    with Store.open(path, model=Embedder(backend="onnx"), create=True) as store:
        store.add(_articles(2))
        float_id = store.meta("model_id")
    assert not float_id.endswith("+int8") and Embedder().model_id == f"{float_id}+int8"
    for model in (None, bundled_model_path()):
        with Store.open(path, model=model) as store:
            assert store.embedder.backend == "onnx" and store.meta("backend") == "onnx"
    assert main(["ingest", str(SEEDS), "--store", str(path), "--quiet"]) == 0
    assert "embedded 11 paragraphs" in capsys.readouterr().out
    with Store.open(path) as store:
        assert store.meta("model_id") == float_id and store.stats().vectors == 15
        expected = Embedder(backend="onnx").encode(["CSTO meeting held on Afghanistan’s security situation"])[0]
        title = store.links(article_ids=[a for a in store.article_ids() if not a.startswith("Wire")])[0]
        assert float(store.snapshot().vectors_of([title.paragraph_id])[0] @ expected) > 0.9999
    with Store.open(tmp_path / "new", create=True) as store:
        assert store.meta("backend") == "onnx-int8" and store.meta("model_id") == f"{float_id}+int8"


INGEST_SCRIPT = """
import sys
from index import Store, read_paths
store = Store.open(sys.argv[1], create=True)
store.add(read_paths([sys.argv[2]]).articles, progress=False, batch_paragraphs=int(sys.argv[3]))
"""


def _generation(path: Path) -> int:
    try:
        with sqlite3.connect(path / "store.db") as db:
            return int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_killed_ingest_leaves_a_usable_store_and_resumes(tmp_path: Path, embedder: Embedder):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [
        {"id": a.id, "title": a.title, "text": a.text, "source": a.source} for a in _articles(120)])
    store_path = tmp_path / "store"
    process = subprocess.Popen([sys.executable, "-c", INGEST_SCRIPT, str(store_path), str(corpus), "8"],
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while _generation(store_path) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()

    store = Store.open(store_path, model=embedder)
    stats = store.stats()
    assert 0 < stats.articles < 120, "the ingest should have been killed part-way"
    assert stats.vectors == len(store.snapshot().index)
    assert search(store, "football transfer window", k=3)

    report = store.add(read_paths([corpus]).articles, progress=False)
    assert report.unchanged == stats.articles and report.added == 120 - stats.articles
    assert store.stats().articles == 120 and store.stats().vectors == 240
    leftovers = [f.name for f in store_path.iterdir() if f.name.endswith(".tmp")]
    assert leftovers == []


def test_moved_story_survives_a_multi_batch_ingest(new_store, tmp_path: Path):
    """A story moves from x.txt to a.txt while x.txt gets a new story; both must survive."""
    store = new_store()
    first = "Story one\nThe first story talks about elections in the northern provinces this spring.\n"
    second = "Story two\nThe second story covers the harvest and the price of wheat this autumn.\n"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.txt").write_text(first)
    store.add(read_paths([tmp_path / "in"]).articles)
    (tmp_path / "in" / "a.txt").write_text(first)
    (tmp_path / "in" / "x.txt").write_text(second)
    store.add(read_paths([tmp_path / "in"]).articles, batch_paragraphs=1)
    paths = sorted(Path(store.article(i).path).name for i in store.article_ids())
    assert paths == ["a.txt", "x.txt"]


def test_interrupted_creation_and_foreign_database(tmp_path: Path, embedder: Embedder):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "store.db.tmp").write_bytes(b"half-made")
    assert Store.open(tmp_path / "s", model=embedder, create=True).stats().articles == 0
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "store.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="is not a readable topics store"):
        Store.open(tmp_path / "t")
