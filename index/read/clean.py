"""Feed and CMS boilerplate that is not part of the article."""

from __future__ import annotations

import re

# Lines syndication adds after the article; each must match a whole line.
TRAILING_BOILERPLATE = (
    re.compile(r"^The post .+ appeared first on .+?\.?$"),  # WordPress feed footer
    re.compile(r"^(Continue reading|Read more|Read the full (story|article))\b.{0,80}$", re.I),
)


def strip_trailing_boilerplate(lines: list[str]) -> list[str]:
    """Drop boilerplate lines (and the blank lines around them) from the end of an article."""
    end = len(lines)
    while end:
        line = lines[end - 1].strip()
        if line and not any(p.match(line) for p in TRAILING_BOILERPLATE):
            break
        end -= 1
    return lines[:end]
