"""The command line end to end: a real process for the main path, in-process runs for every error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index import Article, Store
from topics.cli import build_parser, main

from .conftest import ROOT, SEEDS, store_state


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "topics", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def test_first_ingest_exports_and_quantises_quietly(tmp_path: Path):
    """The first int8 ingest on a machine exports and quantises the model: nothing of that on stderr."""
    done = subprocess.run([sys.executable, "-m", "topics", "ingest", str(SEEDS), "--store", str(tmp_path / "s"),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TOPICS_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert list((tmp_path / "cache" / "onnx").glob("*/model.int8-*.onnx"))


def test_ingest_search_stats_similar_delete(tmp_path: Path):
    store = str(tmp_path / "store")
    ingest = run("ingest", str(SEEDS), "--store", store)
    assert ingest.returncode == 0, ingest.stderr
    assert "added 1, updated 0, unchanged 0" in ingest.stdout
    assert "embedded 11 paragraphs" in ingest.stdout

    found = run("search", "Islamic State spreading toward Central Asia", "-k", "2", "--json", "--store", store)
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(hits) == 2 and "ISIS" in hits[0]["text"]
    assert set(hits[0]) >= {"score", "article_id", "title", "source", "published", "position", "text"}

    stats = run("stats", "--json", "--store", store)
    assert json.loads(stats.stdout)["vectors"] == 11

    named = run("search", "Talgat Kaliev", "-k", "1", "--mode", "lexical", "--color", "always", "--store", store)
    assert named.returncode == 0 and "\x1b[1;33mTalgat\x1b[0m \x1b[1;33mKaliev\x1b[0m" in named.stdout
    plain = run("search", "Talgat Kaliev", "-k", "1", "--store", store)  # not a terminal: no colour codes
    assert "Talgat Kaliev" in plain.stdout and "\x1b[" not in plain.stdout

    near = run("similar", str(SEEDS / "000_d008b0bbdf9d98a1.txt"), "--store", store)
    assert near.returncode == 0 and "1.000" in near.stdout

    gone = run("delete", hits[0]["article_id"], "--store", store)
    assert gone.returncode == 0 and "deleted 1 article" in gone.stdout
    assert json.loads(run("stats", "--json", "--store", store).stdout)["articles"] == 0


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture):
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        assert f"usage: topics {name}" in capsys.readouterr().out


@pytest.fixture()
def filled(new_store) -> Path:
    from index import read_paths

    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    store.close()
    return store.path


BAD_FILES = {
    "empty.txt": b"",
    "binary.txt": b"\x00\xff" * 100,
    "undecodable.md": b"Title\n\n\x81\x8d\x90\n",
    "malformed.jsonl": b'{"title": "ok", "text": "fine"}\n{"title": oops}\n',
    "nocolumn.csv": b"id,headline\n1,hello\n",
    "nothing.html": b"<html><body><script>1</script></body></html>",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_fails_cleanly_and_leaves_store_unchanged(filled: Path, tmp_path: Path, name: str,
                                                           capsys: pytest.CaptureFixture):
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    before = store_state(filled)
    assert main(["ingest", str(SEEDS), str(bad), "--store", str(filled)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"topics: error: {bad}") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert store_state(filled) == before


def test_skip_bad_reports_and_goes_on(filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                      caplog: pytest.LogCaptureFixture):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.jsonl").write_bytes(BAD_FILES["malformed.jsonl"])
    assert main(["ingest", str(tmp_path / "in"), "--skip-bad", "--store", str(filled), "--quiet"]) == 0
    assert "skipped 1 bad record or file (from 1 file)" in capsys.readouterr().out
    assert "bad.jsonl:2: malformed JSON" in caplog.text


@pytest.mark.parametrize("argv, message", [
    (["search", "  "], "empty query"),
    (["search", "the and of", "--mode", "dense"], "has only stop words (the, and, of)"),
    (["search", "?!"], "no words, only punctuation"),
    (["search", "taliban", "--since", "yesterday"], "'yesterday' is not a date"),
    (["similar", "no-such-id"], "no article with id 'no-such-id'"),
    (["delete", "no-such-id"], "no article with id no-such-id"),
    (["duplicates", "--threshold", "2"], "threshold must be in (0, 1]"),
])
def test_bad_requests(filled: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture):
    before = store_state(filled)
    assert main([*argv, "--store", str(filled)]) == 1
    assert message in capsys.readouterr().err
    assert store_state(filled) == before


def test_non_positive_k_is_rejected(capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit) as done:
        main(["search", "taliban", "-k", "0"])
    assert done.value.code == 2 and "must be a positive whole number" in capsys.readouterr().err


def test_store_errors(tmp_path: Path, filled: Path, capsys: pytest.CaptureFixture):
    assert main(["stats", "--store", str(ROOT / "index")]) == 1
    assert "is not a topics store" in capsys.readouterr().err
    assert main(["search", "x", "--store", str(tmp_path / "absent")]) == 1
    assert "no store at" in capsys.readouterr().err
    assert main(["ingest", str(SEEDS), "--store", str(filled), "--model", str(tmp_path)]) == 1
    assert "not a sentence-transformers model folder" in capsys.readouterr().err


def test_store_from_environment(filled: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    monkeypatch.setenv("TOPICS_STORE", str(filled))
    assert main(["stats"]) == 0
    assert str(filled) in capsys.readouterr().out
    assert Store.open().path == filled


def test_search_prints_score_and_similarity_and_json_carries_both(tmp_path: Path, embedder,
                                                                  capsys: pytest.CaptureFixture):
    from .conftest import seeded

    store = str(seeded(tmp_path / "store", embedder))
    assert main(["search", "Islamic State spreading toward Central Asia", "-k", "2", "--json", "--store", store]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all({"score", "similarity", "bm25"} <= set(h) and h["bm25"] is None for h in hits)
    assert main(["search", "Islamic State spreading toward Central Asia", "-k", "2", "--store", store]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "  #  score  similarity  article"  # the order's score first, the similarity beside it
    ranks = [line for line in lines if line[:4] in ("  1.", "  2.")]
    assert [line[:22] for line in ranks] == [f"{i:>3}. {h['score']:.3f}  {h['similarity']:>10.3f}"
                                             for i, h in enumerate(hits, start=1)]
    assert main(["search", '"security situation"', "-k", "3", "--mode", "lexical", "--json", "--store", store]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["bm25"] > 0 for line in out.splitlines()] == [True]
    assert err == 'topics: note: only 1 paragraph contains "security situation"\n'


def test_search_folds_an_edited_copy_unless_all_and_notes_filters_that_cannot_match(
        tmp_path: Path, embedder, capsys: pytest.CaptureFixture):
    from .test_stories import STORY, edited

    with Store.open(tmp_path / "store", model=embedder, create=True) as store:
        store.add([Article(id="bridge", title="Tallest bridge opens", text="\n".join(STORY), metadata={"desk": "news"}),
                   Article(id="update", title="Update: the bridge opens", text="\n".join(edited(STORY)),
                           metadata={"desk": "news"})])
    argv = ["search", "the tallest road bridge in the world near Millau", "--articles",
            "--store", str(tmp_path / "store")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n  1. ") == 1 and "\n  2. " not in out and " · also in update\n" in out
    assert main([*argv, "--all", "--json"]) == 0
    apart = [json.loads(line)["article_id"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(apart) == ["bridge", "update"]
    assert main([*argv, "--where", "section=arts", "--since", "2024-01-01"]) == 0
    out, err = capsys.readouterr()
    assert out == "no matches\n"
    assert err == ("topics: note: no stored article has the metadata field 'section'; no stored article has a "
                   "publication date (published), so since matches no article (metadata fields: desk)\n")


def test_duplicates_says_so_when_no_two_articles_tell_one_story(filled: Path, capsys: pytest.CaptureFixture):
    assert main(["duplicates", "--store", str(filled)]) == 0
    assert capsys.readouterr().out == "no two articles tell the same story (score 0.9 or more)\n"


def test_search_in_a_fresh_process_imports_no_torch_transformers_or_sklearn(tmp_path: Path, embedder):
    from .conftest import seeded

    embedder.encode(["export the ONNX model first, as an earlier ingest would have"])
    store = seeded(tmp_path / "store", embedder)
    probe = ("import sys\nfrom topics.cli import main\n"
             f"main(['search', 'Taliban security', '-k', '2', '--store', {str(store)!r}])\n"
             "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "  1. " in done.stdout and done.stdout.splitlines()[-1] == "[]"
