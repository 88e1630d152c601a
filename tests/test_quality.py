"""The NPMI implementation agrees with gensim's c_npmi; diversity counts words."""

from __future__ import annotations

import pytest

from topics.quality import npmi_coherence, topic_diversity


DOCUMENTS = [
    "bank rates inflation bond", "bank rates mortgage", "inflation prices rates", "football derby goal striker",
    "goal striker stadium", "football stadium fans derby", "volcano lava ash", "lava ash flights volcano",
    "bank football", "rates goal lava",
]
TOPICS = [["bank", "rates", "inflation"], ["football", "goal", "striker", "derby"], ["volcano", "lava", "flights"]]


def test_npmi_matches_gensim_document_cooccurrence():
    gensim = pytest.importorskip("gensim", reason="gensim is in the dev extras")
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    texts = [d.split() for d in DOCUMENTS]
    # A window longer than every document makes gensim count whole documents, as ours does.
    reference = CoherenceModel(topics=TOPICS, texts=texts, dictionary=Dictionary(texts), coherence="c_npmi",
                               window_size=100, topn=10).get_coherence()
    assert gensim.__version__
    assert npmi_coherence(TOPICS, DOCUMENTS, str.split) == pytest.approx(reference, abs=1e-6)


def test_npmi_bounds():
    assert npmi_coherence([["a", "b"]], ["a b", "a b", "c"], str.split) == pytest.approx(1.0, abs=1e-6)
    assert npmi_coherence([["a", "b"]], ["a", "b", "c"], str.split) < -0.9


def test_diversity_counts_words_of_ngrams():
    assert topic_diversity([["interest rates", "bank"], ["bank rates", "goal"]]) == pytest.approx(4 / 6)
