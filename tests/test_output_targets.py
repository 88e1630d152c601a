"""Writing a report where a person points -o: a regular file is replaced crash-safely, but a device, a
FIFO or a link to one is written into and never replaced by a regular file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from index import read_paths, write_output
from topics.cli import main
from topics.fit import fit_topics

from .conftest import SEEDS


def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    assert write_output(fifo, "through the pipe") is False
    reader.join(timeout=10)
    assert got == ["through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_character_device_is_written_into_and_stays_a_device(tmp_path: Path):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the null device
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    link = tmp_path / "to-null"
    link.symlink_to(device)
    assert write_output(device, "gone") is False and write_output(link, "gone") is False
    assert stat.S_ISCHR(os.stat(device).st_mode) and link.is_symlink()


def test_a_link_to_a_regular_file_replaces_the_file_not_the_link(tmp_path: Path):
    target, link = tmp_path / "report.md", tmp_path / "latest.md"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target)
    assert write_output(link, "new") is True
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"
    with pytest.raises(IsADirectoryError):
        write_output(tmp_path, "a folder is no file")


def test_report_to_dash_and_to_a_fifo(new_store, tmp_path: Path, capsys: pytest.CaptureFixture):
    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    fit_topics(store)
    assert main(["report", "--format", "md", "-o", "-", "--store", str(store.path)]) == 0
    assert capsys.readouterr().out.startswith("# ")
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    assert main(["report", "--format", "md", "-o", str(fifo), "--store", str(store.path)]) == 0
    reader.join(timeout=30)
    captured = capsys.readouterr()
    assert got and got[0].startswith("# ") and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert captured.out == "" and "wrote md report" in captured.err
