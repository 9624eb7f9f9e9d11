"""The one recommender interface: the `Recommender` base class every model extends.

Every model scores items from a user's *row* (a signed, weighted vector over items), so an
online event only has to edit that row for the very next call to change: no retrain.
Subclasses implement `_fit` and `_score_rows`; this module owns the id maps, exclusions,
fallbacks (popularity when a model has no signal), request/preference blending, and the
event log that `refit` folds in.
"""
from __future__ import annotations

from typing import Any, Hashable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from .interactions import IdMap, Interactions, Preferences

__all__ = ["IdMap", "Interactions", "Preferences", "Recommender"]


class Recommender:
    """Base class. `decay` < 1 weights a user's recent interactions more (geometric in event rank).

    `request_weight` scales cosine similarity to the current request against the model's own
    scores (best item = 1): at 2, an item that matches the request (cos ~0.6 with MiniLM) beats
    the user's usual taste that does not (cos ~0.1), and taste orders the matching items.
    """

    name = "base"

    def __init__(self, decay: float = 1.0, request_weight: float = 2.0):
        self.decay = decay
        self.request_weight = request_weight
        self.items, self.users = IdMap(), IdMap()
        self.item_vectors: np.ndarray | None = None
        self.X = sp.csr_matrix((0, 0), dtype=np.float32)  # users x items: rows the models are queried with
        self.X_train = self.X  # the same rows undecayed: what item-item structure is learnt from
        self.pop = np.zeros(0, np.float32)
        self._rows: dict[int, dict[int, float]] = {}  # users edited online since the last fit
        self._train: Interactions | None = None
        self._log: list[tuple[Hashable, Hashable, float, float]] = []
        self._clock = 0.0  # latest timestamp seen, in the training log's units

    # ---- fitting -------------------------------------------------------------------------
    def fit(self, interactions: Interactions, item_ids: Iterable[Hashable] = (),
            item_vectors: np.ndarray | None = None) -> "Recommender":
        """Learn from `interactions`; `item_ids` (aligned with `item_vectors`) name the catalogue."""
        from .matrix import build_matrix, positive

        self.items, self.users = IdMap(item_ids), IdMap()
        if item_vectors is not None:
            item_vectors = np.asarray(item_vectors, np.float32)
            if len(item_vectors) != len(self.items):
                raise ValueError(f"{len(item_vectors)} vectors for {len(self.items)} item ids")
        self.X, self.X_train = build_matrix(interactions, self.users, self.items, self.decay)
        if item_vectors is not None and len(self.items) > len(item_vectors):  # items only seen in the log
            pad = np.zeros((len(self.items) - len(item_vectors), item_vectors.shape[1]), np.float32)
            item_vectors = np.vstack([item_vectors, pad])
        self.item_vectors = item_vectors
        self.pop = np.asarray(positive(self.X_train).sum(axis=0), np.float32).ravel()
        self._rows, self._train, self._log = {}, interactions, []
        self._clock = float(interactions.timestamps.max()) if len(interactions) else 0.0
        self._fit()
        return self

    def refit(self) -> "Recommender":
        """Retrain on the training log plus every event since (the periodic / on-demand retrain)."""
        if self._log:
            u, i, w, t = zip(*self._log)
            log = Interactions(list(u), list(i), np.array(w), np.array(t))
            data = log if self._train is None else self._train.concat(log)
        else:
            data = self._train or Interactions([], [])
        return self.fit(data, list(self.items.ids), self.item_vectors)

    def add_items(self, item_ids: Sequence[Hashable], item_vectors: np.ndarray | None = None) -> None:
        """Cold-start items (e.g. generated ones): known to the catalogue, with no interactions yet."""
        before = len(self.items)
        self.items.add(item_ids)
        n_new = len(self.items) - before
        if n_new == 0:
            return
        widen = lambda m: sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], len(self.items)))
        self.X, self.X_train = widen(self.X), widen(self.X_train)
        self.pop = np.concatenate([self.pop, np.zeros(n_new, np.float32)])
        if self.item_vectors is not None or item_vectors is not None:
            dim = (self.item_vectors if self.item_vectors is not None else np.asarray(item_vectors)).shape[1]
            old = self.item_vectors if self.item_vectors is not None else np.zeros((before, dim), np.float32)
            new = np.zeros((n_new, dim), np.float32)
            if item_vectors is not None:  # only the genuinely new ids, in the order they were given
                fresh = [k for k, i in enumerate(item_ids) if self.items.get(i) >= before]
                new[np.asarray(self.items.lookup([item_ids[k] for k in fresh])) - before] = np.asarray(item_vectors, np.float32)[fresh]
            self.item_vectors = np.vstack([old, new])
        self._grow(n_new)

    # ---- online feedback -------------------------------------------------------------------
    def update(self, user_id: Hashable, item_id: Hashable, weight: float = 1.0, at: float | None = None) -> None:
        """Fold one event into the user's row now (cheap); `refit` folds the log into the model."""
        j = self.items.get(item_id)
        if j is None:
            self.add_items([item_id])
            j = self.items.get(item_id)
        u = self.users.add([user_id])[0]
        row = self.row(u)
        # Geometric decay in event rank: older events fade by `decay` each time a new one arrives.
        row = {i: w * self.decay for i, w in row.items()} if self.decay != 1.0 else dict(row)
        row[j] = row.get(j, 0.0) + float(weight)
        self._rows[u] = row
        # Without a time, an event is one tick after everything known, so a refit decays it as newest.
        self._clock = max(self._clock + 1.0, float(at)) if at is not None else self._clock + 1.0
        self._log.append((user_id, item_id, float(weight), self._clock if at is None else float(at)))

    def row(self, u: int) -> dict[int, float]:
        if u in self._rows:
            return self._rows[u]
        if u < self.X.shape[0]:
            a, b = self.X.indptr[u], self.X.indptr[u + 1]
            return dict(zip(self.X.indices[a:b].tolist(), self.X.data[a:b].tolist()))
        return {}

    def user_rows(self, users: np.ndarray) -> sp.csr_matrix:
        """Rows for user indices (-1 = unknown: empty row), with online edits applied."""
        if not self._rows and (users >= 0).all():
            return self.X[users]
        rows = [self.row(int(u)) if u >= 0 else {} for u in users]
        indptr = np.cumsum([0] + [len(r) for r in rows])
        idx = np.fromiter((i for r in rows for i in r), np.int64, indptr[-1])
        val = np.fromiter((w for r in rows for w in r.values()), np.float32, indptr[-1])
        return sp.csr_matrix((val, idx, indptr), shape=(len(rows), len(self.items)))

    # ---- scoring ------------------------------------------------------------------------------
    def score_row(self, row: dict[int, float]) -> np.ndarray:
        """Dense scores for a row that is no stored user's (item index -> weight), folded in as
        a new user's would be: e.g. a user's row with the events they set aside taken out."""
        idx = np.fromiter(row, np.int64, len(row))
        val = np.fromiter(row.values(), np.float32, len(row))
        X = sp.csr_matrix((val, idx, np.array([0, len(row)])), shape=(1, len(self.items)))
        return np.asarray(self._score_rows(X, np.array([-1])), np.float32)[0]

    def score_users(self, users: np.ndarray) -> np.ndarray:
        """Dense scores (len(users) x n_items) for user indices; used by `recommend` and the bench."""
        users = np.asarray(users, np.int64)
        # A model may use what it learnt per user only while that user's row is the trained one.
        trained = np.array([u if (0 <= u < self.X.shape[0] and u not in self._rows) else -1 for u in users])
        return np.asarray(self._score_rows(self.user_rows(users), trained), np.float32)

    def recommend(self, user_id: Hashable, k: int = 10, request_vector: np.ndarray | None = None,
                  exclude: Iterable[Hashable] = (), preferences: Preferences | None = None,
                  exclude_seen: bool = True, diversity: float = 0.0) -> list[tuple[Hashable, float]]:
        """Top-k (item id, score) for a user, known or not; `diversity` in [0, 1] turns on MMR."""
        u = self.users.get(user_id)
        u = -1 if u is None else u
        scores = self.score_users(np.array([u]))[0] if len(self.items) else np.zeros(0, np.float32)
        banned = set(self.row(u)) if (exclude_seen and u >= 0) else set()
        banned.update(j for j in self.items.lookup(exclude).tolist() if j >= 0)
        if diversity <= 0 or self.item_vectors is None:
            return self._top(scores, k, banned, request_vector, preferences)
        from .rerank import mmr

        # Re-rank a deeper pool than k, so there is something different to pick from.
        pool = self._top(scores, max(5 * k, 50), banned, request_vector, preferences)
        return mmr(pool, self.item_vectors[self.items.lookup([i for i, _ in pool])], k, diversity)

    def similar_items(self, item_id: Hashable, k: int = 10) -> list[tuple[Hashable, float]]:
        """Items a user who liked only `item_id` would get; popularity for an unknown id."""
        j = self.items.get(item_id)
        if j is None:
            return self._top(np.zeros(len(self.items), np.float32), k, set(), None, None)
        one = sp.csr_matrix(([1.0], ([0], [j])), shape=(1, len(self.items)), dtype=np.float32)
        return self._top(np.asarray(self._score_rows(one, np.array([-1])), np.float32)[0], k, {j}, None, None)

    def _top(self, scores, k, banned, request_vector, preferences):
        from .blend import adjust

        if len(scores) and np.ptp(scores) == 0:
            scores = self.pop.copy()  # no signal for this user: popularity is the sensible answer
        scores = adjust(scores, self.item_vectors, request_vector, preferences, self.request_weight)
        if banned:
            scores[np.fromiter(banned, np.int64)] = -np.inf
        k = min(k, int(np.isfinite(scores).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # stable: ties go to the lower index
        return [(self.items.ids[j], float(scores[j])) for j in top]

    # ---- what a model implements ----------------------------------------------------------
    def _fit(self) -> None:
        """Learn from self.X (users x items), self.item_vectors and self.pop."""

    def _grow(self, n_new: int) -> None:
        """Make room for `n_new` cold items appended to the catalogue."""

    def _score_rows(self, rows: sp.csr_matrix, trained_users: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "items": len(self.items), "users": len(self.users), "interactions": int(self.X.nnz)}
