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
from .matrix import active_items, positive


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
        X = positive(X)  # similarity from who-liked-what, not from weights or sign
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
        X = positive(X)  # the Gram matrix of positives; dislikes act at query time
        gram = (X.T @ X).toarray().astype(np.float32)  # co-occurrence counts: exact in float32
        gram[np.diag_indices_from(gram)] += self.l2
        P = spd_inverse(gram)
        B = -P / np.diag(P)
        np.fill_diagonal(B, 0.0)
        return B.astype(np.float32, copy=False)


def spd_inverse(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix by Cholesky in its own precision.

    ~3x faster than `np.linalg.inv` in float64 (6,170 MovieLens items: 5.7 s vs 16.6 s on this
    machine), and EASE's l2 keeps the matrix well conditioned, so float32 loses nothing that
    matters (max abs error 3e-9 against entries of 5e-3 in that test).
    """
    from scipy.linalg import lapack

    potrf, potri = (lapack.spotrf, lapack.spotri) if A.dtype == np.float32 else (lapack.dpotrf, lapack.dpotri)
    c, info = potrf(A, lower=0, overwrite_a=False)
    if info == 0:
        inv, info = potri(c, lower=0, overwrite_c=True)
    if info != 0:  # not positive definite after all: the general inverse
        return np.linalg.inv(A.astype(np.float64)).astype(A.dtype)
    upper = np.triu(inv)
    return upper + np.triu(upper, 1).T
