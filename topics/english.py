"""English as data: the word lists the noun-phrase grammar (:mod:`topics.phrases`) and the keyword
choice (:mod:`topics.keywords`) read, in one place. Closed classes and small sets of forms only; words a
corpus uses as it likes (verbs, adjectives, names) are learnt from the corpus itself."""

from __future__ import annotations

import re

# Function words: a phrase never holds one (but ``of`` between words). Closed classes only, so topic
# words such as "fire", "bill" or "interest" (stop words in some lists) stay available.
FUNCTION_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although always am
among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became because
become becomes becoming been before beforehand behind being below beside besides between beyond both but
by can cannot could did do does doing done down during each either else elsewhere enough etc even ever
every everyone everything everywhere except few for former formerly from further had has have having he
hence her here hereafter hereby herein hers herself him himself his how however i if in indeed into is it
its itself just last latter latterly least less many may me meanwhile might mine more moreover most mostly
much must my myself namely neither never nevertheless next no nobody none noone nor not nothing now nowhere
of off often on once one only onto or other others otherwise our ours ourselves out over own per perhaps
please quite rather re same seem seemed seeming seems several she should since so some somehow someone
something sometime sometimes somewhere still such than that the their theirs them themselves then thence
there thereafter thereby therefore therein thereupon these they this those though through throughout thru
thus to together too toward towards under unless until up upon us very via was we well were what whatever
when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which while
whither who whoever whole whom whose why will with within without would yet you your yours yourself
yourselves like unlike amid including despite versus vs s t ll ve d m o y n't not
""".split())
# ... and their contractions ("we're", "don’t"), written with either apostrophe: words the tokenizer keeps
# whole, so the list above never sees their parts (it takes "'s" off as a possessive: "it's" is "it").
_CONTRACTIONS = """
i'm i've i'd i'll we're we've we'd we'll you're you've you'd you'll he'd he'll she'd she'll
they're they've they'd they'll it'd it'll
don't doesn't didn't can't couldn't won't wouldn't shouldn't isn't aren't wasn't weren't hasn't haven't
hadn't mustn't mightn't needn't
""".split()
FUNCTION_WORDS = FUNCTION_WORDS | {form for word in _CONTRACTIONS for form in (word, word.replace("'", "’"))}
# Reporting verbs, honorifics, time and number words: never at a phrase's edge; no keyword either.
REPORTING = frozenset("""
said says say saying told tell tells telling added adds according asked asks stated states explained
explains noted notes claimed claims insisted insists announced announces confirmed confirms reported
warned warns urged urges commented comments described describes suggested suggests believes believed
""".split())
# Words that are only ever verbs: verbs of speech and the base forms of common irregular verbs. They
# end a phrase even where the corpus is too small to show them as verbs ("The IAAF said new
# substances …", "radio fans can hear programmes"); a large corpus shows them anyway.
ONLY_VERBS = frozenset("""
said says saying told tells telling hear see make get give take keep let bring begin become know think
seem choose grow throw write speak seek teach buy send lose feel
""".split())
HONORIFICS = frozenset("mr mrs ms miss mx dr prof sir dame lord lady rev st gen lt col sgt capt maj cpl".split())
NUMBER_WORDS = frozenset("""
hundred hundreds thousand thousands million millions billion billions dozen dozens several numerous
additional various
""".split())
SPELLED_NUMBER = re.compile(r"(?:(?:twen|thir|for|fif|six|seven|eigh|nine)ty(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
                      r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
                      r"|(?:thir|four|fif|six|seven|eigh|nine)teen)")
TIME_WORDS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight week weeks
weekend month months year years day days time times ago earlier later recently
""".split())
# Months say when, not what about: no keyword holds one ("Jan" under a topic of press releases).
MONTHS = frozenset("""
january february april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
""".split())
EDGE_WORDS = REPORTING | HONORIFICS | TIME_WORDS | NUMBER_WORDS
# In the possessive these say when, like a day's name ("Saturday night's game"); "night raid" is a kind of raid.
TIMES_OF_DAY = frozenset("morning afternoon evening night".split())
# Past forms of strong verbs, which no -ed rule catches and which are not nouns: no heading holds one
# ("tight election race came").
STRONG_PAST = frozenset("""
came went took made gave won began brought became chose drew drove flew grew knew threw wrote spoke broke
fought sought caught taught thought bought sold held kept met ran saw got stood sent spent paid lost felt
fell rose
""".split())
SUBJECTS = frozenset("i you he she it we they who which was were been be being is are has have had".split())
MODALS = frozenset("will would can could should may might must shall cannot n't not".split())
ARTICLES = frozenset("the a an his her its their our my your this these those".split())
OBJECTS = frozenset("the a an his her its their our him them us me".split())
# Names of HTML entities, left as words where a source lost their "&" ("doesn #39;t", " quot;helping"):
# markup, not language, so never a word of a phrase ("Quot" was a label).
ENTITY_NAMES = frozenset("quot amp apos nbsp lt gt ndash mdash hellip rsquo lsquo rdquo ldquo".split())
