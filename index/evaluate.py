"""Retrieval metrics for judging search against relevance judgements (qrels), as in TREC and BEIR.

Relevance is graded (0 = not relevant); gains are the grades and discounts ``log2(rank + 1)``, the
trec_eval definitions, so figures compare with published ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id → document id → relevance grade
Run = Mapping[str, Sequence[str]]  # query id → ranked document ids, best first


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top ``k`` of ``ranked``; 0 when nothing is relevant."""
    gains = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(rank + 2) for rank, g in enumerate(gains))
    if not ideal:
        return 0.0
    found = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    return found / ideal


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top ``k``; 0 when nothing is relevant."""
    wanted = {doc for doc, g in relevant.items() if g > 0}
    return len(wanted.intersection(ranked[:k])) / len(wanted) if wanted else 0.0


def mean_metric(run: Run, qrels: Qrels, metric: str, k: int) -> float:
    """Mean of ``ndcg`` or ``recall`` at ``k`` over the queries of ``qrels`` (a query missing from
    ``run`` scores 0)."""
    measure = {"ndcg": ndcg_at_k, "recall": recall_at_k}[metric]
    values = [measure(run.get(q, ()), relevant, k) for q, relevant in qrels.items()]
    return sum(values) / len(values) if values else 0.0
