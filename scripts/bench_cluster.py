"""Clustering benchmark: our TopicClusterer on 10k / 100k / 1M paragraph vectors, BERTopic's clustering alongside.

The vectors are realistic but synthetic: real paragraph embeddings (384-dim, all-MiniLM-L6-v2) read from a
store's newest ``vectors.<gen>.npy`` (through the store's API where it has none), drawn in a seeded random
order and tiled up to n, each copy given Gaussian noise (``--sigma`` per dimension, 0.02 by default: a copy
keeps a cosine of about 0.93 to its original, like a reworded paragraph) and renormalised. Without
``--store`` the BBC News articles are first embedded into a temporary store (about six minutes of CPU).

Every size runs in a fresh Python process, so its peak RSS (``ru_maxrss``) is that size's alone; it includes
the n × 384 float32 input vectors (1.5 GB at 1M), which are also reported on their own. BERTopic's
clustering stage is UMAP then HDBSCAN with BERTopic 0.17's default parameters (``low_memory=False``, and
``transform`` after ``fit``, as BERTopic calls them), UMAP seeded with ``random_state=42`` as BERTopic's
documentation suggests for reproducible runs; a seeded UMAP runs single-threaded. Needs the bench extra.

    python scripts/bench_cluster.py --store /tmp/bbc_store                  # 10k, 100k, 1M; BERTopic 10k, 100k
    python scripts/bench_cluster.py --store /tmp/bbc_store --sizes 10000 --bertopic-max 10000

Other scripts can import :func:`make_vectors`, :func:`cluster_once`, :func:`bertopic_once` and
:func:`run_child` (one size in a fresh process).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from topics.cluster import UNASSIGNED, TopicClusterer  # noqa: E402
from topics.context import in_context  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc"
CHUNK = 65_536
ARTICLE_PARAGRAPHS = 6  # BBC News averages 5.7 paragraphs an article


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_vectors(store: Path, folder: Path) -> Path:
    """A ``.npy`` file of the store's vectors: its highest generation ``vectors.<gen>.npy``, read without
    opening the store (which could upgrade an older one), else a copy in ``folder`` read through the API."""
    found = [(int(m.group(1)), p) for p in store.glob("vectors.*.npy")
             if (m := re.fullmatch(r"vectors\.(\d+)\.npy", p.name))]
    if found:
        return max(found)[1]
    from index import Store

    with Store.open(store).reading() as snapshot:
        np.save(folder / "base.npy", np.asarray(snapshot.vectors, dtype=np.float32))
    return folder / "base.npy"


def embed_bbc(folder: Path) -> Path:
    """Embed the BBC News articles into a new store in ``folder``; a ``.npy`` file of its vectors."""
    from index import Store, read_paths

    labels = ("business", "entertainment", "politics", "sport", "tech")
    Store.open(folder / "store", create=True).add(read_paths([BBC / label for label in labels]).articles)
    return store_vectors(folder / "store", folder)


def make_vectors(n: int, seed: int = 0, *, base: np.ndarray, sigma: float = 0.02) -> np.ndarray:
    """``n`` unit float32 vectors: rows of ``base`` in a seeded order, tiled, with N(0, sigma²) noise per dimension.

    Built in chunks, so beyond the result only one chunk's float32 noise is held at a time.
    """
    rng = np.random.default_rng(seed)
    rows = np.resize(rng.permutation(len(base)), n)
    out = np.empty((n, base.shape[1]), np.float32)
    for start in range(0, n, CHUNK):
        block = np.asarray(base[rows[start:start + CHUNK]], dtype=np.float32)
        block += rng.standard_normal(block.shape, dtype=np.float32) * np.float32(sigma)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:start + len(block)] = block
    return out


def cluster_once(vectors: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Fit our clusterer with its defaults, each paragraph read in its article as ``topics cluster`` does
    (the vectors grouped ``ARTICLE_PARAGRAPHS`` at a time: the grouping of tiled rows means nothing, but
    the work and memory are the fit's): seconds, topics and unassigned share."""
    start = time.perf_counter()
    articles = [range(i, min(i + ARTICLE_PARAGRAPHS, len(vectors))) for i in range(0, len(vectors), ARTICLE_PARAGRAPHS)]
    clusterer = TopicClusterer(seed=seed).fit(vectors, context=in_context(vectors, articles))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "topics": clusterer.n_topics_,
            "unassigned": float(np.mean(clusterer.labels_ == UNASSIGNED))}


def _umap_hdbscan(vectors: np.ndarray, seed: int) -> np.ndarray:
    import hdbscan
    import umap

    reducer = umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False,
                        random_state=seed)
    reducer.fit(vectors)
    return hdbscan.HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom",
                           prediction_data=True).fit(reducer.transform(vectors)).labels_


def bertopic_once(vectors: np.ndarray, seed: int = 42) -> dict[str, float]:
    """BERTopic 0.17's clustering stage on the same vectors: UMAP to 5 dimensions, then HDBSCAN.

    A first, untimed run on 1,000 of the vectors compiles UMAP's numba code, so the time is BERTopic's
    steady state (the compile a fresh process pays is reported as ``warmup_seconds``).
    """
    start = time.perf_counter()
    _umap_hdbscan(vectors[:1000], seed)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    labels = _umap_hdbscan(vectors, seed)
    return {"seconds": time.perf_counter() - start, "warmup_seconds": warmup,
            "topics": len(set(labels.tolist()) - {-1}), "unassigned": float(np.mean(labels == -1))}


def run_child(method: str, n: int, vectors_file: Path, *, seed: int = 0, sigma: float = 0.02,
              timeout: float | None = None) -> dict[str, float]:
    """Run ``method`` ("ours" or "bertopic") on n vectors in a fresh process; its result and peak RSS (MB)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", method, "--n", str(n), "--seed", str(seed),
               "--sigma", str(sigma), "--vectors", str(vectors_file)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{method} at n={n} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(method: str, n: int, vectors_file: Path, seed: int, sigma: float) -> None:
    vectors = make_vectors(n, seed, base=np.load(vectors_file), sigma=sigma)
    before = peak_rss_mb()
    result = cluster_once(vectors, seed) if method == "ours" else bertopic_once(vectors)
    print(json.dumps({**result, "n": n, "input_rss_mb": before, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="store folder to take real vectors from (default: embed BBC News)")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated corpus sizes")
    parser.add_argument("--bertopic-max", type=int, default=100_000,
                        help="run BERTopic only up to this size (0: never); UMAP + HDBSCAN at 1M is out of reach here")
    parser.add_argument("--sigma", type=float, default=0.02, help="noise per dimension added to each copy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=("ours", "bertopic"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.n, args.vectors, args.seed, args.sigma)
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        vectors_file = store_vectors(args.store, Path(tmp)) if args.store else embed_bbc(Path(tmp))
        base = np.load(vectors_file, mmap_mode="r")
        print(f"vectors: {len(base)} real paragraph vectors from {vectors_file}, tiled, noise sigma {args.sigma}, "
              f"seed {args.seed}; each row a fresh process")
        print(f"{'method':<22}{'n':>10}{'seconds':>10}{'peak RSS MB':>13}{'input MB':>10}{'topics':>8}"
              f"{'unassigned':>12}{'ratio':>8}")
        for n in sizes:
            ours = run_child("ours", n, vectors_file, seed=args.seed, sigma=args.sigma)
            _row("ours (k-means + Ward)", ours, "")
            if n <= args.bertopic_max:
                peer = run_child("bertopic", n, vectors_file, seed=args.seed, sigma=args.sigma)
                _row("BERTopic UMAP+HDBSCAN", peer, f"{peer['seconds'] / ours['seconds']:.1f}×")
    print("ratio: BERTopic's clustering seconds / ours at the same size. Peak RSS includes the input vectors; "
          "'input MB' is the peak before clustering began. BERTopic's time excludes a numba warm-up "
          "(compile) run on 1,000 vectors, which a fresh process pays once.")


def _row(name: str, r: dict[str, float], ratio: str) -> None:
    print(f"{name:<22}{r['n']:>10}{r['seconds']:>10.1f}{r['peak_rss_mb']:>13.0f}{r['input_rss_mb']:>10.0f}"
          f"{r['topics']:>8}{100 * r['unassigned']:>11.1f}%{ratio:>8}"
          + (f"  (+{r['warmup_seconds']:.0f} s warm-up)" if "warmup_seconds" in r else ""), flush=True)


if __name__ == "__main__":
    main()
