"""The simulated-user harness (`bench simusers`): held-out needs, the leak guard, and its sanity checks."""
from __future__ import annotations

import re

import pytest

from generec.bench import simusers
from generec.llm.fake import FakeLLM
from generec.types import Item
from test_movielens_corpus import _tiny_movielens


def test_a_reply_that_names_the_film_is_caught():
    title = "The Matrix Reloaded (2003)"
    assert simusers.names_target("something like matrix reloaded please", title, "movie-6365")
    assert simusers.names_target("is movie-6365 any good", title, "movie-6365")
    assert not simusers.names_target("a sci-fi sequel about machines that rule a simulated world", title, "movie-6365")
    assert not simusers.names_target("the matrix of options is wide", title, "movie-6365")   # one title word of two


def test_the_card_holds_no_word_of_the_title():
    it = Item(id="movie-1", title="Toy Story (1995)", tags=["animation", "children"])
    text = simusers.card(it, ["pixar", "toy story", "toys come alive", "funny"])
    assert "animation" in text and "1990s" in text and "pixar" in text and "funny" in text
    assert "toy" not in text.lower() and "story" not in text.lower()


def _speaker():
    """The simulated user's LLM, scripted: it asks for the card's genres, and rejects what it is shown."""
    def respond(kind, system, user, schema):
        genres = re.search(r"genres: ([^\n]*)", user).group(1)
        return {"intent": "reject" if "showed" in user else "ask", "text": f"a {genres} film"}
    return respond


def test_the_harness_passes_its_own_sanity_checks(fast_settings, tmp_path):
    root = _tiny_movielens(tmp_path / "ml", n_users=30, n_movies=60)
    llm = FakeLLM(_speaker())
    out = simusers.run(fast_settings, llm, users=24, turns=3, k=10, seed=1, root=root, work=tmp_path / "work", log=lambda *a: None)
    assert out["simulated"] and out["users"] == 24 and out["items"] == 60
    oracle, rand = out["policies"]["oracle"], out["policies"]["random"]
    assert [x["rate"] for x in oracle["success_at"]] == [1.0, 1.0, 1.0] and oracle["avg_turns_to_success"] == 1.0
    for x, want in zip(rand["success_at"], rand["expected_random"]):   # random lands near k/N per turn, within its interval
        assert x["ci95"][0] <= want <= x["ci95"][1], (x, want)
    feed = out["policies"]["feed"]
    assert feed["n"] == 24 and all(d["turns"][0]["intent"] == "ask" for d in feed["dialogues"])
    # the held-out rating is not in the store the policies ranked from
    from generec.store import open_store

    s, targets = simusers.prepare(fast_settings, root, tmp_path / "work", 24, 1)
    store = open_store(s.db_url)
    for t in targets:
        assert not [e for e in store.interactions(user=f"ml-{t['user']}") if e.item_id == f"movie-{t['movie']}"]
    store.close()


def test_a_leaky_user_is_asked_again_and_a_hopeless_one_left_out(fast_settings, tmp_path):
    root = _tiny_movielens(tmp_path / "ml", n_users=30, n_movies=60)
    targets = simusers.sample_targets(root, 4, seed=2)
    from generec.corpus.movielens import load_items

    items = {it.id: it for it in load_items(root)}
    sim = simusers.SimUser(FakeLLM().enqueue({"intent": "ask", "text": "Film number 7 please"}, {"intent": "ask", "text": "a horror film"}),
                           items["movie-7"], [])
    assert sim.say("Write your first message.") == {"intent": "ask", "text": "a horror film"} and sim.leaks == 1 and not sim.leaked
    stubborn = simusers.SimUser(FakeLLM().enqueue(*[{"intent": "ask", "text": "movie-7"}] * 3), items["movie-7"], [])
    stubborn.say("Write your first message.")
    assert stubborn.leaks == 3 and stubborn.leaked
    seen = simusers.SimUser(FakeLLM().enqueue({"intent": "accept", "text": "yes, Film number 7 is the one"}), items["movie-7"], [])
    assert seen.say(f"The recommender showed: {items['movie-7'].title}; Film number 8 (1958).")["intent"] == "accept"
    assert seen.leaks == 0 and not seen.leaked   # naming a film on screen is no leak
    assert len(targets) == 4


def test_a_real_simulated_user_speaks_through_the_bundled_llm(tmp_path):
    """The bundled Qwen plays two users with different cards: real replies in the schema, no title named."""
    from generec.config import Settings
    from generec.llm import load_llm

    settings = Settings(data_dir=tmp_path / "data", embedder="hash", image_features="colour", threads=1)
    try:
        llm = load_llm(settings, "llamacpp")
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"the bundled LLM must be installed by `make install`: {exc}")
    horror = Item(id="movie-1", title="Night of the Long Shadows (1979)", tags=["horror"])
    cartoon = Item(id="movie-2", title="Paper Boats (2004)", tags=["animation", "children"])
    a = simusers.SimUser(llm, horror, ["creepy", "slow burn"]).say("Write your first message to the recommender.")
    b = simusers.SimUser(llm, cartoon, ["heartwarming"]).say("Write your first message to the recommender.")
    for reply, item in ((a, horror), (b, cartoon)):
        assert reply["intent"] in simusers.INTENTS and len(reply["text"].split()) >= 3, reply
        assert not simusers.names_target(reply["text"], item.title, item.id)
    assert a["text"] != b["text"]
