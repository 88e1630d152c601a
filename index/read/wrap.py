"""Hard-wrapped text: lines broken at a fixed width inside a paragraph are joined again.

Text that someone wrapped at, say, 72 columns has most of its lines near one width, while text with one
paragraph per line (as the seed and BBC News) has lines of every length. So wrapping is detected from
the file's own line lengths: the width is the 90th percentile of the lengths of non-blank lines, and the
text is wrapped when that width lies between 30 and 120 columns, at least half the lines reach within
10 columns of it, and no more than a tenth go more than 10 columns past it (a press release's short
header lines above one long paragraph are not wrapping). Joining then follows how a greedy wrapper
works: a line ends its paragraph when the next line's first word would have fitted on it (so the break
was meant), at a blank line, or where the indentation changes. Unwrapped text is returned unchanged.
"""

from __future__ import annotations

import re

_INDENT = re.compile(r"[ \t]*")


def wrap_width(lines: list[str]) -> int | None:
    """The width the text was wrapped at, or ``None`` when it was not wrapped."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if len(lengths) < 4:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    near = sum(width - 10 <= length <= width for length in lengths)
    beyond = sum(length > width + 10 for length in lengths)  # a wrapper leaves no line far past its width
    return width if 30 <= width <= 120 and near >= 0.5 * len(lengths) and beyond <= 0.1 * len(lengths) else None


def unwrap(text: str) -> str:
    """``text`` with the lines of each wrapped paragraph joined into one line (see the module docstring)."""
    lines = text.split("\n")
    width = wrap_width(lines)
    if width is None:
        return text
    out: list[str] = []
    current = ""
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            out += [current, ""] if current else [""]
            current = ""
            continue
        # a compound the wrapper broke at its hyphen ("remote-" / "controlled") joins without a space
        glue = "" if current[-2:-1].isalpha() and current.endswith("-") and stripped[:1].isalpha() else " "
        current = f"{current}{glue}{stripped}" if current else stripped
        following = lines[number + 1] if number + 1 < len(lines) else ""
        first_word = following.split()[0] if following.split() else ""
        indent_changes = len(_INDENT.match(following).group()) != len(_INDENT.match(line).group())
        if not first_word or indent_changes or len(line.rstrip()) + 1 + len(first_word) <= width:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)
