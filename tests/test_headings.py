"""Labels across topics: unique, and name-led labels that do not say the same thing twice."""

from __future__ import annotations

from topics.headings import Heading, distinct
from topics.vocabulary import stem


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
