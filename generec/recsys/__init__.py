"""Retrieval, in one home: the recommenders behind one interface, and the chat's feed over them.

catalog.py (items and their FAISS vectors) · index.py (the FAISS index) · profile.py (a user's
history and taste) · feed.py (a request to a ranked slate) · interactions.py (ids, the log,
preferences) · base.py (the interface) · matrix.py · models.py (pop, item-KNN, EASE) · als.py ·
content.py · hybrid.py (the default) · blend.py (request/preferences) · feedback.py (events ->
weights) · rerank.py (MMR, coverage, novelty, exposure) · data.py · split.py · metrics.py · live.py
(the default model over the store's log, as the feed uses it). Benchmarks: `generec.bench`.
"""
from .base import Recommender
from .interactions import IdMap, Interactions, Preferences
from .factory import DEFAULT, NAMES, make_recommender

__all__ = ["DEFAULT", "NAMES", "IdMap", "Interactions", "Preferences", "Recommender", "make_recommender"]
