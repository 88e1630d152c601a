"""A full disk: one line naming the file, no temporary files left, the last commit intact, reads go on,
and the rerun after space is freed completes."""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index import Article, Embedder, Store, StoreError, read_paths, search
from index.check import check, repair

from .conftest import SEEDS


def _news(n: int) -> list[Article]:
    return [Article(id=f"n{i}", title="", text=f"Storm number {i} closed the harbour and the fleet stayed in "
                                               f"port for the {i}th day running.") for i in range(n)]


def _leftovers(path: Path) -> list[str]:
    return sorted(str(f.relative_to(path)) for f in path.rglob("*.tmp"))


def _full_after(fraction: float):
    """A writer that fills part of the file, then finds the disk full (as a short write does)."""
    def write(handle, *args, **kwargs) -> None:
        handle.write(b"\x93NUMPY" + bytes(int(100 * fraction)))
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


@pytest.mark.parametrize("function, file", [("save", "segments/000002.npy"), ("savez", "index.2.terms.npz")])
def test_disk_full_is_one_message_and_loses_nothing(new_store, monkeypatch: pytest.MonkeyPatch, function: str,
                                                    file: str):
    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    with monkeypatch.context() as broken:
        broken.setattr(np, function, _full_after(0.5))
        with pytest.raises(StoreError) as failed:
            store.add(_news(40))
    assert str(failed.value) == (f"disk full writing {store.path / file}: free space and rerun; the store "
                                 "holds the last commit")
    assert _leftovers(store.path) == []
    assert store.article_count() in (1, 41)  # before the commit, or committed with the index build failing
    assert search(store, "harbour storm", k=1)
    report = store.add(_news(40))  # space is back
    assert store.article_count() == 41 and report.added + report.unchanged == 40
    assert check(store).ok


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, where the machine lets the test mount one."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                                                        str(folder)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs is not permitted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path, keep: int = 0) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while shutil.disk_usage(folder).free > keep:
                handle.write(bytes(min(65536, max(4096, shutil.disk_usage(folder).free - keep))))
                handle.flush()
        except OSError:
            pass
    return filler


@pytest.mark.parametrize("keep", [0, 48 * 1024])  # nothing left; room for the segment, not for SQLite
def test_a_really_full_disk(small_disk: Path, embedder: Embedder, keep: int):
    path = small_disk / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles)
    filler = _fill(small_disk, keep)
    with Store.open(path, model=embedder) as store:
        with pytest.raises(StoreError, match=r"^disk full writing .*: free space and rerun; the store holds"):
            store.add(_news(1))
        assert _leftovers(path) == [] and not (path / "segments" / "000002.npy").exists()
    with Store.open(path, model=embedder) as reader:  # a new reader on the full disk
        assert reader.article_count() == 1 and search(reader, "Taliban", k=1)
        assert check(reader).ok
    assert repair(path, model=embedder) == []  # a sound store on a full disk is not "damaged beyond repair"
    filler.unlink()
    with Store.open(path, model=embedder) as store:
        store.add(_news(1))
        assert store.article_count() == 2 and check(store).ok


def test_a_read_only_store_serves_reads(small_disk: Path, embedder: Embedder):
    path = small_disk / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles)
    if subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True).returncode:
        pytest.skip("remounting the tmpfs read-only is not permitted here")
    with Store.open(path, model=embedder) as reader:
        assert reader.article_count() == 1 and search(reader, "Taliban", k=1)
        assert check(reader).ok
        with pytest.raises(StoreError, match="(?i)read-only") as failed:
            reader.add(_news(1))
        assert "\n" not in str(failed.value)
