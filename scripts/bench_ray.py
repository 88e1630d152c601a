"""Ray's cost and the single writer's ceiling, on BBC paragraphs.

Ingests the same BBC articles (about 2,000 paragraphs, read into memory first) into fresh stores:

* locally, the store's own embedder using every core, and again on one thread;
* on a Ray instance on this machine (its start and the actors' model loading timed apart from the
  ingest), with one worker per core and with one worker: one worker against the local run on one
  thread is Ray's overhead at equal parallelism;
* with the vectors precomputed (an executor that looks them up): the writer alone -- planning,
  splitting, segment files, SQLite rows, BM25 terms, the index build.

Then the scaling arithmetic: the driver's paragraphs per CPU-second in the Ray run (the writer plus
what Ray costs the driver), and the writer's alone, over one worker's paragraphs/s give the number of
workers at which the one writer becomes the limit. Timings depend on the machine and whatever else runs
on it; compare them as ratios within one run.

    python scripts/bench_ray.py                  # 2,000 paragraphs, one round (a few minutes on 2 cores)
    python scripts/bench_ray.py --paragraphs 500 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Article, Embedder, LocalExecutor, Store, offline_environment, read_paths  # noqa: E402
from index.embed import Progress  # noqa: E402
from index.executors import Executor  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc"


@dataclass(frozen=True)
class Run:
    name: str
    paragraphs: int
    seconds: float
    cpu_seconds: float  # this process's, all its threads

    @property
    def rate(self) -> float:
        return self.paragraphs / self.seconds


class Precomputed(LocalExecutor):
    """Vectors looked up by text: the writer's work without the model's."""

    def __init__(self, vectors: dict[str, np.ndarray], dim: int) -> None:
        self.vectors, self.dim = vectors, dim

    def submit(self, embedder: Embedder, texts: list[str], progress: Progress | None = None) -> Precomputed:
        self.texts = texts
        return self

    def result(self) -> np.ndarray:
        return np.array([self.vectors[t] for t in self.texts], dtype=np.float32).reshape(-1, self.dim)


def articles(paragraphs: int) -> list[Article]:
    """BBC articles in file order, labels interleaved, until their lines reach ``paragraphs``."""
    folders = [sorted(label.glob("*.txt")) for label in sorted(BBC.iterdir()) if label.is_dir()]
    files, lines = [], 0
    for group in zip(*folders):
        for file in group:
            files.append(file)
            lines += sum(1 for line in file.read_bytes().splitlines() if line.strip())
        if lines >= paragraphs:
            break
    return read_paths(files).articles


def ingest(name: str, corpus: list[Article], embedder: Embedder, executor: Executor, folder: Path) -> tuple[Run, Store]:
    """One timed ``Store.add`` of ``corpus`` into a new store (the model already loaded)."""
    store = Store.open(folder / name.replace(" ", "-"), model=embedder, create=True)
    start, cpu = time.perf_counter(), time.process_time()
    report = store.add(corpus, progress=False, executor=executor)
    return Run(name, report.paragraphs_embedded, time.perf_counter() - start, time.process_time() - cpu), store


def vectors_by_text(store: Store) -> dict[str, np.ndarray]:
    snapshot = store.snapshot()
    return dict(zip(store.paragraph_texts(snapshot.ids), snapshot.vectors))


def one_round(corpus: list[Article], pools: dict[str, Executor], folder: Path) -> list[Run]:
    """Every run once: local on all cores, each Ray pool (its actors ended after its run, so the next
    finds the CPUs free), local on one thread, the writer alone."""
    embedder, single = Embedder(), Embedder(threads=1)
    for model in (embedder, single):
        model.encode(["warm up"])  # export and session creation are not the ingest's
    local, store = ingest("local, all cores", corpus, embedder, LocalExecutor(), folder)
    runs = [local]
    for name, pool in pools.items():
        runs.append(ingest(name, corpus, embedder, pool, folder)[0])
        pool.close()
    runs.append(ingest("local, 1 thread", corpus, single, LocalExecutor(), folder)[0])
    writer = Precomputed(vectors_by_text(store), embedder.dim)
    runs.append(ingest("writer alone (vectors precomputed)", corpus, embedder, writer, folder)[0])
    return runs


def measure(corpus: list[Article], rounds: int) -> tuple[list[Run], dict[str, float], int]:
    """The runs ``rounds`` times, the Ray start-up times, and the number of workers on all cores."""
    from index.ray_embed import RayExecutor, connect

    started = time.perf_counter()
    connect("local", os.cpu_count())
    starts = {"ray start (local instance)": time.perf_counter() - started}
    runs: list[Run] = []
    try:
        for round_ in range(rounds):
            full, one = RayExecutor(), RayExecutor(workers=1)
            with tempfile.TemporaryDirectory() as tmp:
                runs += one_round(corpus, {"ray local, all cores": full, "ray local, 1 worker": one}, Path(tmp))
            starts[f"actor start-up ({full.workers} actors, models loaded)"] = full.start_seconds
            print(f"round {round_ + 1}: " + ", ".join(f"{run.name} {run.rate:.1f}" for run in runs[-5:]),
                  file=sys.stderr, flush=True)
    finally:
        import ray

        ray.shutdown()
    return runs, starts, full.workers


def best(runs: list[Run], name: str) -> Run:
    return min((run for run in runs if run.name == name), key=lambda run: run.seconds)


def report(runs: list[Run], starts: dict[str, float], workers: int) -> None:
    names = list(dict.fromkeys(run.name for run in runs))
    best_runs = [best(runs, name) for name in names]
    local, full, one, single, writer = best_runs
    print(f"{'run':<38}{'paragraphs':>11}{'seconds':>9}{'para/s':>9}{'vs local':>10}{'driver CPU s':>14}")
    for run in best_runs:
        print(f"{run.name:<38}{run.paragraphs:>11}{run.seconds:>9.1f}{run.rate:>9.1f}"
              f"{local.seconds / run.seconds:>10.2f}{run.cpu_seconds:>14.1f}")
    for name, seconds in starts.items():
        print(f"{name:<38}{'':>11}{seconds:>9.1f}")
    print(f"\nRay overhead at equal parallelism (1 worker against 1 thread): {one.seconds / single.seconds - 1:+.1%}; "
          f"{workers} workers against one process on all cores: {full.seconds / local.seconds - 1:+.1%}")
    per_worker = one.rate
    driver = full.paragraphs / full.cpu_seconds
    print(f"one worker: {per_worker:.1f} paragraphs/s ({full.rate / workers:.1f} each when {workers} share this "
          f"machine with the driver)")
    print(f"driver in the Ray run: {driver:.0f} paragraphs per CPU-second -> one writer keeps up with about "
          f"{driver / per_worker:.0f} workers; the writer alone: {writer.rate:.0f} paragraphs/s "
          f"-> about {writer.rate / per_worker:.0f}")


def main() -> None:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=2000, help="about this many BBC paragraphs")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the three runs; the fastest of each counts")
    args = parser.parse_args()
    if not BBC.is_dir():
        sys.exit(f"no BBC data at {BBC}; it lives in ../shared/data/bbc-news")
    corpus = articles(args.paragraphs)
    print(f"{len(corpus)} BBC articles read", file=sys.stderr)
    report(*measure(corpus, args.rounds))


if __name__ == "__main__":
    main()
