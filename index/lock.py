"""The store's write lock: one process writes at a time, others wait their turn."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .catalog import DB_NAME
from .damage import database, writing
from .errors import StoreError

LOCK_NAME = "write.lock"
log = logging.getLogger(__name__)


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the write lock of the store at ``path``, waiting (with a note on stderr) while another
    process has it; failures of the database or a full disk within are reported as store errors."""
    lock = path / LOCK_NAME
    try:
        handle = open(lock, "a+")
    except IsADirectoryError:
        raise StoreError(f"{lock} is a folder, not the store's lock file; remove it (rmdir {lock}) and "
                         "rerun") from None
    except OSError as exc:
        raise StoreError(f"cannot write to the store at {path} ({exc.strerror}); writes need a writable "
                         "folder") from None
    with handle, database(path / DB_NAME), writing(path / DB_NAME):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another process writing to %s", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
