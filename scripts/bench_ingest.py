"""Ingest benchmark: our pipeline against plain ``SentenceTransformer.encode`` on the same paragraphs.

Prints articles, paragraphs, seconds, paragraphs/s and peak RSS of the ingest; the plain encode of the
same paragraph texts in the same run and the ratio; re-ingest time as a share of the first; and search
latency p50/p99 over 200 queries (article titles, which are not in the store as bodies).

    python scripts/bench_ingest.py                     # the 2,225 BBC articles
    python scripts/bench_ingest.py --limit 200         # a quick look
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Store, read_paths, search  # noqa: E402
from index.embed import bundled_model_path, offline_environment  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc"
LABELS = ("business", "entertainment", "politics", "sport", "tech")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=BBC, help="BBC folder holding the five label folders")
    parser.add_argument("--limit", type=int, help="use only the first N articles")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the store in DIR and keep it")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data at {args.data}; the BBC corpus lives in ../shared/data/bbc-news")

    articles = read_paths([args.data / label for label in LABELS]).articles[:args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.keep or Path(tmp) / "store", create=True)
        start = time.perf_counter()
        report = store.add(articles, progress=False)
        ingest_s = time.perf_counter() - start
        ingest_rss = peak_rss_mb()
        stats = store.stats()
        texts = [row[0] for row in store.catalog.db.execute("SELECT text FROM paragraphs ORDER BY id")]

        from sentence_transformers import SentenceTransformer

        plain = SentenceTransformer(str(bundled_model_path()), device="cpu")
        plain.encode(texts[:64])
        start = time.perf_counter()
        plain.encode(texts, batch_size=32, normalize_embeddings=True)
        plain_s = time.perf_counter() - start

        start = time.perf_counter()
        again = store.add(read_paths([args.data / label for label in LABELS]).articles[:args.limit], progress=False)
        reingest_s = time.perf_counter() - start

        queries = [a.title for a in articles[:: max(1, len(articles) // args.queries)]][:args.queries]
        search(store, queries[0], k=10)
        latencies = []
        for query in queries:
            start = time.perf_counter()
            search(store, query, k=10)
            latencies.append((time.perf_counter() - start) * 1000)

    print(f"corpus: {args.data} ({len(articles)} articles)")
    print(f"{'':28}{'ours':>12}{'plain encode':>14}")
    print(f"{'articles':28}{stats.articles:>12}")
    print(f"{'paragraphs (links / unique)':28}{stats.paragraphs:>6} / {report.paragraphs_embedded:<5}{len(texts):>9}")
    print(f"{'seconds':28}{ingest_s:>12.1f}{plain_s:>14.1f}")
    print(f"{'unique paragraphs / s':28}{report.paragraphs_embedded / ingest_s:>12.1f}{len(texts) / plain_s:>14.1f}")
    print(f"{'throughput ours / plain':28}{(report.paragraphs_embedded / ingest_s) / (len(texts) / plain_s):>12.2f}")
    print(f"{'peak RSS after ingest (MB)':28}{ingest_rss:>12.0f}")
    print(f"{'re-ingest seconds':28}{reingest_s:>12.2f}  ({100 * reingest_s / ingest_s:.2f}% of first; "
          f"{again.unchanged} unchanged, {again.paragraphs_embedded} embedded)")
    print(f"{'search p50 / p99 (ms)':28}{np.percentile(latencies, 50):>12.1f} / {np.percentile(latencies, 99):.1f}"
          f"  over {len(latencies)} queries, k=10")


if __name__ == "__main__":
    main()
