"""The MovieLens corpus (`GENEREC_CORPUS=movielens`): real movies, real ratings, real users as personas.

Built from the committed `assets/movielens/ml-latest-small` (GroupLens; research, non-commercial
terms in its README.txt): 9,125 movies become items (title, year, genres as tags; no video, so
the chat shows a title card), 100,004 ratings become interactions of the users who made them
(>= 4 stars: like, <= 2: dislike, in between: play; the stars are kept as the event's value,
its time as the rating's), and all 671 users become profiles. A handful of them, chosen by what
they rate highly, are the personas, labelled "real MovieLens user N".

The same code as the video corpus then serves it: the store, the catalogue's text index (title
and genres embedded by the configured text model, cached), and the feed's recommender fitted on
the store's log. A second build finds everything in place and only refits.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ..config import ROOT, Settings
from ..types import Interaction, Item, User

DATASET = ROOT / "assets" / "movielens" / "ml-latest-small"
SESSION = "movielens"          # the session tag of every imported rating
LICENCE = "MovieLens ml-latest-small terms: research, non-commercial (GroupLens)"
ATTRIBUTION = "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets. ACM TiiS 5(4). grouplens.org"
# One persona per taste: the user whose highly rated movies lean most toward each genre.
PERSONA_GENRES = ("Animation", "Horror", "Documentary", "Sci-Fi", "Romance", "Crime")
_YEAR = re.compile(r"\((\d{4})\)\s*$")


def item_id(movie_id: int) -> str:
    return f"movie-{movie_id}"


def user_name(user_id: int) -> str:
    return f"ml-{user_id}"


def rating_kind(stars: float) -> str:
    return "like" if stars >= 4.0 else "dislike" if stars <= 2.0 else "play"


def _viewer_tags(root: Path) -> dict[int, list[str]]:
    """Each movie's most used free-text tags from tags.csv (lower-cased, at most five)."""
    path = root / "tags.csv"
    if not path.exists():
        return {}
    counts: dict[int, Counter] = defaultdict(Counter)
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            tag = r["tag"].strip().lower()
            if tag and len(tag) <= 40:
                counts[int(r["movieId"])][tag] += 1
    return {m: [t for t, _ in c.most_common(5)] for m, c in counts.items()}


def load_items(root: Path = DATASET) -> list[Item]:
    from ..recsys.data import load_ml_latest_small

    data = load_ml_latest_small(root)
    links = {}
    if (root / "links.csv").exists():
        with open(root / "links.csv", newline="", encoding="utf-8") as f:
            links = {int(r["movieId"]): r for r in csv.DictReader(f)}
    viewer = _viewer_tags(root)
    titles = {}
    with open(root / "movies.csv", newline="", encoding="utf-8") as f:
        titles = {int(r["movieId"]): r["title"] for r in csv.DictReader(f)}
    items = []
    for mid, genres in zip(data.item_ids, data.genres):
        title = titles[mid].strip()
        year = _YEAR.search(title)
        desc = f"{year.group(1) + ' ' if year else ''}film. Genres: {', '.join(genres) or 'not listed'}."
        if viewer.get(mid):
            desc += f" Viewers tagged it: {', '.join(viewer[mid])}."
        link = links.get(mid, {})
        items.append(Item(
            id=item_id(mid), title=title, description=desc, tags=[g.lower() for g in genres],
            licence=LICENCE, attribution=ATTRIBUTION, origin="human", visibility="public", created_at=0.0,
            source={"kind": "movielens", "dataset": data.name, "movieId": mid,
                    "imdbId": link.get("imdbId") or None, "tmdbId": link.get("tmdbId") or None},
        ))
    return items


def choose_personas(data, n_min: int = 20, n_max: int = 400, min_likes: int = 5) -> list[int]:
    """User ids, one per genre in PERSONA_GENRES: among users with `n_min`..`n_max` ratings and
    `min_likes` of them >= 4 stars, the one with the largest share of those in that genre (ties:
    lower id). A history of that size reads well in a profile panel and says what the user likes."""
    genres = dict(zip(data.item_ids, data.genres))
    rated: Counter = Counter(data.ratings.users)
    liked: dict[int, list[int]] = defaultdict(list)
    for u, i, w in zip(data.ratings.users, data.ratings.items, data.ratings.weights):
        if w >= 4.0:
            liked[u].append(i)
    chosen: list[int] = []
    for g in PERSONA_GENRES:
        best, best_share = None, -1.0
        for u in sorted(liked):
            if u in chosen or not (n_min <= rated[u] <= n_max) or len(liked[u]) < min_likes:
                continue
            share = sum(g in genres.get(i, ()) for i in liked[u]) / len(liked[u])
            if share > best_share:
                best, best_share = u, share
        if best is not None:
            chosen.append(best)
    return chosen


def persona_record(data, uid: int) -> dict:
    genres = dict(zip(data.item_ids, data.genres))
    stars = [(i, w, t) for u, i, w, t in zip(data.ratings.users, data.ratings.items, data.ratings.weights,
                                                data.ratings.timestamps) if u == uid]
    top = Counter(g for i, w, _ in stars if w >= 4.0 for g in genres.get(i, ()))
    years = [time.gmtime(t).tm_year for _, _, t in stars]
    return {"name": user_name(uid), "display": f"real MovieLens user {uid}",
            "bio": f"Real MovieLens rating history: {len(stars)} ratings ({min(years)}–{max(years)}); "
                   f"rates {', '.join(g for g, _ in top.most_common(3))} highest.",
            "movielens_user": uid}


def _vectors(data, settings: Settings, log) -> np.ndarray:
    """Embeddings of "Title (year). Genres: ..." by the configured text model, cached by content.

    The recsys benchmark caches the very same texts under `<default data dir>/cache/recsys`;
    a cache found there is copied rather than recomputed (MiniLM takes ~1 min for 9k titles).
    """
    from ..recsys.data import item_vectors

    cache = settings.data_dir / "cache" / "recsys"
    bench_cache = ROOT / "data" / "cache" / "recsys"
    if settings.embedder == "minilm" and bench_cache != cache and bench_cache.exists():
        import hashlib

        digest = hashlib.sha256("\n".join(data.texts).encode()).hexdigest()[:12]
        name = f"{data.name}-{settings.embedder}-{digest}.npy"
        if (bench_cache / name).exists() and not (cache / name).exists():
            cache.mkdir(parents=True, exist_ok=True)
            shutil.copy2(bench_cache / name, cache / name)
            log(f"item vectors: reused {bench_cache / name}")
    t0 = time.perf_counter()
    V = item_vectors(data, cache, settings.embedder, settings.threads)
    log(f"item vectors: {V.shape[0]} x {V.shape[1]} ({settings.embedder}) in {time.perf_counter() - t0:.1f} s")
    return V


def personas_path(settings: Settings) -> Path:
    return settings.data_dir / "personas.json"


def build(settings: Settings, store=None, root: Path = DATASET, log=print) -> dict:
    """Items, users, ratings and text vectors into `settings.data_dir`; idempotent."""
    from ..recsys.index import open_index
    from ..recsys.data import load_ml_latest_small
    from ..store import open_store

    t0 = time.perf_counter()
    timings = {}
    own_store = store is None
    store = store or open_store(settings.db_url)
    try:
        data = load_ml_latest_small(root)
        items = load_items(root)
        timings["read_s"] = time.perf_counter() - t0

        t = time.perf_counter()
        have = {it.id for it in store.list_items(visible_to=None)}
        new_items = [it for it in items if it.id not in have]
        store.add_items(new_items)
        personas = [persona_record(data, u) for u in choose_personas(data)]
        persona_of = {p["movielens_user"]: p for p in personas}
        known = {u.name for u in store.list_users()}
        for uid in sorted(set(data.ratings.users)):
            name = user_name(uid)
            p = persona_of.get(uid)
            if name in known and not p:
                continue
            store.upsert_user(User(name=name, display=p["display"] if p else f"MovieLens user {uid}",
                                   bio=p["bio"] if p else "Real MovieLens rating history.", simulated=False))
        timings["items_users_s"] = time.perf_counter() - t

        t = time.perf_counter()
        loaded = store.count_interactions(session=SESSION)
        n = len(data.ratings)
        if loaded == 0:
            store.record_many(Interaction(user=user_name(u), item_id=item_id(i), kind=rating_kind(float(w)),
                                          value=float(w), at=float(ts), session=SESSION)
                              for u, i, w, ts in zip(data.ratings.users, data.ratings.items,
                                                     data.ratings.weights.tolist(), data.ratings.timestamps.tolist()))
        elif loaded != n:
            raise RuntimeError(f"{settings.db_url} holds {loaded} MovieLens ratings, not {n}: "
                               f"remove {settings.data_dir} and build again")
        timings["ratings_s"] = time.perf_counter() - t

        t = time.perf_counter()
        V = _vectors(data, settings, log)
        ids = [item_id(m) for m in data.item_ids]
        index = open_index(settings, store, "text", V.shape[1])
        if index.dim != V.shape[1]:
            raise RuntimeError(f"{settings.index_dir} holds {index.dim}-d vectors but {settings.embedder} makes {V.shape[1]}-d ones: "
                               f"remove {settings.index_dir} and build again")
        missing = [k for k, i in enumerate(ids) if i not in index]
        if missing:
            index.add([ids[k] for k in missing], V[missing])
            index.save()
        timings["index_s"] = time.perf_counter() - t

        personas_path(settings).parent.mkdir(parents=True, exist_ok=True)
        personas_path(settings).write_text(json.dumps(personas, indent=1))

        t = time.perf_counter()
        from ..recsys.live import LiveModel

        fit = LiveModel(store, index, settings.data_dir / "recsys" / "live-hybrid.pkl", threads=min(2, settings.threads)).refresh()
        timings["retrain_s"] = time.perf_counter() - t
        log(f"movielens: {len(items)} movies ({len(new_items)} new), {len(set(data.ratings.users))} users, "
            f"{n} ratings ({'loaded' if loaded == 0 else 'already there'}); personas: "
            + ", ".join(p["display"] for p in personas))
        return {"items": len(items), "new": len(new_items), "featurised": len(missing), "reused_media": 0, "skipped": [],
                "personas": [p["name"] for p in personas], "ratings": n, "ratings_loaded": loaded == 0,
                "recsys": fit, "creator_library": "not used (movie corpus)",
                "timings": {k: round(v, 2) for k, v in timings.items()}, "seconds": time.perf_counter() - t0}
    finally:
        if own_store:
            store.close()
