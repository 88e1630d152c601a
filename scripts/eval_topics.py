"""Topic quality and speed: ours against BERTopic 0.17 on the same paragraph embeddings, in one run.

For each corpus, at the automatic topic count and at the number of gold labels, for both models: topic
count, largest topic's share of paragraphs, unassigned (outlier) rate, NMI and ARI of each article's
main topic against the gold labels, NPMI coherence of the top-10 keyword words over the paragraphs
(phrase keywords split into words, one analyser for both models), topic diversity, wall time of the
clustering stage (with keywords and labels), and two label measures:

- fidelity: share of topics, weighted by paragraphs, whose label (embedded with the bundled model) is
  nearer the name of the topic's majority class than any other class name (BBC and AG News);
- specificity: share of topics whose label embeds nearest its own centroid among all centroids.

With ``--stories``, the second level too (:mod:`topics.stories`): for themes and stories, their count,
largest share, story purity (the share of a story's articles from its majority class: BBC's desk, AG
News's class, ISAF's annotated event as province and start date) and three label measures that are not
the label picker's objective (:mod:`topics.quality`): support, sibling precision and consistency, each
beside BERTopic's at the same counts. ``--ablation`` adds, for each label rule (:mod:`topics.rules`),
the change in each label measure when the rule is off.

BERTopic runs with its defaults (UMAP + HDBSCAN, seeded UMAP) plus the English stop-word vectorizer its
documentation recommends, and ``nr_topics`` at the label count; its labels are its default ``Name``
without the id prefix. Needs the bench extra: pip install -e '.[bench]'.

    python scripts/eval_topics.py                                   # bbc, bbc300, ag-news, isaf
    python scripts/eval_topics.py --dataset isaf --store-root /tmp/eval   # reuse stores /tmp/eval/<dataset>
    python scripts/eval_topics.py --labels                          # print every topic's label and keywords
    python scripts/eval_topics.py --stories --ablation --no-peer     # two levels, and each label rule off
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Article, Embedder, Store, read_paths  # noqa: E402
from topics.cluster import MIN_CONFIDENCE, UNASSIGNED, TopicClusterer, article_topic  # noqa: E402
from topics.fit import CorpusLayout, find_topics  # noqa: E402
from topics.describe import TopicDescriber  # noqa: E402
from topics.english import FUNCTION_WORDS  # noqa: E402
from topics.phrases import words  # noqa: E402
from topics.quality import (label_consistency, label_matches, label_parts, label_support_precision,  # noqa: E402
                            npmi_coherence, topic_diversity)
from topics.rules import DEFAULT_RULES, RULES  # noqa: E402
from topics.vocabulary import stem  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def bbc() -> tuple[list[Article], dict[str, str]]:
    folder = DATA / "bbc-news" / "bbc"
    articles = read_paths([folder / label for label in ("business", "entertainment", "politics", "sport", "tech")]).articles
    return articles, {a.key: Path(a.path).parent.name for a in articles}


def ag_news() -> tuple[list[Article], dict[str, str]]:
    """AG News rows are ``class, title, description``; its HTML-entity debris ('#39;') is repaired."""
    names = (DATA / "ag-news" / "classes.txt").read_text().split()
    articles, labels = [], {}
    with open(DATA / "ag-news" / "test.csv", newline="", encoding="utf-8") as handle:
        for i, (label, title, text) in enumerate(csv.reader(handle)):
            fix = lambda s: html.unescape(s.replace("#39;", "&#39;").replace("quot;", "&quot;").replace("\\", " "))  # noqa: E731
            article = Article(id=f"ag-{i}", title=fix(title), text=fix(text))
            articles.append(article)
            labels[article.key] = names[int(label) - 1]
    return articles, labels


def bbc300() -> tuple[list[Article], dict[str, str]]:
    """A seeded sample of 300 BBC articles: a small corpus, where the automatic count must hold as well."""
    articles, labels = bbc()
    rng = np.random.default_rng(300)
    keep = sorted(rng.choice(len(articles), size=300, replace=False))
    articles = [articles[i] for i in keep]
    return articles, {a.key: labels[a.key] for a in articles}


def isaf() -> tuple[list[Article], dict[str, str]]:
    """ISAF press releases as a user maps them (text from ``conversations.1.value``, which opens with a
    "PRESS RELEASE TEXT:" line); the label is the first annotated event type. The header line is no
    id (56 releases share one), so each record is numbered."""
    articles, labels = [], {}
    with open(DATA / "isaf-press-releases" / "isaf_press_releases_ft_test.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            turns = json.loads(line)["conversations"]
            article = Article(id=f"isaf-{i}", title="", text=turns[1]["value"])
            articles.append(article)
            labels[article.key] = (json.loads(turns[2]["value"]).get("event_type") or ["none"])[0]
    return articles, labels


def isaf_events() -> dict[str, str]:
    """Each ISAF release's annotated event: its province and start date (what a story of releases is)."""
    out = {}
    with open(DATA / "isaf-press-releases" / "isaf_press_releases_ft_test.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            note = json.loads(json.loads(line)["conversations"][2]["value"])
            out[f"isaf-{i}"] = f"{'/'.join(note.get('province') or ['?'])} {note.get('start_date')}"
    return out


DATASETS = {"bbc": bbc, "bbc300": bbc300, "ag-news": ag_news, "isaf": isaf}


CLASS_NAMES = {"bbc": {"business": "business", "entertainment": "entertainment", "politics": "politics",
                        "sport": "sport", "tech": "technology"},
               "ag-news": {"World": "world", "Sports": "sports", "Business": "business",
                           "Sci/Tech": "science and technology"}}
CLASS_NAMES["bbc300"] = CLASS_NAMES["bbc"]


@dataclass
class Corpus:
    """One dataset's paragraphs as a fit sees them, with each article's gold label."""

    name: str
    vectors: np.ndarray
    texts: list[str]
    layout: CorpusLayout
    labels: dict[str, str]

    @property
    def rows_of(self) -> dict[str, list[int]]:
        return self.layout.articles

    def paragraph_classes(self) -> list[str]:
        """Gold class of each paragraph: that of the first article holding it."""
        out: list[str | None] = [None] * len(self.texts)
        for aid, rows in self.rows_of.items():
            for row in rows:
                out[row] = out[row] or self.labels[aid]
        return [c or "" for c in out]


@dataclass
class Result:
    name: str
    topics: np.ndarray  # per paragraph, UNASSIGNED for outliers
    main: dict[str, int]  # article → main topic
    keywords: list[list[str]]
    names: list[str]  # label of each topic, in topic order 0..n-1
    centroids: np.ndarray
    seconds: float


def load(name: str, store_root: Path | None, tmp: Path) -> Corpus:
    articles, labels = DATASETS[name]()
    articles = list({a.key: a for a in articles}.values())  # the last of a repeated id, as ingest keeps
    folder = (store_root / ("bbc" if name == "bbc300" else name)) if store_root else tmp / name
    store = Store.open(folder, create=True)
    store.add(articles)
    with store.reading() as snapshot:
        # Only the dataset's own articles count, even in a reused store that holds others.
        links = store.links(article_ids=sorted(labels))
        pids = sorted({link.paragraph_id for link in links})
        row = {pid: i for i, pid in enumerate(pids)}
        vectors = snapshot.vectors_of(pids).astype(np.float32)
        texts = store.paragraph_texts(pids)
    titles = [False] * len(pids)
    placed: dict[str, list[tuple[int, int]]] = {}
    for link in links:
        titles[row[link.paragraph_id]] |= link.is_title
        placed.setdefault(link.article.id, []).append((link.position, row[link.paragraph_id]))
    layout = CorpusLayout({a: [r for _, r in sorted(p)] for a, p in sorted(placed.items())}, titles)
    store.close()
    return Corpus(name, vectors, texts, layout, labels)


def run_ours(corpus: Corpus, n_topics: int | None, encode, seed: int, floor: float = MIN_CONFIDENCE) -> Result:
    start = time.perf_counter()
    found = find_topics(corpus.vectors, corpus.texts, corpus.layout, encode,
                        TopicClusterer(n_topics, seed=seed, min_confidence=floor))
    seconds = time.perf_counter() - start
    described = found.descriptions
    return Result("topics (ours)", found.labels, main_themes(corpus, found),
                  [[k for k, _ in d.keywords] for d in described], [d.label for d in described],
                  found.clusterer.centroids_, seconds)


def main_themes(corpus: Corpus, found: Any) -> dict[str, int]:
    """Each article's main topic (theme) in our fit."""
    clusterer = found.clusterer
    return {aid: article_topic(corpus.vectors[rows], found.labels[rows] != UNASSIGNED, clusterer.centroids_,
                               clusterer.min_confidence) for aid, rows in corpus.rows_of.items()}


def run_bertopic(corpus: Corpus, n_topics: int | None, embedder: Embedder, seed: int) -> Result:
    from bertopic import BERTopic
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    peer = BERTopic(embedding_model=embedder.model, umap_model=umap,
                    vectorizer_model=CountVectorizer(stop_words="english"), nr_topics=n_topics)
    start = time.perf_counter()
    topics, _ = peer.fit_transform(corpus.texts, embeddings=corpus.vectors)
    seconds = time.perf_counter() - start
    topics = np.asarray(topics)
    ids = sorted(t for t in set(topics.tolist()) if t != -1)
    remap = {t: i for i, t in enumerate(ids)}
    dense = np.array([remap.get(int(t), UNASSIGNED) for t in topics])
    info = bertopic_names(peer)
    names = [info[t] for t in ids]
    keywords = [[w for w, _ in peer.get_topic(t)] for t in ids]
    centroids = np.stack([_unit(corpus.vectors[dense == i].mean(axis=0)) for i in range(len(ids))])
    return Result("BERTopic 0.17", dense, majority_topics(corpus.rows_of, dense), keywords, names, centroids,
                  seconds)


def bertopic_names(peer: Any) -> dict[int, str]:
    """BERTopic's label of each topic: its ``Name`` without the leading id ("0_said_mr" → "said mr")."""
    return {int(r.Topic): " ".join(r.Name.split("_")[1:]) for r in peer.get_topic_info().itertuples()}


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def majority_topics(rows_of: dict[str, list[int]], topics: np.ndarray) -> dict[str, int]:
    """Each article's most frequent assigned topic (ties: lowest id), -1 when all are unassigned."""
    out = {}
    for aid, rows in rows_of.items():
        counts = Counter(int(t) for t in topics[rows] if t != UNASSIGNED)
        out[aid] = min(counts, key=lambda t: (-counts[t], t)) if counts else UNASSIGNED
    return out


def top_words(keywords: list[str], n: int = 10) -> list[str]:
    """The first ``n`` distinct words of a topic's keywords (phrases split into words)."""
    out: list[str] = []
    for keyword in keywords:
        for word in words(keyword):
            if word not in out and "-" not in word:
                out.append(word)
    return out[:n]


def measure(result: Result, corpus: Corpus, encode) -> dict[str, object]:
    """Every figure of one model on one corpus (see the module docstring)."""
    ids = sorted(result.main)
    truth, predicted = [corpus.labels[i] for i in ids], [result.main[i] for i in ids]
    top = [top_words(k) for k in result.keywords]
    n = len(result.names)
    sizes = np.bincount(result.topics[result.topics >= 0], minlength=n) if n else np.zeros(0)
    names = encode(result.names) if n else np.zeros((0, result.centroids.shape[1]))
    specificity = float(np.mean((names @ result.centroids.T).argmax(axis=1) == np.arange(n))) if n else 0.0
    fidelity = None
    classes = CLASS_NAMES.get(corpus.name)
    if classes and n:
        gold = corpus.paragraph_classes()
        class_keys = sorted(classes)
        nearest = (names @ encode([classes[c] for c in class_keys]).T).argmax(axis=1)
        right = 0
        for topic in range(n):
            members = Counter(gold[r] for r in np.flatnonzero(result.topics == topic))
            majority = min(members, key=lambda c: (-members[c], c)) if members else None
            right += sizes[topic] * (class_keys[nearest[topic]] == majority)
        fidelity = float(right / max(sizes.sum(), 1))
    return {"model": result.name, "topics": n, "largest": float(sizes.max() / len(result.topics)) if n else 1.0,
            "unassigned": float((result.topics == UNASSIGNED).mean()),
            "NMI": normalized_mutual_info_score(truth, predicted), "ARI": adjusted_rand_score(truth, predicted),
            "NPMI": npmi_coherence(top, corpus.texts, words), "diversity": topic_diversity(top),
            "fidelity": fidelity, "specificity": specificity, "seconds": result.seconds}


@dataclass
class Level:
    """One level of a fit as the label measures see it: each paragraph's topic (-1: none), each topic's
    label, keywords and siblings (the topics its label must tell it from)."""

    name: str
    topics: np.ndarray
    labels: list[str]
    keywords: list[list[str]]
    siblings: list[list[int]]


def our_levels(found: Any) -> list[Level]:
    """Themes (siblings: the other themes) and stories (siblings: the other stories of their theme)."""
    n = len(found.descriptions)
    themes = Level("themes", found.labels, [d.label for d in found.descriptions],
                   [[k for k, _ in d.keywords] for d in found.descriptions],
                   [[t for t in range(n) if t != s] for s in range(n)])
    story_themes = found.stories.themes
    stories = Level("stories", found.stories.labels, [d.label for d in found.story_descriptions],
                    [[k for k, _ in d.keywords] for d in found.story_descriptions],
                    [[t for t in np.flatnonzero(story_themes == story_themes[s]) if t != s]
                     for s in range(len(story_themes))])
    return [themes, stories]


def peer_level(result: Result, name: str) -> Level:
    n = len(result.names)
    return Level(name, result.topics, result.names, result.keywords, [[t for t in range(n) if t != s] for s in range(n)])


def label_measures(level: Level, topic: int, documents: list[frozenset[str]]) -> tuple[float, float]:
    """Support and sibling precision of one topic's label."""
    matches = label_matches(label_parts(level.labels[topic], words, stem, FUNCTION_WORDS), documents)
    return label_support_precision(matches, level.topics, topic, level.siblings[topic])


def label_figures(level: Level, corpus: Corpus, encode, documents: list[frozenset[str]]) -> dict[str, float]:
    """Support, sibling precision and consistency of a level's labels (see topics.quality); a story that
    is its theme's only one has no siblings and is left out of support and precision."""
    measured = [label_measures(level, topic, documents) for topic in range(len(level.labels))
                if level.siblings[topic] or level.name != "stories"]
    supports, precisions = [s for s, _ in measured], [p for _, p in measured]
    named = [i for i, label in enumerate(level.labels) if label]
    consistency = label_consistency(encode([level.labels[i] for i in named]),
                                    encode([", ".join(level.keywords[i][:10]) for i in named])) if named else 0.0
    both = [s >= 0.3 and p >= 0.7 for s, p in zip(supports, precisions)]
    return {"support": float(np.mean(supports)) if supports else 0.0,
            "precision": float(np.mean(precisions)) if precisions else 0.0,
            "targets": float(np.mean(both)) if both else 0.0, "consistency": consistency,
            "reachable": reachable(level, documents)}


PAIRED = 15  # a topic's most common precise words whose pairs the headroom measure tries


def reachable(level: Level, documents: list[frozenset[str]]) -> float:
    """Headroom of the label targets: the share of topics (stories with siblings) for which some word of
    their own paragraphs, or a pair of two such words as a two-part label, meets support ≥ 0.3 and
    sibling precision ≥ 0.7. Single words, so phrases would reach a little less and names a little more."""
    vocabulary = {w: i for i, w in enumerate(sorted({w for d in documents for w in d} - FUNCTION_WORDS))}
    rows = [i for i, d in enumerate(documents) for w in d if w in vocabulary]
    cols = [vocabulary[w] for d in documents for w in d if w in vocabulary]
    held = sparse.csc_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(len(documents), len(vocabulary)))
    met = []
    for topic in range(len(level.labels)):
        if not level.siblings[topic] and level.name == "stories":
            continue
        own = level.topics == topic
        near = own | np.isin(level.topics, level.siblings[topic])
        inside = np.asarray(held[own].sum(axis=0)).ravel()
        around = np.asarray(held[near].sum(axis=0)).ravel()
        support, precision = inside / max(own.sum(), 1), inside / np.maximum(around, 1)
        if ((support >= 0.3) & (precision >= 0.7)).any():
            met.append(True)
            continue
        precise = [j for j in np.argsort(-support, kind="stable") if precision[j] >= 0.7][:PAIRED]
        columns = {j: held[:, j].toarray().ravel() for j in precise}
        met.append(any(_meets(columns[a] | columns[b], own, near) for i, a in enumerate(precise) for b in precise[i + 1:]))
    return float(np.mean(met)) if met else 0.0


def _meets(matches: np.ndarray, own: np.ndarray, near: np.ndarray) -> bool:
    support = matches[own].mean()
    precision = (matches & own).sum() / max((matches & near).sum(), 1)
    return bool(support >= 0.3 and precision >= 0.7)


def purity(level: Level, corpus: Corpus, classes: dict[str, str]) -> tuple[float, float]:
    """Share of topics whose articles (those it is the main topic of, by their paragraphs' majority)
    are ≥ 90% of one class, and the mean purity."""
    main = majority_topics(corpus.rows_of, level.topics)
    values = []
    for topic in range(len(level.labels)):
        counts = Counter(classes.get(a, "") for a, t in main.items() if t == topic)
        if counts:
            values.append(max(counts.values()) / sum(counts.values()))
    return (float(np.mean([v >= 0.9 for v in values])) if values else 0.0,
            float(np.mean(values)) if values else 0.0)


LEVEL_HEADER = (f"{'corpus':<9}{'model':<15}{'level':<9}{'count':>6}{'largest':>9}{'pure≥.9':>9}{'purity':>8}"
                f"{'support':>9}{'sib.prec':>9}{'targets':>9}{'reach':>7}{'consist.':>9}{'NPMI':>7}{'divers.':>8}")


def level_row(corpus: Corpus, model: str, level: Level, encode, documents, classes) -> str:
    sizes = np.bincount(level.topics[level.topics >= 0], minlength=len(level.labels))
    pure, mean = purity(level, corpus, classes)
    f = label_figures(level, corpus, encode, documents)
    top = [top_words(k) for k in level.keywords]
    return (f"{corpus.name:<9}{model:<15}{level.name:<9}{len(level.labels):>6}"
            f"{100 * sizes.max() / max(len(level.topics), 1):>8.1f}%{pure:>9.2f}{mean:>8.2f}{f['support']:>9.2f}"
            f"{f['precision']:>9.2f}{f['targets']:>9.2f}{f['reachable']:>7.2f}{f['consistency']:>9.2f}"
            f"{npmi_coherence(top, corpus.texts, words):>7.3f}{topic_diversity(top):>8.2f}")


def print_labels(level: Level, documents: list[frozenset[str]]) -> None:
    """Each topic's size, label, the label's support and sibling precision, and top six keywords."""
    sizes = np.bincount(level.topics[level.topics >= 0], minlength=len(level.labels))
    for topic, (label, keywords) in enumerate(zip(level.labels, level.keywords)):
        support, precision = label_measures(level, topic, documents)
        print(f"    {level.name[:5]} {topic:>3} {sizes[topic]:>6}  {label:<45} {support:4.2f} {precision:4.2f}  "
              f"{', '.join(keywords[:6])}")


def ablation(corpus: Corpus, encode, documents, seed: int, floor: float = MIN_CONFIDENCE) -> list[str]:
    """Each label rule off in turn: the change in each label measure at both levels (rule off − on)."""
    def figures(rules: frozenset[str]) -> list[dict[str, float]]:
        found = find_topics(corpus.vectors, corpus.texts, corpus.layout, encode,
                            TopicClusterer(seed=seed, min_confidence=floor),
                            describer=TopicDescriber(encode, seed=seed, rules=rules))
        return [label_figures(level, corpus, encode, documents) for level in our_levels(found)]

    base = figures(DEFAULT_RULES)
    out = []
    for rule in RULES:
        off = figures(DEFAULT_RULES - {rule})
        cells = "  ".join(f"{level[:5]} " + " ".join(f"{key[:4]} {off[i][key] - base[i][key]:+.2f}" for key in base[i])
                          for i, level in enumerate(("themes", "stories")))
        out.append(f"{corpus.name:<9}{rule:<14}{cells}")
        print(out[-1], flush=True)
    return out


HEADER = (f"{'corpus':<9}{'count':<7}{'model':<15}{'topics':>7}{'largest':>9}{'unassigned':>11}{'NMI':>7}{'ARI':>7}"
          f"{'NPMI':>8}{'diversity':>10}{'fidelity':>10}{'specificity':>12}{'seconds':>9}")


def row(corpus: str, count: str, r: dict[str, object]) -> str:
    fidelity = "—" if r["fidelity"] is None else f"{r['fidelity']:.2f}"
    return (f"{corpus:<9}{count:<7}{r['model']:<15}{r['topics']:>7}{100 * r['largest']:>8.1f}%"
            f"{100 * r['unassigned']:>10.1f}%{r['NMI']:>7.3f}{r['ARI']:>7.3f}{r['NPMI']:>8.3f}{r['diversity']:>10.2f}"
            f"{fidelity:>10}{r['specificity']:>12.2f}{r['seconds']:>9.1f}")


def corpus_arguments(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The options every evaluation takes (corpora, stores, the peer), parsed; exits without the data."""
    parser.add_argument("--dataset", choices=sorted(DATASETS), action="append",
                        help="corpus to evaluate (repeatable; default: the script's own list)")
    parser.add_argument("--store-root", type=Path, help="folder of stores to build or reuse, one per corpus")
    parser.add_argument("--no-peer", action="store_true", help="leave BERTopic out")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no evaluation data at {DATA}")
    return args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labels", action="store_true", help="print each topic's label and keywords")
    parser.add_argument("--stories", action="store_true", help="themes and stories, with the label measures")
    parser.add_argument("--ablation", action="store_true", help="with --stories: each label rule off in turn")
    parser.add_argument("--min-confidence", type=float, default=MIN_CONFIDENCE,
                        help=f"the paragraphs' confidence floor (default {MIN_CONFIDENCE})")
    args = corpus_arguments(parser)
    embedder = Embedder()
    rows: list[str] = []
    level_rows: list[str] = []
    ablations: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.dataset or ["bbc", "bbc300", "ag-news", "isaf"]:
            corpus = load(name, args.store_root, Path(tmp))
            embedder.encode(["warm up"])
            gold = len(set(corpus.labels.values()))
            print(f"{name}: {len(corpus.rows_of)} articles, {len(corpus.texts)} paragraphs, {gold} labels", flush=True)
            if args.stories:
                level_rows += two_levels(corpus, embedder, args)
                if args.ablation:
                    documents = [frozenset(stem(w) for w in words(t)) for t in corpus.texts]
                    ablations += ablation(corpus, embedder.encode, documents, args.seed, args.min_confidence)
                continue
            for count, k in (("auto", None), (f"k={gold}", gold)):
                results = [run_ours(corpus, k, embedder.encode, args.seed, args.min_confidence)]
                if not args.no_peer:
                    results.append(run_bertopic(corpus, k, embedder, args.seed))
                for result in results:
                    rows.append(row(name, count, measure(result, corpus, embedder.encode)))
                    print(rows[-1], flush=True)
                    if args.labels:
                        for topic, (label, keywords) in enumerate(zip(result.names, result.keywords)):
                            size = int((result.topics == topic).sum())
                            print(f"    {topic:>3} {size:>6}  {label:<40} {', '.join(keywords[:8])}")
    print()
    if args.stories:
        print(LEVEL_HEADER)
        print("\n".join(level_rows))
        print("targets: share of labels with support ≥ 0.3 and sibling precision ≥ 0.7 (reach: share of topics "
              "for which some word of theirs, or pair of words, would meet both); purity by desk (BBC), "
              "class (AG News), annotated event (ISAF: province and start date)")
        if ablations:
            print("\nrule off: change in each label measure (supp(ort), prec(ision), targ(ets), cons(istency))")
            print("\n".join(ablations))
        return
    print(HEADER)
    print("\n".join(rows))
    print("NPMI over paragraphs; fidelity only where the gold classes have names (BBC, AG News).")


def two_levels(corpus: Corpus, embedder: Embedder, args: argparse.Namespace) -> list[str]:
    """Our themes and stories at the automatic counts, and BERTopic's topics at the same two counts."""
    encode = embedder.encode
    documents = [frozenset(stem(w) for w in words(t)) for t in corpus.texts]
    classes = isaf_events() if corpus.name == "isaf" else corpus.labels
    start = time.perf_counter()
    found = find_topics(corpus.vectors, corpus.texts, corpus.layout, encode,
                        TopicClusterer(seed=args.seed, min_confidence=args.min_confidence))
    print(f"  ours: themes, stories, keywords and labels in {time.perf_counter() - start:.1f} s", flush=True)
    plain = ~found.boilerplate
    main = main_themes(corpus, found)
    ids = sorted(main)
    nmi = normalized_mutual_info_score([corpus.labels[i] for i in ids], [main[i] for i in ids])
    print(f"  ours: unassigned {100 * (found.labels[plain] == UNASSIGNED).mean():.1f}% of the paragraphs outside "
          f"boilerplate ({100 * found.boilerplate.mean():.1f}% of all are boilerplate); floor "
          f"{found.clusterer.min_confidence}; themes' article NMI {nmi:.3f}", flush=True)
    out = []
    for level in our_levels(found):
        out.append(level_row(corpus, "topics (ours)", level, encode, documents, classes))
        print(out[-1], flush=True)
        if args.labels:
            print_labels(level, documents)
        if not args.no_peer:
            peer = peer_level(run_bertopic(corpus, len(level.labels), embedder, args.seed), level.name)
            out.append(level_row(corpus, "BERTopic 0.17", peer, encode, documents, classes))
            print(out[-1], flush=True)
            if args.labels:
                print_labels(peer, documents)
    return out


if __name__ == "__main__":
    main()
