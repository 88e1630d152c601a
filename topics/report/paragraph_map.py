"""The map of paragraphs as inline SVG: a point per drawn paragraph in its topic's colour, and each topic's
id and label at the middle of its points (or just above or below them), placed largest topic first; a
label with no room is cut to the id. On a phone (the page's CSS) only the ids show, larger."""

from __future__ import annotations

from statistics import median
from typing import Any

from markupsafe import Markup, escape

from .charts import colours, svg, topic_name

SIZE = 560  # the SVG's own width and height
PAD = 10
FONT = 12  # label size on a wide screen; the page sets the phone size
PHONE_FONT = 22  # in the SVG's units: about 13 px once a phone shrinks the map to its width
LABEL_CHARS = 24
CHAR_WIDTH = 0.6  # of the font size, a generous average for the page's sans-serif
COVER = 3  # other topics' points a name may hide


Box = tuple[float, float, float, float]


def _box(x: float, y: float, text: str, font: float) -> Box:
    half = len(text) * font * CHAR_WIDTH / 2
    return x - half, y - font, x + half, y + font / 4


def _clear(box: Box, placed: list[Box]) -> bool:
    return all(box[2] < b[0] or b[2] < box[0] or box[3] < b[1] or b[3] < box[1] for b in placed)


def _covers(box: Box, points: list[tuple[float, float]]) -> int:
    return sum(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in points)


def _spot(name: str, points: list[tuple[float, float]], others: list[tuple[float, float]],
          placed: list[Box]) -> tuple[float, float, bool]:
    """Where a topic's label goes: the middle of its points, else just above or below them, whichever
    first clears the labels placed so far and covers no more than :data:`COVER` of other topics' points;
    with ``False`` (the id alone, in the middle) where none does."""
    half = len(name) * FONT * CHAR_WIDTH / 2
    xs, ys = sorted(p[0] for p in points), sorted(p[1] for p in points)
    x = min(max(median(xs), PAD + half), SIZE - PAD - half)
    middle = min(max(median(ys), PAD + FONT), SIZE - PAD)
    for y in (middle, ys[0] - 3, ys[-1] + FONT + 1):
        if PAD + FONT <= y <= SIZE - PAD:
            box = _box(x, y, name, FONT)
            if _clear(box, placed) and _covers(box, others) <= COVER:
                return x, y, True
    return x, middle, False


def _labels(report: dict[str, Any], where: dict[int, list[tuple[float, float]]]) -> list[str]:
    """Labels placed largest topic first (see :func:`_spot`); an id on a phone is marked ``crowded``
    where it would cover an id placed before it."""
    placed: list[Box] = []
    phone: list[Box] = []
    body = []
    for t in report["topics"]:
        points = where.get(t["id"])
        if not points:
            continue
        name = topic_name(t, LABEL_CHARS)
        others = [p for topic, drawn in where.items() if topic != t["id"] for p in drawn]
        x, y, named = _spot(name, points, others, placed)
        placed.append(_box(x, y, name if named else str(t["id"]), FONT))
        big = _box(x, y, str(t["id"]), PHONE_FONT)
        crowded = not _clear(big, phone)
        phone.append(big)
        rest = f'<tspan class="rest">{escape(name[len(str(t["id"])):])}</tspan>' if named else ""
        body.append(f'<text class="map-label t{t["id"]}{" crowded" if crowded else ""}" x="{x:.1f}" y="{y:.1f}" '
                    f'text-anchor="middle">{t["id"]}{rest}</text>')
    return body


def map_chart(report: dict[str, Any]) -> Markup:
    """Hover a point for its topic and the start of its text; unassigned paragraphs are drawn first,
    underneath, and labels last, over the points."""
    colour = colours(report)
    names = {t["id"]: topic_name(t) for t in report["topics"]}
    body = [f'<rect width="{SIZE}" height="{SIZE}" fill="#fafafa"/>']
    where: dict[int, list[tuple[float, float]]] = {}
    for p in sorted(report["map"], key=lambda p: p["topic"] != -1):
        x, y = PAD + p["x"] * (SIZE - 2 * PAD), PAD + (1 - p["y"]) * (SIZE - 2 * PAD)
        where.setdefault(p["topic"], []).append((x, y))
        tip = f"{names.get(p['topic'], 'unassigned')}\n{p.get('text', '')}"
        body.append(f'<circle class="point t{p["topic"]}" cx="{x:.1f}" cy="{y:.1f}" r="2.6" '
                    f'fill="{colour.get(p["topic"], "#000")}" data-tip="{escape(tip)}"/>')
    return svg(SIZE, SIZE, body + _labels(report, where), "map of paragraphs coloured by topic")
