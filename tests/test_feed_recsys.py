"""The chat's feed ranking with the default recommender over the store's log: collaborative
signal, online updates from stored events, retrain, cold start, diversity, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generec.config import ROOT, Settings
from generec.recsys.feed import Feed
from generec.recsys.profile import build_profile
from generec.app import GeneRec
from generec.types import Interaction, Item, User

# Titles share no words, so the hash embedder sees no content link between them: any link the
# feed finds between "kite" and "lamp" can only come from who liked what.
ITEMS = [("kite", "Kite festival", ["kite"]), ("lamp", "Lamp workshop", ["lamp"]),
         ("moss", "Moss garden", ["moss"]), ("nest", "Nest building", ["nest"]),
         ("opal", "Opal mine", ["opal"]), ("pier", "Pier sunset", ["pier"])]


@pytest.fixture
def app(fast_settings):
    a = GeneRec(fast_settings.with_(llm="fake", diversity=0.0))
    media = a.settings.media_dir
    media.mkdir(parents=True)
    items = []
    for n, (item_id, title, tags) in enumerate(ITEMS):
        Image.new("RGB", (32, 32), (40 * n, 30, 200 - 30 * n)).save(media / f"{item_id}.jpg")
        items.append(Item(id=item_id, title=title, tags=tags, cover_path=f"media/{item_id}.jpg", duration_s=20.0))
    a.catalog.add(items)
    # 8 people like kite+lamp together; 12 like moss+nest (the more popular pair).
    events = []
    for u in range(20):
        name = f"u{u}"
        a.store.upsert_user(User(name=name))
        pair = ("kite", "lamp") if u < 8 else ("moss", "nest")
        events += [Interaction(name, i, "like", at=1000.0 + u) for i in pair]
    a.store.record_many(events)
    for name in ("alice", "bob"):
        a.store.upsert_user(User(name=name))
    return a


def ranked(app, user, text="", **kw):
    picks = app.feed.recommend(build_profile(app.store, user), text, k=len(ITEMS) + 5, **kw)
    return [p.item.id for p in picks], {p.item.id: p for p in picks}


def test_a_like_brings_what_others_liked_with_it_in_the_next_answer_without_a_retrain(app):
    before, picks = ranked(app, "alice")
    assert before.index("moss") < before.index("lamp") and before.index("nest") < before.index("lamp")  # popularity
    assert picks["moss"].why == "Popular with other viewers"
    fits = app.feed.live.fits
    app.feedback("alice", "kite", "like")                       # stored, as the chat stores a 👍
    after, picks = ranked(app, "alice")
    assert after.index("lamp") < after.index("moss") and after.index("lamp") < after.index("nest")
    assert picks["lamp"].parts["taste"] == pytest.approx(app.feed.weights.taste)   # the best new item for alice
    assert picks["lamp"].why == "People who liked “Kite festival” also liked it"
    assert app.feed.live.fits == fits and app.feed.live.online == 1   # online update, not a refit


def test_skip_watch_and_dislike_each_move_the_next_answer(app):
    app.feedback("alice", "moss", "like")
    base = ranked(app, "alice")[1]["lamp"].parts["taste"]
    app.feedback("alice", "kite", "skip")
    skipped = ranked(app, "alice")[1]["lamp"].parts["taste"]
    assert skipped < base                                        # a skip pushes kite's companions down
    app.feedback("alice", "kite", "watch", value=20.0)           # then watched it to the end (20 s)
    watched = ranked(app, "alice")[1]["lamp"].parts["taste"]
    assert watched > skipped
    app.feedback("bob", "moss", "like")
    app.feedback("bob", "kite", "dislike")
    order, picks = ranked(app, "bob")
    assert "kite" not in order                                   # a disliked item never returns
    assert picks["lamp"].parts["taste"] < 0 < picks["nest"].parts["taste"]


def test_retrain_folds_the_log_in_and_another_process_picks_the_model_up(app):
    app.feedback("alice", "kite", "like")
    ranked(app, "alice")
    rep = app.feed.retrain()
    assert rep["events"] == 41 and (app.settings.data_dir / "recsys" / "live-hybrid.pkl").exists()
    assert app.feed.live.online == 0 and "alice" in app.feed.live.model.users.ids
    other = Feed(app.catalog)                                    # e.g. the app, after `recsys retrain`
    other.live.sync()
    assert other.live.fits == 0 and other.live.fit_mark == app.feed.live.fit_mark
    app.feedback("alice", "lamp", "like")
    app.feed.live.retrain()                                      # a retrain elsewhere ...
    assert other.live.sync() == 0 and other.live.fit_mark == app.feed.live.fit_mark   # ... is loaded, not refitted


def test_a_model_saved_by_other_code_is_refitted_not_loaded(app, monkeypatch):
    import generec.recsys.live as live

    app.feed.retrain()
    monkeypatch.setattr(live, "code_version", lambda: "changed")
    fresh = Feed(app.catalog)
    fresh.live.sync()
    assert fresh.live.fits == 1 and fresh.live.model is not app.feed.live.model


def test_the_cli_retrain_and_status(app, monkeypatch, capsys):
    import json

    from generec.cli.recsys import main

    monkeypatch.setenv("GENEREC_DATA_DIR", str(app.settings.data_dir))
    monkeypatch.setenv("GENEREC_EMBEDDER", "hash")
    assert main(["retrain", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["events"] == 40 and out["items"] == len(ITEMS) and out["saved"].endswith("live-hybrid.pkl")
    app.feedback("alice", "kite", "like")
    assert main(["status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["newest_event_id"] == st["covers_events_up_to_id"] + 1


def test_enough_new_events_trigger_a_background_retrain(app):
    ranked(app, "alice")
    app.feed.live.retrain_after = 3
    for item_id in ("kite", "lamp", "opal"):
        app.feedback("alice", item_id, "like")
    ranked(app, "alice")
    app.feed.live._bg.join(30)
    assert app.feed.live.fits == 2 and app.feed.live.online == 0
    assert app.feed.live.model.X_train[app.feed.live.model.users.get("alice")].nnz == 3


def test_a_generated_item_nobody_has_touched_ranks_by_content(app):
    app.feedback("alice", "kite", "like")
    ranked(app, "alice")
    Image.new("RGB", (32, 32), "orange").save(app.settings.media_dir / "kite-remix.jpg")
    app.catalog.add([Item(id="kite-remix", title="Kite festival remix", tags=["kite"], cover_path="media/kite-remix.jpg",
                          origin="ai_created", visibility="private", owner="alice", duration_s=10.0)])
    order, picks = ranked(app, "alice")
    assert app.feed.live.is_cold("kite-remix")
    assert picks["kite-remix"].parts["taste"] > 0                # borrowed from its content neighbours
    assert order.index("kite-remix") < order.index("moss")       # its likeness to kite outweighs popularity
    assert "kite-remix" not in ranked(app, "bob")[0]             # private: only its owner sees it
    assert "kite-remix" not in ranked(app, "alice", real_only=True)[0]


def test_stated_preferences_and_the_request_still_steer(app):
    app.feedback("alice", "kite", "like")
    assert ranked(app, "alice", "opal mine")[0][0] == "opal"
    assert ranked(app, "alice", "", avoid=["lamp workshop"])[0].index("lamp") > ranked(app, "alice")[0].index("lamp")
    before = ranked(app, "alice")[0].index("pier")
    app.store.set_preferences("alice", {"include": ["pier sunset"]})
    assert ranked(app, "alice")[0].index("pier") < before


def test_bad_input_falls_back_without_exceptions(app, fast_settings):
    feed = app.feed
    # unknown ids, an unknown user, events on an item that has since left the corpus
    app.store.upsert_user(User(name="carol"))
    app.store.record(Interaction("carol", "gone-item", "like"))
    order, picks = ranked(app, "carol", exclude=("no-such-item",))
    assert set(order) == {i for i, _, _ in ITEMS}
    assert feed.live.taste("nobody-at-all", ["kite", "moss", "???"])[1] == "popularity"
    assert feed.live.because("nobody", "???", ["kite"]) is None and feed.live.is_cold("???")
    app.catalog.remove("opal")
    app.feedback("alice", "kite", "like")
    assert "opal" not in ranked(app, "alice")[0]
    # a corpus with no interactions at all: the request (content) decides, nothing is "popular"
    empty = GeneRec(fast_settings.with_(data_dir=fast_settings.data_dir / "empty", diversity=0.0))
    empty.settings.media_dir.mkdir(parents=True)
    Image.new("RGB", (32, 32), "red").save(empty.settings.media_dir / "a.jpg")
    Image.new("RGB", (32, 32), "blue").save(empty.settings.media_dir / "b.jpg")
    empty.catalog.add([Item(id="a", title="Apple orchard", tags=["apple"], cover_path="media/a.jpg"),
                       Item(id="b", title="Bridge at night", tags=["bridge"], cover_path="media/b.jpg")])
    empty.store.upsert_user(User(name="dan"))
    prof = build_profile(empty.store, "dan")
    picks = empty.feed.recommend(prof, "bridge at night", k=2)
    assert [p.item.id for p in picks] == ["b", "a"] and "taste" not in picks[0].parts
    assert len(empty.feed.recommend(prof, "", k=5)) == 2
    assert empty.feed.recommend(prof, "x", k=0) == []
    # an empty catalogue
    bare = GeneRec(fast_settings.with_(data_dir=fast_settings.data_dir / "bare"))
    bare.store.upsert_user(User(name="eve"))
    assert bare.feed.recommend(build_profile(bare.store, "eve"), "anything") == []


def test_diversity_knob_spreads_an_answer(fast_settings):
    app = GeneRec(fast_settings.with_(diversity=0.0))
    app.settings.media_dir.mkdir(parents=True)
    specs = [("apple-1", "Red apple harvest one", ["apple", "red"]), ("apple-2", "Red apple harvest two", ["apple", "red"]),
             ("apple-3", "Red apple harvest three", ["apple", "red"]), ("pear", "Red pear picking", ["pear"])]
    for item_id, *_ in specs:
        Image.new("RGB", (32, 32), "red").save(app.settings.media_dir / f"{item_id}.jpg")
    app.catalog.add([Item(id=i, title=t, tags=g, cover_path=f"media/{i}.jpg") for i, t, g in specs])
    app.store.upsert_user(User(name="fay"))
    prof = build_profile(app.store, "fay")
    plain = [p.item.id for p in app.feed.recommend(prof, "red apple harvest", k=2)]
    # MMR: (1 - d) * relevance - d * similarity to what is already picked. The apples are 0.82
    # alike, the pear 0.37 like them, so the pear takes the second slot from d ~ 0.69 on.
    mild = [p.item.id for p in app.feed.recommend(prof, "red apple harvest", k=2, diversity=0.5)]
    spread = [p.item.id for p in app.feed.recommend(prof, "red apple harvest", k=2, diversity=0.75)]
    assert all(i.startswith("apple") for i in plain + mild)
    assert spread[0].startswith("apple") and spread[1] == "pear"
    assert Feed(app.catalog, diversity=0.6).diversity == 0.6


def test_settings_for_diversity_and_the_movie_corpus(tmp_path):
    assert Settings.from_env({}).diversity == 0.1
    assert Settings.from_env({"GENEREC_DIVERSITY": "0.4"}).diversity == 0.4
    with pytest.raises(ValueError, match="between 0 and 1"):
        Settings.from_env({"GENEREC_DIVERSITY": "3"})
    with pytest.raises(ValueError, match="movielens"):
        Settings.from_env({"GENEREC_CORPUS": "tiktok"})
    ml = Settings.from_env({"GENEREC_CORPUS": "movielens"})
    assert ml.data_dir == ROOT / "data" / "movielens" and Settings.from_env({}).data_dir == ROOT / "data"
    assert Settings.from_env({"GENEREC_CORPUS": "movielens", "GENEREC_DATA_DIR": str(tmp_path)}).data_dir == tmp_path.resolve()


def test_exposure_report_counts_ai_made_and_human_items(app):
    from generec.bench.feed import exposure_report

    Image.new("RGB", (32, 32), "orange").save(app.settings.media_dir / "kite-remix.jpg")
    app.catalog.add([Item(id="kite-remix", title="Kite festival remix", tags=["kite"], cover_path="media/kite-remix.jpg",
                          origin="ai_created", visibility="private", owner="alice", duration_s=10.0)])
    app.feedback("alice", "kite", "like")
    rep = exposure_report(app.settings, users=30, k=3, diversities=[0.0], log=lambda *a: None)
    run = rep["runs"]["0"]
    origin = run["exposure"]["origin"]
    assert set(origin) == {"ai", "human"} and 0 < origin["ai"]["exposure"] < 0.5
    assert origin["ai"]["exposure"] + origin["human"]["exposure"] == pytest.approx(1.0)
    assert 0 < run["coverage"] <= 1 and run["novelty"] > 0
    hypo = exposure_report(app.settings, users=30, k=3, diversities=[0.0], what_if_ai=3, log=lambda *a: None)
    assert hypo["items"] == len(ITEMS) + 1 + 3
    assert hypo["runs"]["0"]["exposure"]["origin"]["ai"]["catalogue"] > origin["ai"]["catalogue"]


def test_watch_time_uses_the_items_length(app):
    """A 10 s watch of a 20 s clip is half of it (0.2): neither nothing nor a full view (0.6)."""
    from generec.recsys.feedback import event_weight

    app.feedback("alice", "kite", "watch", value=10.0)
    ranked(app, "alice")
    m = app.feed.live.model
    row = m.row(m.users.get("alice"))
    assert row[m.items.get("kite")] == pytest.approx(event_weight("watch", 10.0, 20.0)) == pytest.approx(0.2)


def test_the_editor_and_the_creator_read_one_taste(app, tmp_path):
    """`recsys.profile.taste` is the one taste: the editor's request and the creator's scoring
    record are parts of it, and they describe the same liked items."""
    from generec.creator.context import CreatorContext
    from generec.editor.hook import request_for
    from generec.recsys.profile import taste

    Image.new("RGB", (32, 32), "yellow").save(app.settings.media_dir / "bobs.jpg")
    app.catalog.add([Item(id="bobs", title="Bob's draft", tags=["kite"], cover_path="media/bobs.jpg",
                          origin="ai_created", visibility="private", owner="bob")])
    app.store.set_preferences("alice", {"include": ["sky"], "avoid": ["rain"]})
    for item_id, kind in (("kite", "like"), ("lamp", "like"), ("moss", "dislike"), ("pier", "skip")):
        app.feedback("alice", item_id, kind)
    app.store.record(Interaction("alice", "bobs", "like"))   # an item she cannot see adds nothing
    images = app.catalog.image_model
    t = taste(app.catalog, "alice", images)
    assert t.liked == ["kite", "lamp"] and t.rejected == ["moss", "pier"]
    assert t.likes == ["sky", "kite", "lamp"] and t.avoids == ["rain", "moss", "pier"]

    req = request_for(app.catalog, app.store, "alice", video=str(tmp_path / "any.mp4"), image_model=images)
    creator, hint = CreatorContext(settings=app.settings, catalog=app.catalog).taste("alice")
    assert req.liked_text == t.liked_texts == [app.store.get_item(i).text() for i in ("kite", "lamp")]
    np.testing.assert_array_equal(req.taste, t.cover)
    for name in ("like_text", "dislike_text", "like_image", "dislike_image"):
        np.testing.assert_array_equal(getattr(creator, name), getattr(t, name))
    assert (creator.likes, creator.avoids) == (t.likes, t.avoids) and hint == {"likes": t.likes, "avoids": t.avoids}
    # one history behind both: the creator's liked-text vector is the editor's liked texts, embedded
    v = app.catalog.embed_text(req.liked_text).mean(axis=0)
    np.testing.assert_allclose(creator.like_text, v / np.linalg.norm(v), atol=1e-6)
    # and the editor's visual taste is the liked covers, through the image model
    f = images.analyse([Image.open(app.settings.media_dir / f"{i}.jpg").convert("RGB") for i in ("kite", "lamp")]).features.mean(axis=0)
    np.testing.assert_allclose(req.taste, f / np.linalg.norm(f), atol=1e-6)
    assert taste(app.catalog, "nobody") == taste(None, "alice") == taste(app.catalog, "")
    assert request_for(app.catalog, app.store, "bob", video="x.mp4", image_model=images).taste is None   # nothing liked


def test_an_item_stored_without_vectors_is_healed_at_start(app):
    """A process killed inside `Catalog.add` after the row and before the vectors leaves an item that
    search cannot find; the next start gives it vectors, and search finds it."""
    Image.new("RGB", (32, 32), "green").save(app.settings.media_dir / "quay.jpg")
    app.store.add_items([Item(id="quay", title="Quay at dawn", tags=["quay"], cover_path="media/quay.jpg", duration_s=20.0)])
    assert "quay" not in app.catalog.text_index and "quay" not in app.catalog.image_index
    later = GeneRec(app.settings)   # the restart: it reads the saved index files
    assert later.catalog.heal() == ["quay"]
    prof = build_profile(later.store, "alice")
    assert "quay" in [p.item.id for p in later.feed.recommend(prof, "quay at dawn", k=3)]
    assert GeneRec(app.settings).catalog.heal() == []   # saved: nothing left to heal
