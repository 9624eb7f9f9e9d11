"""`GENEREC_CORPUS=movielens`: real movies, ratings and users through the same store, index and feed."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from generec.cli.bootstrap import build_corpus
from generec.corpus import personas
from generec.corpus.movielens import DATASET, build, rating_kind
from generec.recsys.feed import Feed
from generec.recsys.profile import build_profile
from generec.types import User

GENRES = ["Animation", "Horror", "Documentary", "Sci-Fi", "Romance", "Crime"]


def _tiny_movielens(root, n_users=30, n_movies=60, seed=0):
    """A MovieLens-shaped folder: 10 films per genre (movieId % 6 picks it); each user rates 6
    films of the genre they love (5 stars), 4 of the one they hate (1 star) and 10 others (3)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    genre = lambda m: GENRES[m % 6]  # noqa: E731
    with open(root / "movies.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["movieId", "title", "genres"])
        for m in range(1, n_movies + 1):
            w.writerow([m, f"Film number {m} ({1950 + m})", genre(m)])
    with open(root / "ratings.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["userId", "movieId", "rating", "timestamp"])
        for u in range(1, n_users + 1):
            love, hate = GENRES[u % 6], GENRES[(u + 3) % 6]
            of = lambda g: [m for m in range(1, n_movies + 1) if genre(m) == g]  # noqa: E731
            rest = [m for m in range(1, n_movies + 1) if genre(m) not in (love, hate)]
            rated = [(m, 5.0) for m in rng.choice(of(love), 6, replace=False)] + [(m, 1.0) for m in rng.choice(of(hate), 4, replace=False)] \
                + [(m, 3.0) for m in rng.choice(rest, 10, replace=False)]
            for n, (m, stars) in enumerate(rated):
                w.writerow([u, m, stars, 1_000_000_000 + 1000 * u + n])
    with open(root / "links.csv", "w", newline="") as f:
        csv.writer(f).writerows([["movieId", "imdbId", "tmdbId"], [1, "0114709", "862"]])
    (root / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,1,pixar,1\n2,1,Pixar,2\n3,1,toys,3\n")
    return root


def test_a_small_movielens_folder_becomes_items_users_ratings_and_personas(fast_settings, tmp_path):
    s = fast_settings.with_(corpus="movielens")
    root = _tiny_movielens(tmp_path / "ml")
    rep = build(s, root=root, log=lambda *a: None)
    assert rep["items"] == 60 and rep["ratings"] == 30 * 20 and rep["ratings_loaded"]
    from generec.store import open_store

    store = open_store(s.db_url)
    it = store.get_item("movie-1")
    assert it.title == "Film number 1 (1951)" and it.tags == ["horror"] and it.media_path == "" and it.origin == "human"
    assert "pixar" in it.description and it.source["imdbId"] == "0114709" and "non-commercial" in it.licence
    assert len(store.list_users()) == 30
    # every rating is an interaction of the user who made it, kind by stars, stars kept as the value
    evs = store.interactions(user="ml-1")
    assert len(evs) == 20 and all(e.session == "movielens" for e in evs)
    assert {(e.kind, e.value) for e in evs} <= {("like", 5.0), ("dislike", 1.0), ("play", 3.0)}
    assert rating_kind(4.0) == "like" and rating_kind(2.0) == "dislike" and rating_kind(3.5) == "play"
    # personas: real users, labelled so, one per genre they rate highest
    ps = personas(s)
    assert len(ps) == 6 and all(p["display"] == f"real MovieLens user {p['movielens_user']}" for p in ps)
    for p in ps:
        user = store.get_user(p["name"])
        assert user.display == p["display"] and not user.simulated and "Real MovieLens rating history" in user.bio
    assert ps[0]["bio"].endswith("rates Animation highest.")
    # idempotent: a second build loads nothing twice and reuses the fitted model
    again = build(s, root=root, log=lambda *a: None)
    assert not again["ratings_loaded"] and again["new"] == 0 and again["recsys"].get("reused")
    assert store.count("interactions") == 30 * 20
    store.close()


def test_the_feed_serves_movies_to_a_real_user_and_learns_from_a_new_one(fast_settings, tmp_path):
    from generec.app import GeneRec

    s = fast_settings.with_(corpus="movielens", diversity=0.0)
    build(s, root=_tiny_movielens(tmp_path / "ml"), log=lambda *a: None)
    app = GeneRec(s)
    assert app.feed.weights.exclude_seen
    persona = personas(s)[0]["name"]                 # loves Animation (movieId % 6 == 0), rated 6 of its 10
    prof = build_profile(app.store, persona)
    picks = app.feed.recommend(prof, "", k=3)
    assert picks and not {p.item.id for p in picks} & prof.seen        # nothing already rated
    assert all(int(p.item.id.split("-")[1]) % 6 == 0 for p in picks)   # the genre this user loves
    assert app.feed.live.fits == 0                                     # the build's model, loaded
    # a brand-new person: popularity first, then their own likes, at once
    app.store.upsert_user(User(name="newbie"))
    cold = app.feed.recommend(build_profile(app.store, "newbie"), "", k=3)
    assert cold and all(p.why == "Popular with other viewers" for p in cold)
    for m in (3, 9, 15):                             # three Sci-Fi films (movieId % 6 == 3)
        app.feedback("newbie", f"movie-{m}", "like")
    warm = app.feed.recommend(build_profile(app.store, "newbie"), "", k=3)
    assert all(int(p.item.id.split("-")[1]) % 6 == 3 for p in warm)
    assert not {"movie-3", "movie-9", "movie-15"} & {p.item.id for p in warm}


@pytest.mark.skipif(not (DATASET / "ratings.csv").exists(), reason="ml-latest-small is not committed here")
def test_the_real_ml_latest_small_builds_fast_and_serves_its_real_users(fast_settings):
    s = fast_settings.with_(corpus="movielens", threads=2)
    rep = build_corpus(s, log=lambda *a: None)          # dispatches on the corpus setting
    assert rep["items"] == 9125 and rep["ratings"] == 100004 and len(rep["personas"]) == 6
    assert rep["seconds"] < 120, rep["timings"]
    from generec.app import GeneRec

    app = GeneRec(s)
    assert len(app.store.list_users()) == 671 and app.store.count("interactions") == 100004
    p = personas(s)[0]
    prof = build_profile(app.store, p["name"])
    picks = app.feed.recommend(prof, "", k=5)
    assert len(picks) == 5 and not {x.item.id for x in picks} & prof.seen
    assert all(x.parts["taste"] > 0.5 for x in picks) and all(x.item.media_path == "" for x in picks)
    feed = Feed(app.catalog)
    assert feed.recommend(prof, "", k=5)[0].item.id == picks[0].item.id    # a second process: same answer
