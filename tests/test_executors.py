"""The ingest with an executor that works ahead, as a Ray pool does, without Ray: the same store and the
same report as a local run, batches committed in order, and no paragraph lost when a batch committed in
between drops one that a waiting batch counts on."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from index import Article, LocalExecutor, Store, search
from index.check import check

from .conftest import ROOT


class Ahead(LocalExecutor):
    """Hands back vectors only when asked, with two batches allowed to wait: a pool's order of events."""

    ahead = 2

    def __init__(self) -> None:
        self.submitted: list[list[str]] = []

    def submit(self, embedder, texts, progress=None):
        self.submitted.append(texts)
        return super().submit(embedder, texts, progress)


def _text(name: str, n: int) -> str:
    return "\n".join(f"Paragraph {k} of the {name} story, long enough to stand as a paragraph of its own."
                     for k in range(n))


SHARED = "Both stories quote the same statement from the harbour master about the storm that night."


def _corpus() -> list[Article]:
    """Updates, repeats and an article that comes back to its stored version, spread over many batches."""
    articles = [Article(id=f"a{i}", title=f"Story {i}", text=_text(f"a{i}", 3)) for i in range(12)]
    articles += [Article(id="a3", title="Story 3", text=_text("a3 changed", 3)),  # update of a handed one
                 Article(id="a5", title="Story 5", text=_text("a5", 3)),  # repeat, same as handed over
                 Article(id="a7", title="Story 7", text=_text("a7 changed", 2)),
                 Article(id="a7", title="Story 7", text=_text("a7", 3))]  # back to the version handed over
    return articles


def _contents(store: Store) -> dict[str, list[str]]:
    return {key: [link.text for link in store.links(article_ids=[key])] for key in sorted(store.article_ids())}


def test_working_ahead_gives_the_local_store_and_report(new_store):
    local, ahead = new_store("local"), new_store("ahead")
    stored = [Article(id="a7", title="Story 7", text=_text("a7 stored", 3))]
    local.add(stored), ahead.add(stored)
    executor = Ahead()
    expected = local.add(_corpus(), batch_paragraphs=4)
    report = ahead.add(_corpus(), batch_paragraphs=4, executor=executor)
    assert report == expected and len(executor.submitted) > 3
    assert _contents(ahead) == _contents(local)
    assert np.array_equal(ahead.snapshot().vectors, local.snapshot().vectors)
    assert check(ahead).ok


def test_a_paragraph_dropped_while_its_batch_waited_is_embedded_again(new_store):
    """a0's update orphans SHARED while b's batch (which found it stored) waits; d's batch, handed after
    that commit, embeds it anew; b's commit embeds it, and d's then finds it stored."""
    store = new_store()
    store.add([Article(id="a0", title="", text=f"{SHARED}\n{_text('a0', 1)}")])
    corpus = [Article(id="a0", title="", text=_text("a0 rewritten", 2)),
              Article(id="b", title="", text=f"{SHARED}\n{_text('b', 1)}"),
              Article(id="c", title="", text=_text("c", 2)),
              Article(id="d", title="", text=f"{SHARED}\n{_text('d', 1)}")]
    report = store.add(corpus, batch_paragraphs=2, executor=Ahead())
    assert (report.added, report.updated) == (3, 1)
    assert check(store).ok
    assert _contents(store)["b"][0] == SHARED and _contents(store)["d"][0] == SHARED
    assert {hit.article.id for hit in search(store, SHARED, k=1, mode="dense")} <= {"b", "d"}
    assert store.stats().vectors == len({t for texts in _contents(store).values() for t in texts})


def test_import_index_does_not_import_ray():
    code = "import sys, index; index.Store; index.LocalExecutor; assert 'ray' not in sys.modules, 'ray imported'"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
