"""Embedding backends compared: quality on two benchmarks and speed on news paragraphs.

Prints one row per backend -- plain ``SentenceTransformer.encode`` of the bundled model (fp32 torch), the
ONNX fp32 backend and the ONNX int8 backend -- with:

* SciFact nDCG@10: the 300 validation claims searched by exact cosine over the 5,183 abstracts
  (title + sentences, truncated at the model's limit), binary relevance from ``cited_doc_ids``;
* STS Benchmark test Spearman: cosine of each sentence pair against the gold score;
* BBC News paragraphs per second (every non-empty line of the 2,225 articles) and the ratio to plain
  encode, all at the same batch size;
* peak RSS of the process that measured the backend (each backend runs in its own process).

Then the int8 quality gate: nDCG@10 within 1% (relative) of fp32 torch, Spearman within 0.01, speed at
least 1.7x plain encode. Timings depend on the machine and on whatever else runs on it.

    python scripts/bench_embed.py                                   # everything (minutes on 2 cores)
    python scripts/bench_embed.py --limit-docs 1000 --limit-sts 300 --limit-bbc 2000   # a quick look
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import re
import resource
import sys
import time
import tokenize
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.embed import Embedder, bundled_model_path, offline_environment  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PLAIN = "torch (plain encode)"
BACKENDS = (PLAIN, "onnx", "onnx-int8")
GATE_NDCG_REL, GATE_STS_ABS, GATE_SPEEDUP = 0.01, 0.01, 1.7

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Limits:
    docs: int | None
    sts: int | None
    bbc: int | None
    batch_size: int
    repeat: int


@dataclass(frozen=True)
class Row:
    backend: str
    ndcg: float
    queries: int
    spearman: float
    paragraphs: int
    seconds: float
    rss_mb: float

    @property
    def rate(self) -> float:
        return self.paragraphs / self.seconds


def sentences(cell: str) -> list[str]:
    """The sentence list of a SciFact abstract, stored as numpy's repr (string literals, no commas)."""
    tokens = tokenize.generate_tokens(io.StringIO(cell).readline)
    return [ast.literal_eval(tok.string) for tok in tokens if tok.type == tokenize.STRING]


def scifact(limit_docs: int | None) -> tuple[list[str], list[str], list[list[int]]]:
    """Documents, claims, and per claim the indices of its relevant documents (claims without any dropped)."""
    with open(DATA / "scifact" / "corpus_train.csv", newline="", encoding="utf-8") as f:
        corpus = list(csv.DictReader(f))[:limit_docs]
    index = {row["doc_id"]: i for i, row in enumerate(corpus)}
    docs = [f"{row['title']} {' '.join(sentences(row['abstract']))}" for row in corpus]
    claims: dict[str, tuple[str, set[int]]] = {}
    with open(DATA / "scifact" / "claims_validation.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            _, relevant = claims.setdefault(row["id"], (row["claim"], set()))
            # numpy's repr of an integer array: "[ 5152028 11705328]"
            relevant.update(index[d] for d in re.findall(r"\d+", row["cited_doc_ids"]) if d in index)
    kept = [(claim, sorted(relevant)) for claim, relevant in claims.values() if relevant]
    return docs, [claim for claim, _ in kept], [relevant for _, relevant in kept]


def ndcg_at_10(queries: np.ndarray, docs: np.ndarray, relevant: list[list[int]]) -> float:
    """Mean nDCG@10 with binary relevance: gain 1 / log2(rank + 1) for each relevant document in the top 10."""
    discounts = 1 / np.log2(np.arange(2, 12))
    top = np.argsort(-(queries @ docs.T), axis=1)[:, :10]
    scores = [discounts[:len(ranked)][np.isin(ranked, rel)].sum() / discounts[:min(len(rel), 10)].sum()
              for ranked, rel in zip(top, relevant)]
    return float(np.mean(scores))


def sts_test(limit: int | None) -> tuple[list[str], list[str], np.ndarray]:
    """STS Benchmark test pairs; the file is tab-separated, unquoted, some rows with extra columns."""
    with open(DATA / "stsbenchmark" / "sts-test.csv", newline="", encoding="utf-8") as f:
        rows = [row[:7] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)][:limit]
    return [r[5] for r in rows], [r[6] for r in rows], np.array([float(r[4]) for r in rows])


def bbc_paragraphs(limit: int | None) -> list[str]:
    """Every non-empty line of every BBC article (titles included): the paragraphs an ingest embeds."""
    files = sorted((DATA / "bbc-news" / "bbc").glob("*/*.txt"))
    texts = (file.read_text(encoding="utf-8", errors="replace") for file in files)  # one file is not UTF-8
    lines = (line.strip() for text in texts for line in text.splitlines())
    return [line for line in lines if line][:limit]


def encoder(backend: str, batch_size: int) -> Encode:
    """Unit vectors from ``backend``, all at the same batch size."""
    if backend == PLAIN:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)
        return lambda texts: model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False)
    embedder = Embedder(backend=backend, batch_size=batch_size)
    if embedder.backend != backend:
        raise RuntimeError(f"backend {backend} fell back to {embedder.backend}")
    return embedder.encode


def best_seconds(encode: Encode, texts: list[str], repeat: int) -> float:
    """Fastest of ``repeat`` timed passes after a warm-up, the least disturbed by other work on the machine."""
    encode(texts[:64])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        encode(texts)
        times.append(time.perf_counter() - start)
    return min(times)


def measure(backend: str, limits: Limits) -> Row:
    """One backend's row; run in a fresh process so that its memory and threads are its own."""
    encode = encoder(backend, limits.batch_size)
    docs, claims, relevant = scifact(limits.docs)
    ndcg = ndcg_at_10(encode(claims), encode(docs), relevant)
    first, second, gold = sts_test(limits.sts)
    spearman = float(spearmanr((encode(first) * encode(second)).sum(axis=1), gold).statistic)
    paragraphs = bbc_paragraphs(limits.bbc)
    seconds = best_seconds(encode, paragraphs, limits.repeat)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Row(backend, ndcg, len(claims), spearman, len(paragraphs), seconds, rss_mb)


def print_table(rows: list[Row], batch_size: int) -> None:
    plain = rows[0]
    print(f"SciFact: {plain.queries} claims; STS test; BBC: {plain.paragraphs} paragraphs, batch size {batch_size}")
    print(f"{'backend':22}{'nDCG@10':>9}{'Spearman':>10}{'para/s':>9}{'seconds':>9}{'x plain':>9}{'peak RSS MB':>13}")
    for row in rows:
        print(f"{row.backend:22}{row.ndcg:>9.4f}{row.spearman:>10.4f}{row.rate:>9.1f}{row.seconds:>9.1f}"
              f"{row.rate / plain.rate:>9.2f}{row.rss_mb:>13.0f}")


def print_gate(plain: Row, int8: Row) -> None:
    checks = [
        (f"nDCG@10 {int8.ndcg:.4f} >= {1 - GATE_NDCG_REL:.2f} x {plain.ndcg:.4f}",
         int8.ndcg >= (1 - GATE_NDCG_REL) * plain.ndcg),
        (f"Spearman {int8.spearman:.4f} >= {plain.spearman:.4f} - {GATE_STS_ABS}",
         int8.spearman >= plain.spearman - GATE_STS_ABS),
        (f"speed {int8.rate / plain.rate:.2f}x >= {GATE_SPEEDUP}x plain encode",
         int8.rate / plain.rate >= GATE_SPEEDUP),
    ]
    for text, ok in checks:
        print(f"  {'pass' if ok else 'FAIL'}  {text}")
    print(f"int8 quality gate: {'PASS' if all(ok for _, ok in checks) else 'FAIL'}")


def main() -> None:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-docs", type=int, help="SciFact: only the first N abstracts (claims whose "
                        "relevant abstracts are all cut are dropped)")
    parser.add_argument("--limit-sts", type=int, help="STS Benchmark: only the first N test pairs")
    parser.add_argument("--limit-bbc", type=int, help="BBC: only the first N paragraphs")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="timed BBC passes per backend; the fastest counts")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}; the benchmarks live in ../shared/data")
    limits = Limits(args.limit_docs, args.limit_sts, args.limit_bbc, args.batch_size, args.repeat)
    rows = []
    for backend in BACKENDS:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            rows.append(pool.submit(measure, backend, limits).result())
        print(f"measured {backend}", file=sys.stderr, flush=True)
    print_table(rows, args.batch_size)
    print_gate(rows[0], rows[-1])


if __name__ == "__main__":
    main()
