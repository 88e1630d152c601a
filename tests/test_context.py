"""Paragraphs read in their articles: the vectors the clustering settles on, and what they change."""

from __future__ import annotations

import numpy as np

from index import Embedder
from topics.cluster import TopicClusterer
from topics.context import in_context, unit_rows


def test_each_paragraph_is_its_own_vector_plus_its_articles_mean():
    vectors = np.array([[2.0, 0, 0], [0, 1, 0], [0, 0, 3], [1, 1, 0], [0, 0, 1]])
    # article 0: rows 0, 1 and the shared row 3; article 1: rows 2 and 3; row 4 belongs to none
    out = in_context(vectors, [[0, 1, 3], [2, 3]])
    unit = unit_rows(vectors)
    first, second = unit[[0, 1, 3]].mean(axis=0), unit[[2, 3]].mean(axis=0)
    assert np.allclose(out[0], unit_rows((unit[0] + first)[None])[0], atol=1e-6)
    assert np.allclose(out[2], unit_rows((unit[2] + second)[None])[0], atol=1e-6)
    assert np.allclose(out[3], unit_rows((unit[3] + (first + second) / 2)[None])[0], atol=1e-6)
    assert np.allclose(out[4], unit[4], atol=1e-6)
    assert out.dtype == np.float32 and np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-6)
    some = in_context(vectors, [[0, 1, 3], [2, 3]], rows=np.array([False, True, True, False, True]))
    assert np.allclose(some, out[[1, 2, 4]], atol=1e-6)


def test_skipped_rows_stay_out_of_the_mean_unless_they_are_all_an_article_has():
    vectors = np.eye(4)
    out = in_context(vectors, [[0, 1], [2, 3]], skip=np.array([False, True, True, True]))
    assert np.allclose(out[1], unit_rows(np.array([[1.0, 1, 0, 0]]))[0], atol=1e-6)  # mean is row 0 alone
    assert np.allclose(out[2], unit_rows(np.array([[0, 0, 1.5, 0.5]]))[0], atol=1e-6)  # both kept


SUBJECTS = {
    "rates": ["The central bank raised interest rates to fight inflation.",
              "Bond yields climbed as traders priced in further rate rises.",
              "Mortgage lenders said borrowing costs would rise again."],
    "football": ["The striker scored twice as the home side won the derby.",
                 "The goalkeeper saved a penalty in the second half.",
                 "The manager praised his defenders after the league match."],
    "volcano": ["Lava from the erupting volcano forced villagers to flee.",
                "Ash clouds from the eruption grounded flights across the region.",
                "Scientists warned of further tremors near the crater."],
}
VAGUE = ["It was the third such move this year.", "Few had expected it so soon.", "The reaction was swift.",
         "Nobody could say how long it would last.", "It happened shortly after noon.",
         "Many people were caught by surprise.", "The news spread quickly.", "Some called it a turning point.",
         "Others urged caution.", "It was not the first time.", "The mood changed within hours.",
         "Questions remain about what comes next.", "Crowds gathered to watch.", "The numbers told the story.",
         "It left many disappointed.", "Few details were given.", "The week ended on a high.",
         "Critics were unimpressed.", "It could take months to recover.", "Everyone is waiting for Monday.",
         "That was only the beginning.", "The timing raised eyebrows.", "A quiet day followed.",
         "It was a day to remember."]


def test_a_paragraph_that_could_belong_to_any_story_joins_its_articles_topic(embedder: Embedder):
    """Vague sentences fall to whichever topic is nearest by chance when read alone; read in their
    articles they go with the story around them, and predict still gives the fit's topics."""
    texts, articles = [], []
    for i in range(8):
        for s, lines in enumerate(SUBJECTS.values()):
            articles.append([len(texts), len(texts) + 1, len(texts) + 2])
            texts += [lines[i % 3], lines[(i + 1) % 3], VAGUE[3 * i + s]]
    vectors = embedder.encode(texts)
    vague, leads = np.array([rows[-1] for rows in articles]), np.array([rows[0] for rows in articles])

    def agreement(clusterer: TopicClusterer) -> float:
        return float(np.mean(clusterer.labels_[vague] == clusterer.labels_[leads]))

    alone = TopicClusterer(3).fit(vectors)
    read = TopicClusterer(3).fit(vectors, context=in_context(vectors, articles))
    assert agreement(read) >= agreement(alone) + 0.25  # 0.67 against 0.33 with the bundled model
    predicted, _ = read.predict(vectors)
    assert np.array_equal(predicted, read.labels_)
