"""Noun phrases without a tagger: what the corpus itself says about its words."""

from __future__ import annotations

from topics.keywords import is_keyword
from topics.phrases import Lexicon, phrases, single_words, tokens

TEXTS = [
    "Microsoft released its new software on Monday.",
    "Analysts praised the new version of the operating system.",
    "Rivals plan a new phone and new services for the spring.",
    "The company said the software would ship to every new customer.",
    "Microsoft's new browser draws on the software of its rivals.",
]


def test_words_used_before_nouns_are_premodifiers_and_nouns_are_not():
    lexicon = Lexicon.learn(TEXTS)
    assert "new" in lexicon.premodifiers
    assert "software" not in lexicon.premodifiers
    assert "microsoft" not in lexicon.premodifiers  # a name: its own rule


def test_phrases_still_hold_the_modifier_before_its_noun():
    lexicon = Lexicon.learn(TEXTS)
    keys = {p.key for p in phrases("Microsoft's new browser is out.", lexicon)}
    assert "new browser" in keys  # a premodifier only stops a heading from ending with it


def test_a_phrase_knows_whether_it_ends_its_noun_phrase():
    """A name before a product code ("new IBM Power5 servers") makes "new IBM" a phrase that stops short of
    its head noun; "of" may follow a head ("list of terrorist groups")."""
    lexicon = Lexicon.learn(TEXTS)
    ends = {p.key: p.ends for p in phrases("Buyers want the new IBM Power5 servers and a list of rivals.", lexicon)}
    assert ends["new ibm"] is False and ends["ibm"] is False
    assert ends["new ibm power5 servers"] is True and ends["servers"] is True
    assert ends["list"] is True and ends["list of rivals"] is True


def test_of_joins_a_phrase_however_often_the_corpus_writes_of_the():
    """"of the" puts "of" before an article as a verb would stand; it is a function word with its own rule."""
    texts = ["Most of the rise came from the Bank of England.", "Some of the banks of the city closed.",
             "Part of the list of terrorist groups was read out."]
    lexicon = Lexicon.learn(texts)
    keys = {p.key for text in texts for p in phrases(text, lexicon)}
    assert "bank of england" in keys and "list of terrorist groups" in keys


def test_a_time_of_day_in_the_possessive_opens_no_phrase_but_a_night_raid_is_one():
    texts = ["The Red Sox lost Sunday night's game in Boston.", "Troops carried out a night raid on the compound."]
    lexicon = Lexicon.learn(texts)
    keys = {p.key for text in texts for p in phrases(text, lexicon)}
    assert "game" in keys and "night raid" in keys
    assert not any(key.startswith("night's") for key in keys)


def test_months_are_no_keywords():
    assert not is_keyword("jan") and not is_keyword("october")
    assert is_keyword("protest march") and is_keyword("interest rates")


def test_a_name_of_more_than_two_words_is_one_keyword_and_a_longer_common_phrase_none():
    assert is_keyword("collective security treaty organization", "Collective Security Treaty Organization")
    assert not is_keyword("collective security treaty organization", "collective security treaty organization")
    assert not is_keyword("new security treaty")


def test_a_verb_in_the_past_is_a_participle_and_the_injured_are_not():
    texts = ["The security force targeted a compound.", "Forces targeted the leader.",
             "The patrol searched the area.", "The injured were taken to hospital.", "Doctors treated the injured."]
    lexicon = Lexicon.learn(texts)
    assert {"targeted", "searched"} <= lexicon.participles
    assert "injured" not in lexicon.participles


def test_a_name_coordinated_before_a_noun_is_still_a_modifier():
    """ "Afghan and coalition forces" says nothing against "Afghan" standing before nouns, so it may
    not lead a label on its own ("Afghan: suspected insurgents")."""
    texts = ["A combined Afghan and coalition force detained two suspects in the district."] * 6 + \
            ["The suspects were handed to Afghan forces at the scene."] * 2
    lexicon = Lexicon.learn(texts)
    assert "afghan" in lexicon.modifiers
    assert "russian" not in Lexicon.learn(["He spoke to the Russian and left."] * 4).modifiers


def test_a_heading_keeps_its_negation_and_a_keyword_never_opens_with_it():
    lexicon = Lexicon.learn(["There were no civilian casualties during the operation."])
    text = "There were no civilian casualties. Aides at No 10 Downing Street said no."
    negated = {p.key for p in phrases(text, lexicon, negated=True)}
    assert {"no civilian casualties", "civilian casualties", "downing street"} <= negated
    assert not any(key.startswith("no 10") or key == "no" for key in negated)
    assert "no civilian casualties" not in {p.key for p in phrases(text, lexicon)}  # boilerplate reads plain
    assert not is_keyword("no civilian") and is_keyword("civilian casualties")


def test_capitals_of_a_title_case_headline_are_no_evidence_but_an_acronym_in_it_is():
    texts = ["Iraqi PM Allawi Visits Paris", "Blair And Iraqi PM Meet", "Talks Resume Today",
             "The talks begin at 5 pm in Paris.", "The talks resume today in Paris."]
    lexicon = Lexicon.learn(texts, [True, True, True, False, False])
    assert lexicon.surface("pm") == "PM"  # twice in capitals in titles, once as "5 pm"
    assert lexicon.surface("talks") == "talks"  # "Talks" opens a title and a sentence: no evidence either way
    shouting = Lexicon.learn(["KABUL IN BRIEF: TALKS RESUME", "The talks resume in Kabul."], [True, False])
    assert shouting.surface("talks") == "talks"


def test_a_word_only_ever_a_verb_ends_a_phrase_even_in_a_corpus_too_small_to_show_it():
    text = "The IAAF said new substances were found, officials told radio fans to hear programmes."
    keys = {p.key for p in phrases(text, Lexicon.learn([text]))}
    assert {"new substances", "radio fans", "programmes"} <= keys
    assert not any(word in key.split() for key in keys for word in ("said", "told", "hear"))


def test_a_word_seen_only_at_sentence_starts_takes_the_capital_of_the_name_it_begins():
    lexicon = Lexicon.learn(["Kazakh media outlets reported the meeting.", "Delegates met in Kazakhstan and Iraq.",
                             "Iraqi officials attended.", "Media coverage was wide."])
    assert lexicon.surface("kazakh media") == "Kazakh media" and lexicon.surface("iraqi officials") == "Iraqi officials"
    assert lexicon.surface("delegates") == "delegates" and lexicon.surface("media coverage") == "media coverage"


def test_a_common_beginning_of_a_longer_name_is_not_that_name():
    lexicon = Lexicon.learn(["Subs not used: Cudicini, Johnson.", "Users of the Digital Subscriber Line pay more.",
                             "Subs: Smith for Jones."])
    assert lexicon.surface("subs") == "subs"


def test_single_words_are_exactly_the_one_word_phrases():
    lexicon = Lexicon.learn(TEXTS)
    for text in TEXTS + ["Tonight's game was no contest, the 40-year-old coach said.", "IBM's new servers"]:
        assert single_words(tokens(text), lexicon) == {p.key for p in phrases(text, lexicon, 3) if " " not in p.key}


def test_a_contraction_of_function_words_is_one():
    """"We're" is "we are": no keyword or label, with either apostrophe."""
    lexicon = Lexicon.learn(["We’re moving forward with the people.", "We're told it won't stop."])
    keys = {p.key for text in ("We're moving forward with the Afghan people.", "It isn’t over, they’ve said.")
            for p in phrases(text, lexicon)}
    assert keys == {"forward", "afghan", "afghan people", "people"}
