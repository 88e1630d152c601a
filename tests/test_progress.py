"""The ingest's progress bar moves with the model, not once a batch of thousands of paragraphs: it is
updated after every forward pass, shows whole articles, and stays off the screen when asked to, or when
stderr is not a terminal."""

from __future__ import annotations

import pytest
from tqdm import tqdm

from index import Article

ARTICLES, PARAGRAPHS = 12, 16  # paragraphs per article: a bar step of s articles is s × 16 paragraphs


def _articles() -> list[Article]:
    return [Article(id=f"a{i}", title=f"Harbour story {i}",
                    text="\n".join(f"Paragraph {k} of harbour story {i}: the ferry left late again, and "
                                   f"{'the crew ' * (k % 5)}blamed the storm." for k in range(PARAGRAPHS)))
            for i in range(ARTICLES)]


@pytest.fixture()
def updates(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every step a tqdm bar is moved by."""
    seen: list[float] = []
    update = tqdm.update

    def noted(bar: tqdm, n: float = 1) -> bool | None:
        seen.append(n)
        return update(bar, n)

    monkeypatch.setattr(tqdm, "update", noted)
    return seen


def test_the_bar_moves_at_least_every_64_paragraphs(new_store, updates, capfd):
    report = new_store().add(_articles(), progress=True)
    assert report.paragraphs_embedded == ARTICLES * (PARAGRAPHS + 1)  # each title is a paragraph too
    steps = [n for n in updates if n > 1e-9]
    per_paragraph = ARTICLES / report.paragraphs_embedded
    assert max(steps) * (PARAGRAPHS + 1) <= 64, max(steps)  # one batch of 204 paragraphs, yet small steps
    assert len(steps) >= report.paragraphs_embedded // 64
    assert min(steps) == pytest.approx(per_paragraph)  # int8 embeds one paragraph a forward pass
    assert sum(updates) == pytest.approx(ARTICLES)
    shown = capfd.readouterr().err
    assert "ingesting:" in shown and f"/{ARTICLES} [" in shown and "\n" not in shown  # one line, redrawn
    counts = [part.split("|")[2].split("/")[0].strip() for part in shown.split("\r") if part.count("|") >= 2]
    assert counts and all(count.isdigit() for count in counts)  # whole articles, never 3.25


def test_the_bar_stays_silent_when_quiet_or_not_on_a_terminal(new_store, capfd):
    store = new_store()
    store.add(_articles()[:2], progress=False)
    store.add(_articles()[2:4])  # progress=None: on a terminal only, and pytest's stderr is none
    assert capfd.readouterr().err == ""
