"""Charts as inline SVG built from the report document, so the HTML report needs nothing from the web.

Every piece of text placed in an SVG goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d",
           "#9edae5", "#393b79")
UNASSIGNED_COLOUR = "#cccccc"


def colours(report: dict[str, Any]) -> dict[int, str]:
    """One colour per topic id, in topic order; -1 (unassigned) is grey."""
    out = {t["id"]: PALETTE[i % len(PALETTE)] for i, t in enumerate(report["topics"])}
    out[-1] = UNASSIGNED_COLOUR
    return out


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
                  f'role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def sizes_chart(report: dict[str, Any]) -> Markup:
    topics = report["topics"]
    colour = colours(report)
    largest = max((t["paragraphs"] for t in topics), default=1) or 1
    row, width = 22, 720
    body = []
    for i, t in enumerate(topics):
        y = i * row
        bar = 420 * t["paragraphs"] / largest
        name = f"{t['id']}: {t['label']}"[:42]
        body.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(name)}</text>'
                    f'<rect class="bar" data-topic="{t["id"]}" x="250" y="{y + 3}" width="{bar:.1f}" height="15" '
                    f'fill="{colour[t["id"]]}"/><text x="{255 + bar:.1f}" y="{y + 15}" font-size="11">'
                    f'{t["paragraphs"]}</text>')
    return _svg(width, max(row * len(topics), row), body, "paragraphs per topic")


def map_chart(report: dict[str, Any]) -> Markup:
    colour = colours(report)
    size = 520
    body = [f'<rect width="{size}" height="{size}" fill="#fafafa"/>']
    for p in report["map"]:
        body.append(f'<circle class="point t{p["topic"]}" cx="{10 + p["x"] * (size - 20):.1f}" '
                    f'cy="{10 + (1 - p["y"]) * (size - 20):.1f}" r="2.6" fill="{colour.get(p["topic"], "#000")}" '
                    f'fill-opacity="0.75"/>')
    return _svg(size, size, body, "2-D map of paragraphs coloured by topic")


def similarity_chart(report: dict[str, Any]) -> Markup:
    ids, matrix = report["similarity"]["topics"], report["similarity"]["matrix"]
    cell, margin = 22, 40
    size = margin + cell * len(ids)
    body = []
    for i, a in enumerate(ids):
        body.append(f'<text x="{margin - 4}" y="{margin + i * cell + 15}" font-size="11" text-anchor="end">{a}</text>'
                    f'<text x="{margin + i * cell + 11}" y="{margin - 6}" font-size="11" text-anchor="middle">{a}</text>')
        for j, b in enumerate(ids):
            value = matrix[i][j]
            shade = int(255 - 200 * max(0.0, min(1.0, value)))
            body.append(f'<rect x="{margin + j * cell}" y="{margin + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                        f'fill="rgb({shade},{shade},255)"><title>topics {a} and {b}: {value:.2f}</title></rect>')
    return _svg(size, size, body, "cosine similarity between topic centroids")


def hierarchy_chart(report: dict[str, Any]) -> Markup:
    """Dendrogram of the topic merge tree; leaves in tree order, height by merge distance."""
    merges = report["hierarchy"]
    labels = {f"t{t['id']}": f"{t['id']}: {t['label']}" for t in report["topics"]}
    if not merges:
        return _svg(10, 10, [], "topic hierarchy")
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
    body = [f'<text x="{left - 6}" y="{y + 4}" font-size="11" text-anchor="end">{escape(labels.get(leaf, leaf)[:38])}'
            f'</text>' for leaf, (_, y) in position.items()]
    for m in merges:
        (xa, ya), (xb, yb) = position[m["left"]], position[m["right"]]
        x = x_of(m["distance"])
        body.append(f'<path d="M{xa:.1f},{ya:.1f} H{x:.1f} V{yb:.1f} H{xb:.1f}" fill="none" stroke="#555"/>')
        position[m["node"]] = (x, (ya + yb) / 2)
    return _svg(width, row * len(order) + 10, body, "topic hierarchy (merge tree of centroids)")


def timeline_chart(report: dict[str, Any]) -> Markup:
    periods = report["periods"]
    if len(periods) < 2:
        return Markup("")
    colour = colours(report)
    width, height, margin = 720, 260, 40
    peak = max((p["articles"] for t in report["topics"] for p in t["timeline"]), default=1) or 1
    step = (width - 2 * margin) / (len(periods) - 1)
    body = [f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="#999"/>',
            f'<text x="{margin}" y="{height - 12}" font-size="11">{escape(periods[0])}</text>',
            f'<text x="{width - margin}" y="{height - 12}" font-size="11" text-anchor="end">{escape(periods[-1])}</text>',
            f'<text x="4" y="{margin}" font-size="11">{peak}</text>']
    for t in report["topics"]:
        points = " ".join(f"{margin + i * step:.1f},{height - margin - (height - 2 * margin) * p['articles'] / peak:.1f}"
                          for i, p in enumerate(t["timeline"]))
        body.append(f'<polyline class="line" data-topic="{t["id"]}" points="{points}" fill="none" '
                    f'stroke="{colour[t["id"]]}" stroke-width="2"><title>{escape(t["label"])}</title></polyline>')
    return _svg(width, height, body, "articles per topic over time")
