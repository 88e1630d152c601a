"""Kill an ingest at random points of its write phase, then resume: every trial leaves a store that
checks sound and answers, and the rerun completes it exactly.

The child process kills itself at the n-th file operation it makes in the store (writes, renames,
removals, as Python's audit hooks see them), so the kill points cover every step of a write between
which SQLite does its own work; n is drawn from a seeded generator over the operations a whole run makes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index import Embedder, Store, read_paths, search
from index.check import check

from .conftest import ROOT, write_jsonl

CHILD = """
import os, signal, sys
from index import Store, read_paths

store_path, corpus, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
articles = read_paths([corpus]).articles
root = os.path.realpath(store_path)
count = 0

def hook(event, args):
    global count
    if event not in ("open", "os.replace", "os.rename", "os.remove") or not args:
        return
    if event == "open" and not (isinstance(args[1], str) and any(c in args[1] for c in "wax+")):
        return
    if not os.path.realpath(str(args[0])).startswith(root):
        return
    count += 1
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

store = Store.open(store_path, create=True)
store.embedder.encode(["warm up"])  # the model and its cache are read before the first kill point
sys.addaudithook(hook)
store.add(articles, progress=False, batch_paragraphs=12)
print(count)
"""

TOPICS = ["central bank interest rates", "football transfer window", "volcanic eruption in Iceland",
          "new smartphone battery", "parliament budget vote", "film festival awards"]


def _corpus(path: Path) -> Path:
    return write_jsonl(path, [{"id": f"w{i}", "title": f"Report {i} on {TOPICS[i % 6]}",
                               "text": f"This is news paragraph {i} about the {TOPICS[i % 6]}, for the trial corpus."}
                              for i in range(60)])


def _run(store: Path, corpus: Path, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, str(store), str(corpus), str(kill_at)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The corpus and the number of store file operations a whole, unkilled ingest of it makes."""
    folder = tmp_path_factory.mktemp("crash")
    corpus = _corpus(folder / "corpus.jsonl")
    done = _run(folder / "whole", corpus, 0)
    assert done.returncode == 0, done.stderr
    return corpus, int(done.stdout.split()[-1])


def _trial(operations: tuple[Path, int], tmp_path: Path, embedder: Embedder, seed: int) -> None:
    corpus, total = operations
    kill_at = random.Random(seed).randint(1, total)
    store_path = tmp_path / "store"
    killed = _run(store_path, corpus, kill_at)
    assert killed.returncode == -signal.SIGKILL, (kill_at, total, killed.stderr)
    expected = {a.key: a.text for a in read_paths([corpus]).articles}
    with Store.open(store_path, model=embedder, create=True) as store:
        before = store.article_count()
        assert check(store).ok, (kill_at, check(store).findings)
        report = store.add(read_paths([corpus]).articles, progress=False)
        assert report.added + report.unchanged + report.updated == 60 and report.unchanged <= before
        assert store.article_count() == 60 and check(store).ok
        for key, text in expected.items():
            assert [link.text for link in store.links(article_ids=[key])][-1] == text
        assert search(store, "football transfer window", k=1)[0].article.id in {f"w{i}" for i in range(1, 60, 6)}
    assert not list(store_path.rglob("*.tmp"))


@pytest.mark.parametrize("seed", range(3))
def test_killed_anywhere_in_the_write_phase_resumes(operations, tmp_path: Path, embedder: Embedder, seed: int):
    _trial(operations, tmp_path, embedder, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 15))
def test_killed_anywhere_in_the_write_phase_resumes_more_trials(operations, tmp_path: Path, embedder: Embedder,
                                                                 seed: int):
    _trial(operations, tmp_path, embedder, seed)
