"""Damaged store files: every kind gives one line naming the file and the way back, ``check`` finds it
and ``repair`` mends what can be rebuilt, so the store answers as before."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from index import Article, Embedder, Store, StoreError, search
from index.check import check, repair
from topics.cli import main

from .conftest import seeded

QUERY = "Russia may remove the Taliban from its list of terrorist organisations"


@pytest.fixture(scope="module")
def sound_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = seeded(tmp_path_factory.mktemp("sound") / "store", embedder)
    with Store.open(path, model=embedder) as store:
        assert check(store).ok
    return path


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _garble(path: Path) -> None:
    path.write_bytes(b"\x00{not json")


def _make_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))


def _pages_of(db_path: Path, prefix: str) -> list[int]:
    db = sqlite3.connect(db_path)
    roots = [r[0] for r in db.execute("SELECT rootpage FROM sqlite_master WHERE name LIKE ? AND rootpage > 0",
                                      (prefix + "%",))]
    db.close()
    return roots


def _overwrite_pages(prefix: str) -> Callable[[Path], None]:
    """Random bytes over the root pages of the tables whose names start with ``prefix``."""
    def damage(path: Path) -> None:
        data, rng = bytearray(path.read_bytes()), random.Random(0)
        for page in _pages_of(path, prefix):
            data[(page - 1) * 4096:page * 4096] = rng.randbytes(4096)
        path.write_bytes(bytes(data))
    return damage


# (file, damage, what a search or ingest says, or None when it still works until check finds the damage)
MATRIX = {
    "segment truncated": ("segments/000001.npy", _truncate, "000001.npy is damaged (truncated)"),
    "segment deleted": ("segments/000001.npy", Path.unlink, "000001.npy is damaged (missing)"),
    "segment corrupted": ("segments/000001.npy", _flip_a_byte, None),
    "index settings garbled": ("index.1.json", _garble, "index.1.json is damaged (not valid JSON)"),
    "postings truncated": ("index.1.terms.npz", _truncate, "index.1.terms.npz is damaged (truncated)"),
    "index truncated": ("index.1.faiss", _truncate, "index.1.faiss is damaged (truncated or corrupt)"),
    "index ids deleted": ("index.1.ids.npy", Path.unlink, "index.1.ids.npy is damaged (missing)"),
    "lock is a folder": ("write.lock", _make_folder, "write.lock is a folder, not the store's lock file"),
    "phrase index overwritten": ("store.db", _overwrite_pages("paragraphs_fts"), "store.db is damaged"),
}


@pytest.mark.parametrize("case", MATRIX)
def test_damage_is_reported_in_one_line_found_by_check_and_repaired(sound_store: Path, tmp_path: Path,
                                                                      embedder: Embedder, case: str):
    relative, damage, message = MATRIX[case]
    path = tmp_path / "store"
    shutil.copytree(sound_store, path)
    with Store.open(path, model=embedder) as store:
        expected = [(h.paragraph_id, round(h.score, 4)) for h in search(store, QUERY, k=3)]
    damage(path / relative)
    with Store.open(path, model=embedder) as store:
        if message is not None:
            with pytest.raises(StoreError) as failed:
                search(store, QUERY, k=3)
                store.add([Article(id="new", title="", text="A new article arrives at the damaged store.")])
            text = str(failed.value)
            assert message in text and "\n" not in text and str(path) in text
        report = check(store)
        assert not report.ok and any(relative.split("/")[-1] in f.path for f in report.findings), report
    done = repair(path, model=embedder)
    assert done, "repair did nothing"
    if relative.startswith("index."):  # the damaged build is gone with its files
        assert not list(path.glob("index.1.*"))
    with Store.open(path, model=embedder) as store:
        assert check(store).ok
        assert [(h.paragraph_id, round(h.score, 4)) for h in search(store, QUERY, k=3)] == expected
        store.add([Article(id="new", title="", text="A new article arrives at the repaired store.")])
        assert store.article_count() == 2


def test_lost_rows_of_the_database_are_beyond_repair_and_say_so(sound_store: Path, tmp_path: Path,
                                                                embedder: Embedder):
    path = tmp_path / "store"
    shutil.copytree(sound_store, path)
    _overwrite_pages("paragraphs")(path / "store.db")  # the texts themselves: nothing to rebuild them from
    with pytest.raises(StoreError, match="damaged beyond repair.*restore it from a backup"):
        repair(path, model=embedder)


def test_check_and_repair_commands(sound_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    path = tmp_path / "store"
    shutil.copytree(sound_store, path)
    assert main(["check", "--store", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"store {path} is sound"
    (path / "segments" / "000001.npy").unlink()
    assert main(["search", QUERY, "--store", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"topics: error: {path}/segments/000001.npy is damaged (missing); rebuild it with: "
                   f"topics repair --store {path}")
    assert main(["check", "--store", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"damaged: {path}/segments/000001.npy: missing" in out and "topics repair --store" in out
    assert main(["repair", "--store", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "embedded 11 paragraphs again whose vectors were lost in 000001.npy (missing)"
    assert out[-1] == f"store {path} is sound"
    assert main(["repair", "--store", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "nothing to repair: every file is sound"


def test_an_older_store_gets_its_checksums_recorded(sound_store: Path, tmp_path: Path, embedder: Embedder):
    path = tmp_path / "store"
    shutil.copytree(sound_store, path)
    db = sqlite3.connect(path / "store.db")
    db.execute("DROP TABLE segments")
    db.execute("UPDATE meta SET value = '3' WHERE key = 'format_version'")
    db.commit()
    db.close()
    with Store.open(path, model=embedder) as store:  # upgraded to format 4, segments not yet checked
        assert store.meta("format_version") == "5"
        assert [f.problem for f in check(store).findings] == [
            "no checksum recorded (written by an older version); repair records one"]
    assert repair(path, model=embedder) == ["recorded the checksums of 1 segment written before checksums were kept"]
    with Store.open(path, model=embedder) as store:
        assert check(store).ok
