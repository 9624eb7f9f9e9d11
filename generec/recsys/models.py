"""The classic collaborative baselines: popularity, item-KNN (cosine) and EASE.

Item-KNN and EASE learn an item x item matrix W and score a user row x as x @ W, so an online
event (an edit of x) changes the next answer at once, and a dislike (negative weight) pushes
the disliked item's neighbours down. Both learn only over items that have interactions; cold
items score 0 until a refit.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Recommender
from .matrix import active_items


class Popularity(Recommender):
    """Number of users who interacted positively: the baseline and the fallback of every model."""

    name = "pop"

    def _score_rows(self, rows, trained_users):
        return np.broadcast_to(self.pop, (rows.shape[0], len(self.pop))).copy()


class _ItemItem(Recommender):
    """Shared scoring for models with an item-item matrix over the active items."""

    def _fit(self):
        self.active = active_items(self.X_train)
        self.W = self._learn(self.X_train[:, self.active]) if len(self.active) else np.zeros((0, 0), np.float32)

    def _score_rows(self, rows, trained_users):
        out = np.zeros(rows.shape, np.float32)
        if len(self.active):
            part = rows[:, self.active] @ self.W
            out[:, self.active] = part.toarray() if sp.issparse(part) else part
        return out

    def _learn(self, X: sp.csr_matrix):
        raise NotImplementedError


class ItemKNN(_ItemItem):
    """Cosine similarity between item columns, shrunk for rare co-occurrence, top `neighbours` kept."""

    name = "itemknn"

    def __init__(self, neighbours: int = 100, shrink: float = 10.0, **kw):
        super().__init__(**kw)
        self.neighbours, self.shrink = neighbours, shrink

    def _learn(self, X):
        X = (X > 0).astype(np.float32)  # similarity from who-liked-what, not from weights or sign
        gram = (X.T @ X).toarray()
        norms = np.sqrt(np.diag(gram))
        sim = gram / (np.outer(norms, norms) + self.shrink + 1e-9)
        np.fill_diagonal(sim, 0.0)
        n = sim.shape[0]
        k = min(self.neighbours, n - 1)
        if k <= 0:
            return sp.csr_matrix((n, n), dtype=np.float32)
        # Keep each item's k strongest neighbours (per column: what scores item j).
        keep = np.argpartition(-sim, k - 1, axis=0)[:k]
        cols = np.broadcast_to(np.arange(n), keep.shape)
        W = sp.csr_matrix((sim[keep, cols].ravel(), (keep.ravel(), cols.ravel())), shape=(n, n), dtype=np.float32)
        W.eliminate_zeros()
        return W


class EASE(_ItemItem):
    """Steck's EASE: the closed-form item-item regression with a zero diagonal (Steck, WWW 2019)."""

    name = "ease"

    def __init__(self, l2: float = 200.0, **kw):
        super().__init__(**kw)
        self.l2 = l2

    def _learn(self, X):
        X = (X > 0).astype(np.float64)  # the Gram matrix of positives; dislikes act at query time
        gram = (X.T @ X).toarray()
        gram[np.diag_indices_from(gram)] += self.l2
        P = np.linalg.inv(gram)
        B = -P / np.diag(P)
        np.fill_diagonal(B, 0.0)
        return B.astype(np.float32)
