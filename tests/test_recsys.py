"""Recommenders on data whose right answer is known by construction, metrics against ranx,
the online feedback loop, preferences, cold start, diversity, and the MovieLens loaders."""
from __future__ import annotations

import numpy as np
import pytest

from generec.recsys import Interactions, Preferences, make_recommender
from generec.bench.recsys import rank_users
from generec.recsys.feedback import apply_event, event_weight
from generec.recsys.metrics import ndcg_at_k, recall_at_k
from generec.recsys.rerank import exposure_share, intra_list_diversity, mmr, novelty
from generec.recsys.split import positives, temporal_split

ALL = ["pop", "itemknn", "ease", "als", "content", "hybrid"]
PERSONAL = ["itemknn", "ease", "als", "content", "hybrid"]
A = [f"i{j}" for j in range(10)]       # community A's items
B = [f"i{j}" for j in range(10, 20)]   # community B's items


def _vectors(dim=16, seed=1):
    """Items of a community sit around that community's centre (content agrees with behaviour)."""
    rng = np.random.default_rng(seed)
    centre_a, centre_b = np.eye(dim, dtype=np.float32)[0], np.eye(dim, dtype=np.float32)[1]
    V = np.array([(centre_a if j < 10 else centre_b) + 0.15 * rng.standard_normal(dim) for j in range(20)], np.float32)
    return V / np.linalg.norm(V, axis=1, keepdims=True), centre_a, centre_b


@pytest.fixture(scope="module")
def world():
    """40 users in two disjoint communities, each liking 6 of its 10 items, plus one mixed user."""
    rng = np.random.default_rng(0)
    users, items = [], []
    for u in range(40):
        block = A if u < 20 else B
        for j in rng.choice(10, size=6, replace=False):
            users.append(f"u{u}")
            items.append(block[j])
    for it in ["i0", "i1", "i2", "i10", "i11", "i12"]:
        users.append("mix")
        items.append(it)
    V, ca, cb = _vectors()
    return Interactions(users, items), V, ca, cb


KW = {"als": {"factors": 2}}  # two communities: two factors (more would memorise 20 items)


def _fit(name, world):
    log, V, _, _ = world
    return make_recommender(name, **KW.get(name, {})).fit(log, A + B, V)


def _rank(model, user, item_ids, **kw):
    ranking = [i for i, _ in model.recommend(user, k=100, **kw)]
    return float(np.mean([ranking.index(i) for i in item_ids]))


def _seen(log, user):
    return {i for u, i in zip(log.users, log.items) if u == user}


@pytest.mark.parametrize("name", PERSONAL)
def test_recommends_the_unseen_items_of_the_users_community(name, world):
    model = _fit(name, world)
    for user, block in [("u0", A), ("u25", B)]:
        unseen = set(block) - _seen(world[0], user)
        top = [i for i, _ in model.recommend(user, k=len(unseen))]
        assert set(top) == unseen


def test_popularity_ranks_by_number_of_users():
    log = Interactions([f"u{n}" for j in range(5) for n in range(j + 1)], [f"p{j}" for j in range(5) for _ in range(j + 1)])
    model = make_recommender("pop").fit(log, [f"p{j}" for j in range(5)])
    assert [i for i, _ in model.recommend("u3", k=5)] == ["p2", "p1", "p0"]  # u3 has seen p3 and p4
    assert [i for i, _ in model.recommend("stranger", k=2)] == ["p4", "p3"]


@pytest.mark.parametrize("name", ALL)
def test_contract_on_known_unknown_and_empty_inputs(name, world):
    model = _fit(name, world)
    recs = model.recommend("u3", k=5)
    assert len(recs) == 5 and not {i for i, _ in recs} & _seen(world[0], "u3")
    assert len({i for i, _ in recs}) == 5
    assert [s for _, s in recs] == sorted((s for _, s in recs), reverse=True)
    assert "i4" not in [i for i, _ in model.recommend("u3", k=20, exclude=["i4"])]
    stranger = model.recommend("nobody", k=5)  # unknown user: the most popular items
    assert len(stranger) == 5
    assert len(model.similar_items("i0", k=3)) == 3 and "i0" not in [i for i, _ in model.similar_items("i0", k=3)]
    assert len(model.similar_items("no-such-item", k=3)) == 3
    V = world[1]
    empty = make_recommender(name).fit(Interactions([], []), A + B, V)  # a catalogue nobody has touched
    assert len(empty.recommend("nobody", k=4)) == 4
    assert make_recommender(name).fit(Interactions([], [])).recommend("nobody") == []


def test_factory_rejects_unknown_names():
    with pytest.raises(ValueError, match="hybrid"):
        make_recommender("deep-magic")


def test_batch_ranking_used_by_the_bench_equals_recommend(world):
    model = _fit("hybrid", world)
    users = ["u0", "u7", "u30", "mix"]
    batch = rank_users(model, users, 5)
    for u in users:
        assert batch[u] == [i for i, _ in model.recommend(u, k=5)]


@pytest.mark.parametrize("name", PERSONAL)
def test_a_like_lifts_similar_items_and_a_dislike_sinks_them_in_the_next_call(name, world):
    others = [f"i{j}" for j in range(4, 10)]  # A items the mixed user has not seen, besides i3
    model = _fit(name, world)
    before = _rank(model, "mix", others)
    model.update("mix", "i3", event_weight("like"))
    after_like = _rank(model, "mix", others)
    assert after_like < before
    disliker = _fit(name, world)
    apply_event(disliker, "mix", "i3", "dislike")
    assert _rank(disliker, "mix", others) > before
    assert "i3" not in [i for i, _ in disliker.recommend("mix", k=20)]  # judged items are not offered again


def test_refit_folds_the_event_log_in(world):
    model = _fit("ease", world)
    model.update("newcomer", "i10", 1.0)
    model.update("newcomer", "i11", 1.0)
    assert model.X_train.shape[0] == 41  # online: the trained matrix is untouched
    model.refit()
    assert "newcomer" in model.users.ids and model.X_train.shape[0] == 42
    top = [i for i, _ in model.recommend("newcomer", k=3)]
    assert set(top) <= set(B) - {"i10", "i11"}


@pytest.mark.parametrize("name", ALL)
def test_stated_preferences_reorder_the_list(name, world):
    _, _, _, centre_b = world
    model = _fit(name, world)
    b_unseen = [f"i{j}" for j in range(13, 20)]
    base = _rank(model, "mix", b_unseen)
    assert _rank(model, "mix", b_unseen, preferences=Preferences(less=[centre_b])) > base
    assert _rank(model, "mix", b_unseen, preferences=Preferences(more=[centre_b])) < base


def test_request_vector_steers_the_hybrid(world):
    _, _, centre_a, centre_b = world
    model = _fit("hybrid", world)
    assert model.recommend("u0", k=1)[0][0] in A
    assert model.recommend("u0", k=1, request_vector=centre_b)[0][0] in B
    assert model.recommend("nobody", k=1, request_vector=centre_a)[0][0] in A


@pytest.mark.parametrize("name", ["hybrid", "content"])
def test_a_new_item_with_no_interactions_ranks_by_content(name, world):
    _, V, centre_a, _ = world
    model = _fit(name, world)
    new = centre_a + 0.05 * V[1]
    model.add_items(["generated-1"], (new / np.linalg.norm(new))[None, :])
    top = [i for i, _ in model.recommend("u0", k=5)]
    assert "generated-1" in top
    ranking = [i for i, _ in model.recommend("u0", k=30)]
    assert all(ranking.index("generated-1") < ranking.index(b) for b in B)
    _, _, _, centre_b = world
    model.add_items(["generated-2"], centre_b[None, :])  # a second batch joins the first
    assert "generated-2" in [i for i, _ in model.recommend("u25", k=5)]
    assert "generated-2" not in [i for i, _ in model.recommend("u0", k=5)]


def test_mmr_trades_relevance_for_variety():
    near = np.array([1.0, 0.0, 0.0], np.float32)
    V = np.stack([near, near + [0, 0.01, 0], near + [0, 0, 0.01], [0.0, 1.0, 0.0]])
    cands = [("dup1", 1.0), ("dup2", 0.99), ("dup3", 0.98), ("other", 0.7)]
    assert [i for i, _ in mmr(cands, V, 2, 0.0)] == ["dup1", "dup2"]  # no diversity: the model's order
    assert [i for i, _ in mmr(cands, V, 2, 0.5)] == ["dup1", "other"]


def test_recommend_with_diversity_still_honours_the_contract(world):
    model = _fit("hybrid", world)
    recs = model.recommend("u0", k=6, diversity=0.7)
    assert len({i for i, _ in recs}) == 6 and not {i for i, _ in recs} & _seen(world[0], "u0")
    # Four unseen A items fill a plain top-4; diversity lets a B item in.
    assert {i for i, _ in model.recommend("u0", k=4)} <= set(A)
    assert {i for i, _ in model.recommend("u0", k=4, diversity=0.7)} & set(B)


def test_exposure_and_novelty_reports():
    rankings = {"a": ["h1", "g1"], "b": ["g1", "h2"]}
    share = exposure_share(rankings, {"h1": "human", "h2": "human", "g1": "ai_created"}, discount=False)
    assert share == {"ai_created": 0.5, "human": 0.5}
    weighted = exposure_share(rankings, {"h1": "human", "h2": "human", "g1": "ai_created"})
    assert weighted["ai_created"] == pytest.approx(0.5) and sum(weighted.values()) == pytest.approx(1.0)
    assert novelty({"a": ["x"]}, {"x": 3}, n_users=7) == pytest.approx(1.0)  # -log2(4/8)
    V = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    ids = {"s1": 0, "s2": 1, "o": 2}
    lookup = lambda xs: np.array([ids[x] for x in xs])
    assert intra_list_diversity({"u": ["s1", "s2"]}, V, lookup) == pytest.approx(0.0)
    assert intra_list_diversity({"u": ["s1", "o"]}, V, lookup) == pytest.approx(1.0)


def test_metrics_agree_with_ranx():
    ranx = pytest.importorskip("ranx")
    rng = np.random.default_rng(7)
    truth, rankings = {}, {}
    for q in range(30):
        truth[f"q{q}"] = [f"d{d}" for d in rng.choice(60, size=int(rng.integers(1, 25)), replace=False)]
        rankings[f"q{q}"] = [f"d{d}" for d in rng.permutation(60)[:20]]
    qrels = ranx.Qrels({q: {d: 1 for d in ds} for q, ds in truth.items()})
    run = ranx.Run({q: {d: float(20 - r) for r, d in enumerate(ds)} for q, ds in rankings.items()})
    for k in (5, 10, 20):
        ours_ndcg = np.mean([ndcg_at_k(rankings[q], truth[q], k) for q in truth])
        ours_recall = np.mean([recall_at_k(rankings[q], truth[q], k, cap=False) for q in truth])
        assert ours_ndcg == pytest.approx(ranx.evaluate(qrels, run, f"ndcg@{k}"), abs=1e-9)
        assert ours_recall == pytest.approx(ranx.evaluate(qrels, run, f"recall@{k}"), abs=1e-9)
    short = [q for q in truth if len(truth[q]) <= 10]  # where min(k, relevant) = relevant
    capped = np.mean([recall_at_k(rankings[q], truth[q], 10) for q in short])
    assert capped == pytest.approx(ranx.evaluate(ranx.Qrels({q: {d: 1 for d in truth[q]} for q in short}),
                                                 ranx.Run({q: run[q] for q in short}), "recall@10"), abs=1e-9)


def test_temporal_split_holds_out_each_users_latest_fifth_of_positives():
    users = ["a"] * 10 + ["b"] * 4
    items = [f"x{j}" for j in range(10)] + ["y0", "y1", "y2", "y3"]
    stars = np.array([5, 4, 4, 5, 5, 4, 5, 5, 4, 3.5, 5, 5, 5, 5], np.float32)
    stamps = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4], np.float64)  # a's log runs backwards in time
    train, test = temporal_split(positives(Interactions(users, items, stars, stamps)))
    # a has 9 positives (x9 is 3.5 stars): floor(0.2 * 9) = 1 held out, the latest (x0).
    # b has 4: floor(0.8) = 0, so b is not tested and keeps everything for training.
    assert test == {"a": ["x0"]}
    assert len(train) == 12 and set(train.weights) == {1.0}


def test_watch_time_maps_to_a_graded_weight():
    assert event_weight("watch", 3, 30) < 0 < event_weight("watch", 20, 30) < event_weight("watch", 30, 30) < event_weight("like")
    assert event_weight("impression") == 0.0
    with pytest.raises(ValueError):
        event_weight("teleport")


def test_movielens_latest_small_is_committed_and_loads():
    from generec.recsys.data import load

    data = load("ml-latest-small")
    assert len(data.ratings) == 100004 and len(data.item_ids) == 9125
    assert data.texts[0].startswith("Toy Story (1995)")


def test_ease_on_ml100k_reproduces_the_reference_figure():
    from generec.recsys.data import load, recbole_dir

    try:
        found = (recbole_dir() / "ml-100k.inter").exists()
    except FileNotFoundError:
        found = False
    if not found:
        pytest.skip("ml-100k comes from the recbole wheel, which is not installed")
    data = load("ml-100k")
    train, test = temporal_split(positives(data.ratings))
    model = make_recommender("ease").fit(train, data.item_ids)
    rankings = rank_users(model, list(test), 10)
    ndcg = np.mean([ndcg_at_k(rankings[u], t, 10) for u, t in test.items()])
    assert 0.150 <= ndcg <= 0.160  # measured 0.155; the notes' reference is 0.154


def test_ivf_index_finds_exact_neighbours_when_probing_every_cell_and_removes_by_id():
    pytest.importorskip("faiss")
    from generec.bench.ann import build_ivf, synthetic_vectors

    X = synthetic_vectors(3000, dim=32, latent=8)
    index = build_ivf(X[:2900], nlist=16)
    index.nprobe = 16
    exact = np.argsort(-(X[2900:] @ X[:2900].T), axis=1)[:, :10]
    found = index.search(X[2900:], 10)[1]
    assert np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)]) > 0.99
    assert index.remove_ids(np.array([int(found[0][0])], np.int64)) == 1
    assert int(found[0][0]) not in index.search(X[2900:2901], 10)[1][0]


def test_global_split_cuts_the_whole_log_at_one_moment():
    from generec.recsys.split import global_split

    users = ["a"] * 5 + ["b"] * 5 + ["c"]
    items = [f"x{j}" for j in range(5)] + [f"y{j}" for j in range(5)] + ["z0"]
    stamps = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10.5], np.float64)
    train, test = global_split(Interactions(users, items, np.ones(11, np.float32), stamps), holdout=0.25)
    # the cut is the 75th percentile of time (8.0): later rows are held out; c has nothing earlier, so is not tested
    assert test == {"b": ["y3", "y4"]} and len(train) == 8
    assert max(train.timestamps) <= 8.0


def test_bootstrap_interval_holds_the_mean_and_narrows_with_more_users():
    from generec.bench.recsys import bootstrap_ci

    rng = np.random.default_rng(3)
    few, many = rng.random(30), rng.random(3000)
    lo, hi = bootstrap_ci(few)
    assert lo < few.mean() < hi
    lo2, hi2 = bootstrap_ci(many)
    assert lo2 < many.mean() < hi2 and (hi2 - lo2) < (hi - lo) / 5
    assert bootstrap_ci(np.ones(50)) == (1.0, 1.0)


def test_a_bootstrap_over_groups_is_wider_when_users_of_a_group_agree():
    """Six taste groups of three users each, every user a copy of the group's value: resampling users
    treats 18 draws as independent; resampling groups knows there are six."""
    from generec.bench.recsys import bootstrap_ci

    per_group = np.random.default_rng(5).random(6)
    values, groups = np.repeat(per_group, 3), np.repeat(np.arange(6), 3)
    lo, hi = bootstrap_ci(values)
    glo, ghi = bootstrap_ci(values, groups=groups)
    assert glo < values.mean() < ghi and (ghi - glo) > 1.3 * (hi - lo)
    # one user per group: the same draws as resampling users
    assert bootstrap_ci(per_group, groups=np.arange(6), seed=1) == pytest.approx(bootstrap_ci(per_group, seed=1))


def _first_users_only(monkeypatch, n: int = 60):
    """ml-latest-small cut to its first `n` users, served by `recsys.data.load` for the test."""
    import dataclasses

    from generec.recsys import data as recsys_data

    full = recsys_data.load("ml-latest-small")
    first = sorted(set(full.ratings.users))[:n]
    small = dataclasses.replace(full, ratings=full.ratings.take(np.flatnonzero(np.isin(full.ratings.users, first))))
    monkeypatch.setattr(recsys_data, "load", lambda name: small)
    return small


def test_bench_recsys_gives_every_model_the_same_decay_with_intervals_and_ablations(monkeypatch):
    from generec.bench import recsys as bench
    from generec.recsys import factory

    _first_users_only(monkeypatch)
    made, make = [], factory.make_recommender
    monkeypatch.setattr(factory, "make_recommender", lambda name, **kw: made.append((name, kw.get("decay"))) or make(name, **kw))
    res = bench.run_recsys("ml-latest-small", ["pop", "ease", "hybrid"], vectors=False, log=lambda *a: None, decay=0.8, ablate=True)
    assert made.count(("ease", 1.0)) == 1 and {d for m, d in made if (m, d) != ("ease", 1.0)} == {0.8}
    assert set(res["models"]) == {"pop", "ease", "hybrid", "ease-nodecay", "hybrid-no-ease", "hybrid-no-itemknn", "hybrid-no-als", "hybrid-no-content"}
    for name, ci in res["intervals"].items():
        lo, hi = ci["ndcg@10_ci95"]
        assert lo <= res["models"][name]["ndcg@10"] <= hi
    assert res["intervals"]["hybrid"]["ndcg@10_minus_default_ci95"] == [0.0, 0.0]
    assert "hybrid-no-content" in bench._table(res) and res["users"] <= 60


def test_the_blend_is_tuned_inside_the_training_data(monkeypatch):
    from generec.bench import recsys as bench
    from generec.recsys import split

    small = _first_users_only(monkeypatch)
    seen, cut = [], split.temporal_split
    monkeypatch.setattr(split, "temporal_split", lambda log, *a: seen.append(len(log)) or cut(log, *a))
    res = bench.tune_blend("ml-latest-small", vectors=False, decays=(1.0, 0.9), log=lambda *a: None)
    # the second split cuts the first one's training half: the test half never reaches the grid
    assert len(seen) == 2 and seen[1] == len(cut(split.positives(small.ratings))[0])
    assert res["blends"] == 2 * (3 ** 3 - 1) and res["shipped"] is not None
    assert [r["ndcg@10"] for r in res["best"]] == sorted((r["ndcg@10"] for r in res["best"]), reverse=True)
    assert res["best"][0]["ndcg@10"] >= res["shipped"]["ndcg@10"]


def test_sasrec_learns_a_sequential_pattern_that_a_bag_of_items_model_cannot_see():
    """Items sit on a cycle and every user walks it one step at a time, so the next item is the one
    after the user's latest: order says which of the two ends of the walk comes next; a bag of
    items (EASE) sees both ends alike."""
    from generec.bench.sasrec import SASRec

    rng = np.random.default_rng(0)
    n, walk = 24, 6
    cycle = [f"c{j}" for j in rng.permutation(n)]
    users, items, stamps, nxt = [], [], [], {}
    for u in range(240):
        start = int(rng.integers(n))
        for t in range(walk):
            users.append(f"u{u}")
            items.append(cycle[(start + t) % n])
            stamps.append(t)
        nxt[f"u{u}"] = cycle[(start + walk) % n]
    log = Interactions(users, items, np.ones(len(users), np.float32), np.array(stamps, np.float64))
    model = SASRec(dim=32, max_len=8, dropout=0.1, epochs=40, seed=0).fit(log, cycle)
    assert model.best_epochs == 40 and model.history == []   # fixed epochs: no validation run
    test_users = list(nxt)[:80]
    top1 = rank_users(model, test_users, 1)
    sas_hits = np.mean([top1[u] == [nxt[u]] for u in test_users])
    ease_top1 = rank_users(make_recommender("ease").fit(log, cycle), test_users, 1)
    ease_hits = np.mean([ease_top1[u] == [nxt[u]] for u in test_users])
    assert sas_hits >= 0.9 and ease_hits <= 0.7, (sas_hits, ease_hits)
    # the walk's own items are never offered again, and a stranger gets the popularity fallback
    top5 = rank_users(model, test_users[:5], 5)
    assert all(not set(top5[u]) & {i for v, i in zip(users, items) if v == u} for u in top5)
    assert len(model.recommend("nobody", k=3)) == 3


def test_bench_recsys_runs_sasrec_beside_the_others_with_epochs_chosen_inside_training(monkeypatch):
    from generec.bench import recsys as bench
    from generec.bench import sasrec
    from generec.recsys import split

    _first_users_only(monkeypatch)
    made, cls = [], sasrec.SASRec
    monkeypatch.setattr(sasrec, "SASRec", lambda **kw: made.append(cls(max_epochs=3, patience=1, dim=16, **kw)) or made[-1])
    seen, cut = [], split.temporal_split
    monkeypatch.setattr(split, "temporal_split", lambda log, *a: seen.append(len(log)) or cut(log, *a))
    res = bench.run_recsys("ml-latest-small", ["pop", "hybrid", "sasrec"], vectors=False, log=lambda *a: None)
    assert set(res["models"]) == {"pop", "hybrid", "sasrec"} and made[0].decay == 0.9
    # the bench cuts the positives once; SASRec's validation cuts only that training half again
    assert len(seen) == 2 and seen[1] == len(made[0]._train) < seen[0]
    assert 1 <= made[0].best_epochs <= 3 and made[0].history
    lo, hi = res["intervals"]["sasrec"]["ndcg@10_ci95"]
    assert lo <= res["models"]["sasrec"]["ndcg@10"] <= hi
    assert res["intervals"]["sasrec"]["ndcg@10_minus_default_ci95"] is not None
