"""Text for people: counts with their nouns (for the terminal, the reports and the pages alike; from
:mod:`index.wording`, which the store's own messages use too), and paragraph text for the terminal:
wrapped, cut to a readable length around the matches, and with the matched query terms highlighted
when the output is a colour terminal."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import IO

from index.wording import counted

__all__ = ["counted", "excerpt", "use_colour"]

BOLD_YELLOW, RESET = "\x1b[1;33m", "\x1b[0m"
_WORD = re.compile(r"\S+")


def use_colour(choice: str, stream: IO[str]) -> bool:
    """``always``/``never``, or ``auto``: a terminal, unless ``NO_COLOR`` is set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR")


def excerpt(text: str, matches: Sequence[tuple[int, int]] = (), *, limit: int = 400, width: int = 100,
            indent: str = "      ", colour: bool = False) -> str:
    """``text`` wrapped to ``width`` and cut near ``limit`` characters at a word boundary.

    When the first match lies past the cut, the excerpt starts shortly before it instead, so a hit
    always shows why it matched. With ``colour`` the ``matches`` (character spans) are highlighted.
    """
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    first = min((s for s, _ in matches), default=0)
    begin = 0
    if matches and first + 40 > limit:
        begin = next(s for s, e in words if e > first - limit // 4)
    shown = [(s, e) for s, e in words if s >= begin and e - begin <= limit] or words[:1]
    lines, line, used = [], [], len(indent)
    for start, end in shown:
        if line and used + 1 + end - start > width:
            lines.append(indent + " ".join(line))
            line, used = [], len(indent)
        line.append(_marked(text, start, end, matches) if colour else text[start:end])
        used += (1 if len(line) > 1 else 0) + end - start
    if line:
        lines.append(indent + " ".join(line))
    if shown and begin > 0:
        lines[0] = indent + "… " + lines[0][len(indent):]
    if shown and shown[-1][1] < (words[-1][1] if words else 0):
        lines[-1] += " …"
    return "\n".join(lines)


def _marked(text: str, start: int, end: int, matches: Sequence[tuple[int, int]]) -> str:
    """``text[start:end]`` with the parts inside ``matches`` wrapped in colour codes."""
    out, at = [], start
    for low, high in sorted(matches):
        low, high = max(low, start), min(high, end)
        if low >= high or low < at:
            continue
        out += [text[at:low], BOLD_YELLOW, text[low:high], RESET]
        at = high
    out.append(text[at:end])
    return "".join(out)
