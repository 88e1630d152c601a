"""Damaged files and full disks, told apart from every other failure and reported in one line.

A store file that is missing, truncated or garbled raises :class:`DamagedFile`, naming the file and the
way back (repairing the store); a write that runs out of space raises :class:`DiskFull`, after which the
store still holds its last commit. Both are :class:`~index.errors.StoreError`, so callers that report
library errors need nothing more.
"""

from __future__ import annotations

import errno
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import Fix, StoreError

SEGMENT_FOLDER = "segments"


def store_root(path: Path) -> Path:
    """The store folder a store file lies in."""
    return path.parent.parent if path.parent.name == SEGMENT_FOLDER else path.parent


class DamagedFile(StoreError):
    """A store file that cannot be read as what it should be."""

    def __init__(self, path: Path, reason: str, fix: Fix | None = None) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path} is damaged ({reason})", fix or Fix("repair", {"store": str(store_root(path))}))


class DiskFull(StoreError):
    """A write ran out of space; nothing committed was lost."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"disk full writing {path}: free space and rerun; the store holds the last commit")


def _reason(exc: BaseException, path: Path) -> str:
    if isinstance(exc, FileNotFoundError) or not (path.exists() or path.is_symlink()):
        return "missing"
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return "a folder, not a file"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return "not valid JSON"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)) or "mmap length" in str(exc):
        return "truncated"
    return "truncated or corrupt"


@contextmanager
def reading(path: Path, store: Path | None = None) -> Iterator[None]:
    """Report any failure to read or parse ``path`` inside the block as :class:`DamagedFile`; ``store``
    is the store it belongs to when that is not :func:`store_root`'s guess."""
    try:
        yield
    except StoreError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, IndexError, EOFError,
            zipfile.BadZipFile) as exc:
        fix = None if store is None else Fix("repair", {"store": str(store)})
        raise DamagedFile(path, _reason(exc, path), fix) from None


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether ``exc`` (or an error it was raised from) means the disk is full. NumPy reports a short
    write without an errno ("N requested and M written"), so that counts when the disk has no room."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(seen, sqlite3.OperationalError) and getattr(seen, "sqlite_errorcode", None) == \
                sqlite3.SQLITE_FULL:
            return True
        if "No space left on device" in str(seen) or "disk is full" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return isinstance(exc, (OSError, sqlite3.OperationalError)) and not getattr(exc, "errno", None) and \
        is_out_of_space(folder)


def is_out_of_space(folder: Path) -> bool:
    """Whether the file system of ``folder`` has (next to) no room left."""
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Report running out of space while writing ``path`` as :class:`DiskFull`."""
    try:
        yield
    except StoreError:
        raise
    except (OSError, RuntimeError, sqlite3.OperationalError) as exc:
        if is_disk_full(exc, path.parent):
            raise DiskFull(path) from None
        raise


def database_error(exc: sqlite3.DatabaseError, db_path: Path) -> StoreError:
    """The store error for a failure of the store's database: a full disk, a lock held too long, or
    damage, which ``topics check`` describes (``topics repair`` mends damage to its derived tables)."""
    if is_disk_full(exc, db_path.parent):
        return DiskFull(db_path)
    message = str(exc)
    if "readonly" in message or "read-only" in message:
        return StoreError(f"{db_path.parent} is read-only here ({message}); reading works, writing needs write "
                          "access to the folder and its files")
    if "locked" in message or "busy" in message:
        return StoreError(f"{db_path} is locked by another process ({message}); wait for it and rerun")
    return DamagedFile(db_path, message, Fix("check", {"store": str(db_path.parent)}))


@contextmanager
def database(db_path: Path) -> Iterator[None]:
    """Report failures of the database at ``db_path`` inside the block as store errors."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise database_error(exc, db_path) from None
