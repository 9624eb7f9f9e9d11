"""Top-k accuracy metrics with binary relevance, checked against `ranx` in the tests.

Recall@k = hits in the top k / min(k, relevant), as in Liang et al. 2018 (VAE-CF), so a user
with 30 held-out items can reach 1.0; `cap=False` gives ranx's hits / relevant.
NDCG@k = DCG / ideal DCG, gains 1/log2(rank + 1), ideal over min(k, relevant) hits.
"""
from __future__ import annotations

from typing import Hashable, Iterable, Sequence

import numpy as np


def recall_at_k(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int, cap: bool = True) -> float:
    rel = set(relevant)
    if not rel:
        return 0.0
    return sum(1 for x in ranked[:k] if x in rel) / (min(k, len(rel)) if cap else len(rel))


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int) -> float:
    rel = set(relevant)
    if not rel:
        return 0.0
    dcg = sum(1.0 / np.log2(r + 2) for r, x in enumerate(ranked[:k]) if x in rel)
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(rel))))
    return float(dcg / ideal)


def evaluate(rankings: dict, truth: dict, ks: Sequence[int] = (10, 20)) -> dict[str, float]:
    """Mean Recall@k and NDCG@k over the users in `truth` (a user with no ranking scores 0)."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = float(np.mean([recall_at_k(rankings.get(u, []), t, k) for u, t in truth.items()]))
        out[f"ndcg@{k}"] = float(np.mean([ndcg_at_k(rankings.get(u, []), t, k) for u, t in truth.items()]))
    return out


def coverage(rankings: dict, n_items: int, k: int = 10) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    shown = {x for r in rankings.values() for x in r[:k]}
    return len(shown) / max(n_items, 1)
