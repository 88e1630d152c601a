"""Damaged store files: every kind gives one line naming the file and the way back, ``check`` finds it
and ``repair`` mends what can be rebuilt, so the store answers as before."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index import Article, Embedder, Store, StoreError, duplicates_of, search
from index.check import check, repair
from topics.cli import main
from topics.fit import fit_topics, relabel
from topics.model import TopicModel
from topics.model_files import UNRECORDED
from topics.service import create_app
from topics.upkeep import check_store, repair_store

from .conftest import DETAILS, SUBJECTS, seeded

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


def _copy_with_first_article(sound_store: Path, tmp_path: Path, embedder: Embedder) -> tuple[Path, str]:
    """A copy of the sound store to damage, and the id of its first article."""
    path = tmp_path / "store"
    shutil.copytree(sound_store, path)
    with Store.open(path, model=embedder) as store:
        return path, store.article_ids()[0]


def test_lost_rows_of_the_database_are_listed_and_lost_settings_are_beyond_repair(sound_store: Path, tmp_path: Path,
                                                                                 embedder: Embedder):
    path, article = _copy_with_first_article(sound_store, tmp_path, embedder)
    _overwrite_pages("paragraphs")(path / "store.db")  # the texts themselves: nothing to rebuild them from
    done = repair(path, model=embedder)
    assert done[1].startswith("rows that could not be read: paragraphs (rowids 1 on)"), done
    assert done[2] == f"could not recover 1 article, removed from the store (ingest them again): {article}"
    with Store.open(path, model=embedder) as store:
        assert check(store).ok and store.article_count() == 0
    shutil.rmtree(path)
    shutil.copytree(sound_store, path)
    _overwrite_pages("meta")(path / "store.db")
    with pytest.raises(StoreError, match="damaged beyond repair: the store's settings .* restore it from a backup"):
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


def test_damaged_story_tables_are_found_by_check_removed_by_repair_and_made_again(sound_store: Path, tmp_path: Path,
                                                                                 embedder: Embedder):
    path, article = _copy_with_first_article(sound_store, tmp_path, embedder)
    with Store.open(path, model=embedder) as store:
        expected = duplicates_of(store, article)
    tables = next(path.glob("stories.*.npz"))
    _flip_a_byte(tables)
    with Store.open(path, model=embedder) as store:
        assert [f.path for f in check(store).findings] == [str(tables)]
    assert repair(path, model=embedder) == [f"removed the story tables {tables.name} (its bytes do not match the "
                                            "checksum recorded when it was written); they are made again when next read"]
    assert not list(path.glob("stories.*"))
    with Store.open(path, model=embedder) as store:
        assert duplicates_of(store, article) == expected and check(store).ok
    _flip_a_byte(tables)  # a reader makes damaged tables again rather than failing
    with Store.open(path, model=embedder) as store:
        assert duplicates_of(store, article) == expected and check(store).ok


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


# -- the topic model and the decisions people made about it -----------------------------------------------------

def _zero_block(path: Path) -> None:
    """4 KB of zeros from the middle of the file (the whole file when it is smaller), its size kept."""
    data = bytearray(path.read_bytes())
    start = max(0, min(len(data) // 2, len(data) - 4096))
    data[start:start + 4096] = bytes(len(data[start:start + 4096]))
    path.write_bytes(bytes(data))


def _flip_eight_bytes(path: Path) -> None:
    data, rng = bytearray(path.read_bytes()), random.Random(path.name)
    for offset in rng.sample(range(len(data)), min(8, len(data))):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


DAMAGES: dict[str, Callable[[Path], None]] = {"truncated": _truncate, "zeroed block": _zero_block,
                                              "flipped bytes": _flip_eight_bytes, "deleted": Path.unlink,
                                              "folder in its place": _make_folder}
MODEL_FILES = ["current.json", "decisions.json", "model.2.json", "centroids.2.npy", "paragraphs.2.npy",
               "assignments.2.npy", "confidence.2.npy", "story_centroids.2.npy", "story_assignments.2.npy",
               "story_confidence.2.npy", "model.1.json", "assignments.1.npy"]
LABEL = "Ballot boxes"


def _subject_articles() -> list[Article]:
    return [Article(id=f"{name}-{i}", title="", source="Wire", published=f"2024-0{1 + i % 3}-1{i}",
                    text=f"{sentences[i % 3]} {DETAILS[i % 6]}\n\n{sentences[(i + 1) % 3]} {DETAILS[(i + 3) % 6]}")
            for name, sentences in SUBJECTS.items() for i in range(6)]


def _topics_of(path: Path) -> list[tuple[int, str, int, int | None]]:
    model = TopicModel.load(path)
    return sorted((t.id, t.name, t.size, t.parent) for t in model.themes_and_stories)


@pytest.fixture(scope="module")
def fitted_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """Two fits of the same articles, the second labelled by a person (so fit 1 is kept as the previous)."""
    path = tmp_path_factory.mktemp("fitted") / "store"
    with Store.open(path, model=embedder, create=True) as store:
        store.add(_subject_articles())
        fit_topics(store)
        fit_topics(store)
        topic = next(t for t in TopicModel.load(path).topics if "ballot" in " ".join(k for k, _ in t.keywords) or
                     "election" in t.label)
        relabel(store, topic.id, LABEL)
    assert main(["check", "--store", str(path)]) == 0
    return path


def _one_line_naming(err: str, path: Path, name: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and name in lines[0] and f"topics repair --store {path}" in lines[0] \
        and "Traceback" not in err


def _flip_page_header(path: Path) -> None:
    """8 flipped bytes at the start of a page in the middle of a database: SQLite keeps no checksums, so
    flipped bytes are found where they break its structure (a flipped letter inside a text is not)."""
    data = bytearray(path.read_bytes())
    page = (len(data) // 4096 // 2) * 4096
    for offset in range(page, page + 8):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _matrix(files: list[str]) -> list:
    """Every file × every damage; one damage per file (in turn) in the quick run, the rest marked slow."""
    return [pytest.param(name, damage, marks=() if i % len(DAMAGES) == j else pytest.mark.slow)
            for i, name in enumerate(files) for j, damage in enumerate(DAMAGES)]


@pytest.mark.parametrize(("name", "damage"), _matrix(MODEL_FILES))
def test_damaged_topic_model_is_named_refused_in_one_line_and_repaired(
        fitted_store: Path, tmp_path: Path, embedder: Embedder, capsys: pytest.CaptureFixture, name: str,
        damage: str):
    path, hits = _damaged_copy(fitted_store, tmp_path, embedder, f"topics/{name}", damage)
    expected = _topics_of(fitted_store)
    assert main(["check", "--store", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"damaged: {path / 'topics' / name}: " in out, out
    # the fit in force and what every reader reads; without decisions.json the fit's own copy of the labels serves
    current = not name.endswith((".1.json", ".1.npy")) and (name, damage) != ("decisions.json", "deleted")
    readers = [["topics"], ["assign", "elections-0"], ["report", "-o", str(tmp_path / "r.md")], ["changes"],
               ["show", "rates-1"], ["label", "0", "Rates"], ["cluster"]]
    for reader in readers if current else []:
        assert main([*reader, "--store", str(path)]) == 1, reader
        assert _one_line_naming(capsys.readouterr().err, path, name), reader
    if current:
        client = TestClient(create_app(path, model=embedder))
        for url in ("/v1/topics", "/v1/topics/0", "/topics"):
            answer = client.get(url)
            assert answer.status_code == 503 and name in answer.text and "topics repair" in answer.text, url
    assert main(["repair", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert name in out and out.strip().splitlines()[-1] == f"store {path} is sound", out
    assert _topics_of(path) == expected
    assert LABEL in [t.name for t in TopicModel.load(path).topics]
    assert _hits(path, embedder) == hits
    assert main(["topics", "--store", str(path)]) == 0 and LABEL in capsys.readouterr().out


def _damaged_copy(source: Path, tmp_path: Path, embedder: Embedder, relative: str,
                  damage: str) -> tuple[Path, list[tuple[int, float]]]:
    """A copy of the store ``source`` with ``relative`` damaged, and its search hits from before."""
    path = tmp_path / "store"
    shutil.copytree(source, path)
    hits = _hits(path, embedder)
    DAMAGES[damage](path / relative)
    return path, hits


def _hits(path: Path, embedder: Embedder) -> list[tuple[int, float]]:
    with Store.open(path, model=embedder) as store:
        return [(h.paragraph_id, round(h.score, 4)) for h in search(store, "football derby penalty", k=5)]


def test_a_model_lost_with_its_previous_fit_is_fitted_again_with_its_labels(fitted_store: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture):
    path = tmp_path / "store"
    shutil.copytree(fitted_store, path)
    first = sorted((t.id, t.size) for t in TopicModel.load(path).topics)
    (path / "topics" / "centroids.2.npy").write_bytes(b"")
    (path / "topics" / "decisions.json").unlink()
    _flip_eight_bytes(path / "topics" / "confidence.1.npy")
    assert main(["repair", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "fitted the topics again with the parameters of fit 2" in out and f"kept the labels people gave: '{LABEL}'" \
        in out, out
    model = TopicModel.load(path)
    assert sorted((t.id, t.size) for t in model.topics) == first and LABEL in [t.name for t in model.topics]


def test_an_interrupted_first_fit_is_no_model_yet(fitted_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    path = tmp_path / "store"
    shutil.copytree(fitted_store, path)
    for name in ["current.json", "decisions.json"] + [f.name for f in (path / "topics").glob("*.2.*")]:
        (path / "topics" / name).unlink()  # the files of fit 1 were written; the save stopped before current.json
    assert main(["topics", "--store", str(path)]) == 1
    assert "has no topics yet; run: topics cluster" in capsys.readouterr().err
    assert main(["check", "--store", str(path)]) == 0
    assert main(["cluster", "--store", str(path)]) == 0 and TopicModel.load(path).fit_number == 1


def test_a_model_of_an_older_version_is_read_and_gets_its_checksums(fitted_store: Path, tmp_path: Path):
    path = tmp_path / "store"
    shutil.copytree(fitted_store, path)
    for number in (1, 2):
        model_json = path / "topics" / f"model.{number}.json"
        document = json.loads(model_json.read_text())
        for key in ("sha256", "files"):
            document.pop(key)
        model_json.write_text(json.dumps(document))
    (path / "topics" / "decisions.json").unlink()
    (path / "topics" / "current.json").write_text('{"fit_number": 2}')
    assert LABEL in [t.name for t in TopicModel.load(path).topics]  # labels read from the fit itself
    with Store.open(path) as store:
        assert {f.problem for f in check_store(store).findings} == {UNRECORDED}
    done = repair_store(path)
    assert done == ["recorded the checksums of fit 1, written before checksums were kept",
                    "recorded the checksums of fit 2, written before checksums were kept"]
    with Store.open(path) as store:
        assert check_store(store).ok
    assert LABEL in [t.name for t in TopicModel.load(path).topics]


# -- the files derived from store.db: each kind × each damage ------------------------------------------------------

DERIVED_FILES = ["segments/000001.npy", "index.1.faiss", "index.1.json", "index.1.ids.npy", "index.1.terms.npz"]


@pytest.mark.parametrize(("relative", "damage"), _matrix(DERIVED_FILES))
def test_damaged_derived_file_is_named_answered_in_one_line_and_rebuilt(
        sound_store: Path, tmp_path: Path, embedder: Embedder, capsys: pytest.CaptureFixture, relative: str,
        damage: str):
    path, expected = _damaged_copy(sound_store, tmp_path, embedder, relative, damage)
    assert main(["check", "--store", str(path)]) == 1
    assert f"damaged: {path / relative}: " in capsys.readouterr().out
    status = main(["search", "football derby penalty", "--store", str(path)])  # a reader need not verify every
    err = capsys.readouterr().err                                               # byte, but never a traceback
    assert status == 0 or _one_line_naming(err, path, relative.split("/")[-1]), err
    answer = TestClient(create_app(path, model=embedder)).get("/v1/search", params={"q": "Taliban"})
    assert answer.status_code in (200, 503), answer.text
    ingest = tmp_path / "new.jsonl"
    ingest.write_text(json.dumps({"id": "new", "text": "A new article arrives at the damaged store."}) + "\n")
    for command in (["ingest", str(ingest)], ["reindex"]):
        assert main([*command, "--store", str(path)]) in (0, 1)
        assert "Traceback" not in capsys.readouterr().err
    assert main(["repair", "--store", str(path)]) == 0  # reindex may have rebuilt a damaged index already
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] in (f"store {path} is sound", "nothing to repair: every file is sound"), out
    with Store.open(path, model=embedder) as store:
        store.delete(["new"])
    assert _hits(path, embedder) == expected


# -- the catalogue, store.db -------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_catalogue_is_told_truthfully_and_what_is_lost_is_listed(
        fitted_store: Path, tmp_path: Path, embedder: Embedder, capsys: pytest.CaptureFixture, damage: str):
    path = tmp_path / "store"
    shutil.copytree(fitted_store, path)
    with Store.open(path, model=embedder) as store:
        articles = set(store.article_ids())
    hits = _hits(path, embedder)
    (_flip_page_header if damage == "flipped bytes" else DAMAGES[damage])(path / "store.db")
    assert main(["check", "--store", str(path)]) == 1
    captured = capsys.readouterr()
    assert f"{path / 'store.db'}" in captured.out + captured.err and "Traceback" not in captured.err
    if damage in ("deleted", "folder in its place"):
        words = "missing" if damage == "deleted" else "a folder, not the database file"
        for command in (["search", "football"], ["topics"], ["repair"]):
            assert main([*command, "--store", str(path)]) == 1
            err = capsys.readouterr().err.strip()
            assert err.startswith(f"topics: error: {path / 'store.db'} is {words}: ") and "backup" in err, err
        with pytest.raises(StoreError, match="backup"):  # the service does not start: serve says why in one line
            create_app(path, model=embedder)
        return
    if damage == "truncated":
        assert "truncated: " in captured.err
    assert main(["search", "football", "--store", str(path)]) in (0, 1)
    assert "Traceback" not in capsys.readouterr().err
    assert main(["repair", "--store", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("copied the ") and out[-1] == f"store {path} is sound", out
    lost = next((line.split(": ")[-1].split(", ") for line in out if line.startswith("could not recover")), [])
    with Store.open(path, model=embedder) as store:
        assert set(store.article_ids()) == articles - set(lost)
    if not lost:
        assert _hits(path, embedder) == hits
    assert LABEL in [t.name for t in TopicModel.load(path).topics]
