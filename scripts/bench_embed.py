"""Embedding backends compared: quality on two benchmarks and speed on news paragraphs.

Prints one row per backend -- plain ``SentenceTransformer.encode`` of the bundled model (fp32 torch), the
ONNX fp32 backend and the ONNX int8 backend -- with:

* SciFact nDCG@10: the 300 validation claims searched by exact cosine over the 5,183 abstracts
  (title + sentences, truncated at the model's limit), binary relevance from ``cited_doc_ids``;
* STS Benchmark test Spearman: cosine of each sentence pair against the gold score;
* BBC News paragraphs per second (every non-empty line of the 2,225 articles) and the ratio to plain
  encode, each backend at its own batch size (32, int8 one text a pass as the store embeds) unless
  ``--batch-size`` sets one for all;
* peak RSS of the process that measured the backend (each backend runs in its own process).

Then the int8 quality gate: nDCG@10 within 1% (relative) of fp32 torch, Spearman within 0.01, speed at
least 1.7x plain encode; and a held-back check that no benchmark above tuned for: the nearest-neighbour
overlap@10 of int8 with ONNX fp32 over the distinct BBC paragraphs (each paragraph's ten nearest others
by exact cosine, the share both backends agree on), at least 0.9. Timings depend on the machine and on
whatever else runs on it.

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
GATE_NDCG_REL, GATE_STS_ABS, GATE_SPEEDUP, GATE_OVERLAP = 0.01, 0.01, 1.7, 0.9
NEIGHBOURS = 10

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Limits:
    docs: int | None
    sts: int | None
    bbc: int | None
    batch_size: int | None
    repeat: int


@dataclass(frozen=True)
class Row:
    backend: str
    batch_size: int
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


def encoder(backend: str, batch_size: int | None) -> tuple[Encode, int]:
    """Unit vectors from ``backend`` at ``batch_size`` (``None``: the backend's own), and that size."""
    if backend == PLAIN:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)
        size = batch_size or 32
        return lambda texts: model.encode(list(texts), batch_size=size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False), size
    embedder = Embedder(backend=backend, batch_size=batch_size)
    if embedder.backend != backend:
        raise RuntimeError(f"backend {backend} fell back to {embedder.backend}")
    return embedder.encode, embedder.batch_size


def neighbours(vectors: np.ndarray, k: int = NEIGHBOURS, step: int = 1024) -> np.ndarray:
    """Each row's ``k`` nearest other rows by exact cosine (itself left out)."""
    out = np.empty((len(vectors), k), dtype=np.int64)
    for start in range(0, len(vectors), step):
        scores = vectors[start:start + step] @ vectors.T
        scores[np.arange(len(scores)), np.arange(start, start + len(scores))] = -np.inf
        out[start:start + step] = np.argpartition(-scores, k, axis=1)[:, :k]
    return out


def overlap_at_k(first: np.ndarray, second: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Mean share of each row's ``k`` nearest neighbours that two embeddings of the same texts agree on."""
    shared = [len(set(a) & set(b)) for a, b in zip(neighbours(first, k), neighbours(second, k))]
    return float(np.mean(shared)) / k


def best_seconds(encode: Encode, texts: list[str], repeat: int) -> tuple[float, np.ndarray]:
    """Fastest of ``repeat`` timed passes after a warm-up, the least disturbed by other work on the
    machine, and the vectors of the texts."""
    encode(texts[:64])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        vectors = encode(texts)
        times.append(time.perf_counter() - start)
    return min(times), vectors


def measure(backend: str, limits: Limits) -> tuple[Row, np.ndarray]:
    """One backend's row and its vectors of the distinct BBC paragraphs; run in a fresh process so that
    its memory and threads are its own."""
    encode, batch_size = encoder(backend, limits.batch_size)
    docs, claims, relevant = scifact(limits.docs)
    ndcg = ndcg_at_10(encode(claims), encode(docs), relevant)
    first, second, gold = sts_test(limits.sts)
    spearman = float(spearmanr((encode(first) * encode(second)).sum(axis=1), gold).statistic)
    paragraphs = bbc_paragraphs(limits.bbc)
    seconds, vectors = best_seconds(encode, paragraphs, limits.repeat)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    distinct = list({text: i for i, text in reversed(list(enumerate(paragraphs)))}.values())  # no ties of repeats
    return (Row(backend, batch_size, ndcg, len(claims), spearman, len(paragraphs), seconds, rss_mb),
            vectors[sorted(distinct)])


def print_table(rows: list[Row]) -> None:
    plain = rows[0]
    print(f"SciFact: {plain.queries} claims; STS test; BBC: {plain.paragraphs} paragraphs")
    print(f"{'backend':22}{'batch':>6}{'nDCG@10':>9}{'Spearman':>10}{'para/s':>9}{'seconds':>9}{'x plain':>9}"
          f"{'peak RSS MB':>13}")
    for row in rows:
        print(f"{row.backend:22}{row.batch_size:>6}{row.ndcg:>9.4f}{row.spearman:>10.4f}{row.rate:>9.1f}"
              f"{row.seconds:>9.1f}{row.rate / plain.rate:>9.2f}{row.rss_mb:>13.0f}")


def print_gate(plain: Row, int8: Row, overlap: float) -> None:
    checks = [
        (f"nDCG@10 {int8.ndcg:.4f} >= {1 - GATE_NDCG_REL:.2f} x {plain.ndcg:.4f}",
         int8.ndcg >= (1 - GATE_NDCG_REL) * plain.ndcg),
        (f"Spearman {int8.spearman:.4f} >= {plain.spearman:.4f} - {GATE_STS_ABS}",
         int8.spearman >= plain.spearman - GATE_STS_ABS),
        (f"speed {int8.rate / plain.rate:.2f}x >= {GATE_SPEEDUP}x plain encode",
         int8.rate / plain.rate >= GATE_SPEEDUP),
        (f"held back: overlap@{NEIGHBOURS} with ONNX fp32 {overlap:.4f} >= {GATE_OVERLAP}", overlap >= GATE_OVERLAP),
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
    parser.add_argument("--batch-size", type=int, help="one batch size for every backend (default: each its own)")
    parser.add_argument("--repeat", type=int, default=1, help="timed BBC passes per backend; the fastest counts")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}; the benchmarks live in ../shared/data")
    limits = Limits(args.limit_docs, args.limit_sts, args.limit_bbc, args.batch_size, args.repeat)
    rows, vectors = [], {}
    for backend in BACKENDS:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            row, vectors[backend] = pool.submit(measure, backend, limits).result()
            rows.append(row)
        print(f"measured {backend}", file=sys.stderr, flush=True)
    print_table(rows)
    int8 = overlap_at_k(vectors["onnx-int8"], vectors["onnx"])
    print(f"nearest-neighbour overlap@{NEIGHBOURS} over {len(vectors['onnx'])} distinct BBC paragraphs: ONNX fp32 "
          f"with torch {overlap_at_k(vectors['onnx'], vectors[PLAIN]):.4f}, int8 with ONNX fp32 {int8:.4f}")
    print_gate(rows[0], rows[-1], int8)


if __name__ == "__main__":
    main()
