"""Shared fixtures: the real bundled model (loaded once) and small corpora the tests write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Embedder, Store
from index.embed import OFFLINE_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"

needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                  reason=f"evaluation data not found at {SHARED_DATA} (../shared is absent)")


@pytest.fixture(scope="session", autouse=True)
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What an entry point sets for the process (offline model loading), and ONNX exports in a folder of
    the session's own, never the user's ``~/.cache``; before the first model loads."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in OFFLINE_ENVIRONMENT.items():
            patch.setenv(key, value)
        patch.setenv("TOPICS_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def embedder(environment: None) -> Embedder:
    return Embedder()


@pytest.fixture()
def new_store(tmp_path: Path, embedder: Embedder):
    """A fresh, empty store sharing the session's model."""
    def make(name: str = "store") -> Store:
        return Store.open(tmp_path / name, model=embedder, create=True)
    return make


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Store:
    from index import read_paths

    store = Store.open(tmp_path_factory.mktemp("seed") / "store", model=embedder, create=True)
    store.add(read_paths([SEEDS]).articles)
    return store


def seeded(path: Path, embedder: Embedder) -> Path:
    """A store at ``path`` holding the seed article, closed again: for module fixtures that open it
    their own way."""
    from index import read_paths

    with Store.open(path, model=embedder, create=True) as store:
        store.add(read_paths([SEEDS]).articles)
    return path


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def store_state(path: Path) -> dict[str, bytes]:
    """Every file of a store with its bytes, to prove a failed command changed nothing."""
    return {f.name: f.read_bytes() for f in sorted(path.iterdir()) if f.is_file() and f.name != "write.lock"}
