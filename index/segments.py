"""Paragraph vectors on disk: append-only, memory-mapped ``.npy`` segment files.

Each commit that embeds new paragraphs writes one new file ``segments/<n>.npy`` (float32 unit vectors)
and never touches older ones, so a write costs what it adds, not what the store holds. SQLite records
each paragraph's segment and row. Rows of deleted paragraphs stay in their file until ``reindex``
compacts the segments. Files are memory-mapped: reading a store does not load its vectors into memory.

The ``segments`` table records each file's shape and the SHA-256 of its vectors, written in the
transaction that commits the segment, so ``topics check`` can tell a silently corrupted file.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .arrays import unique_sorted
from .damage import SEGMENT_FOLDER, DamagedFile, reading
from .files import remove_path, save_npy

FOLDER = SEGMENT_FOLDER
SCHEMA = "CREATE TABLE segments (number INTEGER PRIMARY KEY, rows INTEGER NOT NULL, sha256 TEXT NOT NULL)"
_HASH_ROWS = 16384  # rows hashed per step, so checking a segment holds little of it in memory


def checksum(vectors: np.ndarray) -> str:
    """SHA-256 of the vectors' float32 bytes, row by row."""
    digest = hashlib.sha256()
    for start in range(0, len(vectors), _HASH_ROWS):
        digest.update(np.ascontiguousarray(vectors[start:start + _HASH_ROWS], dtype=np.float32).tobytes())
    return digest.hexdigest()


def record(db: sqlite3.Connection, number: int, rows: int, digest: str) -> None:
    """Record segment ``number`` of ``rows`` vectors (inside the caller's transaction)."""
    db.execute("INSERT OR REPLACE INTO segments VALUES (?, ?, ?)", (number, rows, digest))


def forget(db: sqlite3.Connection, numbers: Sequence[int]) -> None:
    """Drop the records of the given segments (inside the caller's transaction)."""
    db.executemany("DELETE FROM segments WHERE number = ?", [(n,) for n in numbers])


def recorded(db: sqlite3.Connection) -> dict[int, tuple[int, str]]:
    """Segment number → (rows, SHA-256) as recorded when each was written."""
    return {n: (rows, digest) for n, rows, digest in db.execute("SELECT number, rows, sha256 FROM segments")}


class Segments:
    """The segment files of one store, opened lazily and shared between threads."""

    def __init__(self, root: Path) -> None:
        self.folder = root / FOLDER
        self._open: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def path(self, number: int) -> Path:
        return self.folder / f"{number:06d}.npy"

    def write(self, number: int, vectors: np.ndarray) -> str:
        """Write segment ``number`` durably under its final name (atomic: whole or absent); return the
        checksum to :func:`record`."""
        self.folder.mkdir(exist_ok=True)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        save_npy(self.path(number), vectors)
        return checksum(vectors)

    def numbers(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(f.stem) for f in self.folder.glob("*.npy") if f.stem.isdigit())

    def remove(self, number: int) -> None:
        with self._lock:
            self._open.pop(number, None)
        remove_path(self.path(number))

    def array(self, number: int) -> np.ndarray:
        with self._lock:
            if number not in self._open:
                self._open[number] = self.load(number)
            return self._open[number]

    def load(self, number: int) -> np.ndarray:
        """Map segment ``number`` afresh; a missing or damaged file raises
        :class:`~index.damage.DamagedFile`."""
        path = self.path(number)
        with reading(path):
            vectors = np.load(path, mmap_mode="r", allow_pickle=False)
            if vectors.ndim != 2 or vectors.dtype != np.float32:
                raise ValueError(f"holds {vectors.dtype} of shape {vectors.shape}")
            return vectors.view(np.ndarray)  # still mapped; a plain array's indexing skips memmap's bookkeeping

    def gather(self, segment: np.ndarray, row: np.ndarray, keep: bool = True) -> np.ndarray:
        """Vectors at (``segment[i]``, ``row[i]``), in that order, as one float32 array.

        ``keep=False`` maps the files only for this call, for passes over many vectors (building an
        index): pages of a kept mapping stay in the process's resident memory once read.
        """
        out = np.empty((len(segment), self._dim(segment)), np.float32)
        if not len(segment):
            return out
        order = np.argsort(segment, kind="stable")  # each segment's rows together, one pass to find them
        numbers, rows = segment[order], row[order]
        starts = np.flatnonzero(np.diff(numbers, prepend=-1))
        highest = np.maximum.reduceat(rows, starts)  # the bounds check, one scalar a segment
        ends = [*starts[1:].tolist(), len(order)]
        for start, end, top, number in zip(starts.tolist(), ends, highest.tolist(), numbers[starts].tolist()):
            source = self.array(number) if keep else self.load(number)
            if top >= len(source) or source.shape[1] != out.shape[1]:
                raise DamagedFile(self.path(number), f"holds {source.shape[0]} vectors of {source.shape[1]} "
                                  f"values; the store needs {top + 1} of {out.shape[1]}")
            if end - start == 1:  # most segments give one row to a search's few hundred: no fancy index
                out[order[start]] = source[rows[start]]
            else:
                out[order[start:end]] = source[rows[start:end]]
        return out

    def _dim(self, segment: np.ndarray) -> int:
        return self.array(int(segment[0])).shape[1] if len(segment) else 0
