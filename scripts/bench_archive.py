"""A newsroom archive end to end: every command, the pages and the HTTP API over one store, at each size.

Builds (once, cached under ``--cache``) an archive of N paragraphs in N/5 dated articles over five years
with ``source`` and ``desk`` (see ``scripts/archive_build.py`` for the text, how each paragraph is made
distinct and where its vector comes from), then times, each in a fresh process as a user would run it:

- ``topics ingest`` of 1,000 new articles (5,000 new paragraphs, embedded by the real model), removed
  again with ``topics delete`` at the end so the cached store stays as built;
- ``topics cluster --fresh`` and ``topics cluster`` (warm: from the last fit), themes, stories, keywords
  and labels included; ``topics topics``; ``topics report`` in html, md and json (with the output size);
  ``changes``, ``duplicates``, ``check``, ``stats``, ``show``, ``similar`` and ``assign`` of a stored
  article, ``export paragraphs``;
- ``topics search`` once, cold; and p50/p99 of 200 queries (AG News titles, embedded by the real model)
  in one process through the same API the command calls, for hybrid, dense and lexical search, each
  unfiltered, with ``--where desk=...`` and with a one-year date range;
- ``topics serve`` under 8 loopback clients for 60 s, each request a page or read-only ``/v1`` endpoint
  in turn: p50/p99 and errors per endpoint (write endpoints are left out: they would change the store).

Each row gives seconds, peak RSS (of that process alone) and, for outputs, their size; the store's size on
disk is printed with the build. Figures are kept per size as JSON beside the store, so the table of every
size measured is printed again without rerunning anything (``--table``).

    python scripts/bench_archive.py --cache /tmp/archive --paragraphs 100000
    python scripts/bench_archive.py --cache /tmp/archive --paragraphs 1000000
    python scripts/bench_archive.py --cache /tmp/archive --table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from archive_build import DATA, archive_articles, base_count, base_paragraphs, build  # noqa: E402

NEW_ARTICLES = 1000
TIME = "/usr/bin/time"  # GNU time, for each process's own CPU time and peak RSS
QUERIES = 200


@dataclass
class Row:
    """One timed step: wall seconds, CPU seconds (user + system, all threads: what a quiet machine's
    wall time would be on one core, so figures taken on a busy shared machine stay comparable), peak
    RSS of its process in MB, bytes written (0: not a file), and the exit status."""

    step: str
    seconds: float
    cpu_s: float
    rss_mb: float
    output_bytes: int = 0
    status: int = 0
    note: str = ""


def run_command(args: Sequence[str], store: Path, output: Path | None = None, env: dict[str, str] | None = None,
                python: Sequence[str] = ("-m", "topics")) -> tuple[float, float, float, int, bytes]:
    """Run one process to its end: (seconds, CPU seconds, its own peak RSS in MB, exit status, its
    stderr)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TOPICS_STORE": str(store), **(env or {})}
    target = open(output, "wb") if output else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r") as usage:
        try:
            start = time.perf_counter()
            # through GNU time: a child forked from this (large) process would report this process's
            # peak RSS as its own, as Linux keeps the high-water mark across exec
            process = subprocess.run([TIME, "-q", "-o", usage.name, "-f", "%U %S %M", sys.executable, *python, *args],
                                     cwd=ROOT, env=environment, stdout=target, stderr=subprocess.PIPE)
            seconds = time.perf_counter() - start
        finally:
            if output:
                target.close()  # type: ignore[union-attr]
        user, system, rss = (float(x) for x in usage.read().split()[-3:])
    return seconds, user + system, rss / 1024, process.returncode, process.stderr


def timed(step: str, args: Sequence[str], store: Path, work: Path, **kwargs: object) -> Row:
    output = work / f"{step.replace(' ', '_')}.out"
    seconds, cpu, rss, status, stderr = run_command(args, store, output, **kwargs)  # type: ignore[arg-type]
    note = stderr.decode("utf-8", "replace").strip().splitlines()[-1][:120] if status and stderr else ""
    row = Row(step, seconds, cpu, rss, output.stat().st_size, status, note)
    print(f"  {step:<28} {seconds:8.1f} s {cpu:8.1f} cpu s {rss:7.0f} MB {row.output_bytes / 1e6:8.2f} MB out"
          + (f"  EXIT {status}: {note}" if status else ""), flush=True)
    return row


def new_articles_file(work: Path, paragraphs: int) -> tuple[Path, list[str]]:
    """1,000 articles no pass of the archive holds, as JSON Lines."""
    bases = base_paragraphs(base_count(paragraphs))
    passes = -(-paragraphs // len(bases)) + 1
    path, ids = work / "new.jsonl", []
    with open(path, "w", encoding="utf-8") as handle:
        for article in archive_articles(bases, None, NEW_ARTICLES * 5, None,
                                        first_pass=passes, prefix="new"):
            ids.append(article.id or "")
            handle.write(json.dumps({"id": article.id, "title": article.title, "text": article.text,
                                     "source": article.source, "published": "2024-01-02",
                                     "desk": article.metadata["desk"]}) + "\n")
    return path, ids


def queries() -> list[str]:
    import csv
    with open(DATA / "ag-news" / "test.csv", encoding="utf-8", newline="") as handle:
        return [row[1] for row in csv.reader(handle)][::37][:QUERIES]


def command_rows(store: Path, work: Path, paragraphs: int) -> list[Row]:
    """Every command of the table, each in its own process."""
    new, ids = new_articles_file(work, paragraphs)
    some = "a0000123"
    rows = [timed("ingest 1,000 articles", ["ingest", str(new), "--quiet"], store, work),
            timed("show (after the ingest)", ["show", ids[0]], store, work),
            timed("cluster --fresh", ["cluster", "--fresh"], store, work),
            timed("cluster (warm)", ["cluster"], store, work),
            timed("topics", ["topics"], store, work)]
    for kind in ("html", "md", "json"):
        rows.append(timed(f"report {kind}", ["report", "--format", kind], store, work))
    rows += [timed("changes", ["changes"], store, work),
             timed("duplicates", ["duplicates"], store, work),
             timed("check", ["check"], store, work),
             timed("stats", ["stats"], store, work),
             timed("show", ["show", some], store, work),
             timed("similar", ["similar", some], store, work),
             timed("assign", ["assign", some], store, work),
             timed("export paragraphs", ["export", "paragraphs", "--format", "csv"], store, work),
             timed("search (cold)", ["search", "council elections and the economy"], store, work)]
    rows.append(search_row(store, work))
    rows.append(timed("delete 1,000 articles", ["delete", *ids], store, work))
    return rows


def search_row(store: Path, work: Path) -> Row:
    """The 200-query latencies, in one child process; its figures come back as JSON."""
    out = work / "search.json"
    seconds, cpu, rss, status, stderr = run_command([str(store), str(out)], store,
                                                    python=(__file__, "--search-child"))
    if status:
        print(stderr.decode()[-2000:])
    figures = json.loads(out.read_text()) if out.is_file() else {}
    note = "; ".join(f"{name} p50 {f[0]:.1f} p99 {f[1]:.1f}" for name, f in figures.items())
    print(f"  search x{QUERIES} (ms)             {note}", flush=True)
    return Row("search x200 (one process)", seconds, cpu, rss, 0, status, json.dumps(figures))


def search_child(store_path: Path, out: Path) -> None:
    """p50/p99 in ms of each search mode, unfiltered, by desk and by a year of dates, over 200 queries
    taking turns; five warm-up queries first (model session, BM25 arrays, SQLite pages)."""
    import faiss

    from index import Filters, Store, search
    faiss.omp_set_num_threads(1)  # one query at a time, as the service runs them
    cases = {f"{mode} {name}": (mode, filters) for mode in ("hybrid", "dense", "lexical")
             for name, filters in (("", None), ("--where", Filters(where=("desk=business",))),
                                   ("dates", Filters(since="2021-01-01", until="2021-12-31")))}
    times: dict[str, list[float]] = {name: [] for name in cases}
    with Store.open(store_path) as store:
        texts = queries()
        for query in texts[:5]:
            search(store, query)
        for query in texts:
            for name, (mode, filters) in cases.items():
                start = time.perf_counter()
                search(store, query, 10, filters, mode=mode)
                times[name].append((time.perf_counter() - start) * 1000)
    out.write_text(json.dumps({name.strip(): [float(np.percentile(t, 50)), float(np.percentile(t, 99))]
                               for name, t in times.items()}))


def measure(cache: Path, paragraphs: int, seconds: float) -> dict:
    from load_archive import serve_rows
    start = time.perf_counter()
    store = build(cache, paragraphs)
    built = json.loads((cache / f"store-{paragraphs}.built.json").read_text())
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    print(f"archive of {paragraphs:,} paragraphs at {store}: {size / 1e9:.2f} GB on disk; built in "
          f"{built['build_s']:.0f} s ({time.perf_counter() - start:.0f} s this run)", flush=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        rows = command_rows(store, Path(tmp), paragraphs)
        service = serve_rows(store, queries(), seconds, settle=True)
    figures = {"paragraphs": paragraphs, "built": built, "disk_bytes": size,
               "rows": [asdict(r) for r in rows], "service": service}
    (cache / f"figures-{paragraphs}.json").write_text(json.dumps(figures, indent=1))
    return figures


def table(cache: Path) -> None:
    """One table of every size measured under ``cache``, the sizes side by side, and each size's growth
    over the one before."""
    runs = sorted((json.loads(p.read_text()) for p in cache.glob("figures-*.json")), key=lambda f: f["paragraphs"])
    if not runs:
        sys.exit(f"nothing measured under {cache} yet")
    width = 38
    head = "".join(f"{format(r['paragraphs'], ',') + ' paragraphs':>{width}}" for r in runs)
    print(f"{'step':<28}{head}\n{'':<28}" + f"{'wall s / CPU s / RSS MB / out MB':>{width}}" * len(runs)
          + "   (growth: of CPU seconds)")
    print(f"{'store on disk (GB)':<28}" + "".join(f"{r['disk_bytes'] / 1e9:>{width}.2f}" for r in runs))
    print(f"{'build (s)':<28}" + "".join(f"{r['built']['build_s']:>{width}.0f}" for r in runs))
    steps = list(dict.fromkeys(row["step"] for r in runs for row in r["rows"]))
    for step in steps:
        cells, before = [], None
        for r in runs:
            row = next((x for x in r["rows"] if x["step"] == step), None)
            if row is None:
                cells.append(f"{'-':>{width}}")
                continue
            growth = f" x{row['cpu_s'] / before:.1f}" if before else ""
            cell = f"{row['seconds']:.1f} / {row['cpu_s']:.1f} / {row['rss_mb']:.0f} / {row['output_bytes'] / 1e6:.1f}"
            cells.append(f"{cell + growth + (' FAILED' if row['status'] else ''):>{width}}")
            before = max(row["cpu_s"], 1e-3)
        print(f"{step:<28}" + "".join(cells))
    for r in runs:
        search = json.loads(next(x for x in r["rows"] if x["step"].startswith("search x"))["note"] or "{}")
        print(f"\nsearch at {r['paragraphs']:,} ¶ (ms, p50/p99): "
              + ", ".join(f"{name} {f[0]:.1f}/{f[1]:.1f}" for name, f in search.items()))
        print(f"service at {r['paragraphs']:,} ¶, 8 clients: " + ", ".join(
            f"{path} {f['p50']:.0f}/{f['p99']:.0f} ms (first byte {f.get('first_p99', float('nan')):.0f} ms; "
            f"{f['count']} req, {f['errors']} err)"
            for path, f in r["service"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, help="folder for the built stores and figures (required)")
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seconds", type=float, default=60, help="length of the service load test")
    parser.add_argument("--table", action="store_true", help="only print the table of what was measured")
    parser.add_argument("--search-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_child:
        search_child(*args.search_child)
        return
    if args.cache is None:
        parser.error("--cache is required")
    if not DATA.is_dir():
        sys.exit(f"no corpora at {DATA}")
    if not args.table:
        for paragraphs in args.paragraphs:
            measure(args.cache, paragraphs, args.seconds)
    table(args.cache)


if __name__ == "__main__":
    main()
