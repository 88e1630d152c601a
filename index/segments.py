"""Paragraph vectors on disk: append-only, memory-mapped ``.npy`` segment files.

Each commit that embeds new paragraphs writes one new file ``segments/<n>.npy`` (float32 unit vectors)
and never touches older ones, so a write costs what it adds, not what the store holds. SQLite records
each paragraph's segment and row. Rows of deleted paragraphs stay in their file until ``reindex``
compacts the segments. Files are memory-mapped: reading a store does not load its vectors into memory.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .files import save_npy

FOLDER = "segments"


class Segments:
    """The segment files of one store, opened lazily and shared between threads."""

    def __init__(self, root: Path) -> None:
        self.folder = root / FOLDER
        self._open: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def path(self, number: int) -> Path:
        return self.folder / f"{number:06d}.npy"

    def write(self, number: int, vectors: np.ndarray) -> None:
        """Write segment ``number`` durably under its final name (atomic: whole or absent)."""
        self.folder.mkdir(exist_ok=True)
        save_npy(self.path(number), np.ascontiguousarray(vectors, dtype=np.float32))

    def numbers(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(f.stem) for f in self.folder.glob("*.npy") if f.stem.isdigit())

    def remove(self, number: int) -> None:
        with self._lock:
            self._open.pop(number, None)
        self.path(number).unlink(missing_ok=True)

    def array(self, number: int) -> np.ndarray:
        with self._lock:
            if number not in self._open:
                self._open[number] = np.load(self.path(number), mmap_mode="r")
            return self._open[number]

    def gather(self, segment: np.ndarray, row: np.ndarray, keep: bool = True) -> np.ndarray:
        """Vectors at (``segment[i]``, ``row[i]``), in that order, as one float32 array.

        ``keep=False`` maps the files only for this call, for passes over many vectors (building an
        index): pages of a kept mapping stay in the process's resident memory once read.
        """
        out = np.empty((len(segment), self._dim(segment)), np.float32)
        for number in np.unique(segment):
            where = np.flatnonzero(segment == number)
            source = self.array(int(number)) if keep else np.load(self.path(int(number)), mmap_mode="r")
            out[where] = source[row[where]]
        return out

    def _dim(self, segment: np.ndarray) -> int:
        return self.array(int(segment[0])).shape[1] if len(segment) else 0
