"""Labels across topics: unique, and name-led labels that do not say the same thing twice."""

from __future__ import annotations

import numpy as np

from topics.boilerplate import Boilerplate
from topics.english import FUNCTION_WORDS
from topics.describe import TopicDescriber
from topics.headings import Heading, _abbreviates, candidates, distinct, headings, telling
from topics.phrases import Lexicon, words
from topics.quality import label_matches, label_parts
from topics.rules import DEFAULT_RULES
from topics.vocabulary import count_terms, stem

from .conftest import SHARED_DATA, needs_shared


def led(text: str, *weights: float) -> Heading:
    """A name-led candidate, its phrase's words weighted in its topic as given."""
    words = [w for w in text.split(": ", 1)[1].split() if w != "of"]
    return Heading(text, tuple(stem(w) for w in words), weights)


def test_name_led_labels_share_no_word_family_and_the_lighter_topic_moves_on():
    isis = [led("ISIS: spread of terrorism", 0.06, 0.03), led("ISIS: cross-border militant activities", 0.03, 0.03, 0.03)]
    taliban = [led("Taliban: list of terrorist groups", 0.12, 0.06, 0.04), led("Taliban: draft law", 0.07, 0.07)]
    assert distinct([isis, taliban]) == ["ISIS: cross-border militant activities", "Taliban: list of terrorist groups"]
    assert distinct([taliban, isis]) == ["Taliban: list of terrorist groups", "ISIS: cross-border militant activities"]


def test_unled_labels_may_share_words_but_never_the_whole_label():
    oil = [Heading("Oil prices"), Heading("Crude oil")]
    firms = [Heading("Oil company"), Heading("Shares")]
    assert distinct([oil, firms]) == ["Oil prices", "Oil company"]
    assert distinct([oil, [Heading("Oil prices"), Heading("Oil company")]]) == ["Oil prices", "Oil company"]


def test_a_topic_whose_every_label_clashes_keeps_its_best_one_no_other_topic_has():
    assert distinct([[led("Taliban: terrorist list", 0.2, 0.2)], [led("ISIS: terrorism", 0.1)]]) == \
        ["Taliban: terrorist list", "ISIS: terrorism"]
    assert distinct([[Heading("Economy")], [Heading("Economy")]]) == ["Economy", ""]
    assert distinct([[], [Heading("Economy")]]) == ["", "Economy"]


GAZA = [("Israel kills militants in Gaza raid", "Israeli troops killed three militants in a raid on the Gaza Strip, the army said."),
        ("Israel kills Hamas commander", "An Israeli air strike killed a Hamas commander in the Gaza Strip overnight."),
        ("Israel kills gunmen near border", "Israeli soldiers shot dead two gunmen near the Gaza Strip border fence."),
        ("Israel kills bomb maker", "A bomb maker was killed by Israeli troops in a raid in the Gaza Strip.")]
YEN = [("Yen rises against dollar", "The yen rose against the dollar as exporters sold dollars before the holiday."),
       ("Yen rises on trade data", "The yen climbed after trade data showed a wider surplus with the United States."),
       ("Yen rises as stocks slip", "The yen gained as Tokyo stocks slipped and investors sought safety."),
       ("Yen rises to four-week high", "The yen reached a four-week high against the dollar on Friday.")]


def test_a_headline_verb_never_ends_a_label_where_the_topic_has_body_text(embedder):
    """News headlines drop articles and put verbs in the present ("Israel kills …"), which a rule set
    without a tagger reads as a noun phrase; headings come from the body text when there is any."""
    pairs = GAZA + YEN
    texts = [text for pair in pairs for text in pair]
    titles = [i % 2 == 0 for i in range(len(texts))]
    labels = np.repeat([0, 1], 2 * len(GAZA))
    centroids = np.stack([embedder.encode(texts[:8]).mean(axis=0), embedder.encode(texts[8:]).mean(axis=0)])
    described = TopicDescriber(embedder.encode).describe(texts, labels, np.ones(len(texts), np.float32), centroids,
                                                         titles=titles)
    for description in described:
        assert description.label and not description.label.lower().endswith(("kills", "rises")), description.label


def test_a_lead_name_is_followed_by_a_phrase_of_its_own_paragraphs(embedder):
    """A small topic can hold two unrelated stories; "IAAF: yen" would join halves of both, where a label
    of two parts names each from its own."""
    texts = ["The IAAF met in Monaco on Monday to weigh the case.",
             "The IAAF will rule on the appeal within weeks.",
             "The yen rose against the dollar as exporters sold dollars.",
             "The yen climbed against the dollar after trade data showed a wider surplus.",
             "The striker scored twice as the home side won the cup final.",
             "The home side lifted the cup after a late goal from the striker."]
    labels = np.array([0, 0, 0, 0, 1, 1])
    centroids = np.stack([embedder.encode(texts[:4]).mean(axis=0), embedder.encode(texts[4:]).mean(axis=0)])
    label = TopicDescriber(embedder.encode).describe(texts, labels, np.ones(6, np.float32), centroids)[0].label
    for part in label.split("; "):
        words = set(part.lower().replace(":", "").split())
        assert any(words <= set(" ".join(story).lower().replace(".", "").split()) for story in (texts[:2], texts[2:4])), label


SERVERS = ["Buyers lined up for the new IBM Power5 servers this spring.",
           "The new IBM p5 servers run several operating systems at once.",
           "Banks ordered the new IBM z9 mainframes for their data centres.",
           "Analysts expect the new IBM Power5 servers to lift hardware sales."]
WEATHER = ["Heavy rain flooded the coastal towns overnight.", "Forecasters expect more rain and strong winds.",
           "The storm brought rain and snow to the hills.", "Flood warnings stay in place as the rain goes on."]


def test_a_label_ends_where_its_noun_phrase_does(embedder):
    """"new IBM" of "the new IBM Power5 servers" stops short of its head noun, however central it is."""
    texts = SERVERS + WEATHER
    labels = np.repeat([0, 1], 4)
    centroids = np.stack([embedder.encode(SERVERS).mean(axis=0), embedder.encode(WEATHER).mean(axis=0)])
    described = TopicDescriber(embedder.encode).describe(texts, labels, np.ones(len(texts), np.float32), centroids)
    assert described[0].label and not described[0].label.endswith("IBM"), described[0].label


def test_a_refit_keeps_a_label_that_still_fits_and_drops_one_that_does_not(embedder):
    texts = SERVERS + WEATHER
    lexicon = Lexicon.learn(texts)
    vocabulary = count_terms(texts, np.repeat([0, 1], 4), 2, lexicon, Boilerplate(), [False] * len(texts))
    centroids = np.stack([embedder.encode(SERVERS).mean(axis=0), embedder.encode(WEATHER).mean(axis=0)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    fresh = [h.text for h in headings(vocabulary, 1, centroids, np.array([4, 4]), lexicon, embedder.encode)]
    assert len(fresh) > 1
    kept = [h.text for h in headings(vocabulary, 1, centroids, np.array([4, 4]), lexicon, embedder.encode,
                                     frozenset({fresh[1].lower()}))]
    assert kept[0] == fresh[1] and sorted(kept) == sorted(fresh)
    gone = [h.text for h in headings(vocabulary, 1, centroids, np.array([4, 4]), lexicon, embedder.encode, frozenset({"new servers"}))]
    assert gone == fresh


def test_entity_fragments_are_never_labels_or_keywords(embedder):
    """Text whose entities lost their "&" ("doesn #39;t", " quot;helping") names no topic "Quot"."""
    texts = [f"The fund quot;helping savers quot; doesn #39;t cut fees, quot;said the manager {i}." for i in range(6)] + \
            [f"Heavy rain flooded the coastal towns overnight, report {i} says." for i in range(6)]
    labels = np.repeat([0, 1], 6)
    centroids = np.stack([embedder.encode(texts[:6]).mean(axis=0), embedder.encode(texts[6:]).mean(axis=0)])
    for described in TopicDescriber(embedder.encode).describe(texts, labels, np.ones(12, np.float32), centroids):
        words = (described.label + " " + " ".join(k for k, _ in described.keywords)).lower()
        assert "quot" not in words and "39" not in words, described


def _paragraphs_of(folder: str, word: str, articles: int) -> list[str]:
    """The paragraphs (headline, then body paragraphs) of the first BBC articles of a desk that name ``word``."""
    texts: list[str] = []
    for path in sorted((SHARED_DATA / "bbc-news" / "bbc" / folder).glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if word in text:
            texts.extend(p.strip() for p in text.split("\n\n") if p.strip())
            articles -= 1
        if not articles:
            return texts
    return texts


@needs_shared
def test_a_topic_of_two_unrelated_subjects_is_labelled_by_both_not_one(embedder):
    """A label names one subject of a two-subject topic only at the cost of the other half: it gets a
    two-part label or its keywords, each half holding the label's words."""
    halves = [_paragraphs_of("business", "Yukos", 10), _paragraphs_of("entertainment", "Oscar", 10)]
    siblings = [_paragraphs_of("sport", "rugby", 10), _paragraphs_of("tech", "broadband", 10)]
    size = min(len(h) for h in halves)
    groups = [halves[0][:size] + halves[1][:size], *siblings]
    texts = [t for group in groups for t in group]
    labels = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    vectors = embedder.encode(texts)
    centroids = np.stack([vectors[labels == t].mean(axis=0) for t in range(len(groups))])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    label = TopicDescriber(embedder.encode).describe(texts, labels, (vectors * centroids[labels]).sum(axis=1),
                                                     centroids)[0].label
    parts = label_parts(label, words, stem, FUNCTION_WORDS)
    held = [label_matches(parts, [frozenset(stem(w) for w in words(t)) for t in half[:size]]).mean()
            for half in halves]
    assert min(held) >= 0.1, (label, held)


def test_an_abbreviation_and_its_long_form_are_one_subject_not_two_parts_of_a_label():
    for short, long in [("miRNAs", "microRNA"), ("IMU", "Islamic Movement of Uzbekistan"),
                        ("IEDs", "improvised explosive devices"), ("DCs", "dendritic cells"), ("UN", "United Nations")]:
        assert _abbreviates(short, long), (short, long)
    for short, long in [("HIV", "Malaria"), ("BT", "Broadband"), ("Sony", "Apple"), ("ANSF", "Afghan forces"),
                        ("miRNA", "mRNA")]:
        assert not _abbreviates(short, long), (short, long)


def test_a_phrase_of_several_words_counts_wherever_its_words_stand_in_some_form():
    """"hunting ban" heads a paragraph on "a ban on hunts"; a one-word term keeps its exact count."""
    texts = ["MPs voted for the hunting ban on Tuesday.", "The ban on hunts starts in February.",
             "Supporters of hunting marched in London.", "A new hunt was planned for the spring.",
             "Rain fell on the coastal towns.", "Storms closed the coastal roads."]
    lexicon = Lexicon.learn(texts)
    vocabulary = count_terms(texts, np.array([0, 0, 0, 0, 1, 1]), 2, lexicon, Boilerplate(), [False] * len(texts))
    terms = np.array([vocabulary.index["hunting ban"], vocabulary.index["hunting"]])
    counts = vocabulary.family_counts(terms, topic=0)
    assert counts[:, 0].tolist() == [2, 0]  # the phrase itself, and the ban on hunts
    assert counts[:, 1].tolist() == [2, 0]  # "hunting" as written: "hunts" and "hunt" are other words
    assert sorted(vocabulary.paragraphs(0, "hunting ban").tolist()) == [0, 1]


def test_a_word_any_paragraph_may_hold_does_not_make_a_phrase_specific():
    """"new film" says no more than "film" where every topic has news of something new; "box office"
    says more than "box" or "office" where there are other boxes and offices, and one thing where
    there are none."""
    texts = ["The new film took the top spot at the box office.", "Box office takings for the new film rose again.",
             "The new film earned more at the box office than expected.",
             "Critics liked the new film but the box office was slow.",
             "A new actor joined the cast of the show.", "The new director spoke at the office party.",
             "The new box set of awards shows sold out in London.", "A new prize was announced for young actors."]
    vocabulary = count_terms(texts, np.array([0] * 4 + [1] * 4), 2, Lexicon.learn(texts), Boilerplate(),
                             [False] * len(texts))
    sizes = np.array([4, 4])
    assert telling(vocabulary, 0, "new film", sizes) == [stem("film")]
    assert telling(vocabulary, 0, "box office", sizes) == [stem("box"), stem("office")]
    assert telling(vocabulary, 0, "film", sizes) == [stem("film")]
    alone = count_terms(texts[:4], np.zeros(4, int), 1, Lexicon.learn(texts[:4]), Boilerplate(), [False] * 4)
    assert telling(alone, 0, "box office", np.array([4])) == []


def test_forms_of_one_phrase_are_one_candidate_written_as_the_topic_most_often_writes_it():
    texts = ["Troops searched Khost province overnight.", "Elders in Khost province met the governor.",
             "Patrols crossed Khost province at dawn.", "Raids in Paktiya and Khost provinces ended.",
             "Rain fell on the coastal towns.", "Storms closed the coastal roads."]
    vocabulary = count_terms(texts, np.array([0, 0, 0, 0, 1, 1]), 2, Lexicon.learn(texts), Boilerplate(),
                             [False] * len(texts))
    found = candidates(vocabulary, 0, np.array([4, 2]), Lexicon.learn(texts))
    assert "khost province" in found and "khost provinces" not in found


def test_a_story_is_not_labelled_by_a_common_noun_alone(embedder):
    """"Fraud" may head a desk; a story whose best label is that bare noun takes its keywords instead
    (the describer appends them after the headings)."""
    texts = ["Fraud was alleged at the bank.", "Fraud is common, police said.", "Fraud rose again this year.",
             "Fraud worries the regulators.", "Rain fell on the coastal towns.", "Storms closed the coastal roads.",
             "Rain flooded the coastal villages.", "Storms hit the coastal ports."]
    lexicon = Lexicon.learn(texts)
    vocabulary = count_terms(texts, np.array([0] * 4 + [1] * 4), 2, lexicon, Boilerplate(), [False] * len(texts))
    centroids = np.array([embedder.encode(texts[:4]).mean(axis=0), embedder.encode(texts[4:]).mean(axis=0)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    theme = [h.text for h in headings(vocabulary, 0, centroids, np.array([4, 4]), lexicon, embedder.encode)]
    story = [h.text for h in headings(vocabulary, 0, centroids, np.array([4, 4]), lexicon, embedder.encode, story=True)]
    assert theme[0] == "Fraud" and "Fraud" not in story


CONSOLES = ["Shoppers queued for video games consoles before the holiday.",
            "Sales of video games consoles rose sharply this year.",
            "Handheld video games consoles sold out in many shops.",
            "Makers cut the price of video games consoles again.",
            "The Nintendo handheld led video games consoles sales in Japan.",
            "Rivals of Nintendo priced their video games consoles lower.",
            "Video games consoles now play films and music too.",
            "Online play keeps video games consoles selling.",
            "Retailers stocked more video games consoles than last year.",
            "Video games consoles were the most wanted gift."]


def test_a_one_word_name_that_covers_a_part_of_a_story_does_not_head_it(embedder):
    """"Nintendo" in two of ten paragraphs on consoles names a part of the story (rule *part_name*)."""
    texts = CONSOLES + WEATHER
    labels = np.repeat([0, 1], [len(CONSOLES), len(WEATHER)])
    centroids = np.stack([embedder.encode(CONSOLES).mean(axis=0), embedder.encode(WEATHER).mean(axis=0)])

    def label(rules: frozenset[str]) -> str:
        describer = TopicDescriber(embedder.encode, rules=rules)
        return describer.describe(texts, labels, np.ones(len(texts), np.float32), centroids, stories=True)[0].label

    assert label(DEFAULT_RULES - {"part_name"}) == "Nintendo"
    assert "nintendo" not in label(DEFAULT_RULES).lower()
