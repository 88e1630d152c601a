"""Search quality and latency on SciFact: dense, lexical (BM25) and hybrid search, side by side.

The 5,183 SciFact abstracts are ingested as articles (title + abstract); each claim is a query and the
abstracts in its ``cited_doc_ids`` are the relevant documents. Prints nDCG@10 and Recall@100 over the
300 validation claims (articles ranked by their best paragraph) and per-query latency p50/p99 of each
mode. ``--tune`` first scores hybrid blend weights on the 809 *training* claims only and evaluates the
best pair; without it the library defaults (chosen that way) are evaluated.

    python scripts/eval_search.py --store /tmp/scifact     # builds the store once, reuses it after
    python scripts/eval_search.py --store /tmp/scifact --tune
    python scripts/eval_search.py --store /tmp/scifact-fp32 --backend onnx   # float vectors
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import re
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import BACKENDS, Article, Embedder, Store, search  # noqa: E402
from index.evaluate import Qrels, mean_metric  # noqa: E402
from index.search import MODES, Candidates, Fusion, candidates  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
DENSE_WEIGHTS = [round(w, 2) for w in np.arange(0.3, 0.8001, 0.05)]
PARAGRAPH_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def _sentences(value: str) -> list[str]:
    """The abstract column is a printed array of sentence strings; read its string literals."""
    tokens = tokenize.generate_tokens(io.StringIO(value).readline)
    return [ast.literal_eval(t.string) for t in tokens if t.type == tokenize.STRING]


def _rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def corpus(folder: Path) -> list[Article]:
    return [Article(id=row["doc_id"], title=row["title"], text=" ".join(_sentences(row["abstract"])))
            for row in _rows(folder / "corpus_train.csv")]


def claims(folder: Path, split: str) -> tuple[dict[str, str], Qrels]:
    """Claim texts and relevance judgements (several rows per claim, one per evidence document)."""
    texts: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for row in _rows(folder / f"claims_{split}.csv"):
        texts[row["id"]] = row["claim"]
        qrels.setdefault(row["id"], {}).update({doc: 1 for doc in re.findall(r"\d+", row["cited_doc_ids"])})
    return texts, qrels


def run(store: Store, queries: dict[str, str], mode: str, fusion: Fusion, k: int,
        by_article: bool) -> tuple[dict[str, list[str]], np.ndarray]:
    """Ranked article ids per query and each query's latency in milliseconds."""
    ranked, times = {}, []
    for qid, text in queries.items():
        start = time.perf_counter()
        hits = search(store, text, k=k, by_article=by_article, mode=mode, fusion=fusion)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        ranked[qid] = [hit.article.id for hit in hits]
    return ranked, np.array(times)


def latencies(store: Store, queries: dict[str, str], fusion: Fusion, k: int = 10) -> dict[str, np.ndarray]:
    """Milliseconds per k-paragraph search in each mode, the modes taking turns query by query so that
    each sees the same machine load."""
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for number, text in enumerate(queries.values()):
        for mode in MODES[number % 3:] + MODES[:number % 3]:
            start = time.perf_counter()
            search(store, text, k=k, mode=mode, fusion=fusion)  # type: ignore[arg-type]
            times[mode].append((time.perf_counter() - start) * 1000)
    return {mode: np.array(values) for mode, values in times.items()}


def _articles_by_blend(found: Candidates, placements: list[tuple[int, str]], fusion: Fusion) -> list[str]:
    """Articles ranked by their best candidate paragraph under ``fusion``, as grouped search ranks them."""
    blended = dict(zip(found.ids.tolist(), fusion.blend(found.dense, found.paragraph, found.article)))
    best: dict[str, float] = {}
    for pid, aid in placements:
        best[aid] = max(best.get(aid, -np.inf), blended[pid])
    return sorted(best, key=lambda a: (-best[a], a))


def tune(store: Store, folder: Path) -> Fusion:
    """The blend weights with the best nDCG@10 on the training claims (each claim's candidates are
    gathered once, then every weight pair re-blends them)."""
    queries, qrels = claims(folder, "train")
    print(f"tuning the hybrid blend on {len(queries)} training claims (nDCG@10)")
    pools = {qid: candidates(store, text) for qid, text in queries.items()}
    print(f"{'dense w':>8} " + " ".join(f"{'par ' + format(p, '.1f'):>8}" for p in PARAGRAPH_WEIGHTS))
    scores: dict[tuple[float, float], float] = {}
    for dense in DENSE_WEIGHTS:
        for paragraph in PARAGRAPH_WEIGHTS:
            fusion = Fusion(dense_weight=dense, paragraph_weight=paragraph)
            ranked = {qid: _articles_by_blend(*pool, fusion) for qid, pool in pools.items()}
            scores[dense, paragraph] = mean_metric(ranked, qrels, "ndcg", 10)
        print(f"{dense:>8.2f} " + " ".join(f"{scores[dense, p]:>8.4f}" for p in PARAGRAPH_WEIGHTS))
    (dense, paragraph), best = max(scores.items(), key=lambda item: item[1])
    print(f"best on train: dense weight {dense:.2f}, paragraph weight {paragraph:.1f} (nDCG@10 {best:.4f})\n")
    return Fusion(dense_weight=dense, paragraph_weight=paragraph)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SCIFACT, help="SciFact folder with the CSV files")
    parser.add_argument("--store", type=Path, metavar="DIR", help="build the store here and keep it for reruns")
    parser.add_argument("--tune", action="store_true", help="choose the blend weight on the training claims first")
    parser.add_argument("--backend", choices=BACKENDS, help="how a new store embeds (default: the store default)")
    args = parser.parse_args()
    if not (args.data / "corpus_train.csv").is_file():
        sys.exit(f"no SciFact data at {args.data}; it lives in ../shared/data/scifact")

    with tempfile.TemporaryDirectory() as tmp:
        model = Embedder(backend=args.backend) if args.backend else None
        store = Store.open(args.store or Path(tmp) / "store", model=model, create=True)
        print(f"vectors: {store.meta('model_id')}")
        report = store.add(corpus(args.data), progress=None)
        print(f"{store.article_count()} abstracts, {len(store.snapshot().ids)} paragraphs "
              f"({report.paragraphs_embedded} embedded now)\n")
        fusion = tune(store, args.data) if args.tune else Fusion()
        queries, qrels = claims(args.data, "validation")
        search(store, "warm up", mode="hybrid")
        faiss.omp_set_num_threads(1)  # single queries, as the service runs them: threads only add overhead
        print(f"SciFact validation: {len(queries)} claims, {sum(len(r) for r in qrels.values())} relevant pairs; "
              f"hybrid weights: dense {fusion.dense_weight:.2f}, paragraph {fusion.paragraph_weight:.1f}, pool {fusion.pool}")
        print("metrics rank 100 articles per claim; latency: k=10 paragraphs | k=100 articles, milliseconds")
        print(f"{'mode':<8} {'nDCG@10':>8} {'R@100':>7} {'p50':>7} {'p99':>7} | {'p50':>7} {'p99':>7}")
        p99 = {}
        quick = latencies(store, queries, fusion)
        for mode in MODES:
            ranked, grouped_times = run(store, queries, mode, fusion, 100, True)
            times = quick[mode]
            p99[mode] = float(np.percentile(times, 99))
            print(f"{mode:<8} {mean_metric(ranked, qrels, 'ndcg', 10):>8.4f} "
                  f"{mean_metric(ranked, qrels, 'recall', 100):>7.4f} {np.percentile(times, 50):>7.1f} "
                  f"{p99[mode]:>7.1f} | {np.percentile(grouped_times, 50):>7.1f} "
                  f"{np.percentile(grouped_times, 99):>7.1f}")
        print(f"\nhybrid p99 / dense p99 (k=10) = {p99['hybrid'] / p99['dense']:.2f}")


if __name__ == "__main__":
    main()
