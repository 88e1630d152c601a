"""Scale benchmark: streaming ingest memory, the automatic vector index, topic clustering at
10k / 100k / 1M paragraphs with BERTopic's clustering stage on the same vectors, and filtered search.

Four stages, the first three with each size in a fresh process so peak RSS is that size's own:

- ``ingest``: peak RSS of ``Store.add`` streaming 10k and then 100k new paragraphs (BBC News sentences,
  one per paragraph and made distinct on later passes, so real text, short enough that 100k embed in
  minutes on two cores), and the ratio.
- ``index``: the index the store chooses for n vectors, its build time, single-query search p50/p99
  through the store's real search path (IVF candidates re-scored from memory-mapped segments), recall@10
  against exact search on 200 held-out queries, and exact (Flat) search p99 at the same size for
  comparison. Vectors are realistic but synthetic: real BBC paragraph embeddings, tiled to n with
  small Gaussian noise (see ``scripts/bench_cluster.py``).
- ``cluster``: our topic clustering and BERTopic's (UMAP + HDBSCAN) on the same vectors.
- ``filter``: search p50/p99 (hybrid, k=10, 200 BBC headlines as queries, embedded by the real model)
  over a 100k-paragraph store, unfiltered and with a metadata filter (``--where desk=desk-7``) that
  matches 1% of its articles, the two taking turns query by query; and whether every filtered search
  still returned k hits. The store holds the ``ingest`` stage's synthetic articles (five paragraphs
  each, a ``desk`` field cycling through 100 values) with synthetic vectors: real BBC paragraph
  embeddings with small noise, stored under the bundled model's name, so building it takes minutes
  rather than the model's hour and the searches run the store's real path.

    python scripts/bench_scale.py --store /tmp/bbc_store                   # everything (about an hour)
    python scripts/bench_scale.py --store /tmp/bbc_store --stages index --sizes 10000 100000
    python scripts/bench_scale.py --store /tmp/bbc_store --stages filter
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_cluster import make_vectors, peak_rss_mb, run_child  # noqa: E402

from index import Article, Embedder, Filters, Store, search  # noqa: E402
from index.segments import Segments  # noqa: E402
from index.snapshot import Snapshot  # noqa: E402
from index.vectors import VectorIndex, exact_top  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc"
SIZES = (10_000, 100_000, 1_000_000)


def base_vectors(store: Path) -> np.ndarray:
    with Store.open(store) as opened:
        return np.asarray(opened.snapshot().vectors)


def news_articles(paragraphs: int, per_article: int = 5) -> Iterator[Article]:
    """Articles of ``per_article`` distinct one-sentence paragraphs (BBC News sentences, each later pass
    over them joined with a few words of another sentence), read lazily."""
    sentences = sorted({s.strip() for f in sorted(BBC.rglob("*.txt"))
                        for s in re.split(r"(?<=[.!?])\s+", f.read_text(encoding="latin-1").replace("\n", " "))
                        if len(s.split()) >= 6})
    made = 0
    for number in range(paragraphs // per_article):
        body = []
        for _ in range(per_article):
            step, first = divmod(made, len(sentences))
            tail = " ".join(sentences[(first + 7919 * step) % len(sentences)].split()[:4]) if step else ""
            body.append(f"{sentences[first]} {tail}".strip())
            made += 1
        yield Article(id=f"scale-{number}", title="", text="\n".join(body))


def ingest_once(paragraphs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "store", create=True)
        start = time.perf_counter()
        report = store.add(news_articles(paragraphs), progress=False)
        return {"paragraphs": report.paragraphs_embedded, "seconds": time.perf_counter() - start,
                "peak_rss_mb": peak_rss_mb()}


def _latencies(search: callable, queries: np.ndarray) -> np.ndarray:  # type: ignore[valid-type]
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query[None, :])
        times.append((time.perf_counter() - start) * 1000)
    return np.array(times)


def index_once(n: int, store: Path) -> dict[str, float | str]:
    """Build the automatically chosen index over n vectors kept as segment files, then time it."""
    base = base_vectors(store)
    vectors = make_vectors(n, 0, base=base)
    queries = make_vectors(200, 1, base=base)
    ids = np.arange(1, n + 1, dtype=np.int64)
    with tempfile.TemporaryDirectory() as tmp:
        segments = Segments(Path(tmp))
        rows = 65536
        for number, start in enumerate(range(0, n, rows), start=1):
            segments.write(number, vectors[start:start + rows])
        segment, row = (np.arange(n) // rows + 1).astype(np.int64), (np.arange(n) % rows).astype(np.int64)
        del vectors
        fetch = lambda positions: segments.gather(segment[positions], row[positions])  # noqa: E731
        start = time.perf_counter()
        index = VectorIndex.build(ids, fetch, 384)
        build_s = time.perf_counter() - start
        snapshot = Snapshot(1, 1, ids, segment, row, index, segments)
        faiss.omp_set_num_threads(1)  # one query at a time, as the service runs them
        truth = exact_top(queries, lambda a, b: (ids[a:b], fetch(np.arange(a, b))), n, 10)
        times = _latencies(lambda q: snapshot.search(q, 10), queries)
        found = [snapshot.search(q[None, :], 10)[1][0] for q in queries]
        recall = float(np.mean([len(set(t.tolist()) & set(f.tolist())) / 10 for t, f in zip(truth, found)]))
        flat = index if index.exact else VectorIndex.build(ids, fetch, 384, flat_limit=n)
        flat_times = _latencies(lambda q: flat.search(q, 10), queries)
        return {"kind": index.kind, "build_s": build_s, "p50_ms": float(np.percentile(times, 50)),
                "p99_ms": float(np.percentile(times, 99)), "recall": recall,
                "flat_p99_ms": float(np.percentile(flat_times, 99)), "peak_rss_mb": peak_rss_mb()}


def _in_child(stage: str, n: int, store: Path) -> dict:
    """Run one stage at one size in a fresh interpreter and return its figures."""
    out = subprocess.run([sys.executable, __file__, "--child", stage, str(n), "--store", str(store)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class TiledEmbedder(Embedder):
    """The bundled model's identity with synthetic vectors: each text gets a real BBC paragraph vector
    (picked by the text's hash) with small noise, so a large store is built without running the model."""

    def __init__(self, base: np.ndarray) -> None:
        super().__init__()
        self.base = base

    def encode(self, texts, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def, override]
        picks = np.array([zlib.crc32(text.encode("utf-8")) for text in texts], np.int64) % len(self.base)
        noise = np.random.default_rng(int(picks.sum())).normal(0, 0.02, (len(texts), self.base.shape[1]))
        noisy = self.base[picks] + noise
        if progress is not None:
            progress(len(texts))
        return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def _percentiles(times: list[float]) -> str:
    return f"p50 {np.percentile(times, 50):6.1f} ms, p99 {np.percentile(times, 99):6.1f} ms"


def filter_once(paragraphs: int, store: Path, desks: int = 100) -> None:
    """Time searches over a store of ``paragraphs`` synthetic paragraphs, unfiltered and filtered to one
    desk in ``desks`` (see the module docstring)."""
    queries = [f.read_text(encoding="latin-1").split("\n")[0] for f in sorted(BBC.rglob("*.txt"))[::10]][:200]
    articles = (dataclasses.replace(a, metadata={"desk": f"desk-{n % desks}"})
                for n, a in enumerate(news_articles(paragraphs)))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with Store.open(Path(tmp) / "store", model=TiledEmbedder(base_vectors(store)), create=True) as built:
            built.add(articles, progress=False)
        print(f"  built {paragraphs:,} paragraphs in {time.perf_counter() - start:.0f} s", flush=True)
        with Store.open(Path(tmp) / "store") as opened:
            faiss.omp_set_num_threads(1)  # one query at a time, as the service runs them
            where = Filters(where=("desk=desk-7",))
            for query in queries[:5]:  # warm: the model session, the BM25 arrays, SQLite's pages
                search(opened, query), search(opened, query, filters=where)
            plain, filtered, short = [], [], 0
            for query in queries:
                for times, filters in ((plain, None), (filtered, where)):
                    begin = time.perf_counter()
                    hits = search(opened, query, 10, filters)
                    times.append((time.perf_counter() - begin) * 1000)
                short += filters is not None and len(hits) < 10
    print(f"  unfiltered:       {_percentiles(plain)}\n  filtered to 1%:   {_percentiles(filtered)}  "
          f"(p99 {np.percentile(filtered, 99) / np.percentile(plain, 99):.2f}x unfiltered; "
          f"{short} of {len(queries)} filtered searches returned fewer than 10 hits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="an embedded BBC News store (source vectors)")
    parser.add_argument("--stages", nargs="+", default=["ingest", "index", "cluster"],
                        choices=["ingest", "index", "cluster", "filter"])
    parser.add_argument("--filter-paragraphs", type=int, default=100_000, help="store size of the filter stage")
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--bertopic-max", type=int, default=100_000, help="largest size BERTopic runs at")
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, n = args.child[0], int(args.child[1])
        print(json.dumps(ingest_once(n) if stage == "ingest" else index_once(n, args.store)))
        return

    if "ingest" in args.stages:
        print("streaming ingest (Store.add over a lazy stream of new articles; fresh process per size)")
        runs = {}
        for n in (10_000, 100_000):
            r = runs[n] = _in_child("ingest", n, args.store)
            print(f"  {n:>9,} paragraphs: {r['seconds']:7.1f} s, {r['paragraphs'] / r['seconds']:6.1f} para/s, "
                  f"peak RSS {r['peak_rss_mb']:7.0f} MB", flush=True)
        print(f"  peak RSS 100k / 10k = {runs[100_000]['peak_rss_mb'] / runs[10_000]['peak_rss_mb']:.2f}\n")

    if "index" in args.stages:
        print("vector index (automatic choice; single-query search, k=10)")
        print(f"  {'n':>9} {'index':<28} {'build s':>8} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9} "
              f"{'Flat p99':>8} {'RSS MB':>7}")
        for n in args.sizes:
            r = _in_child("index", n, args.store)
            print(f"  {n:>9,} {r['kind']:<28} {r['build_s']:>8.1f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
                  f"{r['recall']:>9.3f} {r['flat_p99_ms']:>8.2f} {r['peak_rss_mb']:>7.0f}")
        print()

    if "filter" in args.stages:
        print(f"filtered search (hybrid, k=10, {args.filter_paragraphs:,}-paragraph store, filter matching 1%)")
        filter_once(args.filter_paragraphs, args.store)
        print()

    if "cluster" in args.stages:
        print("topic clustering (fresh process per size; RSS includes the n x 384 input vectors)")
        vectors_file = Path(tempfile.mkdtemp()) / "base.npy"
        np.save(vectors_file, base_vectors(args.store))
        print(f"  {'n':>9} {'method':<9} {'seconds':>8} {'peak RSS MB':>11} {'topics':>7} {'unassigned':>10}")
        for n in args.sizes:
            ours = run_child("ours", n, vectors_file)
            rows = [("topics", ours)]
            if n <= args.bertopic_max:
                rows.append(("BERTopic", run_child("bertopic", n, vectors_file)))
            for name, r in rows:
                print(f"  {n:>9,} {name:<9} {r['seconds']:>8.1f} {r['peak_rss_mb']:>11.0f} {r['topics']:>7.0f} "
                      f"{r['unassigned']:>10.1%}")
            if len(rows) == 2:
                print(f"  {'':>9} BERTopic / topics time = {rows[1][1]['seconds'] / ours['seconds']:.1f}x")


if __name__ == "__main__":
    main()
