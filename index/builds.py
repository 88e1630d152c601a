"""Index builds: the saved FAISS index, its ids and BM25 postings, and the snapshot caught up from them.

A build is ``index.<b>.faiss`` with ``index.<b>.ids.npy`` (the ids it holds), ``index.<b>.json`` (kind,
nprobe, measured recall) and ``index.<b>.terms.npz`` (BM25 postings of those paragraphs). Readers load
the latest build and catch it up with the paragraphs added or removed since (the difference of two id
lists); writers save a new build once that difference exceeds :data:`REBUILD_SHARE` of the store, so
catching up stays cheap. Compaction rewrites the segments without the rows of deleted paragraphs.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .arrays import unique_sorted
from . import segments as segment_table
from .bm25 import Postings
from .catalog import Catalog
from .damage import DamagedFile, reading
from .errors import Fix, QueryError, StoreError
from .files import atomic_write, file_sha256, remove_path, save_checked_json, save_npy, sync_folder
from .segments import Segments
from .snapshot import Snapshot
from .vectors import FLAT_LIMIT, VectorIndex

INDEX_CHOICES = ("auto", "flat", "ivf")
REBUILD_SHARE = 0.1  # save a new index build once this share of the store changed since the last
SEGMENT_ROWS = 65536  # rows per segment written by compaction and repair
FILES_KEY = "files"  # index.<b>.json's record of the SHA-256 of each file of the build


def columns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paragraph ids, segments and rows of :meth:`Catalog.vector_rows` as separate contiguous arrays."""
    return tuple(np.ascontiguousarray(rows[name]) for name in ("id", "segment", "row"))  # type: ignore[return-value]


class BuildCache:
    """What the threads of one store share: the loaded snapshot and the postings of the current build,
    each replaced whole."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.postings: tuple[int, Postings] | None = None  # (index build, its saved postings)
        self.lock = threading.Lock()


class Builds:
    """The index builds of the store at ``path``, read through ``catalog``."""

    def __init__(self, path: Path, catalog: Catalog, segments: Segments, cache: BuildCache) -> None:
        self.path, self.catalog, self.segments, self.cache = path, catalog, segments, cache

    def file(self, build: int, kind: str) -> Path:
        return self.path / f"index.{build}.{kind}"

    def ids(self, build: int) -> np.ndarray:
        """The paragraph ids saved with index build ``build``."""
        path = self.file(build, "ids.npy")
        with reading(path):
            ids = np.load(path, allow_pickle=False)
            if ids.ndim != 1 or ids.dtype != np.int64:
                raise ValueError(f"holds {ids.dtype} of shape {ids.shape}")
            return ids

    # -- reading -------------------------------------------------------------------------------
    def committed(self, cached: Snapshot | None = None) -> tuple[int, int, np.ndarray | None]:
        """Generation, index build and (id, segment, row) of every paragraph, read in one transaction;
        the rows are ``None`` when ``cached`` is already of that generation."""
        with self.catalog.transaction():
            generation, build = int(self.catalog.meta("generation")), int(self.catalog.meta("index_build"))
            if cached is not None and cached.generation == generation:
                return generation, build, None
            return generation, build, self.catalog.vector_rows()

    def snapshot(self) -> Snapshot:
        """The last committed generation, reloaded only when a writer has committed a newer one.

        A file that fails to load is damaged unless a writer committed meanwhile (and replaced the
        build or compacted the segments): then the newer state is read instead.
        """
        for _attempt in range(5):
            own = not self.catalog.db.in_transaction
            cached = self.cache.snapshot
            generation, build, rows = self.committed(cached)
            if rows is None:
                return cached
            try:
                return self.keep(self.catch_up(generation, build, rows, cached))
            except DamagedFile:
                if not own or self.committed(self.cache.snapshot)[:2] == (generation, build):
                    raise
        raise StoreError(f"{self.path} changed while it was being read (generation {generation} is gone); "
                         "run the command again")

    def catch_up(self, generation: int, build: int, rows: np.ndarray, cached: Snapshot | None) -> Snapshot:
        """The snapshot of ``rows``: the nearest known index (the shared one, else the saved build) with
        the paragraphs removed and added since."""
        ids, segment, row = columns(rows)
        for number in unique_sorted(segment):
            self.segments.array(int(number))  # open now, so a later compaction cannot pull it away
        if cached is not None and cached.build == build:
            index, indexed = cached.index.copy(), cached.ids
        elif build:
            index = VectorIndex.load(self.file(build, "faiss"))
            indexed = self.ids(build)
        else:
            index, indexed = VectorIndex(int(self.catalog.meta("dim"))), np.zeros(0, np.int64)
        index.remove(np.setdiff1d(indexed, ids, assume_unique=True))
        added = np.flatnonzero(~np.isin(ids, indexed, assume_unique=True))
        for start in range(0, len(added), 65536):
            chunk = added[start:start + 65536]
            index.add(ids[chunk], self.segments.gather(segment[chunk], row[chunk]))
        if len(index) != len(ids):
            raise StoreError(f"{self.path}: generation {generation} is inconsistent ({len(ids)} paragraphs, "
                             f"{len(index)} indexed)", Fix("repair", {"store": str(self.path)}))
        return Snapshot(generation, build, ids, segment, row, index, self.segments)

    def keep(self, snapshot: Snapshot) -> Snapshot:
        """Share ``snapshot`` unless a newer generation is already shared."""
        with self.cache.lock:
            current = self.cache.snapshot
            if current is None or current.generation <= snapshot.generation:
                self.cache.snapshot = snapshot
            return snapshot

    def postings(self, build: int) -> list[Postings]:
        """Postings of every paragraph: those saved with index build ``build`` (``0``: none), then those
        of the paragraphs added since, read from SQLite (new paragraphs always get higher ids)."""
        parts = [self._saved_postings(build)] if build else []
        after = int(parts[0].ids[-1]) if parts and len(parts[0].ids) else 0
        parts.append(Postings.from_stored(self.catalog.stored_terms(after)))
        return parts

    def _saved_postings(self, build: int) -> Postings:
        """The postings saved with index build ``build``, or none (a store upgraded from format 2 has
        builds without them: everything is then read from SQLite)."""
        cached = self.cache.postings
        if cached is not None and cached[0] == build:
            return cached[1]
        file = self.file(build, "terms.npz")
        present = file.exists() or file.is_symlink()  # a folder in its place is damage, not absence
        postings = Postings.load(file) if present else Postings.from_stored([])
        self.cache.postings = (build, postings)
        return postings

    # -- writing (under the write lock) --------------------------------------------------------
    def save_if_stale(self) -> None:
        """Save the caught-up index as a new build when it differs from the saved one by more than
        ``REBUILD_SHARE`` of the store (or none is saved), so readers' catching up stays cheap; build
        a new kind of index when the store has grown past, or shrunk well below, the Flat limit."""
        generation, build, rows = self.committed()
        ids = rows["id"]
        indexed = self.ids(build) if build else np.zeros(0, np.int64)
        changed = len(np.setdiff1d(indexed, ids, assume_unique=True)) + len(
            np.setdiff1d(ids, indexed, assume_unique=True))
        if changed <= REBUILD_SHARE * len(ids) and build:
            return
        limit = self.flat_limit()
        if build:
            exact = self.catalog.meta("index_kind") == "Flat"
            if not ((exact and len(ids) > limit) or (not exact and len(ids) < limit // 2)):
                self.save(self.keep(self.catch_up(generation, build, rows, self.cache.snapshot)), rebuild=False)
                return
        self._rebuild(generation, build, rows)

    def rebuild(self) -> Snapshot:
        """A new index build made from the segments and the database alone, never from the old build."""
        generation, _, rows = self.committed()
        return self._rebuild(generation, 0, rows)

    def _rebuild(self, generation: int, build: int, rows: np.ndarray) -> Snapshot:
        """A new build trained on the segments' vectors; postings are taken from ``build`` (0: SQLite).

        A new index is built straight from the segments: catching up the old one first would hold a
        second copy of the vectors in memory."""
        empty = VectorIndex(int(self.catalog.meta("dim")))
        return self.save(Snapshot(generation, build, *columns(rows), empty, self.segments), rebuild=True)

    def flat_limit(self) -> int:
        choice = self.catalog.db.execute("SELECT value FROM meta WHERE key = 'index_choice'").fetchone()
        return {"flat": sys.maxsize, "ivf": 0}.get(choice[0] if choice else "auto", FLAT_LIMIT)

    @staticmethod
    def check_kind(kind: str) -> None:
        """Refuse an index kind other than :data:`INDEX_CHOICES`."""
        if kind not in INDEX_CHOICES:
            raise QueryError(f"unknown index kind '{kind}'; use one of: {', '.join(INDEX_CHOICES)}")

    def reindex(self, kind: str, compact: bool) -> Snapshot:
        """Record the index ``kind`` chosen, (``compact``) rewrite the segments without the rows of
        deleted paragraphs, and save a newly trained build."""
        self.catalog.set_meta(index_choice=kind)
        if compact:
            self.compact()
        return self.save(self.snapshot(), rebuild=True)

    def compact(self) -> None:
        """Copy the live vectors into fresh segments and point the paragraphs at them."""
        snapshot = self.snapshot()
        first = int(self.catalog.meta("next_segment"))
        recorded = segment_table.recorded(self.catalog.db)
        old = sorted(n for n in {*self.segments.numbers(), *recorded} if n < first)
        for number in sorted(set(snapshot.segment.tolist()) & recorded.keys()):  # never copy corrupt vectors
            vectors = self.segments.load(number)
            if recorded[number] != (len(vectors), segment_table.checksum(vectors)):
                raise DamagedFile(self.segments.path(number), "its vectors do not match the checksum recorded "
                                  "when it was written")
        self.relocate(snapshot.chunks(SEGMENT_ROWS), old)

    def relocate(self, parts: Iterable[tuple[Sequence[int], np.ndarray]], old: Sequence[int]) -> int:
        """Write ``parts`` (paragraph ids and their vectors) into new segments, point those paragraphs at
        them and forget the ``old`` segments, in one transaction; the old files go after the commit.
        Returns the number of paragraphs moved."""
        number = int(self.catalog.meta("next_segment"))
        moves: list[tuple[int, int, int]] = []
        written: list[tuple[int, int, str]] = []
        for ids, vectors in parts:
            written.append((number, len(vectors), self.segments.write(number, vectors)))
            moves += [(number, row, int(pid)) for row, pid in enumerate(ids)]
            number += 1
        with self.catalog.write():
            segment_table.forget(self.catalog.db, old)
            for entry in written:
                segment_table.record(self.catalog.db, *entry)
            self.catalog.move_vectors(moves)
            self.catalog.advance(next_segment=number)
        for number in old:
            self.segments.remove(number)
        return len(moves)

    def save(self, snapshot: Snapshot, *, rebuild: bool) -> Snapshot:
        """Write ``snapshot``'s index (or, with ``rebuild``, a newly chosen and trained one) as the next
        build, and record it."""
        build = int(self.catalog.meta("index_build")) + 1
        index = snapshot.index
        if rebuild:
            index = VectorIndex.build(snapshot.ids, lambda rows: snapshot.at(rows, keep=False), snapshot.index.dim,
                                      flat_limit=self.flat_limit())
        atomic_write(self.file(build, "faiss"), index.save)
        save_npy(self.file(build, "ids.npy"), snapshot.ids)
        Postings.merged(snapshot.ids, self.postings(snapshot.build)).save(self.file(build, "terms.npz"))
        files = [self.file(build, kind) for kind in ("faiss", "ids.npy", "terms.npz")]
        sums = {f.name: file_sha256(f) for f in files}
        save_checked_json(self.file(build, "json"), {**index.info(), FILES_KEY: sums})
        sync_folder(self.path)
        with self.catalog.write():
            self.catalog.set_meta(index_build=str(build), index_kind=index.kind)
        fresh = self.keep(dataclasses.replace(snapshot, build=build, index=index))
        self.remove_stale_files()
        return fresh

    def remove_stale_files(self) -> None:
        """Keep the current and previous index build (readers may still be loading it) and the committed
        segments; drop the rest, including files of an unfinished write and format 1's vector files."""
        build, next_segment = int(self.catalog.meta("index_build")), int(self.catalog.meta("next_segment"))
        for file in self.path.iterdir():
            parts = file.name.split(".")
            stale_build = parts[0] == "index" and len(parts) >= 3 and parts[1].isdigit() and \
                (int(parts[1]) not in (build, build - 1) or file.name.endswith(".tmp"))
            if stale_build or (parts[0] == "vectors" and parts[-1] == "npy"):
                remove_path(file)
        for number in self.segments.numbers():
            if number >= next_segment:
                self.segments.remove(number)
        for leftover in self.segments.folder.glob("*.tmp"):
            remove_path(leftover)
