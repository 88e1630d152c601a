"""HTML entities in the text of structured records, decoded, with those whose ``&`` an export lost.

Records exported from web pages and feeds (CSV, JSON, JSON Lines; feeds escaped twice) often keep
their text HTML-escaped (``&lt;TXN.N&gt;``, ``AT&amp;T``), which would otherwise reach snippets, keywords
and topic labels. Only complete entities are decoded (``&name;``, ``&#39;``, ``&#x27;``): a bare ``&``
(``R&D``, a URL's ``&copy=2``) is text, although HTML would read ``&copy`` as ``©``. Some exports turned
every ``&`` into a space, leaving ``doesn #39;t`` and `` quot;helping``; that space is given back its
``&`` first, for the names below only. Markdown and HTML files are not read through here: their parsers
decode their own entities.
"""

from __future__ import annotations

import html
import re

# Entity names found with their '&' turned into a space ('doesn #39;t', 'said  quot;helping', 'the  #36;10
# million', 'Inc. #39;s'). None is a word of prose, so a space before one is the lost '&' wherever it stands.
LOST_AMPERSAND = ("#39", "#36", "quot", "lt", "gt")
# Names that are also words ('a 13 amp; fuse'): repaired only where an '&' stood, joining two words
# ('AT amp;T', '2 amp;1') or alone between spaces ('Johnson  amp; Johnson').
LOST_AMPERSAND_WORDS = ("amp",)

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_NAMES = "|".join(map(re.escape, LOST_AMPERSAND))
_WORDS = "|".join(map(re.escape, LOST_AMPERSAND_WORDS))
_LOST = re.compile(rf" (?=(?:{_NAMES});)|(?<=\w) (?=(?:{_WORDS});\w)|(?<= ) (?=(?:{_WORDS}); )")


def decode_entities(text: str) -> str:
    """``text`` with lost ``&``s given back and its complete HTML entities decoded; else as written."""
    if "&" not in text and ";" not in text:
        return text
    return _ENTITY.sub(lambda match: html.unescape(match.group()), _LOST.sub("&", text))
