"""The retrieval feed: ranks visible items for a request, personalised by the profile.

Score of an item = similarity to the request text (and to an uploaded image, if any)
+ similarity to what the user liked − similarity to what they rejected
+ stated include/avoid preferences. Items the user disliked are never shown again, and
items shown in the last answers are nudged down so a repeated request moves on.
Every pick carries a one-line reason built from the terms that produced its score.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .profile import Profile
from .types import Item

W_REQUEST, W_IMAGE, W_LIKE, W_DISLIKE, W_INCLUDE, W_AVOID, W_SEEN = 1.0, 0.8, 0.45, 0.45, 0.35, 0.5, 0.12
_WORD = re.compile(r"[a-z]+")
_STOP = set("a an and the of with to me for some something show find want i in on at about is it that this my like more less".split())


@dataclass
class Pick:
    item: Item
    score: float
    why: str
    parts: dict[str, float]


def _mean(m: np.ndarray) -> np.ndarray | None:
    if len(m) == 0:
        return None
    v = m.mean(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _matched_terms(text: str, item: Item) -> list[str]:
    words = {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}
    vocab = set(_WORD.findall(" ".join([item.title, " ".join(item.tags), " ".join(item.labels)]).lower()))
    # crude stemming, so "animals" meets "animal"
    stem = lambda w: w[:-1] if w.endswith("s") else w  # noqa: E731
    vs = {stem(v) for v in vocab}
    return sorted(w for w in words if stem(w) in vs)


class Feed:
    def __init__(self, catalog):
        self.catalog = catalog

    def recommend(self, profile: Profile, text: str = "", image_vec: np.ndarray | None = None,
                  k: int = 3, exclude: tuple[str, ...] = (), include: list[str] = (), avoid: list[str] = (),
                  real_only: bool = False) -> list[Pick]:
        cat = self.catalog
        items = cat.visible(profile.user.name)
        banned = set(profile.disliked) | set(exclude)
        ids = [i for i in items if i not in banned and i in cat.text_index and not (real_only and items[i].origin != "human")]
        if not ids:
            return []
        T = cat.text_vectors(ids)
        parts: dict[str, np.ndarray] = {}
        if text.strip():
            parts["request"] = W_REQUEST * (T @ cat.embed_text([text])[0])
        if image_vec is not None:
            parts["image"] = W_IMAGE * (cat.image_vectors(ids) @ image_vec)
        liked = _mean(cat.text_vectors([i for i in profile.liked if i in items]))
        if liked is not None:
            parts["liked"] = W_LIKE * (T @ liked)
        rejected = _mean(cat.text_vectors([i for i in profile.rejected if i in items]))
        if rejected is not None:
            parts["rejected"] = -W_DISLIKE * (T @ rejected)
        prefs = profile.user.preferences or {}
        wanted = {"include": list(prefs.get("include", [])) + list(include), "avoid": list(prefs.get("avoid", [])) + list(avoid)}
        for key, w in (("include", W_INCLUDE), ("avoid", -W_AVOID)):
            if wanted[key]:
                P = cat.embed_text(wanted[key])
                parts[key] = w * (T @ P.T).max(axis=1)
        recent = set(profile.shown[-3 * k:])
        parts["seen"] = -W_SEEN * np.array([i in recent for i in ids], dtype=np.float32)
        total = sum(parts.values())
        order = np.argsort(-total)[:k]
        picks = []
        for j in order:
            item = items[ids[j]]
            contrib = {name: float(v[j]) for name, v in parts.items()}
            picks.append(Pick(item, float(total[j]), self._why(text, item, contrib, profile, items), contrib))
        return picks

    def _why(self, text: str, item: Item, c: dict[str, float], profile: Profile, items: dict) -> str:
        bits = []
        if "request" in c:
            terms = _matched_terms(text, item)
            bits.append(f"matches “{', '.join(terms)}”" if terms else f"closest in meaning to your request ({c['request']:.2f})")
        if c.get("image", 0) > 0.2:
            bits.append("looks like the picture you sent")
        if c.get("liked", 0) > 0.15 and profile.liked:
            liked = [items[i] for i in profile.liked if i in items]
            best = max(liked, key=lambda it: len(set(it.tags) & set(item.tags)))
            shared = sorted(set(best.tags) & set(item.tags))[:3]
            bits.append(f"like “{best.title}” you liked" + (f" ({', '.join(shared)})" if shared else ""))
        if c.get("include", 0) > 0.15:
            bits.append("fits what you said you enjoy")
        if not bits:
            bits.append("popular with people like you" if not text else "the best of what is left for this request")
        return "; ".join(bits).capitalize()
