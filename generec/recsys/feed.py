"""The retrieval feed: ranks visible items for a request, personalised by the profile.

Score of an item = similarity to the request text (and to an uploaded image, if any)
+ the default recommender's score for this user (`recsys.live`: the hybrid of EASE, item-KNN,
ALS and content over the store's whole interaction log, kept current event by event, with
popularity for a user with no events and content for items nobody has touched yet)
+ similarity to what the user liked − similarity to what they rejected (each item weighted by what
its events are worth, `Profile.weights`: a like outweighs a watched-through video, which outweighs a
bare play; a dislike outweighs a skip)
+ stated include/avoid preferences. Items the user disliked are never shown again (on the
movie corpus, nothing the user has rated is), and items shown in the last answers are nudged
down so a repeated request moves on. The top of that order is re-ranked by MMR
(`GENEREC_DIVERSITY`) so one answer isn't three near-copies. Every pick carries a one-line
reason built from the terms that produced its score.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from .profile import Profile
from ..types import Item

_WORD = re.compile(r"[a-z]+")
_STOP = set("a an and the of with to me for some something show find want i in on at about is it that this my like more less".split())


@dataclass(frozen=True)
class Weights:
    """How much each term counts. The request's weight is 1: relevance scores read on that scale."""

    request: float = 1.0
    image: float = 0.8
    liked: float = 0.45
    rejected: float = 0.45
    include: float = 0.35
    avoid: float = 0.5
    seen: float = 0.12
    taste: float = 0.3        # the default recommender's score, best item for this user = 1 ...
    taste_with_request: float = 0.3   # ... and its weight when the person asked for something
    exclude_seen: bool = False  # never offer again anything the user rated, played or watched


# Micro-videos: the log is small and simulated, so the recommender is one voice among the content
# terms, and a liked clip may come back. Movies: the log is 100k real ratings; the recommender
# leads (measured with `python -m generec.bench.recsys feed`, see README), a rated movie is
# not offered again, and similarity to liked movies is a light touch.
WEIGHTS = {"microvideo": Weights(),
           "movielens": Weights(liked=0.1, rejected=0.1, taste=1.0, taste_with_request=0.3, exclude_seen=True)}
RECENT_LIKES = 50   # the liked-items centroid follows the latest likes (a long history drifts)


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
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else None


def _weighted(m: np.ndarray, w: list[float]) -> tuple[np.ndarray | None, float]:
    """The unit direction of rows `m` weighted by `w` (> 0), and how strongly to use it: the
    weights' sum, at most 1. One like (1.0) is a full voice, as are several; a watched-through
    video (0.6) is most of one; a bare play (0.1) a whisper; equal weights give the plain mean."""
    if len(m) == 0:
        return None, 0.0
    wa = np.asarray(w, np.float32)
    return _mean(m * (wa / wa.mean())[:, None]), min(1.0, float(wa.sum()))


def _matched_terms(text: str, item: Item) -> list[str]:
    words = {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}
    vocab = set(_WORD.findall(" ".join([item.title, " ".join(item.tags), " ".join(item.labels)]).lower()))
    # crude stemming, so "animals" meets "animal"
    stem = lambda w: w[:-1] if w.endswith("s") else w  # noqa: E731
    vs = {stem(v) for v in vocab}
    return sorted(w for w in words if stem(w) in vs)


class Feed:
    def __init__(self, catalog, diversity: float | None = None, weights: Weights | None = None):
        from .live import LiveModel

        self.catalog = catalog
        s = catalog.settings
        self.corpus = getattr(s, "corpus", "microvideo")
        self.weights = weights or WEIGHTS.get(self.corpus, Weights())
        self.diversity = float(getattr(s, "diversity", 0.0) if diversity is None else diversity)
        self.live = LiveModel(catalog.store, catalog.text_index, s.data_dir / "recsys" / "live-hybrid.pkl",
                              threads=min(2, getattr(s, "threads", 1)))
        self._lock = threading.Lock()

    def retrain(self) -> dict:
        """Fold the whole log into the recommender now (also what `generec recsys retrain` runs)."""
        return self.live.retrain()

    def recommend(self, profile: Profile, text: str = "", image_vec: np.ndarray | None = None,
                  k: int = 3, exclude: tuple[str, ...] = (), include: list[str] = (), avoid: list[str] = (),
                  real_only: bool = False, diversity: float | None = None) -> list[Pick]:
        cat, W = self.catalog, self.weights
        name = profile.user.name
        origins = self._visible(name)   # id -> origin, for what this user may see
        banned = set(profile.disliked) | set(exclude) | (profile.seen if W.exclude_seen else set())
        cat.refresh()   # items another process (a worker, the CLI) added since the last request
        indexed = set(cat.text_index.ids.values())
        ids = [i for i, o in origins.items() if i not in banned and i in indexed and not (real_only and o != "human")]
        if not ids or k <= 0:
            return []
        with self._lock:
            self.live.sync()   # events stored since the last call change this ranking: no retrain
            T = self.live.vectors(ids)
            taste, source = self.live.taste(name, ids, profile.set_aside)
            weights = {i: w for i, w in profile.weights().items() if i in origins}
            liked_ids = [i for i, w in weights.items() if w > 0][-RECENT_LIKES:]
            liked, liked_strength = _weighted(self.live.vectors(liked_ids), [weights[i] for i in liked_ids])
            shunned = [i for i, w in weights.items() if w < 0][-RECENT_LIKES:]
            rejected, rejected_strength = _weighted(self.live.vectors(shunned), [-weights[i] for i in shunned])
        parts: dict[str, np.ndarray] = {}
        if text.strip():
            parts["request"] = W.request * (T @ cat.embed_text([text])[0])
        if image_vec is not None:
            have = np.array([i in cat.image_index for i in ids])
            sims = np.zeros(len(ids), np.float32)
            if have.any():
                sims[have] = cat.image_vectors([i for i, h in zip(ids, have) if h]) @ np.asarray(image_vec, np.float32)
            parts["image"] = W.image * sims
        if source != "none":
            w = W.taste_with_request if text.strip() else W.taste
            # popularity only breaks ties between items that fit a request; it never outvotes one
            parts["taste"] = (w / 2 if source == "popularity" and text.strip() else w) * taste
        if liked is not None:
            parts["liked"] = W.liked * liked_strength * (T @ liked)
            # what is *like* the liked items, not the liked items themselves: they are known already
            parts["liked"][np.isin(ids, liked_ids)] = 0.0
        if rejected is not None:
            parts["rejected"] = -W.rejected * rejected_strength * (T @ rejected)
        prefs = profile.user.preferences or {}
        wanted = {"include": list(prefs.get("include", [])) + list(include), "avoid": list(prefs.get("avoid", [])) + list(avoid)}
        for key, w in (("include", W.include), ("avoid", -W.avoid)):
            if wanted[key]:
                P = cat.embed_text(wanted[key])
                parts[key] = w * (T @ P.T).max(axis=1)
        recent = set(profile.shown[-3 * k:])
        parts["seen"] = -W.seen * np.array([i in recent for i in ids], dtype=np.float32)
        total = sum(parts.values())
        order = self._order(total, T, k, self.diversity if diversity is None else diversity)
        items = self._items([ids[j] for j in order] + liked_ids)
        picks = []
        for j in order:
            item = items[ids[j]]
            contrib = {name: float(v[j]) for name, v in parts.items()}
            picks.append(Pick(item, float(total[j]), self._why(text, item, contrib, profile, items, source, liked_ids), contrib))
        return picks

    # -- what the user can see, and the items to explain picks with (bench/feed.py overlays both)
    def _visible(self, user: str) -> dict[str, str]:
        return self.catalog.store.visible_origins(user)

    def _items(self, ids: list[str]) -> dict[str, Item]:
        return self.catalog.store.get_items(ids)

    @staticmethod
    def _order(total: np.ndarray, T: np.ndarray, k: int, diversity: float) -> list[int]:
        """Top k by score, or by MMR over the best max(4k, 20) when `diversity` > 0."""
        pool = np.argsort(-total, kind="stable")[:max(4 * k, 20) if diversity > 0 else k]
        if diversity <= 0 or len(pool) <= 1:
            return pool[:k].tolist()
        from .rerank import mmr

        return [int(j) for j, _ in mmr([(int(j), float(total[j])) for j in pool], T[pool], k, diversity)]

    def _why(self, text: str, item: Item, c: dict[str, float], profile: Profile, items: dict,
             source: str = "none", liked_ids: list[str] = ()) -> str:
        bits = []
        if "request" in c:
            terms = _matched_terms(text, item)
            bits.append(f"matches “{', '.join(terms)}”" if terms else f"closest in meaning to your request ({c['request']:.2f})")
        if c.get("image", 0) > 0.2:
            bits.append("looks like the picture you sent")
        # One reason drawn from the user's history: the stronger of the two terms that used it.
        content = None
        if c.get("liked", 0) > self.weights.liked / 3 and liked_ids:
            liked = [items[i] for i in liked_ids if i in items]
            if liked:
                best = max(reversed(liked), key=lambda it: len(set(it.tags) & set(item.tags)))
                shared = sorted(set(best.tags) & set(item.tags))[:3]
                if shared or c["liked"] > 0.6 * self.weights.liked:   # a likeness worth naming
                    did = "liked" if best.id in profile.liked else "watched"
                    content = f"like “{best.title}” you {did}" + (f" ({', '.join(shared)})" if shared else "")
        collab = None
        w_taste = self.weights.taste_with_request if text.strip() else self.weights.taste
        if source == "hybrid" and c.get("taste", 0) >= 0.5 * w_taste:
            with self._lock:
                also = self.live.because(profile.user.name, item.id, liked_ids)
                cold = self.live.is_cold(item.id)
            if cold:
                collab = "new and rated by nobody yet: it is here because it resembles what you like"
            elif also and also in items and also != item.id:
                collab = f"people who liked “{items[also].title}” also liked it"
            else:
                collab = "people with tastes like yours liked it"
        if collab and (content is None or c.get("taste", 0) >= c.get("liked", 0)):
            bits.append(collab)
        elif content:
            bits.append(content)
        if c.get("include", 0) > 0.15:
            bits.append("fits what you said you enjoy")
        if not bits:
            if source == "popularity" and not text:
                bits.append("popular with other viewers")
            else:
                bits.append("popular with people like you" if not text else "the best of what is left for this request")
        line = "; ".join(bits)
        return line[:1].upper() + line[1:]   # (str.capitalize would lower-case the titles)
