"""Same-story duplicates (`topics duplicates`): what is found, what is flagged wrongly, and how it scales.

1. **BBC verbatim copies**: the BBC files that repeat another file word for word, ingested under their
   own paths as ids (so they do not collapse into one article): the share found, as copies.
2. **Edited copies**: 200 BBC articles, each with a copy that lost a paragraph, had the sentences of
   another paragraph reordered, 10% of its words changed and its title edited: the share found, and as
   which kind. (Both in one store, with 200 more BBC articles as bystanders; pairs flagged beyond the
   expected ones are counted too.)
3. **ISAF templates**: press releases written from one template; of the pairs flagged, the share whose
   annotations differ in province or start date (different events: wrongly flagged), each pair listed.
   **Re-merged releases**: the records split out of one multi-event release, joined back into one
   article (a digest), each record then one item of it and not its story: the pairs flagged, by kind
   (lexical kinds only: the merged articles have no vectors, so no rewrites).
4. **BBC and AG News**: the pairs flagged in the whole corpora (distinct stories should not be), by kind.
5. **Scale**: story texts, the shingle index and its candidates, and scoring every candidate exactly,
   for 10,000 and 100,000 synthetic articles (eight BBC sentences drawn at random each).

    python scripts/eval_duplicates.py --store-root /tmp/eval   # reuses /tmp/eval/{isaf,bbc,ag-news}

Stores found under ``--store-root`` are only read; missing ones are built in a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_topics import DATA, DATASETS  # noqa: E402
from index import DUPLICATE_KINDS, Article, Store, duplicates  # noqa: E402
from index.shingles import story_text  # noqa: E402
from index.stories import StoryIndex  # noqa: E402

BBC = DATA / "bbc-news" / "bbc"
RELEASE = re.compile(r"\d{4}-\d\d-[A-Z]+-\d+")  # an ISAF release number: 2010-07-CA-028


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


def found(pairs, expected: list[tuple[str, str]]) -> list:  # type: ignore[no-untyped-def]
    """The flagged pairs that are expected ones, in either order."""
    wanted = set(expected) | {(b, a) for a, b in expected}
    return [p for p in pairs if (p.first.id, p.second.id) in wanted]


def bbc_store(tmp: Path) -> tuple[Store, list[tuple[str, str]], list[tuple[str, str]]]:
    """A store of 400 BBC articles, edited copies of 200 of them and the BBC's verbatim copies under their
    own paths, with the (verbatim, edited) pairs expected."""
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
    return store, verbatim, expected_edits


def bbc_copies(tmp: Path) -> str:
    store, verbatim, expected_edits = bbc_store(tmp)
    start = time.perf_counter()
    pairs = duplicates(store)
    seconds = time.perf_counter() - start
    copies = found([p for p in pairs if p.kind == "copy"], verbatim)
    edits = found(pairs, expected_edits)
    others = len(pairs) - len(found(pairs, verbatim + expected_edits))
    return (f"BBC verbatim copies: {len(verbatim)} files, {100 * len(copies) / len(verbatim):.1f}% found as copies; "
            f"edited copies: {100 * len(edits) / len(expected_edits):.1f}% of {len(expected_edits)} found "
            f"({by_kind(edits)}); {len(pairs)} pairs flagged in {seconds:.1f} s, {others} of them others")


def corpus_store(name: str, store_root: Path | None, tmp: Path) -> Store:
    """The evaluation store of a corpus: the one under ``store_root`` (only read), or one built in ``tmp``."""
    if store_root and (store_root / name).is_dir():
        return Store.open(store_root / name)
    store = Store.open(tmp / name, create=True)
    store.add(list({a.key: a for a in DATASETS[name]()[0]}.values()))
    return store


def by_kind(pairs) -> str:  # type: ignore[no-untyped-def]
    kinds = Counter(p.kind for p in pairs)
    return ", ".join(f"{kinds[k]} {k}" for k in DUPLICATE_KINDS if kinds[k])


def isaf_templates(store: Store) -> str:
    annotations = {}
    with open(DATA / "isaf-press-releases" / "isaf_press_releases_ft_test.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            note = json.loads(json.loads(line)["conversations"][2]["value"])
            annotations[f"isaf-{i}"] = (tuple(sorted(note.get("province") or [])), note.get("start_date"))
    pairs = duplicates(store)
    differing = [p for p in pairs if annotations[p.first.id] != annotations[p.second.id]]
    listed = "; ".join(f"{p.first.id}/{p.second.id} {p.kind}{' (differ)' * (p in differing)}" for p in pairs)
    return (f"ISAF: {len(pairs)} pairs flagged ({by_kind(pairs)}); {len(differing)} "
            f"({100 * len(differing) / max(len(pairs), 1):.1f}%) differ in province or start date: {listed}")


def isaf_digests(store: Store) -> str:
    """The records of each release that has several (by release number) joined back into one article,
    and each record scored against it by the lexical kinds: none is the story of the whole."""
    texts: dict[str, list[str]] = defaultdict(list)
    for link in store.links(article_ids=store.article_ids()):
        if not link.is_title:
            texts[link.article.id].append(link.text)
    releases = defaultdict(list)
    for key in sorted(texts, key=lambda key: int(key.split("-")[1])):
        number = next((m.group() for p in texts[key][:3] if (m := RELEASE.search(p))), None)
        if number:
            releases[number].append(key)
    groups = [keys for keys in releases.values() if len(keys) > 1]
    stories = {key: story_text("", paragraphs) for key, paragraphs in texts.items()}
    for i, keys in enumerate(groups):
        merged: list[str] = []
        for key in keys:
            merged += [p for p in texts[key] if p not in merged]
        stories[f"digest-{i}"] = story_text("", merged)
    index = StoryIndex(stories)
    pairs = [index.kind(key, f"digest-{i}", 0.0, 0.9)[0] for i, keys in enumerate(groups) for key in keys]
    kinds = Counter(kind for kind in pairs if kind)
    return (f"ISAF releases re-merged: {len(pairs)} records of {len(groups)} releases, each an item of its release "
            f"joined back into one article: {sum(kinds.values())} flagged "
            f"({', '.join(f'{kinds[k]} {k}' for k in DUPLICATE_KINDS if kinds[k])})")


def flagged(name: str, store: Store) -> str:
    start = time.perf_counter()
    pairs = duplicates(store)
    return (f"{name}: {len(pairs)} pairs flagged among {store.article_count()} articles ({by_kind(pairs)}) "
            f"in {time.perf_counter() - start:.1f} s")


def scale() -> str:
    sentences = [s for _, _, body in bbc_files() for s in body.replace("\n", " ").split(". ") if len(s) > 40]
    rng = np.random.default_rng(1)
    out = []
    for n in (10_000, 100_000):
        texts = {f"s{i}": [". ".join(sentences[j] for j in rng.integers(len(sentences), size=8))] for i in range(n)}
        start = time.perf_counter()
        index = StoryIndex({key: story_text("", body) for key, body in texts.items()})
        candidates = index.lexical_candidates()
        found = time.perf_counter() - start
        for a, b in sorted(candidates):
            index.kind(a, b, 0.0, 0.9)
        out.append(f"{n:,} articles: {found:.1f} s to {len(candidates):,} candidate pairs, "
                   f"{time.perf_counter() - start:.1f} s with every one scored")
    return "shingle index and candidates: " + "; ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store-root", type=Path, help="folder holding stores to reuse (isaf/, bbc/, ag-news/)")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no evaluation data at {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        isaf = corpus_store("isaf", args.store_root, Path(tmp))
        print(isaf_templates(isaf), flush=True)
        print(isaf_digests(isaf), flush=True)
        print(bbc_copies(Path(tmp)), flush=True)
        for name in ("bbc", "ag-news"):
            print(flagged(name, corpus_store(name, args.store_root, Path(tmp))), flush=True)
        if not args.skip_scale:
            print(scale(), flush=True)


if __name__ == "__main__":
    main()
