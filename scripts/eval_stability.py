"""Topic stability across refits and seeds: ours (warm-started refits) against BERTopic 0.17 (refit from
scratch), on the same paragraph embeddings, in one run.

For each corpus a seeded 10% of the articles is held back from the first fit. Then:

- **+1%**: a tenth of the held-back articles is added and the topics refitted. Reported: the share of
  the first fit's topics that keep their id with a Jaccard index of at least 0.8 over the first fit's
  paragraphs, the share of the first fit's assigned paragraphs that keep their topic, whether every
  person-given label survives (each topic of the first fit is given one), and the share of the first
  fit's topics whose automatic label (BERTopic's ``Name``) is unchanged.
- **+10%**: all held-back articles are added: the same figures.
- **seeds**: fresh fits of the whole corpus with seeds 0, 1 and 2: the mean pairwise adjusted Rand index
  of the paragraphs' topics (unassigned paragraphs count as one more topic).

Our refits start from the previous fit's centroids, carry ids as ``topics cluster`` does
(:func:`topics.stable.carry_ids`) and are given the previous fit's labels to keep where they still
fit. BERTopic has no warm start: it is refitted from scratch and its topics are matched to the first
fit's by the Hungarian algorithm on the paragraphs they share. Needs the bench extra for BERTopic (pip
install -e '.[bench]'); ``--no-peer`` leaves it out.

    python scripts/eval_stability.py --store-root /tmp/eval          # BBC and ISAF
    python scripts/eval_stability.py --dataset isaf --store-root /tmp/eval
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_topics import Corpus, bertopic_names, corpus_arguments, load  # noqa: E402
from index import Embedder  # noqa: E402
from index.arrays import unique_sorted  # noqa: E402
from topics.cluster import UNASSIGNED, TopicClusterer  # noqa: E402
from topics.fit import CorpusLayout, find_topics  # noqa: E402
from topics.model import Topic, TopicModel  # noqa: E402
from topics.stable import carry_ids  # noqa: E402

MIN_JACCARD = 0.8


@dataclass
class Fit:
    """Topic id of every paragraph of the corpus (``UNASSIGNED`` where not fitted or unassigned),
    centroids, the labels people gave the topics and the automatic ones."""

    ids: np.ndarray
    centroids: np.ndarray
    labels: dict[int, str | None]
    seen: np.ndarray  # the paragraphs this fit had
    names: dict[int, str]


def subset(corpus: Corpus, articles: list[str]) -> tuple[np.ndarray, CorpusLayout]:
    """Rows of ``articles``' paragraphs and their layout, rows renumbered within the subset."""
    rows = np.array(sorted({r for a in articles for r in corpus.rows_of[a]}))
    position = {int(r): i for i, r in enumerate(rows)}
    layout = CorpusLayout({a: [position[r] for r in corpus.rows_of[a]] for a in articles},
                          [corpus.layout.titles[r] for r in rows])
    return rows, layout


def ours(corpus: Corpus, articles: list[str], encode, previous: Fit | None, seed: int = 0) -> Fit:
    rows, layout = subset(corpus, articles)
    novel = None if previous is None else ~previous.seen[rows]
    found = find_topics(corpus.vectors[rows], [corpus.texts[r] for r in rows], layout, encode,
                        TopicClusterer(seed=seed, init=previous.centroids if previous else None), novel,
                        list(previous.names.values()) if previous else [])
    n = found.clusterer.n_topics_
    ids = np.full(len(corpus.texts), UNASSIGNED, dtype=np.int64)
    seen = np.zeros(len(corpus.texts), dtype=bool)
    seen[rows] = True
    if previous is None:
        ids[rows] = found.labels
        return Fit(ids, found.clusterer.centroids_, {t: f"label {t}" for t in range(n)}, seen,
                   {t: d.label for t, d in enumerate(found.descriptions)})
    fitted = np.flatnonzero(previous.ids != UNASSIGNED)
    model = TopicModel(
        topics=[Topic(id=t, label="", keywords=[], size=0, representatives=[], custom_label=label)
                for t, label in previous.labels.items()],
        centroids=previous.centroids, paragraph_ids=fitted, assignments=previous.ids[fitted],
        confidence=np.ones(len(fitted), np.float32), params={}, corpus_hash="", embedding_model="")
    carried = carry_ids(model, rows, found.labels, n)
    id_of = np.array(carried.ids + [UNASSIGNED])
    ids[rows] = id_of[found.labels]
    return Fit(ids, found.clusterer.centroids_, dict(zip(carried.ids, carried.custom_labels)), seen,
               {t: d.label for t, d in zip(carried.ids, found.descriptions)})


def bertopic(corpus: Corpus, articles: list[str], embedder: Embedder,
             seed: int = 0) -> tuple[np.ndarray, dict[int, str]]:
    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    rows, _ = subset(corpus, articles)
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    peer = BERTopic(embedding_model=embedder.model, umap_model=umap, vectorizer_model=CountVectorizer(stop_words="english"))
    topics, _ = peer.fit_transform([corpus.texts[r] for r in rows], embeddings=corpus.vectors[rows])
    ids = np.full(len(corpus.texts), UNASSIGNED, dtype=np.int64)
    ids[rows] = topics
    return ids, {t: name for t, name in bertopic_names(peer).items() if t != UNASSIGNED}


def matched(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """``second``'s topics renamed to the first's they share most paragraphs with (Hungarian, on the
    paragraphs both fitted), and the renaming; unmatched topics get fresh ids."""
    both = (first != UNASSIGNED) & (second != UNASSIGNED)
    old, new = unique_sorted(first[first != UNASSIGNED]), unique_sorted(second[second != UNASSIGNED])
    table = np.zeros((len(old), len(new)))
    np.add.at(table, (np.searchsorted(old, first[both]), np.searchsorted(new, second[both])), 1)
    rows, cols = linear_sum_assignment(-table)
    rename = {int(new[c]): int(old[r]) for r, c in zip(rows, cols) if table[r, c] > 0}
    spare = iter(range(int(max(old.max(initial=0), new.max(initial=0))) + 1, 10**9))
    fresh = {int(t): next(spare) for t in new if int(t) not in rename}
    renamed = np.array([t if t == UNASSIGNED else rename.get(int(t), fresh.get(int(t))) for t in second])
    return renamed, {**rename, **fresh}


def same_names(first: dict[int, str], second: dict[int, str]) -> float:
    """Share of ``first``'s topics whose automatic label the topic of the same id in ``second`` has too."""
    return sum(second.get(t) == name for t, name in first.items()) / max(len(first), 1)


def kept(first: np.ndarray, second: np.ndarray) -> tuple[float, float]:
    """Share of ``first``'s topics whose id in ``second`` holds at least ``MIN_JACCARD`` of the same
    paragraphs (among those ``first`` fitted), and share of ``first``'s assigned paragraphs that keep
    their topic."""
    fitted = first != UNASSIGNED
    topics = unique_sorted(first[fitted])
    same = 0
    for t in topics:
        a, b = first == t, (second == t) & fitted
        union = (a | b).sum()
        same += union and (a & b).sum() / union >= MIN_JACCARD
    return same / max(len(topics), 1), float((first[fitted] == second[fitted]).mean())


def seeds_ari(fits: list[np.ndarray]) -> float:
    return float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(fits, 2)]))


def main() -> None:
    args = corpus_arguments(argparse.ArgumentParser(description=__doc__,
                                                    formatter_class=argparse.RawDescriptionHelpFormatter))
    embedder = Embedder()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.dataset or ["bbc", "isaf"]:
            corpus = load(name, args.store_root, Path(tmp))
            order = list(np.random.default_rng(0).permutation(sorted(corpus.rows_of)))
            held = max(2, len(order) // 10)
            base, extra = order[:-held], order[-held:]
            stages = {"+1%": base + extra[:max(1, len(order) // 100)], "+10%": base + extra}
            everything = sorted(corpus.rows_of)
            first = ours(corpus, base, embedder.encode, None)
            for stage, articles in stages.items():
                again = ours(corpus, articles, embedder.encode, first)
                topics, paragraphs = kept(first.ids, again.ids)
                survived = set(first.labels.values()) <= set(again.labels.values())
                lines.append(f"{name:<8}{stage:<6}{'topics (ours)':<16}{100 * topics:>11.1f}%{100 * paragraphs:>10.1f}%"
                             f"{'all' if survived else 'lost':>8}{100 * same_names(first.names, again.names):>11.1f}%")
                print(lines[-1], flush=True)
            ari = seeds_ari([ours(corpus, everything, embedder.encode, None, seed).ids for seed in (0, 1, 2)])
            lines.append(f"{name:<8}{'seeds':<6}{'topics (ours)':<16}{'':>12}{'':>11}{'':>8}{'':>12}{ari:>8.3f}")
            print(lines[-1], flush=True)
            if args.no_peer:
                continue
            peer_first, first_names = bertopic(corpus, base, embedder)
            for stage, articles in stages.items():
                refit, refit_names = bertopic(corpus, articles, embedder)
                peer, renaming = matched(peer_first, refit)
                topics, paragraphs = kept(peer_first, peer)
                names = same_names(first_names, {renaming[t]: n for t, n in refit_names.items() if t in renaming})
                lines.append(f"{name:<8}{stage:<6}{'BERTopic 0.17':<16}{100 * topics:>11.1f}%{100 * paragraphs:>10.1f}%"
                             f"{'—':>8}{100 * names:>11.1f}%")
                print(lines[-1], flush=True)
            ari = seeds_ari([bertopic(corpus, everything, embedder, seed)[0] for seed in (0, 1, 2)])
            lines.append(f"{name:<8}{'seeds':<6}{'BERTopic 0.17':<16}{'':>12}{'':>11}{'':>8}{'':>12}{ari:>8.3f}")
            print(lines[-1], flush=True)
    print()
    print(f"{'corpus':<8}{'step':<6}{'model':<16}{'topics kept':>12}{'paragraphs':>11}{'labels':>8}{'auto labels':>12}"
          f"{'ARI':>8}")
    print("\n".join(lines))
    print(f"topics kept: same id and Jaccard ≥ {MIN_JACCARD} over the first fit's paragraphs; paragraphs: the "
          "first fit's assigned paragraphs that keep their topic; labels: person-given ones; auto labels: the first "
          "fit's topics whose automatic label is unchanged; ARI: mean pairwise over seeds 0, 1, 2.")


if __name__ == "__main__":
    main()
