"""Shared fixtures: the real bundled model (loaded once) and small corpora the tests write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from index import Article, Embedder, Store
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


HOSTILE = "Officials said <img src=x onerror=alert(1)> was harmless."

SUBJECTS = {
    "rates": ("The central bank raised interest rates again to fight inflation.",
              "Bond markets fell sharply as traders priced in further increases in borrowing costs.",
              "Mortgage lenders passed the higher rates on to households within days."),
    "football": ("The striker scored twice as the home side won the football derby.",
                 "A full stadium watched the goalkeeper save a late penalty in the league match.",
                 "The coach praised his defenders after the cup tie finished in extra time."),
    "volcano": ("Lava from the erupting volcano forced villagers to flee their homes.",
                "Ash clouds grounded flights across the region for a third day.",
                "Scientists warned that the crater could collapse as tremors continued."),
    "elections": ("Voters queued for hours at polling stations as the election race tightened.",
                  "The opposition candidate promised reform in a final televised debate.",
                  "Officials began counting ballots after turnout reached a record high."),
}
DETAILS = ("Witnesses described the scene to reporters on Monday.", "More details are expected later this week.",
           "Local radio carried the news throughout the afternoon.", "The statement was published overnight.",
           "Several agencies confirmed the account independently.", "Analysts said the effects would last months.")


def dated_corpus() -> list[Article]:
    """Five months of wire stories: rates and football steady, elections growing, a volcano in March only,
    a quiet fortnight with a few articles, and every third article touching a second subject."""
    start, names, out = date(2024, 1, 1), list(SUBJECTS), []
    for i in range(150):
        day = start + timedelta(days=i)
        if date(2024, 2, 12) <= day < date(2024, 2, 26) and i % 4:
            continue
        subject = "volcano" if date(2024, 3, 4) <= day < date(2024, 4, 1) and i % 2 else \
            ("elections" if i % 3 == 0 or i > 100 and i % 2 else names[i % 2])
        sentences = SUBJECTS[subject]
        paragraphs = [f"{sentences[i % 3]} {DETAILS[i % 6]}",
                      f"{sentences[(i + 1) % 3]} {DETAILS[(i + 2) % 6]} Story {i}."]
        if i % 3 == 1:
            paragraphs.append(f"{SUBJECTS[names[(i + 2) % 4]][i % 3]} {DETAILS[(i + 4) % 6]}")
        if i == 7:
            paragraphs.append(HOSTILE)
        out.append(Article(id=f"a{i:03d}", title="<b>Bold</b> headline" if i == 7 else "",
                           source="Wire", published=day.isoformat(), text="\n\n".join(paragraphs)))
    return out
