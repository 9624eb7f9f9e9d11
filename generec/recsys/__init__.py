"""Retrieval recommenders: one interface (`Recommender`), a factory, MovieLens data and benchmarks.

interactions.py (ids, the log, preferences) · base.py (the interface) · matrix.py · models.py
(pop, item-KNN, EASE) · als.py · content.py · hybrid.py (the default) · blend.py (request/preferences) · feedback.py (events -> weights)
· rerank.py (MMR, coverage, novelty, exposure) · data.py · split.py · metrics.py · ann.py · bench.py
· live.py (the default model over the store's log, as the chat's feed uses it) · cli.py (retrain/status)
· feedbench.py (the feed's accuracy on MovieLens, and its coverage / novelty / exposure report)
"""
from .base import Recommender
from .interactions import IdMap, Interactions, Preferences
from .factory import DEFAULT, NAMES, make_recommender

__all__ = ["DEFAULT", "NAMES", "IdMap", "Interactions", "Preferences", "Recommender", "make_recommender"]
