"""What the notebook API costs beside the command line, and what exports of a whole store take.

On one store and one fit (a temporary copy of ``--store``, fitted once there if it has no topics):

* **Overhead**: ``TopicMap.topic_info()``, ``document_info()`` and ``search()`` in a warm process, beside
  the API calls beneath them (:func:`topics.export.topic_table` and friends, :func:`index.search`), and
  beside the commands that print the same rows in a fresh process (``topics export topics|articles
  --format jsonl``, ``topics search --json``). Also a fresh process doing the notebook's whole job
  (import, open, one table), the fair match for a command. Medians of ``--rounds`` taken in turn, after a warm-up.
* **Exports**: every kind in every format (Parquet when pyarrow is installed): wall time (median) and size.

Tables come as pandas DataFrames when pandas is installed, else lists of dicts; the line says which.

    python scripts/bench_notebook.py --store /tmp/export-bbc --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Store, search  # noqa: E402
from topics import TopicMap  # noqa: E402
from topics.api import export  # noqa: E402
from topics.export import KINDS, article_table, topic_table  # noqa: E402
from topics.fit import fit_topics  # noqa: E402
from topics.model import TopicModel  # noqa: E402
from topics.tabular import FORMATS, require  # noqa: E402

QUERY = "oil prices and the economy"
NOTEBOOK = ("import sys\nfrom topics import TopicMap\n"
            "with TopicMap(path=sys.argv[1]) as tm:\n    tm.topic_info()\n")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def medians(runs: Sequence[Callable[[], Any]], rounds: int) -> list[float]:
    """Median wall time of each of ``runs`` over ``rounds``, taken in turn round by round (a busy
    machine slows them alike) after one warm-up call each."""
    for run in runs:
        run()
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, spent in zip(runs, times):
            start = time.perf_counter()
            run()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def process(argv: Sequence[str]) -> Callable[[], None]:
    """A fresh Python process running ``argv`` (after ``python``), its output thrown away."""
    def run() -> None:
        subprocess.run([sys.executable, *argv], cwd=ROOT, env=_env(), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=600)
    return run


def overhead(path: Path, rounds: int) -> list[tuple[str, float, float, float]]:
    """(what, TopicMap in a warm process, the API beneath it, the command in a fresh process) in seconds."""
    tm = TopicMap(path=path)
    store, model = tm.store, tm.topic_model
    cli = ["-m", "topics"]
    rows = [
        ("topic_info / export topics", tm.topic_info, lambda: list(topic_table(store, model).rows),
         cli + ["export", "topics", "--format", "jsonl", "--store", str(path)]),
        ("document_info / export articles", tm.document_info, lambda: list(article_table(store, model).rows),
         cli + ["export", "articles", "--format", "jsonl", "--store", str(path)]),
        ("search / search --json", lambda: tm.search(QUERY), lambda: [h.to_dict() for h in search(store, QUERY)],
         cli + ["search", QUERY, "--json", "--store", str(path)]),
    ]
    out = [(what, *medians([mine, api, process(argv)], rounds)) for what, mine, api, argv in rows]
    tm.close()
    out.append(("fresh process: TopicMap(path).topic_info()", float("nan"), float("nan"),
                *medians([process(["-c", NOTEBOOK, str(path)])], rounds)))
    return out


def exports(path: Path, into: Path, rounds: int) -> list[tuple[str, str, int, float, int]]:
    """(kind, format, rows, seconds, bytes) of each export of the whole store."""
    formats = [fmt for fmt in FORMATS if _available(fmt)]
    out = []
    with Store.open(path) as store:
        model = TopicModel.load(store.path)
        for kind in KINDS:
            targets = [into / f"{kind}.{fmt}" for fmt in formats]
            runs = [lambda k=kind, t=target, f=fmt: export(store, model, k, t, f)
                    for fmt, target in zip(formats, targets)]
            for fmt, target, seconds in zip(formats, targets, medians(runs, rounds)):
                rows = export(store, model, kind, target, fmt).rows
                out.append((kind, fmt, rows, seconds, target.stat().st_size))
    return out


def _available(fmt: str) -> bool:
    try:
        require(fmt)
    except Exception:
        return False
    return True


def fitted_copy(store: Path, into: Path) -> Path:
    """A copy of the store to read (SQLite writes side files even then), fitted once if it has no topics."""
    target = into / "store"
    shutil.copytree(store, target, ignore=shutil.ignore_patterns("*-wal", "*-shm", "write.lock"))
    if not TopicModel.exists(target):
        with Store.open(target) as opened:
            fit_topics(opened, seed=0)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a store (not written: a copy is used)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after a warm-up (default 3)")
    args = parser.parse_args()
    try:
        import pandas  # noqa: F401
        tables = "pandas DataFrames"
    except ImportError:
        tables = "lists of dicts (pandas not installed)"
    with tempfile.TemporaryDirectory(prefix="bench-notebook-") as folder:
        path = fitted_copy(args.store, Path(folder))
        with Store.open(path) as store:
            stats = store.stats()
        print(f"store: {stats.articles:,} articles, {stats.vectors:,} paragraphs; TopicMap tables as {tables}; "
              f"median of {args.rounds} rounds\n")
        print("| call | TopicMap (warm) | API beneath (warm) | command (fresh process) |")
        print("|---|---:|---:|---:|")
        for what, mine, api, command in overhead(path, args.rounds):
            def cell(s: float) -> str:
                return "—" if s != s else f"{s:.3f} s"
            print(f"| {what} | {cell(mine)} | {cell(api)} | {cell(command)} |")
        print("\n| export | format | rows | time | size |")
        print("|---|---|---:|---:|---:|")
        for kind, fmt, rows, seconds, size in exports(path, Path(folder), args.rounds):
            print(f"| {kind} | {fmt} | {rows:,} | {seconds:.2f} s | {size / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
