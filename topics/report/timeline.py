"""Topics over time as inline SVG: one line per topic, as article counts or as shares of each period's
dated articles (a CSS class on the figure picks one), labelled axes, and per-period hover text."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from .charts import colours, nice_ticks, svg, topic_name
from ..display import counted
from ..periods import short_label

WIDTH, HEIGHT = 880, 330
LEFT, RIGHT, TOP, BOTTOM = 54, 18, 14, 40
FONT = 15
X_TICKS, Y_TICKS = 6, 5
TIP_TOPICS = 8


def _x(i: int, n: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (i / (n - 1) if n > 1 else 0.5)


def _y(value: float, top: float) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top


def _x_axis(periods: list[str]) -> list[str]:
    """About :data:`X_TICKS` period labels, with the year where it changes."""
    step = max(1, math.ceil(len(periods) / X_TICKS))
    body, year = [], None
    for i in range(0, len(periods), step):
        full = short_label(periods[i])
        label = full if full.split()[-1] != year else short_label(periods[i], with_year=False)
        year = full.split()[-1]
        x = _x(i, len(periods))
        anchor = "start" if x < LEFT + 30 else "end" if x > WIDTH - RIGHT - 30 else "middle"
        body.append(f'<line x1="{x:.1f}" y1="{HEIGHT - BOTTOM}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM + 4}" stroke="#999"/>'
                    f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 20}" font-size="{FONT}" text-anchor="{anchor}">'
                    f'{escape(label)}</text>')
    return body


def _mode(report: dict[str, Any], key: str) -> str:
    """One mode's y axis with gridlines and one path per topic; a period without articles breaks a share line."""
    colour = colours(report)
    n = len(report["periods"])
    values = {t["id"]: [p[key] for p in t["timeline"]] for t in report["topics"]}
    peak = max((v for vs in values.values() for v in vs if v is not None), default=0)
    ticks = nice_ticks(peak, Y_TICKS, whole=key == "articles")
    body = []
    for tick in ticks:
        y = _y(tick, ticks[-1])
        text = f"{100 * tick:g}%" if key == "share" else f"{tick:g}"
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e4e4e4"/>'
                    f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="{FONT}" text-anchor="end">{text}</text>')
    for t in report["topics"]:
        path, pen = [], "M"
        for i, v in enumerate(values[t["id"]]):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{_x(i, n):.1f},{_y(v, ticks[-1]):.1f}")
            pen = "L"
        body.append(f'<path class="line t{t["id"]}" d="{" ".join(path)}" fill="none" stroke="{colour[t["id"]]}" '
                    f'stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>')
    return f'<g class="mode-{key}">' + "".join(body) + "</g>"


def _columns(report: dict[str, Any]) -> list[str]:
    """A hover band per period whose text gives its dated articles and the largest topics in it."""
    periods, totals, n = report["periods"], report["period_articles"], len(report["periods"])
    half = (WIDTH - LEFT - RIGHT) / max(n - 1, 1) / 2
    body = []
    for i, period in enumerate(periods):
        counts = sorted(((t["timeline"][i]["articles"], t) for t in report["topics"] if t["timeline"][i]["articles"]),
                        key=lambda c: (-c[0], c[1]["id"]))
        lines = [f"{short_label(period)} ({period}): {counted(totals[i], 'dated article')}"]
        lines += [f"{topic_name(t, 40)}: {c} ({100 * c / totals[i]:.0f}%)" for c, t in counts[:TIP_TOPICS]]
        if len(counts) > TIP_TOPICS:
            lines.append(f"… and {len(counts) - TIP_TOPICS} more topics")
        x = max(LEFT, _x(i, n) - half)
        width = min(WIDTH - RIGHT, _x(i, n) + half) - x
        body.append(f'<rect class="column" x="{x:.1f}" y="{TOP}" width="{width:.1f}" height="{HEIGHT - TOP - BOTTOM}" '
                    f'data-tip="{escape(chr(10).join(lines))}"/>')
    return body


def timeline_chart(report: dict[str, Any]) -> Markup:
    """Empty when fewer than two periods; both modes are drawn and the page's toggle shows one."""
    if len(report["periods"]) < 2:
        return Markup("")
    body = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#999"/>',
            *_x_axis(report["periods"]), _mode(report, "share"), _mode(report, "articles"), *_columns(report)]
    return svg(WIDTH, HEIGHT, body, f"articles per topic and {report['period_unit']}", min_width=620)
