"""What a user event is worth to the recommender: like, dislike, skip, play and watch time.

Weights are on the scale of the training data (a positive rating = 1.0). A dislike is the
mirror image of a like; a skip is a mild negative (the user saw it and moved on); watch time
counts by the share of the video watched, so a half-watched clip is neutral-to-positive and
an abandoned one is a weak negative. Impressions alone say nothing and are ignored.
"""
from __future__ import annotations

from typing import Hashable

FIXED = {"like": 1.0, "dislike": -1.0, "skip": -0.3, "play": 0.1, "impression": 0.0}


def event_weight(kind: str, value: float | None = None, duration_s: float | None = None) -> float:
    """Signed weight of one event; `value` is watch seconds for a "watch" event."""
    if kind in FIXED:
        return FIXED[kind]
    if kind == "watch":
        if value is None:
            return 0.0
        # Without the length, 30 s of watching counts as a full view (a typical micro-video).
        share = value / duration_s if duration_s else value / 30.0
        share = min(max(share, 0.0), 1.0)
        return round(-0.2 + 0.8 * share, 4)  # 0 % -> -0.2, 25 % -> 0.0, 100 % -> 0.6
    raise ValueError(f"unknown event kind {kind!r}: one of like, dislike, skip, play, impression, watch")


def apply_event(model, user_id: Hashable, item_id: Hashable, kind: str, value: float | None = None,
                duration_s: float | None = None, at: float | None = None) -> float:
    """Fold an event into `model` at once (the next recommend sees it); returns the weight used."""
    w = event_weight(kind, value, duration_s)
    if w:
        model.update(user_id, item_id, w, at)
    return w
