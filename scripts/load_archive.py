"""The service over an archive under concurrent readers: every page and read-only ``/v1`` endpoint.

Starts ``topics serve`` on a free loopback port, finds a stored article and a topic to ask about, then
runs N client threads for a fixed time, each requesting the endpoints in turn (each client starting at a
different one), and gives p50/p99 latency, request count, errors and answers "being prepared" (503
with Retry-After: a report or export the service is still building) per endpoint. Latency is given to
the answer's last byte and to its first: the whole of a 400 MB export is its transfer, while the first
byte is what the call cost. With ``settle``, the clients start once every per-fit answer is built.
Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from load_test import free_port

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300
CHUNK = 1 << 20


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


@dataclass
class Tally:
    """What the clients measured of one endpoint: each answer's time to its first byte and to its last
    (ms), errors, and answers "being prepared"."""

    first: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    errors: int = 0
    preparing: int = 0

    def figures(self) -> dict[str, float]:
        def pct(times: list[float], q: int) -> float:
            return float(np.percentile(times, q)) if times else float("nan")
        return {"p50": pct(self.whole, 50), "p99": pct(self.whole, 99), "first_p50": pct(self.first, 50),
                "first_p99": pct(self.first, 99), "count": len(self.whole), "errors": self.errors,
                "preparing": self.preparing}


def _client(base: str, calls: list[tuple[str, str, dict | None]], queries: Sequence[str], start: int, end: float,
            tallies: dict[str, Tally], lock: threading.Lock) -> None:
    """Requests the endpoints in turn until ``end``. Bodies are streamed and dropped, so a client reading
    a 400 MB export takes little of the cores the service shares with it."""
    with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
        turn = start
        while time.monotonic() < end:
            name, path, body = calls[turn % len(calls)]
            path = path + queries[turn % len(queries)] if path.endswith("q=") else path
            begin = time.perf_counter()
            first, preparing = None, False
            try:
                status, retry, first = _ask(http, path, body)
                preparing = retry is not None
                failed = status != 200 and not preparing
            except httpx.HTTPError:
                failed = True
            done = time.perf_counter()
            with lock:
                tally = tallies[name]
                tally.whole.append((done - begin) * 1000)
                tally.first.append(((first or done) - begin) * 1000)
                tally.errors += failed
                tally.preparing += preparing
            turn += 1


def _ask(http: httpx.Client, path: str, body: dict | None) -> tuple[int, int | None, float]:
    """One request, its body streamed and dropped: the status, the Retry-After of an answer "being
    prepared" (503; else ``None``), and when the first byte came (``time.perf_counter``)."""
    with http.stream("POST" if body is not None else "GET", path, json=body) as response:
        first = time.perf_counter()
        for _ in response.iter_raw(CHUNK):
            pass
    retry = response.headers.get("retry-after") if response.status_code == 503 else None
    return response.status_code, None if retry is None else int(retry), first


def ready(http: httpx.Client, calls: list[tuple[str, str, dict | None]], limit: float) -> float:
    """Seconds until every endpoint answers without "being prepared" (the per-fit answers are built),
    asking each in turn and waiting out its Retry-After; ``nan`` if that takes over ``limit`` seconds."""
    begin = time.monotonic()
    waiting = [(path + "news" if path.endswith("q=") else path, body) for _, path, body in calls]
    while waiting and time.monotonic() - begin < limit:
        _, retry, _ = _ask(http, *waiting[0])
        if retry is not None:
            time.sleep(min(retry, 10))
        else:
            waiting.pop(0)
    return float("nan") if waiting else time.monotonic() - begin


def serve_rows(store: Path, queries: Sequence[str], seconds: float, clients: int = 8,
               settle: bool = False) -> dict[str, dict[str, float]]:
    """Per endpoint: p50 and p99 in ms, requests and errors, under ``clients`` threads for ``seconds``;
    with ``settle``, from when every per-fit answer is built (the steady state between writes) rather
    than from the service's start (while they are built)."""
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
            if settle:
                print(f"  every answer ready {ready(http, calls, 1800):.0f} s after the service answered", flush=True)
        tallies = {name: Tally() for name, _, _ in calls}
        lock, end = threading.Lock(), time.monotonic() + seconds
        threads = [threading.Thread(target=_client, args=(base, calls, queries, i * len(calls) // clients, end,
                                                          tallies, lock)) for i in range(clients)]
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
    figures = {name: tally.figures() for name, tally in tallies.items()}
    for name, f in figures.items():
        print(f"  {name:<24} p50 {f['p50']:8.1f} ms  p99 {f['p99']:8.1f} ms  (first byte {f['first_p50']:6.1f} / "
              f"{f['first_p99']:6.1f} ms)  {f['count']:5} requests  {f['errors']} errors  "
              f"{f['preparing']} being prepared", flush=True)
    return figures
