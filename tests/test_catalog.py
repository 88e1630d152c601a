"""The catalogue: its one write transaction and the queries the store answers through it."""

from __future__ import annotations

import pytest

from index import Article


def test_a_failed_write_changes_nothing_and_leaves_no_transaction_open(new_store):
    store = new_store()
    store.add([Article(id="a", title="Harbour", text="Ships waited outside the harbour for the storm to pass.")])
    generation = store.meta("generation")
    with pytest.raises(RuntimeError), store.catalog.write():
        store.catalog.advance()
        store.catalog.unlink(["a"])
        raise RuntimeError("interrupted")
    assert store.meta("generation") == generation and not store.catalog.db.in_transaction
    assert store.article_ids() == ["a"] and store.catalog.fingerprints(["a", "b"]).keys() == {"a"}
