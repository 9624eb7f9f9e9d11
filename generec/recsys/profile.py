"""A user's profile as the ranker and the UI see it: derived from the interaction log.

Nothing here is stored separately: likes, dislikes, skips and watch time are read back from
interactions (the latest verdict on an item wins), and stated preferences from the user row.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..types import User


@dataclass
class Profile:
    user: User
    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    watched: dict[str, float] = field(default_factory=dict)   # item -> seconds watched
    played: list[str] = field(default_factory=list)           # played (or rated middling: 2.5-3.5 stars)
    shown: list[str] = field(default_factory=list)            # impressions, newest last
    simulated_events: int = 0
    rejection_streak: int = 0                                 # latest dislikes/skips in a row

    @property
    def seen(self) -> set[str]:
        """Items the user has any verdict, play or watch time on (what a movie feed doesn't offer again)."""
        return set(self.liked) | set(self.disliked) | set(self.skipped) | set(self.played) | set(self.watched)

    @property
    def rejected(self) -> list[str]:
        return self.disliked + [i for i in self.skipped if i not in self.disliked]

    def tastes(self, items: dict, n: int = 6) -> tuple[list[str], list[str]]:
        """Tags that recur in liked items, and in rejected ones (minus those also liked)."""
        like = Counter(t for i in self.liked if i in items for t in items[i].tags)
        dis = Counter(t for i in self.rejected if i in items for t in items[i].tags)
        return [t for t, _ in like.most_common(n)], [t for t, _ in dis.most_common(n) if t not in like][:n]


def build_profile(store, name: str) -> Profile:
    user = store.get_user(name)
    if user is None:
        raise KeyError(name)
    prof = Profile(user=user)
    verdict: dict[str, str] = {}
    played: set[str] = set()
    streak_events = []
    for ev in store.interactions(user=name):
        if ev.session == "simulated":
            prof.simulated_events += 1
        if ev.kind in ("like", "dislike", "skip"):
            verdict.pop(ev.item_id, None)  # re-insert so dict order follows the latest verdict
            verdict[ev.item_id] = ev.kind
            streak_events.append(ev.kind)
        elif ev.kind == "watch" and ev.value:
            prof.watched[ev.item_id] = prof.watched.get(ev.item_id, 0.0) + float(ev.value)
        elif ev.kind == "impression":
            prof.shown.append(ev.item_id)
        elif ev.kind == "play" and ev.item_id not in played:
            played.add(ev.item_id)
            prof.played.append(ev.item_id)
    for item_id, kind in verdict.items():
        {"like": prof.liked, "dislike": prof.disliked, "skip": prof.skipped}[kind].append(item_id)
    streak = 0
    for kind in reversed(streak_events):
        if kind == "like":
            break
        streak += 1
    prof.rejection_streak = streak
    return prof
