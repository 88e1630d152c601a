"""Crash-safe file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .damage import DamagedFile, reading, writing
from .errors import Fix

CHECKSUM_KEY = "sha256"  # the key of a checked JSON document that holds the SHA-256 of the rest


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


def remove_path(path: Path) -> None:
    """Remove a store's file, or a folder that took its place (with what is in it)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def clear_non_file(path: Path) -> str | None:
    """Remove what stands where a store's own file belongs but is not a regular file (a folder, a
    FIFO, a link to anything else), so it can be written again; what was removed, as a phrase."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        kind = "link" if path.is_symlink() else "folder" if path.is_dir() else "special file"
        remove_path(path)
        return f"the {kind} {path}"
    return None


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


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def save_checked_json(path: Path, document: dict[str, Any]) -> None:
    """Save a JSON object with the SHA-256 of its content inside it, so flipped bytes that still parse
    are told from what was written (:func:`load_checked_json`)."""
    body = {k: v for k, v in document.items() if k != CHECKSUM_KEY}
    save_json(path, {**body, CHECKSUM_KEY: hashlib.sha256(_canonical(body)).hexdigest()})


def load_checked_json(path: Path, *, required: bool = True, store: Path | None = None) -> dict[str, Any]:
    """A JSON object saved by :func:`save_checked_json`; any damage (missing, a folder, bytes that are
    not UTF-8 or JSON, a checksum that does not match) raises :class:`~index.damage.DamagedFile`. An
    object without a checksum (written by an older version) is returned as it is unless ``required``."""
    with reading(path, store):
        document = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
    recorded = document.pop(CHECKSUM_KEY, None)
    if recorded is None and not required:
        return document
    if recorded != hashlib.sha256(_canonical(document)).hexdigest():
        raise DamagedFile(path, "its content does not match its checksum" if recorded else "no checksum",
                          None if store is None else Fix("repair", {"store": str(store)}))
    return document
