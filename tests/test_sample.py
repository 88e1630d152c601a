"""Samples of paragraphs that a small change to the corpus leaves nearly as they were."""

from __future__ import annotations

import numpy as np

from topics.sample import priorities, stable_sample

TEXTS = [f"Paragraph {i} of the corpus, about subject {i % 7}." for i in range(3000)]


def test_a_few_paragraphs_more_or_less_move_the_sample_by_as_few():
    priority = priorities(TEXTS, seed=0)
    pool = np.arange(2000)
    before = set(stable_sample(pool, 500, priority).tolist())
    after = set(stable_sample(np.concatenate([pool[10:], np.arange(2000, 2010)]), 500, priority).tolist())
    assert len(before - after) <= 10 and len(after - before) <= 10


def test_the_sample_is_the_same_in_any_run_and_other_with_another_seed():
    assert np.array_equal(priorities(TEXTS[:50], 0), priorities(TEXTS[:50], 0))
    first = stable_sample(np.arange(3000), 100, priorities(TEXTS, 0))
    other = stable_sample(np.arange(3000), 100, priorities(TEXTS, 1))
    assert len(first) == 100 and np.all(np.diff(first) > 0)
    assert len(set(first.tolist()) & set(other.tolist())) < 50


def test_a_small_pool_is_all_drawn():
    assert stable_sample(np.array([5, 2, 9]), 10, priorities(TEXTS, 0)).tolist() == [2, 5, 9]
