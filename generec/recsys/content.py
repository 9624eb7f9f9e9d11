"""Content-based recommender: cosine similarity between item embeddings and the user's profile.

The profile is the user's row times the item vectors: liked items pull it toward them, disliked
ones push it away, recent ones weigh more when `decay` < 1. It needs no interactions from other
users, so it ranks brand-new (e.g. generated) items as soon as they have a vector.
"""
from __future__ import annotations

import numpy as np

from .base import Recommender


class Content(Recommender):
    name = "content"

    def _score_rows(self, rows, trained_users):
        V = self.item_vectors
        if V is None:
            return np.zeros(rows.shape, np.float32)
        profiles = np.asarray(rows @ V, np.float32)
        profiles /= np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-9)
        return profiles @ V.T
