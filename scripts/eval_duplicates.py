"""Same-story duplicates (`topics duplicates`): what is found, what is flagged wrongly, and how it scales.

1. **BBC verbatim copies**: the BBC files that repeat another file word for word, ingested under their
   own paths as ids (so they do not collapse into one article): the share found, as copies.
2. **Edited copies**: 200 BBC articles, each with a copy that lost a paragraph, had the sentences of
   another paragraph reordered, 10% of its words changed and its title edited: the share found.
   (Both in one store, with 200 more BBC articles as bystanders.)
3. **ISAF templates**: press releases written from one template; of the pairs flagged, the share whose
   annotations differ in province or start date (different events: wrongly flagged).
4. **Scale**: building the shingle index and finding its candidates for 100,000 synthetic articles
   (BBC sentences drawn at random), against 10,000, to show the growth is about linear.

    python scripts/eval_duplicates.py --store-root /tmp/eval      # reuses /tmp/eval/isaf
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_topics import DATA, isaf  # noqa: E402
from index import Article, Store, duplicates  # noqa: E402
from index.stories import StoryIndex, story_text  # noqa: E402

BBC = DATA / "bbc-news" / "bbc"


def bbc_files() -> list[tuple[str, str, str]]:
    """(relative path, title, body) of every BBC file."""
    out = []
    for path in sorted(BBC.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        out.append((str(path.relative_to(BBC)), lines[0].strip(), "\n".join(lines[1:]).strip()))
    return out


def edited(title: str, body: str, rng: np.random.Generator, vocabulary: list[str]) -> tuple[str, str]:
    """A re-publication with edits: a paragraph dropped, one paragraph's sentences reordered, 10% of the
    words replaced, the title changed."""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if len(paragraphs) > 2:
        del paragraphs[int(rng.integers(1, len(paragraphs)))]
    target = int(rng.integers(len(paragraphs)))
    sentences = paragraphs[target].split(". ")
    paragraphs[target] = ". ".join(sentences[::-1])
    words = "\n".join(paragraphs).split(" ")
    for i in rng.choice(len(words), size=max(1, len(words) // 10), replace=False):
        words[i] = vocabulary[int(rng.integers(len(vocabulary)))]
    return f"Update: {title}", " ".join(words)


def found_share(pairs, expected: list[tuple[str, str]]) -> float:
    flagged = {(p.first.id, p.second.id) for p in pairs} | {(p.second.id, p.first.id) for p in pairs}
    return sum(pair in flagged for pair in expected) / max(len(expected), 1)


def bbc_copies(tmp: Path) -> str:
    files = bbc_files()
    by_body = defaultdict(list)
    for rel, title, body in files:
        by_body[hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()].append(rel)
    verbatim = [(group[0], other) for group in by_body.values() if len(group) > 1 for other in group[1:]]
    rng = np.random.default_rng(0)
    unique = [f for f in files if f[0] not in {o for _, o in verbatim}]
    picked = [unique[i] for i in rng.choice(len(unique), size=400, replace=False)]
    vocabulary = sorted({w for _, _, body in picked for w in body.split()})
    articles = [Article(id=rel, title=title, text=body) for rel, title, body in picked]
    expected_edits = []
    for rel, title, body in picked[:200]:
        new_title, new_body = edited(title, body, rng, vocabulary)
        articles.append(Article(id=f"edited/{rel}", title=new_title, text=new_body))
        expected_edits.append((rel, f"edited/{rel}"))
    text_of = {rel: (title, body) for rel, title, body in files}
    for first, other in verbatim:
        for rel in (first, other):
            articles.append(Article(id=rel, title=text_of[rel][0], text=text_of[rel][1]))
    store = Store.open(tmp / "bbc-dups", create=True)
    store.add(list({a.key: a for a in articles}.values()))
    start = time.perf_counter()
    pairs = duplicates(store)
    seconds = time.perf_counter() - start
    copies = found_share([p for p in pairs if p.kind == "copy"], verbatim)
    edits = found_share(pairs, expected_edits)
    return (f"BBC verbatim copies: {len(verbatim)} files, {100 * copies:.1f}% found as copies; edited copies: "
            f"{100 * edits:.1f}% of 200 found; {len(pairs)} pairs flagged in {seconds:.1f} s")


def isaf_templates(store_root: Path | None, tmp: Path) -> str:
    articles, _ = isaf()
    annotations = {}
    with open(DATA / "isaf-press-releases" / "isaf_press_releases_ft_test.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            note = json.loads(json.loads(line)["conversations"][2]["value"])
            annotations[f"isaf-{i}"] = (tuple(sorted(note.get("province") or [])), note.get("start_date"))
    store = Store.open(store_root / "isaf" if store_root else tmp / "isaf", create=True)
    store.add(articles)
    pairs = duplicates(store)
    differing = sum(annotations[p.first.id] != annotations[p.second.id] for p in pairs)
    kinds = {k: sum(p.kind == k for p in pairs) for k in ("copy", "edited", "rewrite")}
    return (f"ISAF: {len(pairs)} pairs flagged ({kinds}); {differing} ({100 * differing / max(len(pairs), 1):.1f}%) "
            "differ in province or start date")


def scale() -> str:
    sentences = [s for _, _, body in bbc_files() for s in body.replace("\n", " ").split(". ") if len(s) > 40]
    rng = np.random.default_rng(1)
    out = []
    for n in (10_000, 100_000):
        texts = {f"s{i}": [". ".join(sentences[j] for j in rng.integers(len(sentences), size=8))] for i in range(n)}
        start = time.perf_counter()
        index = StoryIndex({key: story_text("", body) for key, body in texts.items()})
        candidates = index.lexical_candidates()
        out.append(f"{n:,} articles: {time.perf_counter() - start:.1f} s, {len(candidates)} candidate pairs")
    return "shingle index and candidates: " + "; ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store-root", type=Path, help="folder holding an ISAF store to reuse (isaf/)")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no evaluation data at {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        print(isaf_templates(args.store_root, Path(tmp)), flush=True)
        print(bbc_copies(Path(tmp)), flush=True)
        if not args.skip_scale:
            print(scale(), flush=True)


if __name__ == "__main__":
    main()
