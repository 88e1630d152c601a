"""Named topics, zero-shot: precision and recall against what a reader would put there, beside BERTopic's.

Subjects, and how the reference is judged (a stated, reproducible rule for each, spot-checked by reading):

- **seed** (``seeds/``): "Terrorist designation policy" holds the two paragraphs on the Duma's bill to take
  the Taliban off Russia's list of banned organisations; "Cross-border militancy" the three on ISIS's
  spread into Central Asia. Two paragraphs that speak of both or of neither (the move's debate, the CSTO
  discussions) are scored for neither. Precision and recall are of paragraphs.
- **BBC** (``bbc-news``): by the subject's defining terms (a regular expression, any case): "Yukos affair"
  (yukos), "Tsunami aid" (tsunami), "Six Nations" (six nations), "Mobile phones" (mobile phone, handset,
  mobile network, 3G). An article is *about* the subject when its title holds a term or its text does at
  least twice, and *touches* it when its title or text holds one at all. Read on BBC at 0.5, the
  paragraphs taken outside the articles about a subject were mostly a reader's own (a Six Nations match
  report naming the championship once, a handset launch), hence the two sets.
- **ISAF** (press releases): the releases' own annotations: "Haqqani network" (target group haqqani),
  "Islamic Movement of Uzbekistan" (imu), "Air strikes" (event type airstrike).

For BBC and ISAF, *precision* is the share of the paragraphs a named topic takes whose article touches the
subject (ISAF: is annotated with it), *recall* the share of the articles about it with at least one
paragraph taken. Each corpus's
subjects are named together, as an analyst would, so a paragraph goes to the nearest topic whose
threshold it reaches (:func:`topics.cluster.nearest_passing`, the fit's own rule).

Compared, on the same paragraph vectors (the bundled model) and names:

- ours: each topic's vector the unit mean of its name's and seeds' vectors, at each threshold;
- ours, name only: the name's vector alone (what BERTopic embeds);
- BERTopic 0.17 zero-shot (``zeroshot_topic_list`` the names, ``zeroshot_min_similarity`` its default 0.7
  and our default), run for real (its clustering of the rest with k-means on the vectors, which does not
  touch the zero-shot assignment); its rule is the name-only rule with BERTopic's argmax over all topics.

    PYTHONPATH=. python scripts/eval_named.py --bbc /tmp/named-bbc --isaf /tmp/named-isaf [--no-peer] [--fit]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import Store, offline_environment, read_paths  # noqa: E402
from topics.cluster import UNASSIGNED, nearest_passing  # noqa: E402
from topics.context import unit_rows  # noqa: E402
from topics.named import DEFAULT_THRESHOLD, GUIDED, ZERO_SHOT, NamedTopic, NamedTopics  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
THRESHOLDS = [round(t, 2) for t in np.arange(0.30, 0.751, 0.05)]


@dataclass(frozen=True)
class Subject:
    topic: NamedTopic
    rule: str  # BBC: the defining terms; ISAF: "field=value" of the annotation; seed: a paragraph phrase list


SEED = [Subject(NamedTopic("Terrorist designation policy",
                           ("list of terrorist organisations", "delisting", "banned organisations")),
                "Parliament (Duma)|legal authority to remove the Taliban"),
        Subject(NamedTopic("Cross-border militancy", ("ISIS in Central Asia", "militants crossing borders")),
                "particularly Kazakhstan|increasing presence of ISIS|ISIS’s growing influence")]
SEED_NEITHER = ("The move has sparked debate", "The discussions focused")
BBC = [Subject(NamedTopic("Yukos affair", ("Yukos oil company", "Mikhail Khodorkovsky", "Yuganskneftegaz auction")),
               "yukos"),
       Subject(NamedTopic("Tsunami aid", ("Asian tsunami", "aid for tsunami victims", "tsunami relief appeal")),
               "tsunami"),
       Subject(NamedTopic("Six Nations", ("Six Nations rugby championship", "rugby union international")),
               "six nations"),
       Subject(NamedTopic("Mobile phones", ("mobile phone", "handsets", "mobile networks")),
               r"mobile phone|handset|mobile network|\b3G\b")]
ISAF = [Subject(NamedTopic("Haqqani network", ("Haqqani leader", "Haqqani insurgents")), "target_group=haqqani"),
        Subject(NamedTopic("Islamic Movement of Uzbekistan", ("IMU leader", "IMU insurgents")), "target_group=imu"),
        Subject(NamedTopic("Air strikes", ("precision air strike", "coalition aircraft")), "event_type=airstrike")]


@dataclass
class Corpus:
    name: str
    store: Store
    vectors: np.ndarray
    article_of: list[str]  # per paragraph row
    texts: list[str]
    subjects: list[Subject]
    reference: list[set[str]]  # per subject: the articles about it (seed: paragraph rows as strings)
    touching: list[set[str]]  # per subject: the articles that touch it (ISAF, seed: as reference)


def _rows(store: Store) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    with store.reading() as snapshot:
        ids = snapshot.ids.copy()
        vectors = unit_rows(np.asarray(snapshot.vectors, np.float32))
        texts = store.paragraph_texts(ids)
        owner: dict[int, str] = {}
        for pid, aid, _, _ in store.positions():
            owner.setdefault(int(pid), aid)
    return ids, vectors, [owner[int(p)] for p in ids], texts


def bbc_reference(store: Store, subject: Subject) -> tuple[set[str], set[str]]:
    """Articles about the subject (a term in the title, or twice in the text), and those touching it."""
    about, touching = set(), set()
    term = re.compile(subject.rule, re.IGNORECASE)
    for aid in store.article_ids():
        info = store.article(aid)
        text = " ".join(link.text for link in store.links(article_ids=[aid]))
        mentions = len(term.findall(text))
        if term.search(info.title or "") or mentions >= 2:
            about.add(aid)
        if mentions:
            touching.add(aid)
    return about, touching | about


def isaf_reference(subject: Subject) -> set[str]:
    field, value = subject.rule.split("=")
    out = set()
    with open(DATA / "isaf-press-releases" / "isaf_press_releases_ft_test.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            note = json.loads(json.loads(line)["conversations"][2]["value"])
            if value in ";".join(note.get(field) or []).split(";"):
                out.add(f"isaf-{i}")
    return out


def load(name: str, path: Path | None, scratch: Path) -> Corpus:
    if name == "seed":
        store = Store.open(scratch / "seed", create=True)
        if not store.article_ids():
            store.add(read_paths([ROOT / "seeds"]).articles)
    else:
        store = Store.open(path)
    _, vectors, article_of, texts = _rows(store)
    if name == "seed":
        subjects = SEED
        reference = [{str(r) for r, t in enumerate(texts) if any(p in t for p in s.rule.split("|"))} for s in SEED]
        article_of = [str(r) for r in range(len(texts))]
        keep = [r for r, t in enumerate(texts) if not any(t.startswith(p) for p in SEED_NEITHER)]
        vectors, texts, article_of = vectors[keep], [texts[r] for r in keep], [article_of[r] for r in keep]
    elif name == "bbc":
        subjects = BBC
        reference, touching = (list(sets) for sets in zip(*(bbc_reference(store, s) for s in BBC)))
        return Corpus(name, store, vectors, article_of, texts, subjects, reference, touching)
    else:
        subjects, reference = ISAF, [isaf_reference(s) for s in ISAF]
    return Corpus(name, store, vectors, article_of, texts, subjects, reference, reference)


def scores(corpus: Corpus, labels: np.ndarray) -> list[dict[str, Any]]:
    """Precision (paragraphs) and recall (articles; seed: paragraphs) of each subject's taken paragraphs."""
    out = []
    for index, (subject, reference) in enumerate(zip(corpus.subjects, corpus.reference)):
        taken = np.flatnonzero(labels == index)
        right = sum(corpus.article_of[r] in corpus.touching[index] for r in taken)
        found = {corpus.article_of[r] for r in taken} & reference
        p = right / len(taken) if len(taken) else float("nan")
        r = len(found) / len(reference) if reference else float("nan")
        out.append({"subject": subject.topic.name, "taken": int(len(taken)), "reference": len(reference),
                    "precision": round(p, 3), "recall": round(r, 3)})
    return out


def bertopic_labels(corpus: Corpus, names: list[str], minimum: float) -> tuple[np.ndarray, float]:
    """BERTopic 0.17's zero-shot topics of the paragraphs, as subject indices (``UNASSIGNED``: none)."""
    from bertopic import BERTopic
    from bertopic.backend import BaseEmbedder
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.cluster import KMeans

    class Ours(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return corpus.store.embedder.encode(list(documents))

    start = time.perf_counter()
    peer = BERTopic(embedding_model=Ours(), umap_model=BaseDimensionalityReduction(),
                    hdbscan_model=KMeans(n_clusters=min(5, max(1, len(corpus.texts) // 4)), random_state=0,
                                         n_init=1),
                    zeroshot_topic_list=names, zeroshot_min_similarity=minimum)
    topics, _ = peer.fit_transform(corpus.texts, embeddings=corpus.vectors)
    seconds = time.perf_counter() - start
    by_label = {label: index for index, label in enumerate(names)}
    subject = {t: by_label.get(label, UNASSIGNED) for t, label in peer.topic_labels_.items()}
    return np.array([subject.get(int(t), UNASSIGNED) for t in topics]), seconds


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    p = [r["precision"] for r in rows if not np.isnan(r["precision"])]
    return {"precision": round(float(np.mean(p)), 3) if p else float("nan"),
            "recall": round(float(np.mean([r["recall"] for r in rows])), 3),
            "empty": sum(r["taken"] == 0 for r in rows)}


def evaluate(corpus: Corpus, peer: bool) -> dict[str, Any]:
    named = NamedTopics(tuple(s.topic for s in corpus.subjects)).embedded(corpus.store.embedder.encode)
    names = [s.topic.name for s in corpus.subjects]
    name_only = unit_rows(corpus.store.embedder.encode(names))
    result: dict[str, Any] = {"corpus": corpus.name, "paragraphs": len(corpus.texts),
                              "reference": {n: len(r) for n, r in zip(names, corpus.reference)}, "sweep": []}
    for threshold in THRESHOLDS:
        limits = np.full(len(names), threshold)
        ours = scores(corpus, nearest_passing(corpus.vectors, named.vectors, limits)[0])
        bare = scores(corpus, nearest_passing(corpus.vectors, name_only, limits)[0])
        result["sweep"].append({"threshold": threshold, "ours": ours, "ours_summary": summary(ours),
                                "name_only_summary": summary(bare)})
    if peer:
        result["bertopic"] = []
        for minimum in sorted({0.7, DEFAULT_THRESHOLD}):
            labels, seconds = bertopic_labels(corpus, names, minimum)
            rows = scores(corpus, labels)
            result["bertopic"].append({"min_similarity": minimum, "rows": rows, "summary": summary(rows),
                                       "seconds": round(seconds, 1)})
    return result


def fit_check(corpus: Corpus, mode: str) -> dict[str, Any]:
    """A whole fit with the subjects as named topics in ``mode`` (it writes the store's topics: use a
    copy). Zero-shot, its named topics' sizes must be the rule's counts at the default threshold
    (boilerplate paragraphs excepted); guided, the topics are scored as the rule is (BBC and ISAF)."""
    from topics.fit import fit_topics

    start = time.perf_counter()
    model = fit_topics(corpus.store, named=[NamedTopic(s.topic.name, s.topic.seeds, s.topic.examples, mode)
                                            for s in corpus.subjects], fresh=True)
    out: dict[str, Any] = {"mode": mode, "seconds": round(time.perf_counter() - start, 1),
                           "named_sizes": {t.name: t.size for t in model.topics if t.named},
                           "topics": len(model.topics)}
    if corpus.name != "seed":  # the corpus's rows are the fit's paragraphs, in the same (id) order
        index = {t.id: i for i, t in enumerate(model.topics) if t.named}
        out["scores"] = scores(corpus, np.array([index.get(int(a), UNASSIGNED) for a in model.assignments]))
        out["summary"] = summary(out["scores"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bbc", type=Path, help="a built BBC store (a copy: --fit writes its topics)")
    parser.add_argument("--isaf", type=Path, help="a built ISAF store (a copy: --fit writes its topics)")
    parser.add_argument("--no-peer", action="store_true", help="skip BERTopic")
    parser.add_argument("--fit", action="store_true", help="also run whole fits with the subjects as named "
                                                          "topics, zero-shot and guided")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    offline_environment()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, path in (("seed", None), ("bbc", args.bbc), ("isaf", args.isaf)):
            if name != "seed" and path is None:
                continue
            corpus = load(name, path, Path(scratch))
            result = evaluate(corpus, not args.no_peer)
            if args.fit:
                result["fit"] = [fit_check(corpus, mode) for mode in (ZERO_SHOT, GUIDED)]
            corpus.store.close()
            results.append(result)
            report(result)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


def report(result: dict[str, Any]) -> None:
    print(f"\n== {result['corpus']}: {result['paragraphs']:,} paragraphs; reference {result['reference']}")
    print(f"{'threshold':>9}  {'ours P':>7} {'ours R':>7} {'empty':>5}   {'name-only P':>11} {'R':>6}")
    for row in result["sweep"]:
        ours, bare = row["ours_summary"], row["name_only_summary"]
        print(f"{row['threshold']:>9.2f}  {ours['precision']:>7.3f} {ours['recall']:>7.3f} {ours['empty']:>5}   "
              f"{bare['precision']:>11.3f} {bare['recall']:>6.3f}")
    for row in result["sweep"]:
        if row["threshold"] == DEFAULT_THRESHOLD:
            for subject in row["ours"]:
                print(f"  ours at {DEFAULT_THRESHOLD}: {subject}")
    for run in result.get("bertopic", []):
        print(f"BERTopic zero-shot at {run['min_similarity']}: {run['summary']} ({run['seconds']} s)")
        for subject in run["rows"]:
            print(f"  {subject}")
    for fit in result.get("fit", []):
        print(f"whole fit, {fit['mode']}: {fit}")


if __name__ == "__main__":
    main()
