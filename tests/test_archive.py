"""The archive benchmark's builder at 20,000 paragraphs: the store it writes is whole and every command,
page and read-only endpoint the benchmark times runs on it (the times themselves are the script's)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index import Embedder, Store
from topics.cli import main
from topics.model import TopicModel
from topics.service import create_app

from .conftest import ROOT, needs_shared

sys.path.insert(0, str(ROOT / "scripts"))

from archive_build import archive_articles, base_paragraphs, build  # noqa: E402
from load_archive import endpoints  # noqa: E402

PARAGRAPHS = 20_000
BASES = 800  # embedded by the real model; the rest are their variants

pytestmark = [needs_shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, environment: None) -> Path:
    return build(tmp_path_factory.mktemp("archive"), PARAGRAPHS, BASES)


def run(*args: str) -> int:
    return main(list(args))


def test_archive_is_whole_and_as_described(archive: Path, capsys: pytest.CaptureFixture[str]):
    built = json.loads(archive.with_name(archive.name + ".built.json").read_text())
    assert built["bases"] == BASES
    assert built["embedded_for_real"] < PARAGRAPHS // 100  # nearly every vector was one the builder gave
    assert run("check", "--store", str(archive)) == 0
    with Store.open(archive) as store:
        stats = store.stats()
        assert stats.articles == PARAGRAPHS // 5
        assert stats.vectors >= PARAGRAPHS  # every body paragraph distinct, plus the titles
        first, last = store.article("a0000000"), store.article(f"a{PARAGRAPHS // 5 - 1:07d}")
        assert first is not None and last is not None
        assert "2019-01-01" <= (first.published or "") < (last.published or "") <= "2023-12-31"
        assert first.metadata.get("desk") and first.source in {"BBC", "AG News", "ISAF", "SciFact"}
    capsys.readouterr()


def test_every_command_runs(archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bases = base_paragraphs(BASES)
    new = tmp_path / "new.jsonl"
    articles = list(archive_articles(bases, None, 50, None, first_pass=PARAGRAPHS // BASES + 1, prefix="new"))
    new.write_text("".join(json.dumps({"id": a.id, "title": a.title, "text": a.text, "source": a.source,
                                       "published": "2024-01-02", "desk": a.metadata["desk"]}) + "\n"
                           for a in articles))
    store, some = ["--store", str(archive)], "a0000123"
    commands = [["ingest", str(new), "--quiet"], ["cluster", "--fresh"], ["cluster"], ["topics"],
                ["report", "--format", "html", "-o", str(tmp_path / "r.html")], ["report", "--format", "md"],
                ["report", "--format", "json"], ["changes"], ["duplicates"], ["check"], ["stats"], ["show", some],
                ["similar", some], ["assign", some], ["export", "paragraphs", "--format", "csv"],
                ["search", "council elections"], ["search", "oil prices", "--mode", "dense", "--where", "desk=business"],
                ["search", "troops", "--mode", "lexical", "--since", "2021-01-01", "--until", "2021-12-31"],
                ["delete", *(a.id or "" for a in articles)]]
    for command in commands:
        assert run(*command, *store) == 0, command
        capsys.readouterr()
    assert (tmp_path / "r.html").stat().st_size > 10_000


def test_every_page_and_endpoint_answers(archive: Path, embedder: Embedder):
    if not TopicModel.stamp(archive):  # run alone, without the commands' test
        assert run("cluster", "--store", str(archive)) == 0
    with TestClient(create_app(archive, model=embedder)) as client:
        calls = endpoints(client)
        for name, path, body in calls:
            path = path + "troops" if path.endswith("q=") else path
            response = client.post(path, json=body) if body is not None else client.get(path)
            assert response.status_code == 200, (name, response.text[:300])
