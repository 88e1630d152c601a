"""Load test of the HTTP service: concurrent clients mixing searches (90%) and small ingests (10%).

Starts ``topics serve`` on a free loopback port over a store holding the BBC corpus (built on first use,
or pass --store), runs N client threads for a fixed time, and prints requests/s, p50/p95/p99 latency per
kind and the error count. Traffic goes to 127.0.0.1 only; every loop is bounded in time and count.

    python scripts/load_test.py --store /tmp/bbc-store --clients 8 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Store, read_paths  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc"
LABELS = ("business", "entertainment", "politics", "sport", "tech")
MAX_REQUESTS_PER_CLIENT = 100_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="store holding the BBC corpus (built if missing)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ingest-share", type=float, default=0.1)
    args = parser.parse_args()
    if not BBC.is_dir():
        sys.exit(f"no BBC corpus at {BBC}")
    articles = read_paths([BBC / label for label in LABELS]).articles
    with tempfile.TemporaryDirectory() as tmp:
        store_path = args.store or Path(tmp) / "store"
        with Store.open(store_path, create=True) as store:
            store.add(articles)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "topics", "serve", "--store", str(store_path),
                                   "--port", str(port)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            else:
                sys.exit("the server did not start")
            results = run(base, [a.title for a in articles], args)
        finally:
            server.terminate()
            server.wait(timeout=60)
    report(results, args)


def run(base: str, queries: list[str], args: argparse.Namespace) -> dict[str, list]:
    results: dict[str, list] = {"search": [], "ingest": [], "errors": []}
    run_id = time.strftime("%Y%m%d%H%M%S")  # ingests add new articles on every run
    lock = threading.Lock()
    end = time.monotonic() + args.seconds

    def client(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(base_url=base, timeout=30) as http:
            for count in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= end:
                    return
                ingest = rng.random() < args.ingest_share
                start = time.perf_counter()
                try:
                    if ingest:
                        text = (f"Load test article {number}-{count}: council members debated the new bus routes "
                                f"and the cost of repairs to the bridge, term {rng.randrange(10**6)}.")
                        response = http.post("/v1/articles", json={"articles": [
                            {"id": f"load-{run_id}-{number}-{count}", "title": f"Load {number}-{count}",
                             "text": f"{text} Run {run_id}."}]})
                    else:
                        response = http.get("/v1/search", params={"q": rng.choice(queries), "k": 10})
                    ok = response.status_code == 200
                except httpx.HTTPError as exc:
                    ok, response = False, exc
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    results["ingest" if ingest else "search"].append(elapsed)
                    if not ok:
                        results["errors"].append(str(response))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(results: dict[str, list], args: argparse.Namespace) -> None:
    total = len(results["search"]) + len(results["ingest"])
    print(f"{args.clients} clients, {args.seconds:.0f} s, {100 * args.ingest_share:.0f}% ingests: "
          f"{total} requests, {total / args.seconds:.1f} requests/s, {len(results['errors'])} errors")
    for kind in ("search", "ingest"):
        times = results[kind]
        if times:
            p50, p95, p99 = np.percentile(times, [50, 95, 99])
            print(f"  {kind:<7}{len(times):>7} requests   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   p99 {p99:7.1f} ms")
    for error in results["errors"][:5]:
        print("  error:", error[:200])


if __name__ == "__main__":
    main()
