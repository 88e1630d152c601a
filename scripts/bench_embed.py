"""Embedding backends compared: quality on two benchmarks and speed on news paragraphs.

First the CPU it runs on: model name and the instruction sets the int8 kernels choose between (AVX2,
AVX-512, VNNI, AMX), from /proc/cpuinfo, and the load average.

Quality, one row per backend -- plain ``SentenceTransformer.encode`` of the bundled model (fp32 torch),
the ONNX fp32 backend and the ONNX int8 backend -- each in its own process, with:

* SciFact nDCG@10: the 300 validation claims searched by exact cosine over the 5,183 abstracts
  (title + sentences, truncated at the model's limit), binary relevance from ``cited_doc_ids``;
* STS Benchmark test Spearman: cosine of each sentence pair against the gold score;
* peak RSS of the process that measured the backend.

Speed, in one process, the ways of embedding taking turns over the first 320 BBC paragraphs for three
rounds (so that other work on the machine falls on all of them alike): plain encode (batches of 32),
ONNX fp32 (batches of 32), int8 one text a pass with every core on the pass, and int8 as the store
embeds by default, one text a pass with one pass per core side by side. Paragraphs per second per
round, the median, and the ratio to plain encode in the same round; the load average before and after.
Both int8 ways must give the same vectors bit for bit.

Then the int8 quality gate: nDCG@10 within 1% (relative) of fp32 torch, Spearman within 0.01, median
speed at least 1.7x plain encode (the goal is 3x); and a held-back check that no benchmark above tuned
for: the nearest-neighbour overlap@10 of int8 with ONNX fp32 over the distinct BBC paragraphs (each
paragraph's ten nearest others by exact cosine, the share both backends agree on), at least 0.9.
Timings depend on the machine and on whatever else runs on it; the ratios of one run hold better.

    python scripts/bench_embed.py                                   # everything (minutes on 2 cores)
    python scripts/bench_embed.py --limit-docs 1000 --limit-sts 300 --limit-bbc 2000   # a quick look
    python scripts/bench_embed.py --speed-only                      # the CPU and the speed rounds
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import re
import os
import resource
import statistics
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
GOAL_SPEEDUP = 3.0
# The ways of embedding the speed rounds compare: (name, backend, passes at once; None: the default).
WAYS = ((PLAIN, PLAIN, None), ("ONNX fp32", "onnx", None), ("int8, one pass at a time", "onnx-int8", 1),
        ("int8, a pass per core (default)", "onnx-int8", None))
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
NEIGHBOURS = 10

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Limits:
    docs: int | None
    sts: int | None
    bbc: int | None
    batch_size: int | None


@dataclass(frozen=True)
class Row:
    backend: str
    batch_size: int
    ndcg: float
    queries: int
    spearman: float
    paragraphs: int
    rss_mb: float


@dataclass(frozen=True)
class Speed:
    """Paragraphs per second of each way of embedding, round by round."""

    paragraphs: int
    rates: dict[str, list[float]]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    int8_ways_equal: bool

    def ratios(self, way: str) -> list[float]:
        """``way``'s speed over plain encode's, round by round (each ratio from one round)."""
        return [mine / plain for mine, plain in zip(self.rates[way], self.rates[PLAIN])]


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


def cpu() -> tuple[str, list[str]]:
    """This machine's CPU model and which of :data:`CPU_FLAGS` it has (Linux; unknown elsewhere)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU", []
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.MULTILINE)
    present = set(flags.group(1).split()) if flags else set()
    return (model.group(1).strip() if model else "unknown CPU"), [f for f in CPU_FLAGS if f in present]


def encoder(backend: str, batch_size: int | None, passes: int | None = None) -> tuple[Encode, int]:
    """Unit vectors from ``backend`` at ``batch_size`` (``None``: the backend's own), and that size."""
    if backend == PLAIN:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)
        size = batch_size or 32
        return lambda texts: model.encode(list(texts), batch_size=size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False), size
    embedder = Embedder(backend=backend, batch_size=batch_size, passes=passes)
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


def speed(paragraphs: int, rounds: int) -> Speed:
    """Each of :data:`WAYS` over the first ``paragraphs`` BBC paragraphs, taking turns for ``rounds``
    rounds after a warm-up, in this one process."""
    texts = bbc_paragraphs(paragraphs)
    encoders = {name: encoder(backend, None, passes)[0] for name, backend, passes in WAYS}
    for encode in encoders.values():
        encode(texts[:32])
    load_before = os.getloadavg()
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name, encode in encoders.items():
            start = time.perf_counter()
            vectors[name] = encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - start))
    int8_ways = [vectors[name] for name, backend, _ in WAYS if backend == "onnx-int8"]
    equal = all(np.array_equal(int8_ways[0], other) for other in int8_ways[1:])
    return Speed(len(texts), rates, load_before, os.getloadavg(), equal)


def measure(backend: str, limits: Limits) -> tuple[Row, np.ndarray]:
    """One backend's row and its vectors of the distinct BBC paragraphs; run in a fresh process so that
    its memory and threads are its own."""
    encode, batch_size = encoder(backend, limits.batch_size)
    docs, claims, relevant = scifact(limits.docs)
    ndcg = ndcg_at_10(encode(claims), encode(docs), relevant)
    first, second, gold = sts_test(limits.sts)
    spearman = float(spearmanr((encode(first) * encode(second)).sum(axis=1), gold).statistic)
    paragraphs = bbc_paragraphs(limits.bbc)
    distinct = sorted({text: i for i, text in reversed(list(enumerate(paragraphs)))}.values())  # no ties of repeats
    vectors = encode([paragraphs[i] for i in distinct])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Row(backend, batch_size, ndcg, len(claims), spearman, len(paragraphs), rss_mb), vectors


def print_cpu() -> None:
    model, flags = cpu()
    lacks = [flag for flag in CPU_FLAGS if flag not in flags]
    print(f"CPU: {model}, {os.cpu_count()} cores; has {' '.join(flags) or '-'}; lacks {' '.join(lacks) or '-'}")


def print_table(rows: list[Row]) -> None:
    plain = rows[0]
    print(f"SciFact: {plain.queries} claims; STS test; BBC: {plain.paragraphs} paragraphs")
    print(f"{'backend':22}{'batch':>6}{'nDCG@10':>9}{'Spearman':>10}{'peak RSS MB':>13}")
    for row in rows:
        print(f"{row.backend:22}{row.batch_size:>6}{row.ndcg:>9.4f}{row.spearman:>10.4f}{row.rss_mb:>13.0f}")


def print_speed(result: Speed) -> None:
    loads = " ".join(f"{load:.2f}" for load in result.load_before)
    print(f"speed: {result.paragraphs} BBC paragraphs, {len(result.rates[PLAIN])} interleaved rounds; "
          f"load average {loads} before, {' '.join(f'{load:.2f}' for load in result.load_after)} after")
    print(f"{'way':34}{'paragraphs/s by round':>28}{'median':>8}{'x plain by round':>22}{'median':>8}")
    for name, rates in result.rates.items():
        ratios = result.ratios(name)
        print(f"{name:34}{' '.join(f'{r:6.1f}' for r in rates):>28}{statistics.median(rates):>8.1f}"
              f"{' '.join(f'{r:5.2f}' for r in ratios):>22}{statistics.median(ratios):>8.2f}")
    print(f"int8 vectors of both ways equal bit for bit: {'yes' if result.int8_ways_equal else 'NO'}")


def print_gate(plain: Row, int8: Row, overlap: float, speedup: float) -> None:
    checks = [
        (f"nDCG@10 {int8.ndcg:.4f} >= {1 - GATE_NDCG_REL:.2f} x {plain.ndcg:.4f}",
         int8.ndcg >= (1 - GATE_NDCG_REL) * plain.ndcg),
        (f"Spearman {int8.spearman:.4f} >= {plain.spearman:.4f} - {GATE_STS_ABS}",
         int8.spearman >= plain.spearman - GATE_STS_ABS),
        (f"speed {speedup:.2f}x >= {GATE_SPEEDUP}x plain encode (median of the rounds; goal {GOAL_SPEEDUP}x)",
         speedup >= GATE_SPEEDUP),
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
    parser.add_argument("--speed-paragraphs", type=int, default=320, help="BBC paragraphs the speed rounds embed")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved speed rounds")
    parser.add_argument("--speed-only", action="store_true", help="the CPU and the speed rounds, no quality")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}; the benchmarks live in ../shared/data")
    print_cpu()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result = pool.submit(speed, args.speed_paragraphs, args.rounds).result()
    print_speed(result)
    if args.speed_only:
        return
    limits = Limits(args.limit_docs, args.limit_sts, args.limit_bbc, args.batch_size)
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
    print_gate(rows[0], rows[-1], int8, statistics.median(result.ratios(WAYS[-1][0])))


if __name__ == "__main__":
    main()
