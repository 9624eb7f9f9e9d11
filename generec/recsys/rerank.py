"""Diversity and exposure: MMR re-ranking, and the novelty / diversity / exposure-share reports.

MMR (Carbonell & Goldstein, 1998) picks, one at a time, the candidate that maximises
  (1 - diversity) * relevance - diversity * (highest similarity to an item already picked),
so `diversity` = 0 keeps the model's order and 1 spreads the list as far as it can.
"""
from __future__ import annotations

from typing import Callable, Hashable, Sequence

import numpy as np


def mmr(candidates: Sequence[tuple[Hashable, float]], vectors: np.ndarray, k: int, diversity: float = 0.3) -> list[tuple[Hashable, float]]:
    """Re-rank (id, score) `candidates` (rows of `vectors` align with them) down to k."""
    if diversity <= 0 or len(candidates) <= 1:
        return list(candidates[:k])
    rel = np.array([s for _, s in candidates], np.float64)
    rel = (rel - rel.min()) / max(float(np.ptp(rel)), 1e-12)  # relevance on the same 0..1 scale as cosine
    V = np.asarray(vectors, np.float32)
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
    closest = np.full(len(candidates), -np.inf)  # max similarity to anything picked so far
    picked: list[int] = []
    left = np.ones(len(candidates), bool)
    for _ in range(min(k, len(candidates))):
        penalty = np.where(np.isfinite(closest), closest, 0.0)
        gain = np.where(left, (1 - diversity) * rel - diversity * penalty, -np.inf)
        j = int(np.argmax(gain))
        picked.append(j)
        left[j] = False
        closest = np.maximum(closest, V @ V[j])
    return [candidates[j] for j in picked]


def novelty(rankings: dict, counts: dict, n_users: int, k: int = 10) -> float:
    """Mean self-information -log2((users who had it + 1) / (users + 1)) of the items shown.

    Higher means less obvious recommendations; `counts` maps item id -> training users.
    """
    shown = [counts.get(x, 0) for r in rankings.values() for x in r[:k]]
    if not shown:
        return 0.0
    return float(np.mean(-np.log2((np.asarray(shown, np.float64) + 1) / (n_users + 1))))


def intra_list_diversity(rankings: dict, vectors: np.ndarray, index: Callable, k: int = 10) -> float:
    """Mean over users of the mean pairwise cosine distance within their top k (what MMR raises).

    `index` maps ids to rows of `vectors` (e.g. `IdMap.lookup`).
    """
    out = []
    for r in rankings.values():
        if len(r[:k]) < 2:
            continue
        M = vectors[index(r[:k])]
        S = M @ M.T
        out.append(1.0 - float(S[np.triu_indices(len(M), 1)].mean()))
    return float(np.mean(out)) if out else 0.0


def exposure_share(rankings: dict, origin: Callable[[Hashable], str] | dict, k: int = 10, discount: bool = True) -> dict[str, float]:
    """Share of attention each origin (human / ai_edited / ai_created) gets in the top-k lists.

    With `discount`, a slot at rank r (from 1) is worth 1/log2(r + 1), since lower slots are seen
    less. The arithmetic is `generec.fidelity.exposure`'s (one implementation for the project);
    this only adapts {user: ranking} and an origin function to it.
    """
    from ..fidelity.exposure import exposure

    of = origin.get if isinstance(origin, dict) else origin
    slates = [list(r[:k]) for r in rankings.values()]
    groups = {x: (of(x) or "unknown") for s in slates for x in s}
    shown = {g: e for g, e in exposure(slates, groups, catalogue=[]).items() if e.impression_share > 0}
    return {g: (e.exposure_share if discount else e.impression_share) for g, e in shown.items()}
