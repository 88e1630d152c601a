"""Read benchmark: peak memory of reading (and of ingesting) JSON Lines files of growing size.

Builds JSON Lines files of the given sizes from the BBC News and AG News texts in ../shared/data (the
articles repeated under new ids), in a temporary folder removed afterwards. Each size is read in a
fresh process, so each peak is its own: every article read through ``iter_articles``, then a real
``topics ingest`` into a new store. Embedding hundreds of megabytes takes hours on a small machine, so
the ingest is stopped ``--ingest-seconds`` after its reading pass ends (when the store is created; it
reads every file once before it writes) — its peak then covers the whole reading pass, the model and the
first batches embedded; ``--ingest-seconds 0`` runs it to the end. Prints a table of peak RSS and the
ratio of each peak to the smallest file's.

    python scripts/bench_read.py                           # 20, 100 and 200 MB
    python scripts/bench_read.py --sizes 20 200 --no-ingest
    python scripts/bench_read.py --code /path/to/other/tree  # the readers of another checkout
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BBC = DATA / "bbc-news" / "bbc"
AG_NEWS = DATA / "ag-news" / "test.csv"
MB = 1 << 20

READ = """
import sys, time
from index import iter_articles
start = time.perf_counter()
count = sum(1 for _ in iter_articles([sys.argv[1]], warn=False))
print(count, round(time.perf_counter() - start, 1))
"""


def source_records() -> list[dict[str, str]]:
    """Title and text of every BBC article (first line the title) and AG News row."""
    records = []
    for path in sorted(BBC.glob("*/*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="latin-1").splitlines() if line.strip()]
        records.append({"title": lines[0], "text": "\n".join(lines[1:]), "source": "BBC News"})
    with AG_NEWS.open(encoding="utf-8", newline="") as file:
        for _, title, text in csv.reader(file):
            records.append({"title": title, "text": text.replace("\\", " "), "source": "AG News"})
    return records


def lines_of(records: list[dict[str, str]]) -> Iterator[str]:
    """JSON lines of the records, repeated under new ids for as long as asked."""
    number = 0
    while True:
        for record in records:
            number += 1
            yield json.dumps({"id": f"a{number}", **record}, ensure_ascii=False) + "\n"


def write_jsonl(path: Path, size_mb: int, records: list[dict[str, str]]) -> int:
    """A JSON Lines file of about ``size_mb`` megabytes; the number of articles it holds."""
    written = count = 0
    with path.open("w", encoding="utf-8") as file:
        for line in lines_of(records):
            if written >= size_mb * MB:
                return count
            written += file.write(line)  # characters: near enough to bytes for mostly ASCII news
            count += 1
    return count


def _interruptible() -> None:
    """A shell starts a background job with SIGINT ignored, and Python then leaves it ignored: restore it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_measured(command: list[str], env: dict[str, str], stop_after: Path | None = None,
                 seconds: float = 0) -> tuple[float, str]:
    """Peak RSS (MB) and output of ``command`` in a fresh process; with ``stop_after``, the process is
    interrupted ``seconds`` after that path appears."""
    process = subprocess.Popen(command, env=env, cwd=env["PYTHONPATH"],  # python puts its folder first on the path
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_interruptible)
    if stop_after is not None and seconds > 0:
        appeared = None
        while process.poll() is None:
            if appeared is None and stop_after.exists():
                appeared = time.monotonic()
            if appeared is not None and time.monotonic() - appeared >= seconds:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the largest of all children
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, output.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 100, 200], metavar="MB")
    parser.add_argument("--ingest-seconds", type=float, default=30,
                        help="stop each ingest this long after its reading pass (0: run it to the end)")
    parser.add_argument("--no-ingest", action="store_true", help="measure reading only")
    parser.add_argument("--code", type=Path, default=ROOT, help="the tree whose index and topics are run")
    args = parser.parse_args()
    if not BBC.is_dir() or not AG_NEWS.is_file():
        sys.exit(f"no data at {DATA}; BBC News and AG News live in ../shared/data")
    env = {**os.environ, "PYTHONPATH": str(args.code)}
    records = source_records()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_read_") as tmp:
        for size in sorted(args.sizes):
            path = Path(tmp) / f"articles_{size}mb.jsonl"
            count = write_jsonl(path, size, records)
            read_mb, said = run_measured([sys.executable, "-c", READ, str(path)], env)
            row = {"size": size, "articles": count, "read": read_mb, "read_said": said}
            if not args.no_ingest:
                store = Path(tmp) / f"store_{size}"
                row["ingest"], said = run_measured(
                    [sys.executable, "-m", "topics", "ingest", str(path), "--store", str(store), "--quiet"],
                    env, stop_after=store, seconds=args.ingest_seconds)
                row["ingest_said"] = said.splitlines()[-1] if said else ""
            path.unlink()
            rows.append(row)
            print(f"{size} MB: {row}", file=sys.stderr, flush=True)
    base = rows[0]
    print(f"{'file':>8}  {'articles':>8}  {'read peak':>10}  {'×':>5}" + ("" if args.no_ingest else
          f"  {'ingest peak':>11}  {'×':>5}"))
    for row in rows:
        line = f"{row['size']:>5} MB  {row['articles']:>8}  {row['read']:>7.0f} MB  {row['read'] / base['read']:>5.2f}"
        if not args.no_ingest:
            line += f"  {row['ingest']:>8.0f} MB  {row['ingest'] / base['ingest']:>5.2f}"
        print(line)
    stop = "to the end" if args.ingest_seconds == 0 else f"stopped {args.ingest_seconds:g} s after its reading pass"
    print(f"read: every article through iter_articles; ingest: topics ingest {stop}" if not args.no_ingest
          else "read: every article through iter_articles")


if __name__ == "__main__":
    main()
