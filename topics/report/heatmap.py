"""Cosine similarity between topic centroids as an SVG heatmap: topic labels on both axes, a colour legend,
cells sized to the number of topics."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from .charts import svg, topic_name

BLUES = ((247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107))
GRID, LABEL_CHARS, LEGEND_WIDTH = 520, 26, 200


def colour(value: float, low: float) -> str:
    """``low`` → palest blue, 1 → darkest, linear through the Blues stops."""
    t = max(0.0, min(1.0, (value - low) / (1 - low))) * (len(BLUES) - 1)
    i = min(int(t), len(BLUES) - 2)
    mix = [round(a + (b - a) * (t - i)) for a, b in zip(BLUES[i], BLUES[i + 1])]
    return "#%02x%02x%02x" % tuple(mix)


def _legend(x: float, y: float, low: float) -> list[str]:
    """A gradient bar from ``low`` to 1 with three values under it."""
    stops = "".join(f'<stop offset="{i / (len(BLUES) - 1):.2f}" stop-color="rgb{c}"/>' for i, c in enumerate(BLUES))
    body = [f'<defs><linearGradient id="similarity-scale">{stops}</linearGradient></defs>',
            f'<text x="{x}" y="{y}" font-size="12">cosine similarity</text>',
            f'<rect x="{x}" y="{y + 6}" width="{LEGEND_WIDTH}" height="12" fill="url(#similarity-scale)" '
            f'stroke="#999"/>']
    for i, value in enumerate((low, (low + 1) / 2, 1.0)):
        anchor = ("start", "middle", "end")[i]
        body.append(f'<text x="{x + LEGEND_WIDTH / 2 * i:.0f}" y="{y + 32}" font-size="12" text-anchor="{anchor}">'
                    f'{value:.2f}</text>')
    return body


def similarity_chart(report: dict[str, Any]) -> Markup:
    """Empty for a model without topics; the colour scale starts at the lowest similarity, rounded down."""
    topics = {t["id"]: t for t in report["topics"]}
    ids, matrix = report["similarity"]["topics"], report["similarity"]["matrix"]
    if not ids:
        return Markup("")
    cell = max(10, min(40, GRID // len(ids)))
    font = min(13, cell - 1)
    plain = [topic_name(topics[i], LABEL_CHARS) if i in topics else str(i) for i in ids]
    names = [escape(name) for name in plain]
    margin = 8 + max(len(name) for name in plain) * font * 0.6
    grid = cell * len(ids)
    low = min(0.9, math.floor(min(min(row) for row in matrix) * 10) / 10)
    body = []
    for i, a in enumerate(ids):
        y, x = margin + i * cell, margin + i * cell
        body.append(f'<text x="{margin - 4:.0f}" y="{y + cell / 2 + font / 3:.1f}" font-size="{font}" '
                    f'text-anchor="end">{names[i]}</text>'
                    f'<text transform="translate({x + cell / 2 + font / 3:.1f},{margin - 4:.0f}) rotate(-90)" '
                    f'font-size="{font}">{names[i]}</text>')
        for j, b in enumerate(ids):
            tip = f"{topic_name(topics[a]) if a in topics else a}\n{topic_name(topics[b]) if b in topics else b}\n" \
                  f"similarity {matrix[i][j]:.2f}"
            body.append(f'<rect x="{margin + j * cell:.0f}" y="{y:.0f}" width="{cell - 1}" height="{cell - 1}" '
                        f'fill="{colour(matrix[i][j], low)}" data-tip="{escape(tip)}"/>')
    body += _legend(margin, margin + grid + 22, low)
    width = margin + max(grid, LEGEND_WIDTH) + 16
    return svg(width, margin + grid + 64, body, "cosine similarity between topic centroids",
               min_width=min(0.75 * width, 520))
