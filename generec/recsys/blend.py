"""Blending the current request and stated preferences into a model's scores.

Models score on different scales (counts, regression outputs, cosines), so scores are first
divided by their largest magnitude: the model's best item is 1. Then cosine similarity to the
request adds, and similarity to a 'less of this' phrase subtracts (only where it is positive:
unrelated items are not rewarded for being unrelated).
"""
from __future__ import annotations

import numpy as np


def unit_rows(S: np.ndarray) -> np.ndarray:
    """Each row divided by its largest |value| (rows of zeros stay zero)."""
    S = np.asarray(S, np.float32)
    top = np.abs(S).max(axis=1, keepdims=True) if S.size else np.ones((S.shape[0], 1), np.float32)
    return S / np.maximum(top, 1e-12)


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float32).ravel()
    return v / max(float(np.linalg.norm(v)), 1e-12)


def adjust(scores: np.ndarray, item_vectors, request_vector=None, preferences=None, request_weight: float = 2.0) -> np.ndarray:
    """`scores` (one user, all items) with the request and preferences folded in."""
    has_prefs = preferences is not None and (preferences.more or preferences.less)
    if item_vectors is None or (request_vector is None and not has_prefs):
        return scores
    s = unit_rows(scores[None, :])[0]
    if request_vector is not None:
        s = s + request_weight * (item_vectors @ _unit(request_vector))
    if has_prefs:
        for v in preferences.more:
            s = s + 0.5 * preferences.strength * np.maximum(item_vectors @ _unit(v), 0.0)
        for v in preferences.less:
            s = s - preferences.strength * np.maximum(item_vectors @ _unit(v), 0.0)
    return s.astype(np.float32)
