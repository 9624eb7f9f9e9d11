"""Signals from the player: `POST /signals` (play, watch seconds, completion), skips of what was
left unplayed, and how they move the next answer.

The route runs against the real app launched on loopback with sign-in (`GENEREC_AUTH=accounts`),
accounts alice and bob, and alice's private video, as in test_access.py: who reports is the
signed-in account, never anything in the body. Skips run through the chat's own handler with the
rules planner; the ranking checks go through the feed as the chat's next answer does.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from generec.recsys.profile import build_profile
from generec.types import Interaction

pytestmark = pytest.mark.timeout(240, func_only=True)

PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-22", "carol": "carol-secret-3"}
LENGTH_S = 10.0   # every test video's stored length


def small_data(data: Path, settings) -> None:
    """Two public clips and alice's private one, real files, stored as 10 s long."""
    from conftest import door_corpus

    app = door_corpus(settings, PASSWORDS, length_s=LENGTH_S)
    app.store.close()


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    from conftest import door_app

    with door_app(tmp_path_factory.mktemp("signals") / "data", small_data) as (url, settings, _):
        yield url, settings


def session_for(url: str, name: str | None) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    if name:
        r = c.post("login", data={"username": name, "password": PASSWORDS[name]})
        assert r.status_code in (200, 302, 303), r.text
    return c


def rows(settings, user: str | None = None) -> list[tuple]:
    """(user, item, kind, value, session) of every non-impression row, oldest first."""
    con = sqlite3.connect(str(settings.data_dir / "generec.db"))
    try:
        q = "select user, item_id, kind, value, session from interactions where kind != 'impression'"
        if user is not None:
            return con.execute(q + " and user = ? order by id", (user,)).fetchall()
        return con.execute(q + " order by id").fetchall()
    finally:
        con.close()


def post(web: httpx.Client, body, **headers) -> httpx.Response:
    return web.post("signals", json=body, headers=headers) if not isinstance(body, (bytes, str)) else \
        web.post("signals", content=body, headers={"content-type": "application/json", **headers})


def test_the_signed_in_persons_reports_are_stored_under_their_own_profile(door):
    url, settings = door
    alice = session_for(url, "alice")
    r = post(alice, {"item_id": "dog-park", "kind": "play"})
    assert r.status_code == 200 and r.json()["profile"] == "alice" and r.json()["stored"], r.text
    assert post(alice, {"item_id": "dog-park", "kind": "play"}).json()["stored"] is False   # a resumed video: no second play
    r = post(alice, {"item_id": "dog-park", "kind": "watch", "seconds": 3.2})
    assert r.json()["seconds"] == 3.2 and r.json()["watched_s"] == 3.2 and r.json()["share"] == 0.32
    r = post(alice, {"item_id": "dog-park", "kind": "complete", "seconds": 6.8})
    assert r.json()["watched_s"] == pytest.approx(LENGTH_S) and r.json()["share"] == 1.0
    assert rows(settings, "alice") == [("alice", "dog-park", "play", None, "player"), ("alice", "dog-park", "watch", 3.2, "player"),
                                       ("alice", "dog-park", "watch", 6.8, "player")]
    # her own private video: yes, to her own profile
    assert post(alice, {"item_id": "alice-made", "kind": "play"}).status_code == 200


def test_the_body_cannot_name_who_reports(door):
    url, settings = door
    bob = session_for(url, "bob")
    for field in ("user", "profile", "account", "choice", "username"):
        r = post(bob, {"item_id": "blue-sea", "kind": "watch", "seconds": 1.0, field: "alice"})
        assert r.status_code == 200 and r.json()["profile"] == "bob", r.text
    assert not [r for r in rows(settings) if r[0].startswith("alice") and r[1] == "blue-sea"]
    assert [r[:4] for r in rows(settings, "bob")] == [("bob", "blue-sea", "watch", 1.0)] * 5


def test_nobody_signed_in_and_items_not_yours_store_nothing(door):
    url, settings = door
    before = rows(settings)
    anon = session_for(url, None)
    assert post(anon, {"item_id": "dog-park", "kind": "play"}).status_code == 401
    assert post(anon, {"item_id": "dog-park", "kind": "watch", "seconds": 5, "user": "alice"}).status_code == 401
    bob = session_for(url, "bob")
    for item in ("alice-made", "no-such-item", "../alice-made", "", None, 7, "x" * 500):
        for kind, secs in (("play", None), ("watch", 4.0), ("complete", 9.0)):
            r = post(bob, {"item_id": item, "kind": kind, "seconds": secs})
            assert r.status_code == 404, (item, kind, r.status_code, r.text)
            assert "alice" not in r.text.lower()
    assert rows(settings) == before


def test_absurd_values_are_clamped_or_refused(door):
    url, settings = door
    carol = session_for(url, "carol")
    r = post(carol, {"item_id": "sea-never", "kind": "watch", "seconds": 2})
    assert r.status_code == 404
    r = post(carol, {"item_id": "blue-sea", "kind": "watch", "seconds": 1e9})
    assert r.status_code == 200 and r.json()["seconds"] <= LENGTH_S + 2.0        # one stretch: at most the video's length + slack
    for body, status in ((b'{"item_id": "blue-sea", "kind": "watch", "seconds": -5}', 400),
                         (b'{"item_id": "blue-sea", "kind": "watch", "seconds": NaN}', 400),
                         (b'{"item_id": "blue-sea", "kind": "watch", "seconds": Infinity}', 400),
                         (b'{"item_id": "blue-sea", "kind": "watch", "seconds": "3"}', 400),
                         (b'{"item_id": "blue-sea", "kind": "watch"}', 400),
                         (b'{"item_id": "blue-sea", "kind": "like"}', 400),      # verdicts are 👍/👎, not the player's
                         (b'{"item_id": "blue-sea", "kind": "skip"}', 400),      # skips are decided by the server
                         (b'[1, 2]', 400), (b'not json', 400), (b'{"item_id": "' + b'x' * 4000 + b'"}', 400)):
        got = post(carol, body)
        assert got.status_code == status, (body[:60], got.status_code, got.text)
    assert carol.post("signals", content='{"item_id": "blue-sea", "kind": "play"}',
                      headers={"content-type": "text/plain"}).status_code == 415   # what a cross-site form can send
    assert post(carol, {"item_id": "blue-sea", "kind": "play"}, origin="https://evil.example").status_code == 403
    assert post(carol, {"item_id": "blue-sea", "kind": "play"}, **{"sec-fetch-site": "cross-site"}).status_code == 403
    assert [r[2:4] for r in rows(settings, "carol")] == [("watch", LENGTH_S + 2.0)]
    # a flood: past a player's rate, refused and not stored; watch seconds a minute are bounded
    codes = [post(carol, {"item_id": "blue-sea", "kind": "watch", "seconds": 9.0}).status_code for _ in range(130)]
    assert codes.count(429) >= 10 and set(codes) == {200, 429}
    watched = sum(r[3] for r in rows(settings, "carol") if r[2] == "watch")
    assert watched <= 180.0 + 1e-6, watched


def test_reports_go_to_the_profile_the_chat_showed_the_item_to(door):
    """Alice's maya try-out copy was shown the clip: her report goes there, not to her own profile."""
    from generec.store import open_store
    from generec.types import Interaction, User

    url, settings = door
    store = open_store(settings.db_url)
    try:
        store.upsert_user(User(name="alice--maya", display="maya"))
        store.record(Interaction("alice--maya", "blue-sea", "impression", session="s1"))
        store.record(Interaction("bob", "blue-sea", "impression", at=time.time() + 5, session="s2"))   # someone else's, later
    finally:
        store.close()
    alice = session_for(url, "alice")
    r = post(alice, {"item_id": "blue-sea", "kind": "play"})
    assert r.json()["profile"] == "alice--maya"
    assert ("alice--maya", "blue-sea", "play", None, "player") in rows(settings, "alice--maya")
    assert not [r for r in rows(settings, "alice") if r[1] == "blue-sea"]


def covers(app, item_id: str, n: int) -> str:
    """A small cover of its own colour for each test item (what the catalogue's image index reads)."""
    from PIL import Image

    app.settings.media_dir.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 32), (30 * n % 256, 90, 200 - 20 * n)).save(app.settings.media_dir / f"{item_id}.jpg")
    return f"media/{item_id}.jpg"


# -- skips, through the chat's own handler -----------------------------------------------------------
class _Req:
    def __init__(self, username):
        self.username = username
        self.request = None


def _turn(fns, text, item_map, session="sess1", who="alice"):
    last = None
    for out in fns["chat"]({"text": text, "files": []}, "you", session, item_map, [], request=_Req(who)):
        if isinstance(out[1], dict):
            last = out[1]
    return last


@pytest.fixture
def small_app(fast_settings):
    from generec.app import GeneRec
    from generec.types import Item, User

    app = GeneRec(fast_settings.with_(llm="rules", top_k=3))
    names = ["dog park", "dog beach", "dog snow", "cat nap", "sea waves", "city night"]
    app.catalog.add([Item(id=f"clip{n}", title=f"{t} clip", tags=t.split(), duration_s=LENGTH_S, cover_path=covers(app, f"clip{n}", n))
                     for n, t in enumerate(names)])
    app.store.upsert_user(User(name="alice"))
    return app


def test_what_the_last_answer_showed_and_nobody_played_is_skipped_at_the_next_turn(small_app):
    from generec.ui.chat import build_demo

    app = small_app
    fns = {f.api_name: f.fn for f in build_demo(app, mode="accounts").fns.values() if f.api_name}
    item_map = _turn(fns, "a dog", {})
    shown = list(dict.fromkeys(item_map.values()))
    assert len(shown) == 3, item_map
    played, liked = shown[0], shown[1]
    app.player_signal("alice", played, "play")
    app.feedback("alice", liked, "like")
    assert not app.store.interactions(user="alice", kinds=["skip"])
    item_map = _turn(fns, "something else", item_map)
    skips = app.store.interactions(user="alice", kinds=["skip"])
    assert [e.item_id for e in skips] == [shown[2]] and skips[0].session == "sess1"   # played and liked ones are not skips
    # a third turn does not skip the first answer's items again, and skips the second's
    second = [i for i in dict.fromkeys(item_map.values()) if i not in shown]
    _turn(fns, "one more", item_map)
    again = [e.item_id for e in app.store.interactions(user="alice", kinds=["skip"])]
    assert again.count(shown[2]) == 1 and set(second) <= set(again)


def test_a_turn_of_someone_not_signed_in_skips_nothing(small_app):
    from generec.ui.chat import build_demo

    fns = {f.api_name: f.fn for f in build_demo(small_app, mode="accounts").fns.values() if f.api_name}
    _turn(fns, "a dog", {}, who="alice")
    _turn(fns, "a cat", {}, who=None)
    assert not small_app.store.interactions(kinds=["skip"])


# -- verdicts in words, through the chat's own handler --------------------------------------------------
def said(fns, text, item_map, **kw) -> tuple[dict, str]:
    """(item map, every text the assistant sent) of one turn."""
    last, texts = None, []
    for out in fns["chat"]({"text": text, "files": []}, "you", kw.get("session", "sess1"), item_map, [], request=_Req(kw.get("who", "alice"))):
        if isinstance(out[1], dict):
            last = out[1]
        texts = [str(m.content) for m in out[0] if getattr(m, "role", "") == "assistant"] if isinstance(out[0], list) else texts
    return last, "\n".join(texts)


def test_words_store_a_verdict_on_the_item_they_point_at_say_so_and_can_be_undone(small_app):
    from generec.ui.chat import build_demo

    app = small_app
    fns = {f.api_name: f.fn for f in build_demo(app, mode="accounts").fns.values() if f.api_name}
    item_map, _ = said(fns, "a dog", {})
    shown = list(dict.fromkeys(item_map.values()))
    titles = {i: app.catalog.item(i).title for i in shown}
    _, reply = said(fns, "I love the second one", item_map)
    likes = app.store.interactions(user="alice", kinds=["like"])
    assert [(e.item_id, e.session) for e in likes] == [(shown[1], "sess1")]
    assert f"you liked “{titles[shown[1]]}”" in reply and "undo" in reply
    assert not app.store.interactions(user="alice", kinds=["skip"])   # a verdict on the answer is not moving past it
    _, reply = said(fns, "undo", item_map)
    assert not app.store.interactions(user="alice", kinds=["like"]) and "Undone" in reply
    # "this" is the one last played in this chat
    app.player_signal("alice", shown[2], "play")
    said(fns, "this is boring", item_map)
    assert [e.item_id for e in app.store.interactions(user="alice", kinds=["dislike"])] == [shown[2]]
    # a verdict plus a request: both
    before = len(app.store.messages("alice", "sess1", limit=100))
    item_map2, _ = said(fns, "the first one was great, show me more like that", item_map)
    assert [e.item_id for e in app.store.interactions(user="alice", kinds=["like"])] == [shown[0]]
    assert item_map2 and len(app.store.messages("alice", "sess1", limit=100)) > before + 1   # a new answer was shown
    assert not app.store.interactions(user="alice", kinds=["skip"])   # that message was about the first answer too
    # the next plain request counts what the new answer left untouched as skipped
    second = app.last_shown("alice", "sess1")
    said(fns, "a cat", item_map2)
    skipped = {e.item_id for e in app.store.interactions(user="alice", kinds=["skip"])}
    assert skipped == set(second) - {shown[0]}, (skipped, second)   # the liked one is not a skip


def test_a_topic_liked_in_words_is_a_search_not_a_verdict_and_undo_with_nothing_says_so(small_app):
    from generec.instructor import verdicts
    from generec.ui.chat import build_demo

    assert verdicts.read("I love dogs")[0] == [] and verdicts.read("something like the second one")[0] == []
    assert verdicts.read("I'd like something calm")[0] == []
    fns = {f.api_name: f.fn for f in build_demo(small_app, mode="accounts").fns.values() if f.api_name}
    _, reply = said(fns, "undo", {})
    assert "no 👍 or 👎 in this chat" in reply
    item_map, _ = said(fns, "a dog", {})
    item_map, _ = said(fns, "I love dogs", item_map)
    assert item_map and not small_app.store.interactions(user="alice", kinds=["like"])


def test_verdicts_beyond_cue_words_point_at_positions_and_named_titles():
    """VADER rates clauses the cue words miss; a position written as people write it, or a shown
    title named in the message, is what the verdict is about; an instruction's tone is no verdict."""
    from generec.instructor import verdicts

    shown = ["Kite festival on the beach", "Dog on a skateboard", "Rainy city street at night"]
    def one(text):
        return [(v.kind, v.pointer) for v in verdicts.read(text, shown)[0]]
    assert one("The second video was absolutely charming, well done.") == [("like", "the second")]
    assert one("number three is way too loud and chaotic") == [("dislike", "the third")]
    assert one("bottom one is not bad at all") == [("like", "the bottom one")]
    assert one("that last clip was gorgeous") == [("like", "the last")]
    assert one("a dog on a skateboard... really? yawn") == [("dislike", "Dog on a skateboard")]
    assert one("boring, show me something funny") == [("dislike", "this")]
    assert verdicts.read("boring, show me something funny")[1] == "show me something funny"
    assert one("great, now show me cats") == []                       # a nod before a request
    assert one("lol") == [] and one("show me something lovely") == []
    assert one("call the second one 'Happy Dreams'") == [] and one("put some text on it saying happy birthday") == []
    assert one("the kite one is way too long, can you get it under a minute") == []   # why to edit it, not a rating
    assert one("loved it, more like that") == [("like", "it")]
    # beside an edit or a creation, a liking in its own clause is a verdict and the message is planned whole;
    # a dislike there is why to change it, and what something would be is no judgement
    ask = "loved the skateboard one, can you make it look vintage?"
    assert one(ask) == [("like", "Dog on a skateboard")] and verdicts.read(ask, shown)[1] == ask
    assert one("the kite one is dull, give it a warmer look") == [] and one("make the great one look vintage") == []
    assert one("add music to the kite one, it'd be perfect for a party") == []


# -- the next answer ----------------------------------------------------------------------------------
ITEMS = [("kite", "Kite festival on the beach", ["kite", "beach"]), ("kite2", "Kite surfing at the beach", ["kite", "beach"]),
         ("lamp", "Lamp workshop", ["lamp"]), ("moss", "Moss garden", ["moss"]), ("nest", "Nest building", ["nest"]),
         ("opal", "Opal mine", ["opal"]), ("pier", "Pier at night", ["pier"]), ("quay", "Quay lights", ["quay"])]


@pytest.fixture
def feed_app(fast_settings):
    from generec.app import GeneRec
    from generec.types import Interaction, Item, User

    app = GeneRec(fast_settings.with_(llm="rules", diversity=0.0))
    app.catalog.add([Item(id=i, title=t, tags=tags, duration_s=20.0, cover_path=covers(app, i, n)) for n, (i, t, tags) in enumerate(ITEMS)])
    for u in range(6):   # a little shared history, so the recommender has something to learn from
        app.store.upsert_user(User(name=f"u{u}"))
        app.store.record(Interaction(f"u{u}", ["lamp", "moss", "nest"][u % 3], "like", at=1000.0 + u))
    for name in ("watcher", "opener", "control", "disliker"):
        app.store.upsert_user(User(name=name))
    return app


def ranked(app, user, text):
    picks = app.feed.recommend(build_profile(app.store, user), text, k=len(ITEMS))
    return [p.item.id for p in picks], {p.item.id: p for p in picks}


def test_a_finished_video_moves_its_kind_up_more_than_an_opened_one_and_skips_push_down(feed_app):
    app = feed_app
    for who in ("watcher", "opener", "control", "disliker"):   # each was shown the same answer
        for i in ("kite", "pier", "quay"):
            app.store.record(Interaction(who, i, "impression"))
    request = "something to watch at night"
    before, _ = ranked(app, "control", request)
    # watcher: played kite and watched it to the end (in stretches, as the player reports), skipped the other two
    app.player_signal("watcher", "kite", "play")
    for secs in (6.0, 6.0, 8.0):
        app.player_signal("watcher", "kite", "watch", secs)
    # opener: only opened kite for a second; disliker: 👎 on pier instead of passing over it
    app.player_signal("opener", "kite", "play")
    app.player_signal("opener", "kite", "watch", 1.0)
    for who in ("watcher", "opener"):
        app.store.record_many([Interaction(who, i, "skip") for i in ("pier", "quay")])
    app.feedback("disliker", "pier", "dislike")

    control, c = ranked(app, "control", request)
    watched, w = ranked(app, "watcher", request)
    opened, o = ranked(app, "opener", request)
    assert control == before
    # the kite-like clip climbs for the one who watched kite to the end
    assert watched.index("kite2") < control.index("kite2"), (watched, control)
    assert w["kite2"].score > c["kite2"].score
    # finished > opened: a play with a glance is worth less than a full watch
    weights_w = build_profile(app.store, "watcher").weights()
    weights_o = build_profile(app.store, "opener").weights()
    assert weights_w["kite"] == pytest.approx(0.1 + 0.6) and weights_o["kite"] < 0.1 < weights_w["kite"]
    assert w["kite2"].parts.get("liked", 0) > o["kite2"].parts.get("liked", 0)
    assert w["kite2"].score > o["kite2"].score
    # skips count against, less than a 👎
    assert weights_w["pier"] == pytest.approx(-0.3)
    _, d = ranked(app, "disliker", request)
    assert w["quay"].parts["rejected"] < 0 and "pier" not in d      # a disliked item never returns; a skipped one may
    assert "pier" in w and w["pier"].score < c["pier"].score
    assert 0 > w["quay"].parts["rejected"] > -app.feed.weights.rejected   # a skip's pull is a fraction of a dislike's


def test_a_watch_reported_in_stretches_weighs_as_one_watch_in_the_recommender(feed_app):
    """The player reports a long viewing in stretches; the recommender weighs the total, so
    four 5 s stretches of a 20 s clip count as a full watch, not as four glances."""
    from generec.recsys.feed import Feed
    from generec.recsys.feedback import event_weight

    app = feed_app
    app.store.record(Interaction("watcher", "kite", "impression"))
    ranked(app, "watcher", "")
    for _ in range(4):
        app.player_signal("watcher", "kite", "watch", 5.0)
    ranked(app, "watcher", "")
    m = app.feed.live.model
    row = m.row(m.users.get("watcher"))
    full = event_weight("watch", 20.0, 20.0)
    assert 0.8 * full < row[m.items.get("kite")] <= full + 1e-6          # (older stretches fade by the model's decay)
    assert event_weight("watch", 5.0, 20.0) * 4 < 0.05                   # what four separate glances would have been
    app.feed.retrain()
    row = app.feed.live.model.row(app.feed.live.model.users.get("watcher"))
    assert 0.8 * full < row[app.feed.live.model.items.get("kite")] <= full + 1e-6
    other = Feed(app.catalog)   # another process loads the saved model, and knows the totals behind it
    other.live.sync()
    assert other.live.fits == 0 and other.live._watched[("watcher", "kite")] == 20.0
    app.player_signal("watcher", "kite", "watch", 5.0)   # watching past the end adds nothing more
    other.live.sync()
    row = other.live.model.row(other.live.model.users.get("watcher"))
    assert row[other.live.model.items.get("kite")] <= full + 1e-6


def _dog_app(settings):
    from generec.app import GeneRec
    from generec.types import Item, User

    app = GeneRec(settings.with_(llm="rules", top_k=3))
    app.store.upsert_user(User(name="ann"))
    app.catalog.add([Item(id=f"dog-{n}", title=f"dog video {word}", tags=["dog"], duration_s=20.0)
                     for n, word in enumerate("park beach snow river ball puppy sleepy farm city garden forest lake".split())])
    return app


def _offers(events) -> bool:
    from generec.events import Say

    return any(isinstance(e, Say) and "make a new video for you" in e.text for e in events)


def test_the_offer_to_make_comes_after_an_answer_that_went_badly_by_any_signal(fast_settings):
    """The chat's rule (`offer.DEFAULT`, one bad answer): an answer left unplayed (its skips stored at
    the next message) or watched only briefly brings the offer to make a video; a long watch ends
    the run, and then no offer comes."""
    from generec.instructor.offer import DEFAULT, answers_from_log

    assert DEFAULT.signals and DEFAULT.after == 1
    app = _dog_app(fast_settings)
    assert not _offers(list(app.turn("ann", "dog videos", session="s")))          # nothing went badly yet
    second = list(app.turn("ann", "dog videos please", session="s"))              # the first answer stayed unplayed
    assert _offers(second)
    shown = [e.item.id for e in second if type(e).__name__ == "ShowItem"]
    app.player_signal("ann", shown[0], "play")
    app.player_signal("ann", shown[1], "play")
    app.player_signal("ann", shown[1], "watch", 15.0)                             # watched most of it: the run ends
    third = list(app.turn("ann", "more dog videos", session="s"))
    assert not _offers(third)
    shown = [e.item.id for e in third if type(e).__name__ == "ShowItem"]
    app.player_signal("ann", shown[0], "play")
    app.player_signal("ann", shown[0], "watch", 3.0)                              # 3 s of 20: left early
    assert _offers(list(app.turn("ann", "dog videos again", session="s")))
    got = answers_from_log(app.store, "ann", "s")
    assert [a.played for a in got] == [0, 2, 1, 0] and got[1].best_share == 0.75 and got[2].best_share == 0.15


def test_under_the_old_rule_a_brief_watch_would_not_have_counted(fast_settings):
    """The same log read by the rejections-only rule: the brief watch is passed over, so no offer yet."""
    from generec.instructor.offer import OfferRule, answers_from_log

    app = _dog_app(fast_settings)
    list(app.turn("ann", "dog videos", session="s"))
    second = list(app.turn("ann", "dog videos please", session="s"))
    item = next(e.item.id for e in second if type(e).__name__ == "ShowItem")
    app.player_signal("ann", item, "play")
    app.player_signal("ann", item, "watch", 3.0)
    list(app.turn("ann", "more dog videos", session="s"))
    got = answers_from_log(app.store, "ann", "s")[:2]
    assert OfferRule(2, signals=True)(got) and not OfferRule(2, signals=False)(got)
