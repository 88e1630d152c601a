"""Topic quality and speed: ours against BERTopic 0.17 on the same paragraph embeddings, in one run.

For both: topic count, unassigned (outlier) rate of paragraphs, NMI and ARI of each article's main topic
against the dataset's labels, NPMI coherence of the top-10 keywords over the paragraphs (each model's
terms checked with its own analyser; in articles, and in paragraphs), topic diversity, and wall time of
the clustering stage.

BERTopic runs with its defaults (UMAP + HDBSCAN) plus the English stop-word vectorizer its documentation
recommends for keywords. Needs the bench extra: pip install -e '.[bench]'.

    python scripts/eval_topics.py                         # BBC News, 2,225 articles, 5 labels
    python scripts/eval_topics.py --dataset ag-news       # AG News test split, 7,600 items, 4 labels
    python scripts/eval_topics.py --store /tmp/bbc        # keep and reuse the embedded store
"""

from __future__ import annotations

import argparse
import csv
import html
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Article, Store, read_paths  # noqa: E402
from topics.cluster import UNASSIGNED, TopicClusterer  # noqa: E402
from topics.describe import TopicDescriber, make_vectorizer  # noqa: E402
from topics.quality import npmi_coherence, topic_diversity  # noqa: E402

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


def main_topics(rows_of: dict[str, list[int]], topics: np.ndarray) -> dict[str, int]:
    """Each article's most frequent assigned topic (ties: lowest id), -1 when all are unassigned."""
    out = {}
    for aid, rows in rows_of.items():
        counts = Counter(int(t) for t in topics[rows] if t != UNASSIGNED)
        out[aid] = min(counts, key=lambda t: (-counts[t], t)) if counts else UNASSIGNED
    return out


def score(name: str, topics: np.ndarray, keywords: list[list[str]], analyser, texts: list[str],
          rows_of: dict[str, list[int]], labels: dict[str, str], seconds: float) -> dict[str, object]:
    main = main_topics(rows_of, topics)
    ids = sorted(main)
    truth, predicted = [labels[i] for i in ids], [main[i] for i in ids]
    top = [k[:10] for k in keywords]
    articles = ["\n".join(texts[r] for r in rows_of[i]) for i in ids]
    return {"model": name, "topics": len(keywords), "unassigned": float((topics == UNASSIGNED).mean()),
            "NMI": normalized_mutual_info_score(truth, predicted), "ARI": adjusted_rand_score(truth, predicted),
            "NPMI": npmi_coherence(top, articles, analyser), "NPMI_para": npmi_coherence(top, texts, analyser),
            "diversity": topic_diversity(top), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=("bbc", "ag-news"), default="bbc")
    parser.add_argument("--store", type=Path, help="store folder to build or reuse (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no evaluation data at {DATA}")
    articles, labels = bbc() if args.dataset == "bbc" else ag_news()

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.store or Path(tmp) / "store", create=True)
        store.add(articles)
        with store.reading() as snapshot:
            # Only the dataset's own articles count, even in a reused store that holds others.
            links = store.links(article_ids=sorted(labels))
            pids = sorted({link.paragraph_id for link in links})
            row = {pid: i for i, pid in enumerate(pids)}
            vectors = snapshot.vectors_of(pids).astype(np.float32)
            texts = store.paragraph_texts(pids)
            rows_of: dict[str, list[int]] = {}
            for link in links:
                rows_of.setdefault(link.article.id, []).append(row[link.paragraph_id])
        store.embedder.encode(["warm up"])

        start = time.perf_counter()
        clusterer = TopicClusterer(seed=args.seed).fit(vectors)
        cluster_s = time.perf_counter() - start
        start = time.perf_counter()
        describer = TopicDescriber(store.embedder.encode)
        described = describer.describe(texts, clusterer.labels_, clusterer.confidence_, clusterer.centroids_)
        describe_s = time.perf_counter() - start
        ours = score("topics (ours)", clusterer.labels_, [[k for k, _ in d.keywords] for d in described],
                     make_vectorizer(len(texts)).build_analyzer(), texts, rows_of, labels, cluster_s + describe_s)

        from bertopic import BERTopic

        vectorizer = CountVectorizer(stop_words="english")
        peer = BERTopic(embedding_model=store.embedder.model, vectorizer_model=vectorizer)
        start = time.perf_counter()
        peer_topics, _ = peer.fit_transform(texts, embeddings=vectors)
        peer_s = time.perf_counter() - start
        peer_keywords = [[w for w, _ in peer.get_topic(t)] for t in sorted(set(peer_topics)) if t != -1]
        theirs = score("BERTopic 0.17", np.asarray(peer_topics), peer_keywords, vectorizer.build_analyzer(), texts,
                       rows_of, labels, peer_s)

    print(f"dataset: {args.dataset}: {len(rows_of)} articles, {len(texts)} paragraphs, "
          f"{len(set(labels.values()))} labels (same embeddings for both)")
    print(f"{'model':<16}{'topics':>7}{'unassigned':>12}{'NMI':>7}{'ARI':>7}{'NPMI':>8}{'NPMI¶':>8}"
          f"{'diversity':>11}{'seconds':>9}")
    for r in (ours, theirs):
        print(f"{r['model']:<16}{r['topics']:>7}{100 * r['unassigned']:>11.1f}%{r['NMI']:>7.3f}{r['ARI']:>7.3f}"
              f"{r['NPMI']:>8.3f}{r['NPMI_para']:>8.3f}{r['diversity']:>11.2f}{r['seconds']:>9.1f}")
    print("NPMI counts co-occurrence in articles (the corpus's documents), NPMI¶ in paragraphs.")
    print(f"ours: clustering {cluster_s:.1f}s + keywords and labels {describe_s:.1f}s; "
          f"BERTopic: UMAP + HDBSCAN + c-TF-IDF in fit_transform")


if __name__ == "__main__":
    main()
