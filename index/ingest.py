"""Ingest: articles → plans (what changed) → split paragraphs → new vectors in a segment → one commit.

Work goes in batches of about ``batch_paragraphs`` new paragraphs, so memory stays flat however many
articles come, and an interrupted run keeps what it committed. Unchanged articles cost one lookup;
known paragraph texts are never embedded again. An id that comes twice keeps its later version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tqdm import tqdm

from . import segments as segment_table
from .articles import Article, content_hash
from .catalog import Catalog
from .embed import Embedder
from .paragraphs import Paragraph
from .segments import Segments

GROUP = 256  # articles planned per lookup of their stored fingerprints


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
    restores: bool = False  # a repeat back to the stored version: drop the pending one, write nothing


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
    was committed, and the report."""

    def __init__(self, catalog: Catalog, segments: Segments, embedder: Embedder,
                 split: Callable[[Article], list[Paragraph]], bar: tqdm, *, batch_paragraphs: int,
                 after_commit: Callable[[], None]) -> None:
        self.catalog, self.segments, self.embedder, self.split, self.bar = catalog, segments, embedder, split, bar
        self.batch_paragraphs, self.after_commit = batch_paragraphs, after_commit
        self.report = AddReport()
        self.seen: set[str] = set()  # ids met so far
        self.written: set[str] = set()  # ids committed by this run
        self.batch: dict[str, _Plan] = {}  # by id: a later version replaces an earlier one not yet committed
        self.pending: set[str] = set()  # hashes of the batch's paragraphs

    def run(self, articles: Iterable[Article]) -> AddReport:
        for group in _groups(articles, GROUP):
            for plan in self._plan(group):
                self._queue(plan)
        if self.batch:
            self._commit()
        return self.report

    def _queue(self, plan: _Plan) -> None:
        """Put ``plan`` in the batch in place of an earlier version, committing a full batch."""
        earlier = self.batch.pop(plan.article.key, None)
        plan.counted = earlier.counted if earlier is not None else plan.counted
        if plan.restores:
            self._recount(plan)
            return
        self.batch[plan.article.key] = plan
        self.pending.update(p.hash for p in plan.paragraphs)
        if len(self.pending) >= self.batch_paragraphs:
            self._commit()

    def _plan(self, group: list[Article]) -> list[_Plan]:
        """What to write for ``group``: the last version of each id, if it differs from the stored one
        (or from a version in the pending batch, which it must then replace)."""
        report, seen = self.report, self.seen
        latest: dict[str, Article] = {}
        for article in group:
            if article.key in latest or article.key in seen:
                report.duplicate_ids += 1
                self.bar.update(1)
            latest[article.key] = article
        stored = self.catalog.fingerprints(list(latest))
        plans = []
        for article in latest.values():
            printed = fingerprint(article)
            counted = article.key not in seen
            seen.add(article.key)
            if stored.get(article.key) == printed:
                if article.key in self.batch:
                    plans.append(_Plan(article, [], printed, None, restores=True))
                    continue
                report.unchanged += counted
                self.bar.update(counted)
                continue
            field = None
            if counted:
                field = "updated" if article.key in stored or self._replaced(article, set()) else "added"
                report.count(field)
            plans.append(_Plan(article, self.split(article), printed, field))
        return plans

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

    def _commit(self) -> None:
        """Embed the batch's new paragraphs into a new segment file, then record everything in one
        transaction (the segment is removed again when that fails)."""
        batch, report = list(self.batch.values()), self.report
        ordered = list(dict.fromkeys(p.hash for plan in batch for p in plan.paragraphs))
        known = self.catalog.hash_ids(ordered)
        texts = {p.hash: p for plan in batch for p in plan.paragraphs}
        missing = [h for h in ordered if h not in known]
        vectors = self.embedder.encode([texts[h].text for h in missing])
        segment = int(self.catalog.meta("next_segment"))
        digest = self.segments.write(segment, vectors) if missing else None
        try:
            self._record(batch, [texts[h] for h in missing], known, segment, digest)
        except BaseException:
            if digest is not None and segment not in segment_table.recorded(self.catalog.db):
                self.segments.remove(segment)  # never committed, so no paragraph points into it
            raise
        self.batch, self.pending = {}, set()
        report.paragraphs_embedded += len(missing)
        report.paragraphs_reused += len(ordered) - len(missing)
        self.bar.update(sum(plan.counted is not None for plan in batch))
        self.bar.set_postfix(embedded=report.paragraphs_embedded, refresh=False)
        self.after_commit()

    def _record(self, batch: list[_Plan], new: list[Paragraph], known: dict[str, int], segment: int,
                digest: str | None) -> None:
        """Record the batch's articles, the ``new`` paragraphs (row i of ``segment`` holds the vector of
        ``new[i]``) and the segment, in one transaction."""
        catalog = self.catalog
        with catalog.write():
            if digest is not None:
                segment_table.record(catalog.db, segment, len(new), digest)
            old: list[int] = []
            for plan in batch:
                old += catalog.unlink([plan.article.key, *self._replaced(plan.article, self.written)])
                self.written.add(plan.article.key)
            known.update(catalog.insert_paragraphs(new, segment))
            added = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for plan in batch:
                catalog.insert_article(plan.article, plan.paragraphs, known, plan.fingerprint, added)
            catalog.drop_orphans(old)
            catalog.advance(next_segment=segment + 1 if new else segment)
