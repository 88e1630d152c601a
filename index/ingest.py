"""Ingest: articles → plans (what changed) → split paragraphs → new vectors in a segment → one commit.

Work goes in batches of about ``batch_paragraphs`` new paragraphs, so memory stays flat however many
articles come, and an interrupted run keeps what it committed. Unchanged articles cost one lookup;
known paragraph texts are never embedded again. An id that comes twice keeps its later version.

A full batch is handed to an executor (:mod:`index.executors`) to embed and committed when its vectors
come back, batches strictly in the order they were handed over: locally at once, on a Ray pool while
later batches are planned and embedded. A paragraph waiting in an earlier, uncommitted batch is not
embedded again by a later one; it is linked when that batch commits first.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

import numpy as np
from tqdm import tqdm

from . import segments as segment_table
from .articles import Article, content_hash
from .catalog import Catalog
from .embed import Embedder
from .executors import Executor, LocalExecutor, Pending
from .paragraphs import Paragraph
from .segments import Segments

GROUP = 256  # articles planned per lookup of their stored fingerprints
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {done}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"
COUNT_FORMAT = "{desc}: {done} {unit}s [{elapsed}, {rate_fmt}{postfix}]"  # when the total is not known


@dataclass
class AddReport:
    """What :meth:`Store.add` did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate_ids: int = 0
    paragraphs_embedded: int = 0
    paragraphs_reused: int = 0

    def count(self, field: str, by: int = 1) -> None:
        setattr(self, field, getattr(self, field) + by)


@dataclass
class _Plan:
    article: Article
    paragraphs: list[Paragraph]
    fingerprint: str
    counted: str | None  # the AddReport field that counts it; None for a repeated id, counted before


@dataclass
class _Share:
    """Moves the bar while a batch is embedded, so it advances with every forward pass and not once a
    batch of thousands of paragraphs: each paragraph embedded is worth its share of the batch's articles,
    and the commit settles the rest (all of it for a batch with nothing to embed)."""

    bar: tqdm
    articles: int
    paragraphs: int
    moved: float = 0.0

    def move(self, done: int) -> None:
        step = self.articles * done / max(self.paragraphs, 1)
        self.moved += step
        self.bar.update(step)

    def settle(self) -> None:
        self.bar.update(self.articles - self.moved)
        self.moved = self.articles


@dataclass
class _Handed:
    """A batch handed to the executor: its plans, the hashes of all their paragraphs, the paragraphs it
    embeds (neither stored nor embedded by an earlier batch; row i of the vectors is ``new[i]``), the
    vectors to come, and its part of the bar."""

    plans: list[_Plan]
    hashes: list[str]
    new: list[Paragraph]
    vectors: Pending
    share: _Share


class _ArticleBar(tqdm):
    """A bar that counts articles in fractions while their paragraphs are embedded (see :class:`_Share`),
    and shows the whole ones done as ``{done}``."""

    @property
    def format_dict(self) -> dict[str, Any]:
        return {**super().format_dict, "done": math.floor(self.n + 1e-6)}


def progress_bar(total: int | None, shown: bool | None) -> tqdm:
    """The ingest's one-line bar on stderr (``shown`` None: on a terminal only). Its ETA divides what is
    left by tqdm's moving average of the rate (smoothing 0.3), so it follows the current pace."""
    return _ArticleBar(total=total, unit="article", desc="ingesting", leave=False, dynamic_ncols=True,
                       bar_format=COUNT_FORMAT if total is None else BAR_FORMAT,
                       disable=None if shown is None else not shown)


def fingerprint(article: Article) -> str:
    """Identifies everything stored of an article: equal fingerprints need no write."""
    return content_hash(article.title, article.text, article.url or "", article.source or "",
                        article.published or "", article.path or "",
                        json.dumps(article.metadata, sort_keys=True, default=str))


def _groups(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    group: list[Any] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


class Ingest:
    """One run of :meth:`Store.add`, under the write lock: what was seen, what waits in the batch, what
    was handed to the executor and not yet committed, what was committed, and the report."""

    def __init__(self, catalog: Catalog, segments: Segments, embedder: Embedder,
                 split: Callable[[Article], list[Paragraph]], bar: tqdm, *, batch_paragraphs: int,
                 after_commit: Callable[[], None], executor: Executor | None = None) -> None:
        self.catalog, self.segments, self.embedder, self.split, self.bar = catalog, segments, embedder, split, bar
        self.batch_paragraphs, self.after_commit = batch_paragraphs, after_commit
        self.executor = executor or LocalExecutor()
        self.report = AddReport()
        self.seen: set[str] = set()  # ids met so far
        self.written: set[str] = set()  # ids committed by this run
        self.batch: dict[str, _Plan] = {}  # by id: a later version replaces an earlier one not yet handed over
        self.pending: set[str] = set()  # hashes of the batch's paragraphs
        self.handed: deque[_Handed] = deque()  # handed to the executor, oldest first, none committed yet
        self.embedding: set[str] = set()  # hashes the handed batches embed
        self.latest: dict[str, str] = {}  # id → fingerprint of the last version handed over by this run
        self.passed = 0  # paragraphs the executor has embedded so far, committed or not
        self.started = time.perf_counter()

    def run(self, articles: Iterable[Article]) -> AddReport:
        for group in _groups(articles, GROUP):
            latest = self._last_versions(group)
            stored = self.catalog.fingerprints(list(latest))
            for article in latest.values():
                self._take(article, stored)
        if self.batch:
            self._hand_over()
        while self.handed:
            self._commit()
        return self.report

    def _last_versions(self, group: list[Article]) -> dict[str, Article]:
        """The last version of each id in ``group``, counting the repeats."""
        latest: dict[str, Article] = {}
        for article in group:
            if article.key in latest or article.key in self.seen:
                self.report.duplicate_ids += 1
                self.bar.update(1)
            latest[article.key] = article
        return latest

    def _take(self, article: Article, stored: dict[str, str]) -> None:
        """Queue ``article`` unless the store will hold it as it is once what was handed over commits.

        The version to compare with is the last one this run handed over, else the stored one; a
        version equal to it drops a differing one waiting in the batch (the article came back to it).
        """
        printed = fingerprint(article)
        counted = article.key not in self.seen
        self.seen.add(article.key)
        if self.latest.get(article.key, stored.get(article.key)) == printed:
            earlier = self.batch.pop(article.key, None)
            if earlier is not None:
                self._recount(earlier)
            elif counted:
                self.report.unchanged += 1
                self.bar.update(1)
            return
        field = None
        if counted:
            field = "updated" if article.key in stored or self._replaced(article, set()) else "added"
            self.report.count(field)
        self._queue(_Plan(article, self.split(article), printed, field))

    def _queue(self, plan: _Plan) -> None:
        """Put ``plan`` in the batch in place of an earlier version, handing over a full batch."""
        earlier = self.batch.pop(plan.article.key, None)
        plan.counted = earlier.counted if earlier is not None else plan.counted
        self.batch[plan.article.key] = plan
        self.pending.update(p.hash for p in plan.paragraphs)
        if len(self.pending) >= self.batch_paragraphs:
            self._hand_over()

    def _recount(self, plan: _Plan) -> None:
        """An article that came back to its stored version is unchanged after all."""
        if plan.counted is not None:
            self.report.count(plan.counted, -1)
            self.report.unchanged += 1
            self.bar.update(1)

    def _replaced(self, article: Article, written: set[str]) -> list[str]:
        """Earlier versions of a one-article file (same path, other id) not written by this run."""
        if not (article.whole_file and article.path):
            return []
        return [i for i in self.catalog.others_at(article.path, article.key) if i not in written]

    def _hand_over(self) -> None:
        """Give the batch's new paragraphs (neither stored nor embedded by a batch before it) to the
        executor, then commit the oldest batches while more than ``executor.ahead`` wait."""
        plans = list(self.batch.values())
        hashes = list(dict.fromkeys(p.hash for plan in plans for p in plan.paragraphs))
        known = self.catalog.hash_ids(hashes)
        texts = {p.hash: p for plan in plans for p in plan.paragraphs}
        new = [texts[h] for h in hashes if h not in known and h not in self.embedding]
        share = _Share(self.bar, sum(plan.counted is not None for plan in plans), len(new))
        vectors = self.executor.submit(self.embedder, [p.text for p in new], partial(self._embedded, share))
        self.handed.append(_Handed(plans, hashes, new, vectors, share))
        self.embedding.update(p.hash for p in new)
        self.latest.update((plan.article.key, plan.fingerprint) for plan in plans)
        self.batch, self.pending = {}, set()
        while len(self.handed) > self.executor.ahead:
            self._commit()

    def _commit(self) -> None:
        """Write the oldest handed batch's vectors into a new segment file, then record everything in one
        transaction (the segment is removed again when that fails)."""
        batch, report = self.handed[0], self.report
        known = self.catalog.hash_ids(batch.hashes)
        new, vectors = self._with_lost(batch, known, batch.vectors.result())
        segment = int(self.catalog.meta("next_segment"))
        digest = self.segments.write(segment, vectors) if new else None
        try:
            self._record(batch.plans, new, known, segment, digest)
        except BaseException:
            if digest is not None and segment not in segment_table.recorded(self.catalog.db):
                self.segments.remove(segment)  # never committed, so no paragraph points into it
            raise
        self.handed.popleft()
        self.embedding.difference_update(p.hash for p in batch.new)
        report.paragraphs_embedded += len(new)
        report.paragraphs_reused += len(batch.hashes) - len(new)
        batch.share.settle()
        self.after_commit()

    def _embedded(self, share: _Share, done: int) -> None:
        """After each forward pass (or slice from a worker) of ``done`` paragraphs of ``share``'s batch."""
        share.move(done)
        self.passed += done
        rate = self.passed / max(time.perf_counter() - self.started, 1e-9)
        self.bar.set_postfix({"embedded": self.passed, "¶/s": f"{rate:.1f}"}, refresh=False)

    def _with_lost(self, batch: _Handed, known: dict[str, int], vectors: np.ndarray) -> tuple[list[Paragraph], np.ndarray]:
        """The paragraphs (and their vectors) this commit inserts: the batch's new ones not stored since,
        plus those it counted on that a batch committed since it was handed over dropped (their last
        article changed), embedded here. Only an executor that works ahead meets either case."""
        drawn = {p.hash for p in batch.new}
        lost = [h for h in batch.hashes if h not in known and h not in drawn]
        rows = [i for i, p in enumerate(batch.new) if p.hash not in known]
        if not lost and len(rows) == len(batch.new):
            return batch.new, vectors
        texts = {p.hash: p for plan in batch.plans for p in plan.paragraphs}
        new = [batch.new[i] for i in rows] + [texts[h] for h in lost]
        again = self.embedder.encode([texts[h].text for h in lost])
        return new, np.concatenate([vectors[rows], again]).astype(np.float32, copy=False)

    def _record(self, plans: list[_Plan], new: list[Paragraph], known: dict[str, int], segment: int,
                digest: str | None) -> None:
        """Record the batch's articles, its ``new`` paragraphs (row i of ``segment`` holds the vector of
        ``new[i]``) and the segment, in one transaction."""
        catalog = self.catalog
        with catalog.write():
            if digest is not None:
                segment_table.record(catalog.db, segment, len(new), digest)
            old: list[int] = []
            for plan in plans:
                old += catalog.unlink([plan.article.key, *self._replaced(plan.article, self.written)])
                self.written.add(plan.article.key)
            known.update(catalog.insert_paragraphs(new, segment))
            added = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for plan in plans:
                catalog.insert_article(plan.article, plan.paragraphs, known, plan.fingerprint, added)
            catalog.drop_orphans(old)
            catalog.advance(next_segment=segment + 1 if new else segment)
