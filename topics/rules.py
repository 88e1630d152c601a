"""The named rules a label passes, each with the one line that says why, as data.

Every rule can be switched off (``TopicDescriber(rules=...)``), so its effect can be measured: the
ablation table of ``scripts/eval_topics.py --stories --ablation`` prints, for each rule, the change in
every label measure (support, sibling precision, consistency: :mod:`topics.quality`) on each corpus
when it is off. A rule stays while switching it off makes the labels worse on at least two of BBC, AG
News and ISAF, as *supported*, *agrees*, *nearest* and *two_part* do. The others stay for what those
measures cannot see, each said where it is measured: *distinctive* and *specific* are what a label is
(more common in its topic than in any sibling; no common noun where a name or a phrase of telling words
exists), and the measures favour the frequent generic word; *story_keywords* gave BBC, AG News and ISAF
stories 10 labels an editor reads better and 4 worse ("NBA, brawl, Pistons" for "Points", "Legal
action" for "Piracy"), the measures within 0.01; *body_text* and *whole_phrase* keep out
labels seen on AG News ("CEO Nelson resigns", "New IBM") that hold their topic's words all the same;
*lead_name* gives the seed its "Taliban: list of terrorist groups" (without it "Russian Parliament"),
at a cost the measures do see (AG News and BBC stories meet both label targets 4–5 points more often
without it). *part_name* gave BBC stories "Best actress" for "Aviator", "Broadband services" for "BT"
and "Video games" for "Nintendo" ("General Motors" for "Fiat", and Google's stories on BBC and AG News
their keywords, read as even); off, BBC stories meet both label targets 3 points less often and AG
News stories' support falls 0.01. *two_subjects* changes no topic of BBC, AG News or ISAF, none of which holds two
unrelated subjects (:mod:`topics.subjects`); it is there for the topic that does, which a small
corpus or a forced count makes, and where one half's name would mislabel the other.

The noun-phrase grammar that proposes candidates (:mod:`topics.phrases`, its word lists in
:mod:`topics.english`) and the boilerplate finder (:mod:`topics.boilerplate`) come before these
rules; the objective that ranks what passes them is stated in :mod:`topics.headings`.
"""

from __future__ import annotations

RULES: dict[str, str] = {
    "supported": "a label's words (each in some form) occur together in at least a tenth of its topic's "
                 "paragraphs: a heading is about the topic, not about one paragraph of it",
    "distinctive": "most of the paragraphs of a topic and its siblings that hold a label are the topic's: "
                   "it tells the topic from the others",
    "agrees": "a label shares a word family with one of its topic's ten keywords: the keywords are what "
              "readers trust, and a label none of them backs reads as another topic ('Oil prices' over "
              "dollar, euro, currency)",
    "nearest": "a label embeds nearer its own topic's centroid than any sibling's: what it means, not only "
               "its words, points at the topic",
    "specific": "a common noun ranks below a name or a phrase of several words that each tell the topic "
                "apart: 'Court' or 'Company' heads any number of topics, and 'new film' says no more than "
                "'film'",
    "body_text": "candidates come from body text where the topic has any: headlines drop articles and put "
                 "verbs in the present ('Israel kills'), which reads as a noun phrase",
    "whole_phrase": "a label ends where its noun phrase does at least once, and not on a word the corpus "
                    "writes before nouns: 'new IBM' of 'new IBM Power5 servers', 'Microsoft's new'",
    "lead_name": "a name found in most of a topic's paragraphs, far more than in its siblings', leads the "
                 "label ('Taliban: list of terrorist groups'): a bare name says who, not what about",
    "two_part": "a topic that no phrase covers gets a label of two parts that together do, rather than the "
                "name of one sub-story",
    "story_keywords": "a story whose best label is a one-word common noun is labelled by its strongest "
                      "keywords instead: a noun alone names a desk ('Economy'), not an event ('Fraud' over "
                      "WorldCom, Ebbers, fraud)",
    "part_name": "a one-word name that covers less of a story than a common noun does (alone or with words "
                 "that tell nothing) names a part of it, not the whole ('Aviator' over actress, Hilary Swank, "
                 "Jamie Foxx; 'BT' over broadband)",
    "two_subjects": "a topic whose best words fall into two groups found apart at least as strongly as each "
                    "is found together takes keywords from both and a label naming both: one half's name "
                    "misleads about the other",
}
DEFAULT_RULES = frozenset(RULES)


def check_rules(rules: frozenset[str]) -> frozenset[str]:
    """``rules`` as given, after refusing a name that is not a rule."""
    unknown = sorted(rules - RULES.keys())
    if unknown:
        raise ValueError(f"unknown label rules {', '.join(unknown)}; the rules are {', '.join(RULES)}")
    return rules
