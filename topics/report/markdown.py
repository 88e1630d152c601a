"""The report as Markdown for code-hosting sites: the same tables and texts, without the charts."""

from __future__ import annotations

import re
from typing import Any

from ..display import counted

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def _md(text: Any) -> str:
    """Article text as literal Markdown: HTML neutralised, Markdown syntax escaped, one line."""
    plain = str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", " ".join(plain.split()))


def _timeline(report: dict[str, Any]) -> list[str]:
    """Articles per topic (by main topic) and period, with the period's dated articles, as in the HTML chart."""
    totals = report["period_articles"]
    lines = ["", f"## Articles per topic over time (by {report['period_unit']})", "",
             "Counts of articles by their main topic; All is every dated article of the period.", "",
             "| Period | All | " + " | ".join(str(t["id"]) for t in report["topics"]) + " |",
             "|---|---:|" + "---:|" * len(report["topics"])]
    for i, period in enumerate(report["periods"]):
        lines.append(f"| {period} | {totals[i]} | " +
                     " | ".join(str(t["timeline"][i]["articles"]) for t in report["topics"]) + " |")
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    corpus, unassigned = report["corpus"], report["unassigned"]
    lines = ["# Topic report", "",
             f"{counted(corpus['articles'], 'article')} · {counted(corpus['paragraphs'], 'paragraph')} · "
             f"{counted(len(report['topics']), 'topic')} · "
             f"{100 * unassigned['rate']:.1f}% of paragraphs unassigned ({unassigned['paragraphs']})"]
    if corpus["first_published"]:
        lines[-1] += f" · published {corpus['first_published'][:10]} to {corpus['last_published'][:10]}"
    lines += ["", f"Model `{report['model']['embedding_model']}`, fit {report['model']['fit_number']}.", ""]
    if not report["model"]["up_to_date"]:
        lines += ["> Articles changed since these topics were fitted; run `topics cluster` to refit.", ""]
    lines += ["## Topics", "", "| Topic | Label | Keywords | Paragraphs | Main topic of (articles) | "
              "Present in (articles) | Share |", "|---:|---|---|---:|---:|---:|---:|"]
    for t in report["topics"]:
        keywords = ", ".join(k["term"] for k in t["keywords"][:6])
        lines.append(f"| [{t['id']}](#topic-{t['id']}) | {_md(t['label'])} | {_md(keywords)} | {t['paragraphs']} | "
                     f"{t['articles']} | {t['present_in']} | {100 * t['share']:.1f}% |")
    for t in report["topics"]:
        lines += ["", f'<a id="topic-{t["id"]}"></a>', f"## Topic {t['id']}: {_md(t['label'])}", "",
                  "Keywords: " + _md(" · ".join(k["term"] for k in t["keywords"])), "",
                  f"{counted(t['paragraphs'], 'paragraph')} · main topic of {counted(t['articles'], 'article')} · "
                  f"present in {counted(t['present_in'], 'article')}" + " · named topic" * bool(t.get("named")), ""]
        lines += _stories(t.get("stories", []))
        lines += ["### Representative paragraphs", ""]
        for r in t["representatives"]:
            article = r["article"]
            meta = " · ".join(_md(v) for v in (article["title"] or "(untitled)", article["source"],
                                               (article["published"] or "")[:10]) if v)
            lines += [f"> {_md(r['text'])}", ">", f"> — {meta} · similarity {r['confidence']:.2f}", ""]
        lines += ["### Top articles", ""]
        lines += [f"- {_md(a['title'] or a['id'])} ({100 * a['share']:.0f}% of its paragraphs)" for a in t["top_articles"]]
    lines += _changes(report.get("changes"))
    if len(report["periods"]) > 1:
        lines += _timeline(report)
    return "\n".join(lines) + "\n"


def _size(size: dict[str, Any] | None) -> str:
    return "—" if size is None else f"{size['paragraphs']} ({100 * size['share']:.1f}%)"


def _changes(found: dict[str, Any] | None) -> list[str]:
    """The "What changed" section: topics changed since the fit before, and emerging topics."""
    if not found or (found["since"] is None and not found["emerging"]):
        return []
    lines = ["", "## What changed", ""]
    if found["since"] is not None:
        lines.append(f"Fit {found['fit']} against fit {found['since']}:" if found["changes"]
                     else f"No topic changed by a tenth of its share since fit {found['since']}.")
        lines.append("")
        for c in found["changes"]:
            lines.append(f"- **{c['what']}**: topic {c['topic']}, {_md(c['label'])}: {_size(c['before'])} → "
                         f"{_size(c['after'])}" + (f" — e.g. “{_md(c['examples'][0][:160])}”" if c["examples"] else ""))
    for e in found["emerging"]:
        lines.append(f"- **emerging** in {e['period']}: topic {e['topic']}, {_md(e['label'])}: {e['articles']} "
                     f"articles, {e['expected']:.1f} expected (z = {e['z']:.1f})")
    return lines


def _stories(stories: list[dict]) -> list[str]:
    """A theme's stories as a table (none for a theme of one story, which is the theme itself)."""
    if len(stories) < 2:
        return []
    lines = ["### Stories", "", "| Story | Label | Keywords | Paragraphs | Main story of (articles) |",
             "| ---: | --- | --- | ---: | ---: |"]
    lines += [f"| {s['id']} | {_md(s['label'])} | {_md(', '.join(k['term'] for k in s['keywords'][:6]))} | "
              f"{s['paragraphs']} | {s['articles']} |" for s in stories]
    return lines + [""]
