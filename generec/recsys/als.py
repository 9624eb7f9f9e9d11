"""Implicit-feedback matrix factorisation (ALS) through the `implicit` library.

A user whose row changed since the fit (an online event, or a new user) gets fresh factors by
one least-squares solve against the fixed item factors ("fold-in"): a few microseconds, no
retrain. ALS has no notion of a negative event, so disliked items are dropped from the solve
and their factor-space neighbours are pushed down instead.
"""
from __future__ import annotations

import numpy as np

from .base import Recommender
from .matrix import POSITIVE, active_items


class ALS(Recommender):
    name = "als"

    def __init__(self, factors: int = 64, l2: float = 0.05, alpha: float = 2.0, iterations: int = 15,
                 threads: int = 2, seed: int = 0, **kw):
        super().__init__(**kw)
        self.factors, self.l2, self.alpha, self.iterations = factors, l2, alpha, iterations
        self.threads, self.seed = threads, seed

    def _fit(self):
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        X = self.X_train.copy()
        X.data = np.where(X.data >= POSITIVE, X.data, 0.0)  # implicit reads values as confidence: positives only
        X.eliminate_zeros()
        n_items = X.shape[1]
        if X.nnz == 0:
            self.U = np.zeros((X.shape[0], 2), np.float32)
            self.V = np.zeros((n_items, 2), np.float32)
            return
        # implicit runs its own threads; a multithreaded BLAS underneath would oversubscribe the cores.
        # More factors than ~a quarter of the items lets ALS memorise each user's row and say
        # nothing about unseen items (a small catalogue, e.g. a fresh corpus): cap them.
        factors = max(2, min(self.factors, len(active_items(X)) // 4))
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(factors=factors, regularization=self.l2, alpha=self.alpha,
                                            iterations=self.iterations, random_state=self.seed,
                                            num_threads=self.threads, calculate_training_loss=False)
            model.fit(X, show_progress=False)
        self.U = np.asarray(model.user_factors, np.float32)
        self.V = np.asarray(model.item_factors, np.float32)
        self.VtV = self.V.T @ self.V

    def _grow(self, n_new):
        self.V = np.vstack([self.V, np.zeros((n_new, self.V.shape[1]), np.float32)])

    def _fold_in(self, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Factors of a user who interacted with items `idx` with weights `w` (positives only)."""
        if len(idx) == 0 or not hasattr(self, "VtV"):
            return np.zeros(self.V.shape[1], np.float32)
        Vi = self.V[idx]
        c = self.alpha * w
        A = self.VtV + (Vi * c[:, None]).T @ Vi + self.l2 * np.eye(Vi.shape[1], dtype=np.float32)
        return np.linalg.solve(A, ((1.0 + c)[:, None] * Vi).sum(axis=0)).astype(np.float32)

    def _score_rows(self, rows, trained_users):
        out = np.zeros(rows.shape, np.float32)
        for r, u in enumerate(trained_users):
            a, b = rows.indptr[r], rows.indptr[r + 1]
            idx, w = rows.indices[a:b], rows.data[a:b]
            # Query rows are recency-decayed, so an old like may sit below POSITIVE here: any positive counts.
            user = self.U[u] if u >= 0 else self._fold_in(idx[w > 0], w[w > 0])
            out[r] = self.V @ user
            for j, wj in zip(idx[w < 0], w[w < 0]):  # pull down what sits near a disliked item
                vj = self.V[j]
                out[r] += wj * (self.V @ vj) / max(float(vj @ vj), 1e-9)
        return out
