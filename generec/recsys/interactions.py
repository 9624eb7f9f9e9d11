"""The data a recommender takes in: external-id maps, the interaction log, stated preferences."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence

import numpy as np


class IdMap:
    """External ids (str or int; "7" and 7 differ) <-> dense indices, in order of first sight."""

    def __init__(self, ids: Iterable[Hashable] = ()):
        self.ids: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self.add(ids)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: Iterable[Hashable]) -> np.ndarray:
        out = []
        for i in ids:
            j = self._index.get(i)
            if j is None:
                j = self._index[i] = len(self.ids)
                self.ids.append(i)
            out.append(j)
        return np.asarray(out, dtype=np.int64)

    def get(self, i: Hashable) -> int | None:
        return self._index.get(i)

    def lookup(self, ids: Iterable[Hashable]) -> np.ndarray:
        """Indices of `ids`, -1 where unknown."""
        return np.asarray([self._index.get(i, -1) for i in ids], dtype=np.int64)


@dataclass
class Interactions:
    """A log of (user, item, weight, timestamp). Weights are signed: a dislike is negative."""

    users: Sequence[Hashable]
    items: Sequence[Hashable]
    weights: np.ndarray | None = None
    timestamps: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.users)
        if len(self.items) != n:
            raise ValueError(f"{n} users but {len(self.items)} items")
        self.weights = np.ones(n, np.float32) if self.weights is None else np.asarray(self.weights, np.float32)
        # Without timestamps, the order of the log is the order of time.
        self.timestamps = np.arange(n, dtype=np.float64) if self.timestamps is None else np.asarray(self.timestamps, np.float64)

    def __len__(self) -> int:
        return len(self.users)

    def take(self, rows: np.ndarray) -> "Interactions":
        u, i = np.asarray(self.users, dtype=object), np.asarray(self.items, dtype=object)
        return Interactions(u[rows].tolist(), i[rows].tolist(), self.weights[rows], self.timestamps[rows])

    def concat(self, other: "Interactions") -> "Interactions":
        return Interactions(list(self.users) + list(other.users), list(self.items) + list(other.items),
                            np.concatenate([self.weights, other.weights]), np.concatenate([self.timestamps, other.timestamps]))


@dataclass
class Preferences:
    """Stated tastes as embeddings of phrases ('less sport' -> embed('sport') into `less`)."""

    more: list[np.ndarray] = field(default_factory=list)
    less: list[np.ndarray] = field(default_factory=list)
    strength: float = 1.0
