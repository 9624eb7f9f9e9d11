"""What GeneRec believes about a person (`recsys/beliefs.py`, `GeneRec.beliefs`): strength and
evidence from their signals and words, how the beliefs moved, and corrections that change the
next answer. Real store, feed and catalog with the model-free hash embedder, so a belief's pull
comes from shared words only."""
from __future__ import annotations

import pytest

from generec.app import GeneRec, UserError
from generec.recsys.profile import build_profile
from generec.types import Interaction, Item, User

# Two families of items that share words within a family only.
ITEMS = [("dog1", "Puppy dog on the beach", ["dog", "beach"]), ("dog2", "Dog chasing a ball", ["dog", "ball"]),
         ("dog3", "Sleepy dog by the fire", ["dog", "fire"]), ("dog4", "Dog swims in the lake", ["dog", "lake"]),
         ("cat1", "Kitten climbs the curtain", ["cat", "curtain"]), ("cat2", "Cat naps in the sun", ["cat", "sun"]),
         ("cat3", "Cat hunts a toy mouse", ["cat", "mouse"])]


@pytest.fixture
def app(fast_settings):
    a = GeneRec(fast_settings.with_(llm="fake", diversity=0.0))
    a.catalog.add([Item(id=i, title=t, tags=tags, duration_s=20.0) for i, t, tags in ITEMS])
    a.store.upsert_user(User(name="alice"))
    t = 1000.0
    a.store.record_many([Interaction("alice", "dog1", "like", at=t), Interaction("alice", "dog2", "play", at=t + 1),
                         Interaction("alice", "dog2", "watch", value=20.0, at=t + 2), Interaction("alice", "cat1", "skip", at=t + 3)])
    return a


def order(app, user="alice", text=""):
    return [p.item.id for p in app.feed.recommend(build_profile(app.store, user), text, k=len(ITEMS))]


def test_beliefs_carry_strength_and_evidence_from_signals_and_words(app):
    view = app.beliefs("alice")
    held = {b.label: b for b in view["beliefs"]}
    assert held["dog"].strength == pytest.approx(1.0 + 0.1 + 0.6)   # a like, a play and a full watch
    assert held["dog"].kind == "taste" and held["cat"].kind == "avoidance"
    assert held["cat"].strength == pytest.approx(-0.3)
    assert any("liked “Puppy dog on the beach”" in e for e in held["dog"].evidence)
    assert any("watched 20 s (100%) of “Dog chasing a ball”" in e for e in held["dog"].evidence)
    assert held["cat"].evidence == ["skipped “Kitten climbs the curtain” (-0.3)"]
    assert view["beliefs"][0].label == "dog"                          # the strongest first
    # words count too, and are shown as words
    app.store.set_preferences("alice", {"include": ["sun"]})
    held = {b.label: b for b in app.beliefs("alice")["beliefs"]}
    assert held["sun"].stated and held["sun"].evidence[0] == "you said “more sun” (+1.0)"
    # how the strongest moved: dog grows with each dog signal; cat drops at the skip
    moved = [(step, s) for step, label, s in app.beliefs("alice")["timeline"] if label == "dog"]
    assert [s for _, s in moved] == pytest.approx([1.0, 1.1, 1.7, 1.7])
    assert [s for _, label, s in app.beliefs("alice")["timeline"] if label == "cat"][-2:] == pytest.approx([0.0, -0.3])


def test_forgetting_a_taste_changes_the_next_answer(app):
    before = order(app)
    assert before[0].startswith("dog")                               # the liked and watched dogs pull their kin up
    app.correct_belief("alice", "dog", "forget")
    held = {b.label for b in app.beliefs("alice")["beliefs"]}
    assert "dog" not in held and "beach" not in held                 # the evidence behind it is set aside
    after = order(app)
    assert after != before
    prof = build_profile(app.store, "alice")
    assert set(prof.weights()) == {"cat1"}                           # only the skip still counts
    # a new signal after the correction counts again
    app.store.record(Interaction("alice", "dog3", "like"))
    assert {b.label: b.strength for b in app.beliefs("alice")["beliefs"]}["dog"] == pytest.approx(1.0)


def test_reversing_beliefs_turns_the_answer_around(app):
    app.store.record(Interaction("alice", "dog1", "like", at=2000.0))
    first = order(app)
    assert first.index("dog3") < first.index("cat2")
    msg = app.correct_belief("alice", "dog", "reverse")
    assert "less “dog”" in msg
    after = order(app)
    assert after.index("cat2") < after.index("dog3") and after.index("cat3") < after.index("dog4")
    assert {b.label: b.strength for b in app.beliefs("alice")["beliefs"]}["dog"] == pytest.approx(-1.0)   # now a stated avoidance
    # reversing an avoidance turns it into a stated taste
    app.correct_belief("alice", "cat", "reverse")
    prefs = app.user("alice").preferences
    assert prefs["include"] == ["cat"] and prefs["avoid"] == ["dog"] and set(prefs["set_aside"]) == {"dog", "cat"}


def test_a_belief_that_is_not_held_or_a_bad_action_is_refused_and_nothing_changes(app):
    with pytest.raises(UserError, match="no belief “unicorns”"):
        app.correct_belief("alice", "unicorns", "forget")
    with pytest.raises(UserError, match="unknown correction"):
        app.correct_belief("alice", "dog", "delete everything")
    assert app.user("alice").preferences == {}
    with pytest.raises(UserError):
        app.correct_belief("nobody", "dog", "forget")


def test_the_panel_draws_bars_and_lines(app):
    from generec.ui.panels import beliefs_view

    bars, lines, text, choices = beliefs_view(app, "alice")
    assert list(bars.columns) == ["belief", "strength", "kind"] and bars.iloc[0]["belief"] == "dog"
    assert set(lines["belief"]) == set(bars["belief"][:5]) and lines["step"].max() == 4
    assert "**dog** (taste, +1.7)" in text and ("dog (taste +1.7)", "dog") in choices
    app.correct_belief("alice", "dog", "forget")
    assert "Set aside by you:* dog" in beliefs_view(app, "alice")[2]
    empty = beliefs_view(app, "nobody")
    assert empty[0].empty and empty[3] == []
