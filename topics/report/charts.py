"""Charts as inline SVG built from the report document, so the HTML report needs nothing from the web.

Every piece of text placed in an SVG or a ``data-tip`` (hover text, shown by the page's script as plain text)
goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..display import counted

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d",
           "#9edae5", "#393b79")
UNASSIGNED_COLOUR = "#cccccc"


def colours(report: dict[str, Any]) -> dict[int, str]:
    """One colour per topic id, in topic order; -1 (unassigned) is grey."""
    out = {t["id"]: PALETTE[i % len(PALETTE)] for i, t in enumerate(report["topics"])}
    out[-1] = UNASSIGNED_COLOUR
    return out


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


def legend(report: dict[str, Any], unassigned: bool = False) -> Markup:
    """Topic swatches with their labels; hovering one highlights that topic in its chart."""
    colour = colours(report)
    entries = [(t["id"], topic_name(t)) for t in report["topics"]] + ([(-1, "unassigned")] if unassigned else [])
    items = "".join(f'<li data-topic="{tid}" tabindex="0"><span class="swatch" style="background:{colour[tid]}">'
                    f'</span>{escape(name)}</li>' for tid, name in entries)
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


def map_chart(report: dict[str, Any]) -> Markup:
    """Paragraphs on the PCA plane; hover names the topic and shows the paragraph's start."""
    colour = colours(report)
    names = {t["id"]: topic_name(t) for t in report["topics"]}
    size = 520
    body = [f'<rect width="{size}" height="{size}" fill="#fafafa"/>']
    for p in sorted(report["map"], key=lambda p: p["topic"] != -1):  # unassigned drawn first, underneath
        tip = f"{names.get(p['topic'], 'unassigned')}\n{p.get('text', '')}"
        body.append(f'<circle class="point t{p["topic"]}" cx="{10 + p["x"] * (size - 20):.1f}" '
                    f'cy="{10 + (1 - p["y"]) * (size - 20):.1f}" r="3" fill="{colour.get(p["topic"], "#000")}" '
                    f'fill-opacity="0.75" data-tip="{escape(tip)}"/>')
    return svg(size, size, body, "2-D map of paragraphs coloured by topic")


def hierarchy_chart(report: dict[str, Any]) -> Markup:
    """Dendrogram of the topic merge tree; leaves in tree order, height by merge distance."""
    merges = report["hierarchy"]
    labels = {f"t{t['id']}": topic_name(t, 38) for t in report["topics"]}
    if not merges:
        return svg(10, 10, [], "topic hierarchy")
    children = {m["node"]: (m["left"], m["right"]) for m in merges}
    height_of = {m["node"]: m["distance"] for m in merges}
    order: list[str] = []

    def walk(node: str) -> None:
        if node in children:
            walk(children[node][0])
            walk(children[node][1])
        else:
            order.append(node)
    walk(merges[-1]["node"])
    row, left, width = 20, 260, 720
    top = max(height_of.values()) or 1.0
    x_of = lambda h: width - 20 - (width - left - 30) * h / top  # noqa: E731
    position: dict[str, tuple[float, float]] = {leaf: (x_of(0), i * row + 10) for i, leaf in enumerate(order)}
    body = [f'<text x="{left - 6}" y="{y + 4}" font-size="13" text-anchor="end">{escape(labels.get(leaf, leaf))}'
            f'</text>' for leaf, (_, y) in position.items()]
    for m in merges:
        (xa, ya), (xb, yb) = position[m["left"]], position[m["right"]]
        x = x_of(m["distance"])
        body.append(f'<path d="M{xa:.1f},{ya:.1f} H{x:.1f} V{yb:.1f} H{xb:.1f}" fill="none" stroke="#555"/>')
        position[m["node"]] = (x, (ya + yb) / 2)
    return svg(width, row * len(order) + 10, body, "topic hierarchy (merge tree of centroids)", min_width=600)
