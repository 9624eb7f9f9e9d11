"""`bench feed`: the chat's own feed measured: accuracy on MovieLens, and coverage / novelty / exposure.

Two measurements, both through `generec.recsys.feed.Feed` (the code the chat runs, not a stand-in):

- **accuracy** (`--accuracy`, MovieLens only): the benchmark protocol of `bench recsys`
  (positives = ratings >= 4, each user's last 20% by time held out) replayed through a
  scratch store: the training ratings are stored as the corpus build stores them, the feed
  ranks with an empty request, and NDCG/Recall@10 are compared with the bare default model on
  the same split. This is what fixed the movie corpus's feed weights.
- **exposure** (default): for every persona (and up to `--users` other people with a history) and
  a fixed set of requests, the slates the feed shows, at diversity 0, at the configured
  `GENEREC_DIVERSITY` and at 0.3: catalogue coverage, novelty (self-information of what is shown),
  intra-list diversity, p50 latency, and exposure share by origin (AI-made vs human-made) and by
  popularity (head vs long tail), computed by `generec.fidelity.exposure` against each group's
  share of the catalogue. `--what-if-ai N` adds N AI-made, never-interacted items (public copies
  of random human ones, in memory only; nothing is written) to see what exposure a cold
  generated item gets next to its human original.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

REQUESTS = {
    "microvideo": ["", "something calm with animals", "music visualiser", "a physics experiment", "cartoon story"],
    "movielens": ["", "a funny animated film", "a dark crime thriller", "space science fiction", "a romantic comedy"],
}


# ---- the catalogue, overlaid with hypothetical AI-made items (read-only) ---------------------
class _Overlay:
    """A catalogue plus extra in-memory items; the underlying store and index are never written."""

    def __init__(self, catalog, extra: list, vectors: np.ndarray):
        from ..recsys.index import VectorIndex

        self.settings, self.store, self.image_index = catalog.settings, catalog.store, catalog.image_index
        self._cat, self.extra = catalog, {it.id: it for it in extra}
        ids = list(catalog.text_index.ids.values())
        self.text_index = VectorIndex(catalog.text_index.dim)
        self.text_index.add(ids + [it.id for it in extra], np.vstack([catalog.text_index.vectors(ids), vectors]))

    def visible(self, user):
        return {**self._cat.visible(user), **self.extra}

    def embed_text(self, texts):
        return self._cat.embed_text(texts)

    def image_vectors(self, ids):
        return self._cat.image_vectors(ids)

    def text_vectors(self, ids):
        return self.text_index.vectors(ids)

    def refresh(self) -> bool:
        return False   # a frozen snapshot: the overlay is measured as it was built


def _overlay_feed(cat, **kw):
    """A Feed that also sees the overlay's in-memory items (the real one reads visibility from the store)."""
    from ..recsys.feed import Feed

    class OverlayFeed(Feed):
        def _visible(self, user):
            return {**super()._visible(user), **{i: it.origin for i, it in cat.extra.items()}}

        def _items(self, ids):
            return {**super()._items([i for i in ids if i not in cat.extra]),
                    **{i: cat.extra[i] for i in ids if i in cat.extra}}

    return OverlayFeed(cat, **kw)


def _ai_copies(catalog, n: int, seed: int = 0, warm: set | None = None):
    """`n` AI remakes of random human items (of `warm` ones, someone liked, when there are enough)."""
    rng = np.random.default_rng(seed)
    public = [it for it in catalog.visible(None).values() if it.origin == "human" and it.id in catalog.text_index]
    if warm and len([it for it in public if it.id in warm]) >= n:
        public = [it for it in public if it.id in warm]
    pick = rng.choice(len(public), size=min(n, len(public)), replace=False) if public else []
    extra, vecs = [], []
    for j in pick:
        src = public[int(j)]
        extra.append(replace(src, id=f"ai-{src.id}"[:100], title=f"{src.title} (AI remake)", origin="ai_created",
                             parent_id=src.id, visibility="public", owner=None))
        v = catalog.text_index.vector(src.id) + 0.05 * rng.standard_normal(catalog.text_index.dim).astype(np.float32)
        vecs.append(v / np.linalg.norm(v))
    return extra, np.array(vecs, np.float32).reshape(-1, catalog.text_index.dim)


# ---- exposure ------------------------------------------------------------------------------------
def exposure_report(settings, users: int = 40, k: int | None = None, diversities=None, what_if_ai: int = 0,
                    log=print) -> dict:
    from ..recsys.catalog import Catalog
    from ..corpus import personas
    from ..recsys.feed import Feed
    from ..fidelity.exposure import fairness_report
    from ..recsys.profile import build_profile
    from ..store import open_store
    from ..recsys.rerank import intra_list_diversity, novelty

    k = k or settings.top_k
    store = open_store(settings.db_url)
    catalog = Catalog(settings, store)
    cat = catalog
    if what_if_ai:
        from ..recsys.live import LiveModel

        probe = LiveModel(store, catalog.text_index, settings.data_dir / "recsys" / "live-hybrid.pkl")
        probe.sync()
        warm = {i for i, n in probe.popularity().items() if n > 0}
        extra, vecs = _ai_copies(catalog, what_if_ai, warm=warm)
        cat = _Overlay(catalog, extra, vecs)
    names = [p["name"] for p in personas(settings) if store.get_user(p["name"])]
    others = [u.name for u in store.list_users() if u.name not in names]
    rng = np.random.default_rng(0)
    if len(others) > max(0, users - len(names)):
        others = sorted(rng.choice(others, size=max(0, users - len(names)), replace=False).tolist())
    people = names + others
    requests = REQUESTS.get(settings.corpus, [""])
    diversities = diversities if diversities is not None else sorted({0.0, settings.diversity, 0.3})
    feed = _overlay_feed(cat, diversity=0.0) if what_if_ai else Feed(cat, diversity=0.0)
    if what_if_ai:
        feed.live.path = None   # the hypothetical catalogue's model is never saved over the real one
    t0 = time.perf_counter()
    feed.live.sync()
    log(f"{settings.corpus}: {len(cat.text_index)} items, {len(people)} people ({len(names)} personas) x "
        f"{len(requests)} requests, k={k}; recommender ready in {time.perf_counter() - t0:.1f} s")
    pop = feed.live.popularity()
    n_users = max(1, len(feed.live.model.users))
    profiles = {p: build_profile(store, p) for p in people}
    out = {"corpus": settings.corpus, "items": len(cat.text_index), "people": len(people), "requests": requests,
           "k": k, "what_if_ai": what_if_ai, "runs": {}}
    for div in diversities:
        slates, lat, origin_of = {}, [], {}
        for p in people:
            for r, text in enumerate(requests):
                t = time.perf_counter()
                picks = feed.recommend(profiles[p], text, k=k, diversity=div)
                lat.append(time.perf_counter() - t)
                slates[(p, r)] = [x.item.id for x in picks]
                origin_of.update({x.item.id: x.item.origin for x in picks})
        catalogue = {**{i: it.origin for i, it in cat.visible(None).items() if i in cat.text_index}, **origin_of}
        fair = fairness_report(list(slates.values()), catalogue, {i: pop.get(i, 0.0) for i in catalogue})
        ids = feed.live.model.items
        res = {"coverage": len({i for s in slates.values() for i in s}) / max(1, len(catalogue)),
               "novelty": novelty(slates, pop, n_users, k),
               "intra_list_diversity": intra_list_diversity(slates, feed.live.model.item_vectors, ids.lookup, k),
               "p50_ms": 1000 * float(np.median(lat)), "exposure": fair}
        if what_if_ai:   # each remake's attention next to its own human original's
            from ..fidelity.exposure import position_weight

            att = {}
            for sl in slates.values():
                for rank, i in enumerate(sl, start=1):
                    att[i] = att.get(i, 0.0) + position_weight(rank)
            pairs = [(att.get(it.id, 0.0), att.get(it.parent_id, 0.0)) for it in cat.extra.values()]
            res["remake_vs_original"] = {"remakes_shown": sum(a > 0 for a, _ in pairs), "originals_shown": sum(o > 0 for _, o in pairs),
                                         "remake_attention": round(sum(a for a, _ in pairs), 3),
                                         "original_attention": round(sum(o for _, o in pairs), 3)}
        out["runs"][f"{div:g}"] = res
        o = fair["origin"]
        log(f"  diversity {div:<4g} coverage {res['coverage']:.3f}  novelty {res['novelty']:.2f}  "
            f"ILD {res['intra_list_diversity']:.3f}  p50 {res['p50_ms']:.1f} ms  | "
            + "  ".join(f"{g}: {v['exposure']:.1%} of exposure vs {v['catalogue']:.1%} of catalogue" for g, v in o.items())
            + f"  | long tail: {fair['popularity'].get('long_tail', {}).get('exposure', 0):.1%} of exposure"
            + (f"\n      AI remakes vs their originals: {res['remake_vs_original']}" if what_if_ai else ""))
    store.close()
    return out


# ---- accuracy (MovieLens) ---------------------------------------------------------------------
def accuracy_report(settings, users: int = 200, weights=None, log=print, history: str = "positives") -> dict:
    """NDCG/Recall@10 of the feed vs the bare default model, on the same temporal split.

    `history="positives"`: the store holds the training positives as likes (exactly what the bare
    model learns from). `history="all"`: it holds every rating the corpus build would store (likes,
    dislikes, 3-star plays) except the held-out ones and anything a tested user rated after their
    first held-out movie, i.e. what the app really learns from.
    """
    from ..recsys.catalog import Catalog
    from ..corpus.movielens import item_id, user_name
    from ..recsys.feed import Feed
    from ..recsys.index import VectorIndex
    from ..recsys.profile import build_profile
    from ..store import open_store
    from ..types import Interaction, Item, User
    from ..recsys.data import item_vectors, load_ml_latest_small
    from ..recsys.factory import make_recommender
    from ..recsys.metrics import evaluate
    from ..recsys.split import positives, temporal_split

    data = load_ml_latest_small()
    train, test = temporal_split(positives(data.ratings))
    V = item_vectors(data, settings.data_dir / "cache" / "recsys", settings.embedder, settings.threads)
    rng = np.random.default_rng(0)
    tested = sorted(rng.choice(list(test), size=min(users, len(test)), replace=False).tolist())
    t0 = time.perf_counter()
    bare = make_recommender("hybrid").fit(train, data.item_ids, V)
    fit_s = time.perf_counter() - t0
    bare_rank = {u: [i for i, _ in bare.recommend(u, k=10)] for u in tested}
    with tempfile.TemporaryDirectory() as tmp:
        s = settings.with_(data_dir=Path(tmp), database_url="")
        store = open_store(s.db_url)
        store.add_items([Item(id=item_id(m), title=t, tags=g) for m, t, g in zip(data.item_ids, data.texts, data.genres)])
        for u in sorted(set(train.users)):
            store.upsert_user(User(name=user_name(u)))
        if history == "all":
            from ..corpus.movielens import rating_kind

            held = {(u, i) for u, its in test.items() for i in its}
            r = data.ratings
            cut = {}
            for u, i, t in zip(r.users, r.items, r.timestamps.tolist()):
                if (u, i) in held:
                    cut[u] = min(cut.get(u, t), t)
            keep = [(u, i, w, t) for u, i, w, t in zip(r.users, r.items, r.weights.tolist(), r.timestamps.tolist())
                    if (u, i) not in held and t < cut.get(u, float("inf"))]
            for u in sorted({u for u, *_ in keep} - set(train.users)):
                store.upsert_user(User(name=user_name(u)))
            store.record_many(Interaction(user_name(u), item_id(i), rating_kind(w), value=w, at=float(t), session="movielens")
                              for u, i, w, t in keep)
        else:
            store.record_many(Interaction(user_name(u), item_id(i), "like", at=float(t), session="movielens")
                              for u, i, t in zip(train.users, train.items, train.timestamps.tolist()))
        idx = VectorIndex(V.shape[1])
        idx.add([item_id(m) for m in data.item_ids], V)
        idx.save(s.index_dir / "text.faiss")
        catalog = Catalog(s, store)
        out = {"history": history, "users": len(tested), "bare_hybrid": evaluate(bare_rank, {u: test[u] for u in tested}, (10,)),
               "bare_fit_s": round(fit_s, 2), "feed": {}}
        log(f"ml-latest-small, store history = {history}: {len(tested)} test users; bare hybrid (positives) " + "  ".join(f"{k}={v:.4f}" for k, v in out["bare_hybrid"].items()))
        # With a request: each user asks for the genre most of their held-out movies have.
        genres = dict(zip(data.item_ids, data.genres))
        asked = {}
        for u in tested:
            counts = Counter(g for i in test[u] for g in genres.get(i, ()))
            asked[u] = counts.most_common(1)[0][0] if counts else "Drama"
        profiles = {u: build_profile(store, user_name(u)) for u in tested}
        for label, w in (weights or {"feed": None}).items():
            feed = Feed(catalog, diversity=0.0, weights=w)
            feed.live.path = None
            feed.live.sync()
            row = {}
            for mode in ("no request", "genre request"):
                lat, rank = [], {}
                for u in tested:
                    text = f"{asked[u].lower()} movies" if mode == "genre request" else ""
                    t = time.perf_counter()
                    rank[u] = [int(p.item.id.split("-", 1)[1]) for p in feed.recommend(profiles[u], text, k=10)]
                    lat.append(time.perf_counter() - t)
                m = evaluate(rank, {u: test[u] for u in tested}, (10,))
                if mode == "genre request":
                    m["genre_precision@10"] = float(np.mean([np.mean([asked[u] in genres.get(i, ()) for i in rank[u]] or [0])
                                                             for u in tested]))
                m["p50_ms"] = 1000 * float(np.median(lat))
                row[mode] = m
                log(f"  {label:34s} {mode:14s} " + "  ".join(f"{k}={v:.4f}" for k, v in m.items()))
            out["feed"][label] = row
        store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    from ..config import Settings

    ap = argparse.ArgumentParser(prog="generec bench feed", description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=40, help="people to rank for (personas first)")
    ap.add_argument("--k", type=int, default=None, help="slate size (default GENEREC_TOP_K)")
    ap.add_argument("--diversity", type=float, action="append", help="diversity knob(s) to compare (repeatable)")
    ap.add_argument("--what-if-ai", type=int, default=0, help="add N hypothetical AI-made cold items (in memory)")
    ap.add_argument("--accuracy", action="store_true", help="MovieLens: the feed vs the bare model on the benchmark split")
    ap.add_argument("--history", action="append", choices=("all", "positives"),
                    help="--accuracy: what the scratch store holds (repeatable; default: all, then positives)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.history = args.history or ["all", "positives"]
    settings = Settings.from_env()
    log = (lambda *a, **kw: print(*a, file=sys.stderr, **kw)) if args.json else print
    if args.accuracy:
        from ..recsys.feed import WEIGHTS, Weights

        ml = WEIGHTS["movielens"]
        variants = {"movielens weights (default)": ml,
                    "taste only": replace(ml, liked=0.0, rejected=0.0),
                    "video weights": replace(Weights(), exclude_seen=True)}
        for t in (0.15, 1.0):
            variants[f"taste with request {t:g}"] = replace(ml, taste_with_request=t)
        res = {h: accuracy_report(settings, args.users, variants if h == args.history[0] else {"movielens weights (default)": ml}, log, h)
               for h in args.history}
    else:
        res = exposure_report(settings, args.users, args.k, args.diversity, args.what_if_ai, log)
    if args.json:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
