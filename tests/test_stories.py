"""Same-story detection without a model: the kinds of duplicate, template releases told apart, the
new-material measure and the MinHash candidates."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from index.minhash import MAX_BUCKET, buckets, signatures
from index.shingles import story_text, unmatched
from index.stories import StoryIndex

STORY = [
    "Engineers opened the tallest road bridge in the world on Tuesday, a span of steel and concrete that "
    "carries motorists 270 metres above the Tarn valley near Millau in southern France.",
    "President Jacques Chirac cut the ribbon. He called the viaduct a masterpiece of French engineering. "
    "Thousands of visitors crowded the hillsides to watch the ceremony.",
    "The bridge was designed by the British architect Norman Foster and built by the Eiffage group for "
    "about 400 million euros, paid back by tolls over the next 75 years.",
    "Local traders had feared that the new road would take summer traffic away from the town, but the "
    "mayor said the viaduct would bring more visitors than it diverts.",
]
FILLER = ["Vandals", "Suddenly", "Paper", "Orange", "Quietly", "Lantern", "Forty", "Cobalt"]
RELEASE = ("In {district} district, {province} province, a combined Afghan and coalition security force detained "
           "{count} suspected insurgents during an operation in search of a Taliban leader, {day}. The leader "
           "directs an insurgent cell in the district and is responsible for attacks against Afghan and "
           "coalition forces in the region. {extra}")
EVENTS = [("Nahr-e Saraj", "Helmand", "two", "yesterday", "The force seized two rifles and a motorcycle."),
          ("Sayyidabad", "Wardak", "several", "Sunday", "No shots were fired during the operation."),
          ("Zarghun Shahr", "Paktiya", "three", "today", "An assault rifle was recovered at the compound."),
          ("Maiwand", "Kandahar", "multiple", "Monday", "The detainees were taken in for questioning."),
          ("Sabari", "Khost", "four", "yesterday", "A cache of explosives was destroyed on site."),
          ("Burkah", "Baghlan", "two", "Friday", "One of the men tried to flee and was stopped."),
          ("Marjeh", "Helmand", "several", "Saturday", "Afghan forces called the occupants out peacefully."),
          ("Washer", "Helmand", "one", "today", "Residents told the patrol where the leader hid.")]


def edited(paragraphs: list[str]) -> list[str]:
    """The story re-published with edits: its third paragraph dropped, the sentences of the second in
    reverse order, and one word in ten replaced."""
    kept = [paragraphs[0], ". ".join(reversed(paragraphs[1].rstrip(".").split(". "))) + ".", paragraphs[3]]
    out = []
    for number, paragraph in enumerate(kept):
        words = paragraph.split()
        for i in range(number + 3, len(words), 10):
            words[i] = FILLER[i % len(FILLER)]
        out.append(" ".join(words))
    return out


def releases() -> dict[str, tuple[str, list[str]]]:
    """Press releases written from one template, each a different raid; the first two are items of one
    digest, under the same header."""
    out = {}
    for number, (district, province, count, day, extra) in enumerate(EVENTS):
        header = f"ISAF Joint Command - Afghanistan 2011-11-S-{number if number > 1 else 0:03d} For Immediate Release"
        body = RELEASE.format(district=district, province=province, count=count, day=day, extra=extra)
        out[f"release-{number}"] = ("", [header, body])
    return out


def index_of(articles: dict[str, tuple[str, list[str]]]) -> StoryIndex:
    return StoryIndex({key: story_text(title, paragraphs) for key, (title, paragraphs) in articles.items()})


def test_template_releases_of_different_events_are_not_one_story_but_an_edited_copy_is():
    articles = releases() | {"story": ("World's tallest bridge opens", STORY),
                             "story-edited": ("Update: world's tallest bridge opens in France", edited(STORY))}
    index = index_of(articles)
    assert ("story", "story-edited") in index.lexical_candidates()
    assert index.kind("story", "story-edited", similarity=0.8, threshold=0.9)[0] == "edited"
    for a, b in combinations(releases(), 2):  # they embed alike: a similarity above the threshold
        assert index.kind(a, b, similarity=0.97, threshold=0.9)[0] is None, (a, b)


def test_copies_parts_and_rewrites_are_told_apart():
    rewrite = ["On Tuesday the world's tallest road bridge, 270 metres above the Tarn valley near Millau in southern "
               "France, was opened to motorists. Jacques Chirac, the president, cut the ribbon and praised the "
               "viaduct as a masterpiece of French engineering while thousands watched from the hillsides."]
    renamed = [rewrite[0].replace("Millau", "Garabit").replace("Tarn", "Truyere").replace("Chirac", "Carnot")
               .replace("Tuesday", "Sunday")]
    articles = {"story": ("Bridge opens", STORY), "copy": ("Bridge opens", [STORY[0].replace("Tuesday", "Monday"),
                                                                             *STORY[1:]]),
                "lead": ("", STORY[:2]), "excerpt": ("", [STORY[2]]), "rewrite": ("", rewrite),
                "renamed": ("", renamed),
                "other": ("", ["The central bank left interest rates unchanged for a sixth month on Thursday."])}
    index = index_of(articles)
    assert index.kind("copy", "story", 1.0, 0.9)[0] == "copy"
    assert index.kind("excerpt", "story", 0.7, 0.9)[0] == "part"
    assert index.kind("lead", "rewrite", 0.92, 0.9)[0] == "rewrite"
    assert index.kind("lead", "rewrite", 0.85, 0.9)[0] is None  # below the threshold: not shown to be one
    assert index.kind("lead", "renamed", 0.92, 0.9)[0] is None  # the same words, other names: another story
    assert index.kind("other", "story", 0.95, 0.9)[0] is None


def test_an_item_of_a_digest_is_not_the_story_of_the_whole_but_a_fuller_version_is():
    header = "Operational update for the third of November, issued at noon in the capital"
    raids = ["In Sayyidabad district, Wardak province, an Afghan and coalition security force arrested a bomb "
             "maker on Sunday after villagers reported him to the police. He had supplied explosives to fighters "
             "across the valley for two years, and his workshop was destroyed.",
             "In Zarghun Shahr district, Paktiya province, an Afghan and coalition security force seized a truck "
             "loaded with fertiliser bound for a workshop in the hills, and questioned its driver for hours before "
             "he was released to his family.",
             "In Maiwand district, Kandahar province, an Afghan and coalition security force detained a Taliban "
             "financier on Monday who paid fighters to plant roadside mines near the villages west of the city."]
    more = ["Afghan officials said the financier held in Maiwand district had paid for attacks on the highway "
            "across Kandahar province, and an Afghan and coalition security force had tracked him for weeks.",
            "Elders in Maiwand said the money had bought mines and motorcycles, and the governor of Kandahar "
            "thanked the force, saying that families in the district could travel to the market again."]
    articles = releases() | {"digest": ("", [header, *raids]), "item": ("", [header, raids[2]]),
                             "fuller": ("", [header, raids[2], *more])}
    index = index_of(articles)
    # the digest holds the item whole, and two raids from the same form that name none of its places
    assert index.kind("item", "digest", similarity=0.9, threshold=0.9)[0] is None
    # the fuller version adds as much, from the same form, but names the item's district and province again
    assert index.kind("item", "fuller", similarity=0.9, threshold=0.9)[0] == "part"


def test_new_material_counts_runs_of_unmatched_words_not_scattered_edits():
    original = story_text("", ["one two three four five six seven eight nine ten eleven twelve thirteen fourteen"])
    changed = story_text("", ["one two three four XX six seven eight nine YY eleven twelve thirteen fourteen"])
    longer = story_text("", ["one two three four five six seven a clause of new words here eight nine ten eleven "
                             "twelve thirteen fourteen"])
    assert unmatched(changed, np.intersect1d(changed.grams, original.grams)) == 0.0
    assert unmatched(longer, np.intersect1d(longer.grams, original.grams)) == 6 / 20
    assert unmatched(original, np.zeros(0, np.uint64)) == 1.0


def test_minhash_buckets_hold_alike_sets_and_skip_crowded_ones():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2 ** 63, size=200, dtype=np.uint64)
    sets = [base, np.concatenate([base[:180], rng.integers(0, 2 ** 63, 20, dtype=np.uint64)]),
            rng.integers(0, 2 ** 63, size=200, dtype=np.uint64)]
    groups = buckets(signatures(np.concatenate(sets), np.array([0, 200, 400])))
    assert {tuple(sorted(g.tolist())) for g in groups} == {(0, 1)}
    crowd = np.tile(base, MAX_BUCKET + 1)
    assert buckets(signatures(crowd, np.arange(0, len(crowd), 200))) == []
