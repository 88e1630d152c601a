"""What the report's charts share (topic colours, legends, axis ticks, the SVG frame) and the
paragraphs-per-topic bars. Charts are inline SVG built from the report document, so the HTML report needs
nothing from the web.

Every piece of text placed in an SVG or a ``data-tip`` (hover text, shown by the page's script as plain text)
goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from ..display import counted

# Colours for many topics: the Tableau 10 colours but its grey (grey marks unassigned paragraphs), then
# each next colour the one farthest (CIELAB distance) from all before it and from white and the grey,
# among colours of lightness 35-78 and chroma at least 30, so any two of the first 30 differ by 27 or more.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
           "#4b00ff", "#ff00f0", "#4b5a0f", "#004be1", "#f0b478", "#ff0078", "#96c387", "#9600a5", "#965a00",
           "#ff8787", "#00785a", "#00d200", "#0087ff", "#a52d5a", "#b4b4f0", "#00d296", "#e178ff", "#ff1eb4",
           "#b43cff", "#d29600", "#ff0000", "#f0a5c3", "#87d22d", "#a5963c", "#4bc3ff", "#a53c2d", "#694b78",
           "#00691e", "#b41e87", "#2d4bb4", "#f0784b", "#698700", "#8778ff", "#e1a5ff", "#69d2b4", "#a5c35a",
           "#e13c5a", "#f06996", "#0087a5", "#b46987", "#00d269", "#3ca5ff", "#5a2de1", "#b4784b", "#78d278",
           "#5a874b", "#e13cd2", "#964be1", "#b43c00", "#9696ff", "#00965a", "#ff004b", "#f0a596", "#ff5a1e",
           "#ffa54b")
UNASSIGNED_COLOUR = "#cccccc"


def colours(report: dict[str, Any]) -> dict[int, str]:
    """One colour per topic id, in topic order; -1 (unassigned) is grey."""
    out = {t["id"]: PALETTE[i % len(PALETTE)] for i, t in enumerate(report["topics"])}
    out[-1] = UNASSIGNED_COLOUR
    return out


def nice_ticks(peak: float, count: int = 5, whole: bool = False) -> list[float]:
    """Round tick values from 0 to at least ``peak``: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if peak <= 0:
        return [0.0, 1.0]
    rough = peak / (count - 1)
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    if whole:
        step = max(1, math.ceil(step))
    return [round(i * step, 10) for i in range(int(math.ceil(peak / step - 1e-9)) + 1)]


def svg(width: float, height: float, body: list[str], label: str, min_width: float | None = None) -> Markup:
    """An SVG drawn at its natural size where there is room and shrunk to fit where not; charts with text
    keep ``min_width`` (their box scrolls instead) so labels stay readable on a phone."""
    style = f"max-width:{width:.0f}px" + (f";min-width:{min(width, min_width):.0f}px" if min_width else "")
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
                  f'style="{style}" role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def topic_name(topic: dict[str, Any], limit: int | None = None) -> str:
    """"id: label", cut to ``limit`` characters with an ellipsis."""
    name = f"{topic['id']}: {topic['label']}"
    return name if limit is None or len(name) <= limit else name[:limit - 1].rstrip() + "…"


def legend(report: dict[str, Any], unassigned: bool = False, keywords: int = 0) -> Markup:
    """Topic swatches with their labels (and their first ``keywords`` keywords); hovering one highlights
    that topic in its chart."""
    colour = colours(report)
    entries = [(t["id"], topic_name(t), ", ".join(k["term"] for k in t["keywords"][:keywords]))
               for t in report["topics"]] + ([(-1, "unassigned", "")] if unassigned else [])
    items = "".join(f'<li data-topic="{tid}" tabindex="0"><span class="swatch" style="background:{colour[tid]}">'
                    f'</span><span>{escape(name)}{f"<small>{escape(words)}</small>" if words else ""}</span></li>'
                    for tid, name, words in entries)
    return Markup(f'<ul class="legend">{items}</ul>')


def sizes_chart(report: dict[str, Any]) -> Markup:
    """Bars as rows of HTML text, each with a one-rect SVG bar, so labels keep the page's font size."""
    colour = colours(report)
    largest = max((t["paragraphs"] for t in report["topics"]), default=1) or 1
    rows = []
    for t in report["topics"]:
        tip = (f"{topic_name(t)}\n{counted(t['paragraphs'], 'paragraph')} ({100 * t['share']:.1f}%) · main topic of "
               f"{counted(t['articles'], 'article')} · present in {t['present_in']}")
        rows.append(f'<div class="bar-row" data-tip="{escape(tip)}">'
                    f'<span class="bar-name">{escape(topic_name(t))}</span>'
                    f'<svg class="bar-svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
                    f'<rect class="bar t{t["id"]}" data-topic="{t["id"]}" '
                    f'width="{100 * t["paragraphs"] / largest:.2f}" height="10" fill="{colour[t["id"]]}"/></svg>'
                    f'<span class="bar-value">{t["paragraphs"]}</span></div>')
    return Markup('<div class="bars">' + "".join(rows) + "</div>")
