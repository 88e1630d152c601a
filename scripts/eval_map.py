"""How well the report's map separates topics, against BERTopic's document map, on the same points.

The BBC articles are ingested (or a store is reused), topics fitted with ``--topics`` (30 by default),
and the report built; its map holds a seeded sample of at most 3,000 paragraphs. The same paragraphs,
with the same vectors and the same topics, are then laid out

- by the report (``topics.report.layout``: topic centres by the similarity of their centroids,
  paragraphs in a disc around their topic's centre);
- by PCA (the report's map before);
- by UMAP as BERTopic 0.17's ``visualize_documents`` does (``n_neighbors=10, n_components=2,
  min_dist=0.0, metric="cosine"``, seeded here), fitted on the drawn points and, as that method does
  without a sample, on every paragraph.

For each layout, with k = 10 and over the points that have a topic:

- **separation**: the share of each point's k nearest map neighbours that share its topic (the
  "neighbourhood hit"); the same in the 384-dimensional space is given for reference;
- **neighbours kept**: the share of each point's k nearest map neighbours that are among its k nearest
  by cosine in the embedding space, so a layout that separates topics by scattering their contents
  shows for it;
- **trustworthiness** (scikit-learn, k = 10).

UMAP needs ``umap-learn`` (in the bench extra through BERTopic); ``--no-peer`` leaves it out.

    python scripts/eval_map.py --store /tmp/eval/bbc-map          # ingests BBC there the first time
    python scripts/eval_map.py --store /tmp/eval/bbc-map --topics 60
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Store, read_paths  # noqa: E402
from topics.fit import fit_topics  # noqa: E402
from topics.model import UNASSIGNED, TopicModel  # noqa: E402
from topics.report import build_report  # noqa: E402
from topics.report.layout import pca_layout, topic_layout, topic_rows  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news" / "bbc"
K = 10


def bbc_store(folder: Path, n_topics: int, seed: int) -> tuple[Store, TopicModel]:
    """The BBC store at ``folder`` (ingested the first time), with topics fitted at ``n_topics``."""
    store = Store.open(folder, create=True)
    if not store.article_ids():
        store.add(read_paths([BBC]).articles)
    model = TopicModel.load(folder) if (folder / "topics" / "current.json").exists() else None
    if model is None or model.params.get("n_topics") != n_topics or model.corpus_hash != store.content_hash():
        model = fit_topics(store, n_topics=n_topics, seed=seed, fresh=True)
    return store, model


def neighbours(points: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """Each point's :data:`K` nearest other points (exact, ties by index)."""
    index = NearestNeighbors(n_neighbors=K + 1, metric=metric, algorithm="brute").fit(points)
    found = index.kneighbors(points, return_distance=False)
    return np.array([[j for j in row if j != i][:K] for i, row in enumerate(found)])


def measure(xy: np.ndarray, vectors: np.ndarray, topics: np.ndarray, near: np.ndarray) -> dict[str, float]:
    """Separation, neighbours kept and trustworthiness of one layout (see the module docstring)."""
    assigned = topics != UNASSIGNED
    found = neighbours(xy)
    hit = (topics[found] == topics[:, None]).mean(axis=1)
    kept = np.array([len(set(a) & set(b)) / K for a, b in zip(found, near)])
    return {"separation": float(hit[assigned].mean()), "kept": float(kept[assigned].mean()),
            "trust": float(trustworthiness(vectors, xy, n_neighbors=K, metric="cosine"))}


def umap_2d(vectors: np.ndarray, seed: int) -> np.ndarray:
    """BERTopic 0.17's ``visualize_documents`` reduction (seeded, so single-threaded)."""
    from umap import UMAP

    return UMAP(n_neighbors=10, n_components=2, min_dist=0.0, metric="cosine", random_state=seed).fit_transform(vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="BBC store to build or reuse (default: a temporary one)")
    parser.add_argument("--topics", type=int, default=30, help="topics to fit (default 30)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="leave UMAP out")
    args = parser.parse_args()
    if not BBC.is_dir():
        sys.exit(f"no BBC articles at {BBC}")
    with tempfile.TemporaryDirectory() as tmp:
        store, model = bbc_store(args.store or Path(tmp) / "bbc", args.topics, args.seed)
        report = build_report(store, model)
        drawn = report["map"]
        pids = [p["paragraph_id"] for p in drawn]
        with store.reading() as snapshot:
            every = np.asarray(snapshot.vectors, np.float32)
            ids = np.asarray(snapshot.ids)
        rows = np.searchsorted(ids, pids)
        vectors = every[rows]
        topics = np.array([p["topic"] for p in drawn])
        store.close()
    near = neighbours(vectors, "cosine")
    print(f"BBC, {len(report['topics'])} topics, {len(drawn)} paragraphs drawn of {len(ids)}, "
          f"{100 * (topics == UNASSIGNED).mean():.1f}% unassigned")
    in_space = (topics[near] == topics[:, None]).mean(axis=1)[topics != UNASSIGNED].mean()
    print(f"separation in the embedding space (cosine, {vectors.shape[1]} dimensions): {in_space:.3f}")
    shown = np.array([[p["x"], p["y"]] for p in drawn])

    def ours() -> np.ndarray:
        xy = topic_layout(vectors, topic_rows(vectors, topics, model.ids, model.centroids), model.centroids)
        assert np.abs(xy - shown).max() < 1e-4, "the report's map is this layout"
        return xy

    layouts = {"report map": ours, "PCA": lambda: pca_layout(vectors)}
    if not args.no_peer:
        layouts["UMAP (BERTopic), drawn points"] = lambda: umap_2d(vectors, args.seed)
        layouts["UMAP (BERTopic), all paragraphs"] = lambda: umap_2d(every, args.seed)[rows]
    print(f"{'layout':<34}{'separation':>11}{'kept':>7}{'trust':>7}{'seconds':>9}")
    for name, layout in layouts.items():
        start = time.perf_counter()
        xy = layout()
        took = time.perf_counter() - start
        m = measure(xy, vectors, topics, near)
        print(f"{name:<34}{m['separation']:>11.3f}{m['kept']:>7.3f}{m['trust']:>7.3f}{took:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
