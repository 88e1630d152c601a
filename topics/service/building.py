"""The service's heaviest builds (the exports, the report) run in a process of their own, at a lower
priority, each writing its answer to a file.

Built on a thread of the service, such a build holds the interpreter's lock for seconds to minutes, and
every request thread waits its turn for it at each step (each SQLite or numpy call lets the lock go and
takes it back): on a 100,000-paragraph archive search went from 15 ms alone to seconds at p99 while one
was built. In a process of its own, niced, the operating system shares out the cores and the requests
come first. The process opens the store and the fit in force, as ``topics export`` and ``topics report``
would, and writes the export's file or the report's JSON; the service's background worker waits for it.

    python -m topics.service.building export STORE KIND FORMAT TARGET
    python -m topics.service.building report STORE TARGET
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import Any

NICENESS = 5  # below the request threads, yet not starved on a busy machine


class BuildFailed(RuntimeError):
    """A build's process ended with an error: its last line says which."""


class Builder:
    """Runs builds in child processes, stopping any still running when the service goes."""

    def __init__(self) -> None:
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        weakref.finalize(self, _stop, self._running)

    def export(self, store: Path, kind: str, fmt: str, target: Path) -> Path:
        """``topics export KIND`` of ``store`` in ``fmt`` into ``target`` (replaced crash-safely)."""
        self._run("export", str(store), kind, fmt, str(target))
        return target

    def report(self, store: Path, target: Path) -> dict[str, Any]:
        """The report of ``store``'s fit in force, by way of its JSON in ``target``."""
        self._run("report", str(store), str(target))
        return json.loads(target.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def _run(self, *args: str) -> None:
        command = [sys.executable, "-m", __name__, *args]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        with self._lock:
            self._running.add(process)
        try:
            _, errors = process.communicate()
        finally:
            with self._lock:
                self._running.discard(process)
        if process.returncode:
            lines = errors.decode("utf-8", "replace").strip().splitlines() or [f"exit status {process.returncode}"]
            raise BuildFailed(f"building the {args[0]} failed: {lines[-1]}")


def _stop(running: set[subprocess.Popen[bytes]]) -> None:
    for process in list(running):
        process.kill()


def main(argv: list[str]) -> int:
    os.nice(NICENESS)
    from threadpoolctl import threadpool_limits

    from index import Store, TopicsError, offline_environment

    from ..api import export
    from ..model import TopicModel
    from ..report import build_report, render_json

    offline_environment()
    threadpool_limits(1)  # BLAS threads spinning on a busy machine cost far more than they give
    try:
        if argv[0] == "export":
            _, store_path, kind, fmt, target = argv
            with Store.open(store_path) as store:
                export(store, TopicModel.load(store.path), kind, target, fmt)
        else:
            _, store_path, target = argv
            with Store.open(store_path) as store:
                document = build_report(store, TopicModel.load(store.path))
            Path(target).write_text(render_json(document), encoding="utf-8")
    except TopicsError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
