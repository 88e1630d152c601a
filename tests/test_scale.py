"""The store as it grows: append-only vector segments, index builds and catch-up, IVF with re-scoring,
reindex and compaction, and ingest that streams."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from index import Article, Store, search
from index.errors import QueryError
from index.snapshot import Snapshot
from index.vectors import IdSet, VectorIndex, exact_top
from topics.cli import main

TOPICS = ["harbour ships and cargo", "football derby goals", "central bank interest rates", "mountain snow and avalanches",
          "election campaign polls", "vaccine trial results", "wildfire evacuation", "chip factory exports"]


def _articles(count: int, start: int = 0) -> list[Article]:
    return [Article(id=f"a{i}", title=f"Report {i} on {TOPICS[i % len(TOPICS)]}",
                    text=f"Item {i}: a short note about {TOPICS[i % len(TOPICS)]}, number {i * 7919 % 1000}.")
            for i in range(start, start + count)]


def _clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 fixed centres; ``seed`` draws other points around the same centres."""
    centres = np.random.default_rng(0).normal(size=(40, dim))
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(0, 40, n)] + 0.35 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.slow
def test_ivf_index_is_tuned_to_the_recall_target_and_rescored_exactly():
    vectors = _clustered(6000)
    ids = np.arange(100, 6100, dtype=np.int64)
    index = VectorIndex.build(ids, lambda rows: vectors[rows], 32, flat_limit=1000, target_recall=0.95)
    assert not index.exact and index.kind.startswith("IVF") and index.recall >= 0.95
    queries = _clustered(300, seed=1)
    truth = exact_top(queries, lambda a, b: (ids[a:b], vectors[a:b]), len(ids), 10)
    _, candidates = index.search(queries, 40)
    found = [set(c[:40].tolist()) for c in candidates]
    recall = np.mean([len(set(t.tolist()) & f) / 10 for t, f in zip(truth, found)])
    assert recall >= 0.93  # fresh queries, not the calibration ones
    small = VectorIndex.build(ids[:500], lambda rows: vectors[rows], 32, flat_limit=1000)
    assert small.exact and small.kind == "Flat"


def test_a_search_limited_to_some_ids_finds_only_those_and_the_nearest_of_them():
    vectors = _clustered(3000)
    ids = np.arange(7, 3007, dtype=np.int64)
    allowed = ids[np.random.default_rng(3).random(len(ids)) < 0.3]
    queries = _clustered(20, seed=2)
    for index in (VectorIndex.build(ids, lambda rows: vectors[rows], 32, flat_limit=5000),
                  VectorIndex.build(ids, lambda rows: vectors[rows], 32, flat_limit=1000)):
        limited = IdSet(allowed)
        for _ in range(2):  # the membership test is built once and read again
            _, found = index.search(queries, 5, limited)
            assert set(found[found >= 0].tolist()) <= set(allowed.tolist())
        if index.exact:
            keep = np.isin(ids, allowed)
            truth = exact_top(queries, lambda a, b: (ids[a:b][keep[a:b]], vectors[a:b][keep[a:b]]), len(ids), 5)
            assert [set(t.tolist()) for t in truth] == [set(f.tolist()) for f in found]


def test_every_list_of_an_inverted_file_finds_a_selective_filter_whole():
    """A filter that holds few of a list's vectors leaves the nprobe nearest lists short of candidates;
    searching every list finds the filter's nearest as an exact search would."""
    vectors = _clustered(4000)
    ids = np.arange(4000, dtype=np.int64)
    index = VectorIndex.build(ids, lambda rows: vectors[rows], 32, flat_limit=1000)
    assert not index.exact
    allowed = ids[np.random.default_rng(5).random(len(ids)) < 0.02]
    queries = _clustered(30, seed=4)
    keep = np.isin(ids, allowed)
    truth = exact_top(queries, lambda a, b: (ids[a:b][keep[a:b]], vectors[a:b][keep[a:b]]), len(ids), 5)
    _, found = index.search(queries, 5 * 4, IdSet(allowed), every_list=True)
    assert all(set(t.tolist()) <= set(f.tolist()) for t, f in zip(truth, found))


def test_a_filter_whose_paragraphs_lie_far_from_the_query_still_gets_k_of_them():
    """A desk's paragraphs group by subject as the lists do: the lists nearest a query may hold none of
    them, and the search visits more until it has k (here: 3 of 40 subjects allowed, queries on others)."""
    centres = np.random.default_rng(0).normal(size=(40, 32))
    subject = np.random.default_rng(1).integers(0, 40, 6000)
    vectors = centres[subject] + 0.2 * np.random.default_rng(2).normal(size=(6000, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    ids = np.arange(6000, dtype=np.int64)
    index = VectorIndex.build(ids, lambda rows: vectors[rows], 32, flat_limit=1000)
    allowed = IdSet(ids[subject < 3])
    queries = vectors[np.flatnonzero(subject >= 3)[:20]]
    _, found = index.search(queries, 10, allowed)
    assert (found >= 0).sum(axis=1).min() == 10 and np.isin(found, allowed.ids).all()


def _segment_files(store: Store) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(store.segments.folder.glob("*.npy"))}


def test_a_write_adds_a_segment_and_leaves_older_files_alone(new_store):
    store = new_store()
    store.add(_articles(60))
    before, build = _segment_files(store), store.snapshot().build
    store.add(_articles(1, start=60))
    after = _segment_files(store)
    assert len(after) == len(before) + 1 and all(after[name] == data for name, data in before.items())
    assert store.snapshot().build == build  # a small change is caught up in memory, not rewritten
    with Store.open(store.path, model=store.embedder) as fresh:  # another process's view: build + catch-up
        assert fresh.snapshot().build == build and len(fresh.snapshot().index) == len(store.snapshot().ids)
        assert search(fresh, "Report 60", k=1, mode="dense")[0].article.id == "a60"


@pytest.mark.slow
def test_ivf_store_keeps_search_updates_and_deletes_right(new_store):
    store = new_store()
    store.add(_articles(240))
    exact = [h.paragraph_id for h in search(store, "avalanche warning in the mountains", k=5, mode="dense")]
    snapshot = store.reindex(kind="ivf")
    assert not snapshot.index.exact and store.stats().index.startswith("IVF")
    assert [h.paragraph_id for h in search(store, "avalanche warning in the mountains", k=5, mode="dense")] == exact
    store.add([Article(id="a3", title="Report 3", text="The avalanche buried a mountain road near the pass.")])
    store.delete(["a11", "a19"])
    for mode in ("dense", "hybrid", "lexical"):
        ids = {h.article.id for h in search(store, "mountain snow and avalanches", k=60, mode=mode)}
        assert "a3" in ids and not {"a11", "a19"} & ids
    with Store.open(store.path, model=store.embedder) as fresh:
        assert not fresh.snapshot().index.exact
        assert {h.article.id for h in search(fresh, "mountain snow avalanches", k=60)}.isdisjoint({"a11", "a19"})
    store.add(_articles(30, start=300))  # more than a tenth changed: saved as a new build, still IVF
    assert not store.snapshot().index.exact
    with pytest.raises(QueryError, match="unknown index kind"):
        store.reindex(kind="hnsw")


def test_reindex_compacts_segments_without_changing_results(new_store):
    store = new_store()
    store.add(_articles(80))
    store.delete([f"a{i}" for i in range(0, 80, 2)])
    before = [(h.paragraph_id, round(h.score, 5)) for h in search(store, "interest rates", k=10, mode="dense")]
    snapshot = store.reindex()
    rows = sum(np.load(f, mmap_mode="r").shape[0] for f in store.segments.folder.glob("*.npy"))
    assert rows == len(snapshot.ids) == 80
    assert [(h.paragraph_id, round(h.score, 5)) for h in search(store, "interest rates", k=10, mode="dense")] == before


@pytest.mark.slow
def test_add_streams_its_input_and_commits_as_it_goes(new_store):
    store = new_store()
    committed_when_read: list[int] = []

    def stream() -> Iterator[Article]:
        for i, article in enumerate(_articles(600)):
            if i == 599:
                with Store.open(store.path, model=store.embedder) as other:
                    committed_when_read.append(other.article_count())
            yield article

    report = store.add(stream(), batch_paragraphs=200)
    assert report.added == 600 and committed_when_read[0] >= 400
    assert len(_segment_files(store)) >= 5


def test_reindex_command(new_store, capsys):
    store = new_store()
    store.add(_articles(20))
    assert main(["reindex", "--store", str(store.path)]) == 0
    assert "rebuilt the index of 40 vectors" in capsys.readouterr().out and "Flat" in store.stats().index


def test_snapshot_search_scans_small_filtered_sets_exactly(new_store):
    store = new_store()
    store.add(_articles(100))
    store.reindex(kind="ivf")
    snapshot: Snapshot = store.snapshot()
    allowed = snapshot.ids[::7]
    query = snapshot.vectors_of(allowed[:1])
    scores, ids = snapshot.search(query, 5, allowed)
    assert ids[0][0] == allowed[0] and set(ids[0].tolist()) <= set(allowed.tolist())
    assert scores[0][0] == pytest.approx(1.0, abs=1e-5)
