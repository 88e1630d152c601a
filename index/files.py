"""Crash-safe file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .damage import writing


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a temporary file, sync it, then rename it into place; on any failure the
    temporary file is removed (a full disk is reported as :class:`~index.damage.DiskFull`)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with writing(path):
            write(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_output(path: Path, content: str | Callable[[BinaryIO], None]) -> bool:
    """Write ``content`` (text, or a function that writes bytes into a handle, for output written as it
    is made) to where a person asked for output: a regular file (or a link to one) crash-safely
    through :func:`atomic_write`, anything else (a device, a FIFO, a link to a descriptor such as
    ``/dev/stdout``) by writing into it, since renaming a file over it would replace the device itself.
    Returns whether the target is a regular file."""
    write = content if callable(content) else lambda handle: handle.write(content.encode("utf-8"))
    target = path.resolve() if path.is_symlink() and path.resolve().is_file() else path
    if target.exists() and not target.is_file():
        if target.is_dir():
            raise IsADirectoryError(21, "is a folder, not a file", str(path))
        with open(target, "wb") as handle:
            write(handle)
        return False

    def fill(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            write(handle)
    atomic_write(target, fill)
    return True


def sync_folder(path: Path) -> None:
    """Make renames in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_npy(path: Path, array: np.ndarray) -> None:
    def write(target: Path) -> None:
        with open(target, "wb") as handle:
            np.save(handle, array)
    atomic_write(path, write)


def save_json(path: Path, document: Any) -> None:
    atomic_write(path, lambda target: target.write_text(
        json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"))
