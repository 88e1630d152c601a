"""The service over an archive under concurrent readers: every page and read-only ``/v1`` endpoint.

Starts ``topics serve`` on a free loopback port, finds a stored article and a topic to ask about, then
runs N client threads for a fixed time, each requesting the endpoints in turn (each client starting at a
different one), and gives p50/p99 latency, request count, errors and answers "being prepared" (503
with Retry-After: a report or export the service is still building) per endpoint. Traffic goes to
127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np

from load_test import free_port

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300


def endpoints(http: httpx.Client) -> list[tuple[str, str, dict | None]]:
    """(name, path, JSON body for a POST) of every page and read-only endpoint, with real ids."""
    article = http.get("/v1/search", params={"q": "government", "k": 1}).json()[0]["article_id"]
    topics = http.get("/v1/topics").json()["topics"]
    topic = topics[0]["id"] if topics else 0
    return [("page /", "/", None), ("page /?q=", "/?q=election+results", None),
            ("page /articles/ID", f"/articles/{article}", None), ("page /topics", "/topics", None),
            ("page /topics/ID", f"/topics/{topic}", None),
            ("/v1/health", "/v1/health", None), ("/v1/stats", "/v1/stats", None),
            ("/v1/search", "/v1/search?k=10&q=", None), ("/v1/similar", "/v1/similar", {"article_id": article}),
            ("/v1/articles/ID", f"/v1/articles/{article}", None), ("/v1/topics", "/v1/topics", None),
            ("/v1/topics/changes", "/v1/topics/changes", None), ("/v1/topics/ID", f"/v1/topics/{topic}", None),
            ("/v1/report", "/v1/report", None), ("/v1/report.md", "/v1/report.md", None),
            ("/v1/report.json", "/v1/report.json", None), ("/v1/export/topics", "/v1/export/topics", None),
            ("/v1/export/articles", "/v1/export/articles", None),
            ("/v1/export/paragraphs", "/v1/export/paragraphs", None), ("/openapi.json", "/openapi.json", None)]


def _client(base: str, calls: list[tuple[str, str, dict | None]], queries: Sequence[str], start: int, end: float,
            results: dict[str, list[float]], errors: dict[str, int], prepared: dict[str, int],
            lock: threading.Lock) -> None:
    with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
        turn = start
        while time.monotonic() < end:
            name, path, body = calls[turn % len(calls)]
            path = path + queries[turn % len(queries)] if path.endswith("q=") else path
            begin = time.perf_counter()
            preparing = False
            try:
                response = http.post(path, json=body) if body is not None else http.get(path)
                preparing = response.status_code == 503 and "retry-after" in response.headers
                failed = response.status_code != 200 and not preparing
                response.read()
            except httpx.HTTPError:
                failed = True
            with lock:
                results[name].append((time.perf_counter() - begin) * 1000)
                errors[name] += failed
                prepared[name] += preparing
            turn += 1


def serve_rows(store: Path, queries: Sequence[str], seconds: float, clients: int = 8) -> dict[str, dict[str, float]]:
    """Per endpoint: p50 and p99 in ms, requests and errors, under ``clients`` threads for ``seconds``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "topics", "serve", "--store", str(store), "--port", str(port)],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if http.get("/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            calls = endpoints(http)
        results: dict[str, list[float]] = {name: [] for name, _, _ in calls}
        errors, prepared = dict.fromkeys(results, 0), dict.fromkeys(results, 0)
        lock, end = threading.Lock(), time.monotonic() + seconds
        threads = [threading.Thread(target=_client, args=(base, calls, queries, i * len(calls) // clients, end,
                                                          results, errors, prepared, lock)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a request still running holds up uvicorn's graceful shutdown
            server.kill()
            server.wait(timeout=60)
    figures = {name: {"p50": float(np.percentile(t, 50)) if t else float("nan"),
                      "p99": float(np.percentile(t, 99)) if t else float("nan"),
                      "count": len(t), "errors": errors[name], "preparing": prepared[name]}
               for name, t in results.items()}
    for name, f in figures.items():
        print(f"  {name:<24} p50 {f['p50']:8.1f} ms  p99 {f['p99']:8.1f} ms  {f['count']:5} requests  "
              f"{f['errors']} errors  {f['preparing']} being prepared", flush=True)
    return figures
