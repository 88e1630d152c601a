"""The topic hierarchy as a dendrogram whose leaves are named rows of HTML text (the page's font, cut
with an ellipsis on a phone) beside one SVG of the merges, stretched to the width there is, and a merge
height axis under it."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ..display import counted
from .charts import colours, nice_ticks, topic_name

ROW = 20  # pixels per leaf, the height of a line of the names
WIDTH = 1000  # the SVG's own width; it is stretched (lines keep their width) to the plot's column


def leaf_order(merges: list[dict[str, Any]]) -> list[str]:
    """Leaves left to right as the tree draws them (each merge's left branch first)."""
    children = {m["node"]: (m["left"], m["right"]) for m in merges}
    order, stack = [], [merges[-1]["node"]]
    while stack:
        node = stack.pop()
        if node in children:
            stack.extend(reversed(children[node]))
        else:
            order.append(node)
    return order


def _names(order: list[str], topics: dict[str, dict[str, Any]], colour: dict[int, str]) -> str:
    rows = []
    for leaf in order:
        t = topics.get(leaf)
        if t is None:
            rows.append(f'<div class="tree-name">{escape(leaf)}</div>')
            continue
        tip = f"{topic_name(t)}\n{counted(t['paragraphs'], 'paragraph')}"
        rows.append(f'<div class="tree-name" data-topic="{t["id"]}" data-tip="{escape(tip)}"><span class="swatch" '
                    f'style="background:{colour[t["id"]]}"></span><span class="tree-label">{escape(topic_name(t))}'
                    f'</span></div>')
    return '<div class="tree-names">' + "".join(rows) + "</div>"


def _merges(merges: list[dict[str, Any]], order: list[str], top: float,
            topics: dict[str, dict[str, Any]]) -> list[str]:
    """One elbow per merge, from each branch's height across to the merge's; hover names its topics."""
    position = {leaf: (0.0, (i + 0.5) * ROW) for i, leaf in enumerate(order)}
    members = {leaf: [leaf] for leaf in order}
    body = []
    for m in merges:
        (xa, ya), (xb, yb) = position[m["left"]], position[m["right"]]
        x = WIDTH * m["distance"] / top
        members[m["node"]] = members[m["left"]] + members[m["right"]]
        names = [topic_name(topics[leaf], 30) if leaf in topics else leaf for leaf in members[m["node"]]]
        shown = names if len(names) <= 6 else names[:5] + [f"… and {len(names) - 5} more"]
        tip = (f"merge at {m['distance']:.2f}: {counted(len(names), 'topic')}, "
               f"{counted(m['size'], 'paragraph')}\n" + "\n".join(shown))
        path = f"M{xa:.1f},{ya:.1f} H{x:.1f} V{yb:.1f} H{xb:.1f}"
        body.append(f'<path d="{path}" class="tree-link"/><path d="{path}" class="tree-hit" data-tip="{escape(tip)}"/>')
        position[m["node"]] = (x, (ya + yb) / 2)
    return body


def hierarchy_chart(report: dict[str, Any]) -> Markup:
    """Empty for fewer than two topics. Leaves sit by their names; a merge stands at its height on the
    axis (Ward linkage of the topic centroids: the higher, the less alike the two branches)."""
    merges = report["hierarchy"]
    if not merges:
        return Markup("")
    topics = {f"t{t['id']}": t for t in report["topics"]}
    order = leaf_order(merges)
    ticks = nice_ticks(max(m["distance"] for m in merges), 9)
    top = ticks[-1] or 1.0
    height = ROW * len(order)
    grid = [f'<line x1="{WIDTH * t / top:.1f}" y1="0" x2="{WIDTH * t / top:.1f}" y2="{height}" class="tree-grid"/>'
            for t in ticks]
    plot = (f'<svg class="tree-svg" viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="none" '
            f'style="height:{height}px" role="img" aria-label="topic hierarchy: merges of topic centroids">'
            + "".join(grid + _merges(merges, order, top, topics)) + "</svg>")
    axis = "".join(f'<span style="left:{100 * t / top:.2f}%">{t:g}</span>' for t in ticks)
    return Markup(f'<div class="tree">{_names(order, topics, colours(report))}<div class="tree-plot">{plot}'
                  f'<div class="tree-axis">{axis}</div></div><div class="tree-axis-title">merge height (Ward linkage '
                  f'of topic centroids): the further right two branches join, the less alike they are</div></div>')
