"""Labels across topics: unique, and name-led labels that do not say the same thing twice."""

from __future__ import annotations

from topics.headings import Heading, distinct


def test_name_led_labels_share_no_word_family_and_the_lighter_topic_moves_on():
    isis = [Heading("ISIS: spread of terrorism", ("spread", "terrorism"), (0.06, 0.03)),
            Heading("ISIS: cross-border militant activities", ("cross-border", "militant", "activities"),
                    (0.03, 0.03, 0.03))]
    taliban = [Heading("Taliban: list of terrorist groups", ("list", "terrorist", "groups"), (0.12, 0.06, 0.04)),
               Heading("Taliban: draft law", ("draft", "law"), (0.07, 0.07))]
    assert distinct([isis, taliban]) == ["ISIS: cross-border militant activities", "Taliban: list of terrorist groups"]


def test_unled_labels_may_share_words_but_never_the_whole_label():
    oil = [Heading("Oil prices"), Heading("Crude oil")]
    firms = [Heading("Oil company"), Heading("Shares")]
    assert distinct([oil, firms]) == ["Oil prices", "Oil company"]
    assert distinct([oil, [Heading("Oil prices"), Heading("Oil company")]]) == ["Oil prices", "Oil company"]


def test_a_topic_whose_every_label_clashes_keeps_its_best_one_no_other_topic_has():
    first = [Heading("Taliban: terrorist list", ("terrorist", "list"), (0.2, 0.2))]
    second = [Heading("ISIS: terrorism", ("terrorism",), (0.1,))]
    assert distinct([first, second]) == ["Taliban: terrorist list", "ISIS: terrorism"]
    assert distinct([[Heading("Economy")], [Heading("Economy")]]) == ["Economy", ""]
