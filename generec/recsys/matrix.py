"""Turning an interaction log into the sparse user x item matrices every model learns from."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .interactions import IdMap, Interactions

# A (summed, undecayed) weight at or above this is a *positive*: what item-item structure and
# popularity are learnt from. A like (1.0) or a full watch (0.6) is one; a play (0.1), a
# three-star rating or a quarter watch is not. MovieLens positives (>= 4 stars) arrive as 1.0.
POSITIVE = 0.5


def build_matrix(log: Interactions, users: IdMap, items: IdMap, decay: float = 1.0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(query rows, training rows): repeated (user, item) pairs add up (a like then a dislike cancel).

    The query rows weight each user's k-th most recent event by decay**k, which is what an
    online `update` produces event by event; the training rows are undecayed, because the
    item-item structure should come from all of a user's history, not only its end.
    """
    u = users.add(log.users)
    i = items.add(log.items)
    shape = (len(users), len(items))
    train = sp.csr_matrix((log.weights, (u, i)), shape=shape, dtype=np.float32)
    train.sum_duplicates()
    if decay == 1.0 or len(log) == 0:
        return train, train
    order = np.lexsort((-log.timestamps, u))  # by user, newest first
    su = u[order]
    starts = np.r_[0, np.flatnonzero(np.diff(su)) + 1]
    rank = np.arange(len(su)) - np.repeat(starts, np.diff(np.r_[starts, len(su)]))
    w = log.weights[order] * np.power(decay, rank, dtype=np.float64).astype(np.float32)
    query = sp.csr_matrix((w, (su, i[order])), shape=shape, dtype=np.float32)
    query.sum_duplicates()
    return query, train


def positive(X: sp.csr_matrix) -> sp.csr_matrix:
    """The 0/1 matrix of positives (see `POSITIVE`)."""
    P = (X >= POSITIVE).astype(np.float32)
    P.eliminate_zeros()
    return P


def active_items(X: sp.csr_matrix) -> np.ndarray:
    """Indices of items with at least one positive: item-item models only need these rows/columns
    (an item with only negative or weak events has an all-zero column in what they learn from)."""
    return np.flatnonzero(np.diff(positive(X).tocsc().indptr))
