"""Picking a recommender by name: the one place that knows every model."""
from __future__ import annotations

from .base import Recommender

DEFAULT = "hybrid"
NAMES = ("pop", "itemknn", "ease", "als", "content", "hybrid")


def make_recommender(name: str = DEFAULT, **kw) -> Recommender:
    """A fresh, unfitted model; `kw` goes to its constructor (e.g. `l2=300` for EASE)."""
    from .als import ALS
    from .content import Content
    from .hybrid import Hybrid
    from .models import EASE, ItemKNN, Popularity

    makers = {"pop": Popularity, "itemknn": ItemKNN, "ease": EASE, "als": ALS, "content": Content, "hybrid": Hybrid}
    key = name.strip().lower()
    if key not in makers:
        raise ValueError(f"unknown recommender {name!r}: choose one of {', '.join(NAMES)}")
    return makers[key](**kw)
