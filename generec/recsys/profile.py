"""A user's profile as the ranker and the UI see it, and their taste: both read from the log.

Nothing here is stored separately: likes, dislikes, skips and watch time are read back from
interactions (the latest verdict on an item wins), and stated preferences from the user row.
`taste` is the one place that turns that history into what the user likes and avoids (ids,
texts, centroid vectors, labels); the editor and the creator each take the parts they need.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

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
    durations: dict[str, float] = field(default_factory=dict)  # length of each watched item, seconds
    touched: list[str] = field(default_factory=list)          # items with a verdict, play or watch, by their latest one
    set_aside: set[str] = field(default_factory=set)          # items whose events a corrected belief set aside (`beliefs.correct`)
    last_at: dict[str, float] = field(default_factory=dict)   # item -> time of its latest verdict, play or watch

    @property
    def seen(self) -> set[str]:
        """Items the user has any verdict, play or watch time on (what a movie feed doesn't offer again)."""
        return set(self.liked) | set(self.disliked) | set(self.skipped) | set(self.played) | set(self.watched)

    @property
    def rejected(self) -> list[str]:
        return self.disliked + [i for i in self.skipped if i not in self.disliked]

    def weights(self) -> dict[str, float]:
        """What the user's events on each item are worth, signed, on the live recommender's scale
        (`feedback.event_weight`, the one place events are weighed): a like or a dislike is the
        verdict; otherwise a play (0.1), the watch time by its share of the video (a full watch 0.6,
        a glance just under 0) and a skip (-0.3) add up. Newest item last."""
        from .feedback import event_weight

        verdict = {i: k for k, ids in (("like", self.liked), ("dislike", self.disliked), ("skip", self.skipped)) for i in ids}
        played = set(self.played)
        out = {}
        for i in self.touched:
            if i in self.set_aside:
                continue
            kind = verdict.get(i)
            if kind in ("like", "dislike"):
                out[i] = event_weight(kind)
                continue
            w = event_weight("play") if i in played else 0.0
            if i in self.watched:
                w += event_weight("watch", self.watched[i], self.durations.get(i) or None)
            if kind == "skip":
                w += event_weight("skip")
            out[i] = round(w, 4)
        return out

    def tastes(self, items: dict, n: int = 6) -> tuple[list[str], list[str]]:
        """Tags that recur in liked items, and in rejected ones (minus those also liked)."""
        like = Counter(t for i in self.liked if i in items and i not in self.set_aside for t in items[i].tags)
        dis = Counter(t for i in self.rejected if i in items and i not in self.set_aside for t in items[i].tags)
        return [t for t, _ in like.most_common(n)], [t for t, _ in dis.most_common(n) if t not in like][:n]


def build_profile(store, name: str) -> Profile:
    user = store.get_user(name)
    if user is None:
        raise KeyError(name)
    prof = from_events(user, store.interactions(user=name))
    aside = (user.preferences or {}).get("set_aside") or {}
    need = set(prof.watched) | (set(prof.touched) if aside else set())
    items = store.get_items(need) if need else {}
    prof.durations = {i: items[i].duration_s for i in prof.watched if i in items and items[i].duration_s}
    prof.set_aside = aside_items(prof, items, aside)
    return prof


def aside_items(prof: Profile, items: dict, aside: dict[str, float]) -> set[str]:
    """Items whose events a correction set aside: they carry a corrected label, and nothing
    happened to them after the correction (`aside`: label -> when it was corrected)."""
    return {i for i in prof.touched if i in items and any(prof.last_at.get(i, 0.0) <= aside[t] for t in items[i].tags if t in aside)}


def from_events(user: User, events) -> Profile:
    """The profile that `events` (one user's, in the order they happened) add up to, without
    item lengths or corrections (`build_profile` adds both from the store)."""
    prof = Profile(user=user)
    verdict: dict[str, str] = {}
    played: set[str] = set()
    touched: dict[str, None] = {}
    for ev in events:
        if ev.session == "simulated":
            prof.simulated_events += 1
        if ev.kind != "impression":
            touched.pop(ev.item_id, None)   # re-insert: the order follows the latest event
            touched[ev.item_id] = None
            prof.last_at[ev.item_id] = ev.at
        if ev.kind in ("like", "dislike", "skip"):
            verdict.pop(ev.item_id, None)  # re-insert so dict order follows the latest verdict
            verdict[ev.item_id] = ev.kind
        elif ev.kind == "watch" and ev.value:
            prof.watched[ev.item_id] = prof.watched.get(ev.item_id, 0.0) + float(ev.value)
        elif ev.kind == "impression":
            prof.shown.append(ev.item_id)
        elif ev.kind == "play" and ev.item_id not in played:
            played.add(ev.item_id)
            prof.played.append(ev.item_id)
    for item_id, kind in verdict.items():
        {"like": prof.liked, "dislike": prof.disliked, "skip": prof.skipped}[kind].append(item_id)
    prof.touched = list(touched)
    return prof


@dataclass
class Taste:
    """What a user likes and avoids, from their history among the items they may see.

    Vectors are unit means (None when there is nothing to average): `like_text`/`dislike_text`
    of the catalog's text vectors, `like_image`/`dislike_image` of its pooled visual features,
    and `cover`, the image model's feature of the liked items' covers (only when `taste` was
    given an image model). `likes`/`avoids` are labels: stated include/avoid first, then tags
    that recur in liked (rejected) items."""
    liked: list[str] = field(default_factory=list)          # item ids, in the order of the latest verdicts
    rejected: list[str] = field(default_factory=list)
    liked_texts: list[str] = field(default_factory=list)    # `Item.text()` of each liked item
    like_text: np.ndarray | None = None
    dislike_text: np.ndarray | None = None
    like_image: np.ndarray | None = None
    dislike_image: np.ndarray | None = None
    cover: np.ndarray | None = None
    likes: list[str] = field(default_factory=list)
    avoids: list[str] = field(default_factory=list)


def _unit_mean(m: np.ndarray) -> np.ndarray | None:
    if m is None or len(m) == 0:
        return None
    v = np.asarray(m, np.float32).mean(axis=0)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else None


def _cover_feature(catalog, liked: list, image_model) -> np.ndarray | None:
    """Mean image feature of the liked items' covers, unit length; None when none can be read."""
    from ..media import MediaError, load_image

    covers = []
    for it in liked:
        if it.cover_path:
            try:
                covers.append(load_image(catalog.path(it.cover_path)))
            except (MediaError, OSError):
                continue  # a missing cover only leaves that item out
    if not covers:
        return None
    v = image_model.analyse(covers, top=1).features.mean(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def taste(catalog, user: str | None, image_model=None) -> Taste:
    """`user`'s taste over what they may see in `catalog` (an empty Taste for no or an unknown user)."""
    store = getattr(catalog, "store", None)
    if not user or store is None or store.get_user(user) is None:
        return Taste()
    prof = build_profile(store, user)
    seen = store.visible_origins(user)
    items = store.get_items(i for i in prof.liked + prof.rejected if i in seen)
    liked = [i for i in prof.liked if i in items]
    rejected = [i for i in prof.rejected if i in items]
    history_likes, history_avoids = prof.tastes(items)
    prefs = prof.user.preferences or {}
    return Taste(
        liked=liked, rejected=rejected, liked_texts=[items[i].text() for i in liked],
        like_text=_unit_mean(catalog.text_vectors(liked)), dislike_text=_unit_mean(catalog.text_vectors(rejected)),
        like_image=_unit_mean(catalog.image_vectors(liked)), dislike_image=_unit_mean(catalog.image_vectors(rejected)),
        cover=_cover_feature(catalog, [items[i] for i in liked], image_model) if image_model is not None else None,
        likes=list(dict.fromkeys(list(prefs.get("include", [])) + history_likes)),
        avoids=list(dict.fromkeys(list(prefs.get("avoid", [])) + history_avoids)))
