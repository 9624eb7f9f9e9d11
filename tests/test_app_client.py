"""The running chat app, driven through its HTTP API with gradio_client (no browser).

The app is launched in this process on a free loopback port against this module's own copy of
the real corpus (made from `real_data_dir`); every write is checked by reading that database back.
The last tests need no server: the demo's own handlers around a small app (Stop and the creator
job), what the app lets Gradio serve, and the test data copy itself.
"""
from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

import pytest

from app_server import InProcessApp, SubprocessApp, http_status, private_copy

pytestmark = pytest.mark.timeout(180, func_only=True)  # app start + LLM warm-up are bounded in InProcessApp

REQUEST = "something calm with animals"
PHOTO = Path(__file__).resolve().parent.parent / ".venv/lib/python3.11/site-packages/gradio/media_assets/images/cheetah.jpg"


@pytest.fixture(scope="module")
def app_data(real_data_dir, tmp_path_factory) -> Path:
    """This module's own copy of the corpus: media as real files, so nothing the app makes reaches
    the developer's data dir through real_data_dir's media link."""
    return private_copy(real_data_dir, tmp_path_factory.mktemp("app") / "data")


@pytest.fixture(scope="module")
def server(app_data):
    from generec.config import Settings

    with InProcessApp(Settings(data_dir=app_data, threads=1, plan_fast="off")) as srv:   # every turn proves the model ran
        yield srv


@pytest.fixture(scope="module")
def store(server):
    from generec.store import open_store

    s = open_store(server.settings.db_url)
    yield s
    s.close()


@pytest.fixture
def client(server):
    from gradio_client import Client

    c = Client(server.url, verbose=False)
    yield c
    c.close()


def box(text: str = "", files: list | None = None) -> dict:
    return {"text": text, "files": files or []}


def user_msg(text: str) -> dict:
    """A history entry in the normalised form the /chat endpoint takes."""
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def texts(msg: dict) -> list[str]:
    return [p["text"] for p in msg.get("content") or [] if p.get("type") == "text"]


def videos(history: list[dict]) -> list[tuple[int, dict]]:
    """(position, file part) of every video message in a returned history (gradio_client has
    downloaded each through the app's checked media route: `file` is the local copy's path)."""
    return [(n, p) for n, m in enumerate(history) for p in m.get("content") or []
            if p.get("type") == "file" and str(p.get("file") or "").endswith(".mp4")]


def video_id(part: dict) -> str:
    f = part["file"]
    return Path(f["path"] if isinstance(f, dict) else f).stem


def item_by_file(store) -> dict[str, object]:
    return {Path(it.media_path).name: it for it in store.list_items(visible_to=None)}


def chat(client, text: str, user: str = "maya") -> list[dict]:
    out = client.predict(box(text), user, api_name="/chat")
    assert isinstance(out, (list, tuple)) and len(out) == 2, out  # (chat history, box update)
    return out[0]


def test_chat_api_takes_box_history_and_profile(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    params = [p["parameter_name"] for p in api["/chat"]["parameters"]]
    assert params == ["box", "choice"]  # session, item map and the chat so far are per-session state, not API inputs
    # the user is never an argument: the profile choice only picks among the requester's own profiles
    assert [p["parameter_name"] for p in api["/feedback"]["parameters"]] == ["item_id", "kind", "value", "choice"]
    assert "maya" in api["/chat"]["parameters"][1]["python_type"]["type"]


def test_full_turn_returns_served_videos_with_reasons(server, client, store):
    history = chat(client, REQUEST)
    assert any(REQUEST in t for m in history for t in texts(m) if m["role"] == "user")
    steps = [m["metadata"]["title"] for m in history if (m.get("metadata") or {}).get("title")]
    assert any(s.startswith("Searched the corpus") for s in steps), steps
    reading = [" ".join(texts(m)) for m in history if (m.get("metadata") or {}).get("title", "").startswith("Reading your request")]
    assert reading and "via rules" not in reading[-1], reading   # the bundled LLM planned this turn: no silent fallback

    found = videos(history)
    assert len(found) == server.settings.top_k, history
    files = item_by_file(store)
    by_id = {it.id: it for it in store.list_items(visible_to=None)}
    for pos, part in found:
        item = by_id[video_id(part)]
        # served by the app: the bytes the client fetched are the corpus file's bytes
        assert Path(part["file"]).read_bytes() == (server.settings.data_dir / item.media_path).read_bytes()
        with urllib.request.urlopen(f"{server.url}media/{item.id}", timeout=30) as r:
            assert r.status == 200 and r.headers.get("content-type", "").startswith("video/")
        # the message after each video is its reason line: bold title, a dash, why
        reason = " ".join(texts(history[pos + 1]))
        assert reason.startswith(f"**{item.title}**") and " — " in reason, reason
        assert len(reason.split(" — ", 1)[1].strip()) > 3
        assert part.get("alt_text") == item.title


def test_feedback_endpoint_stores_a_like(client, store):
    item = store.list_items(visible_to=None)[0]
    t0 = time.time()
    out = client.predict(item.id, "like", None, "leo", api_name="/feedback")
    assert out == {"profile": "leo", "item_id": item.id, "kind": "like", "value": None}
    # the local owner's try-out copy of Leo took the like; the persona itself is untouched
    assert not [r for r in store.interactions(user="leo", kinds=["like"], item_id=item.id, since=t0 - 1) if r.session != "simulated"]
    rows = [r for r in store.interactions(user="owner--leo", kinds=["like"], item_id=item.id, since=t0 - 1)
            if r.session != "simulated"]
    assert len(rows) == 1, rows


@pytest.mark.parametrize("args,words", [
    (("no-such-item", "like", None, "maya"), "no-such-item"),
    (("white-dog-resting", "adore", None, "maya"), "adore"),
])
def test_feedback_endpoint_rejects_bad_input_clearly(client, store, args, words):
    from gradio_client.exceptions import AppError

    n = store.count("interactions")
    with pytest.raises(AppError, match=words):
        client.predict(*args, api_name="/feedback")
    assert store.count("interactions") == n


def test_publish_endpoint_refuses_what_is_not_yours_and_keeps_it_private(client, store):
    from generec.types import Item

    client.predict("white-dog-resting", "like", None, "leo", api_name="/feedback")   # makes the owner's copy of leo
    store.add_items([Item(id="leo-made", title="Leo's private video", origin="ai_created", owner="owner--leo", visibility="private",
                          media_path="media/created/leo-made.mp4")])
    msg, _ = client.predict("maya", "leo-made", api_name="/publish")
    assert "no item" in msg and store.get_item("leo-made").visibility == "private"
    msg, _ = client.predict("leo", "leo-made", api_name="/publish")   # no signed manifest: it cannot be published
    assert "stays private" in msg and "provenance" in msg and store.get_item("leo-made").visibility == "private"
    human = store.list_items(visible_to=None)[0]
    msg, _ = client.predict("leo", human.id, api_name="/publish")
    assert "only the person" in msg


def test_empty_message_is_explained_and_app_keeps_serving(client):
    history = chat(client, "   ")
    said = " ".join(t for m in history for t in texts(m))
    assert "empty" in said.lower(), history
    assert not videos(history)
    # the same client gets a normal answer next
    assert videos(chat(client, REQUEST))


@pytest.mark.parametrize("name,words", [("nobody", ["no profile “nobody” of yours", "profile list"]),
                                        ("../etc", ["no profile “../etc” of yours", "profile list"])])
def test_unknown_or_blank_profile_gets_a_clear_message_in_the_chat(client, store, name, words):
    from gradio_client.exceptions import AppError

    n, n_msgs = store.count("interactions"), store.count("messages")
    history = chat(client, REQUEST, user=name)   # the profile list takes typed names: no bare error
    said = [t for m in history if m["role"] == "assistant" for t in texts(m)]
    assert len(said) == 1 and said[0].startswith("⚠️"), said
    for w in words:  # names the problem and the profiles there are
        assert w.lower() in said[0].lower(), said
    assert not videos(history)
    if name:
        with pytest.raises(AppError, match="profile"):
            client.predict("white-dog-resting", "like", None, name, api_name="/feedback")
    assert store.count("interactions") == n and store.count("messages") == n_msgs   # nothing stored
    assert videos(chat(client, REQUEST))  # still serving


def test_picture_alone_finds_videos(client):
    from gradio_client import handle_file

    out = client.predict(box("", [handle_file(str(PHOTO))]), "maya", api_name="/chat")
    history = out[0]
    steps = [(m.get("metadata") or {}).get("title", "") for m in history]
    assert any(t.startswith("Looked at your picture") for t in steps), steps
    assert videos(history), [t for m in history for t in texts(m)]


def test_concurrent_clients_lose_no_rows(server, store):
    from gradio_client import Client

    # plain "show me …" requests: each is planned as retrieval, so every turn shows items
    jobs = [("maya", "show me calm animals"), ("leo", "show me colourful abstract visuals"),
            ("sam", "show me a falling ball experiment"), ("noor", "show me a cartoon story"),
            ("maya", "show me birds"), ("leo", "show me neon patterns"), ("sam", "show me a pendulum"),
            ("noor", "show me animated characters")]
    clients = [Client(server.url, verbose=False) for _ in jobs]
    own = lambda: len([r for r in store.interactions() if r.session != "simulated"])  # noqa: E731 (a new persona copy brings its simulated history)
    n_inter, n_msgs = own(), store.count("messages")
    likes = lambda: len([r for r in store.interactions(kinds=["like"]) if r.session != "simulated"])  # noqa: E731
    likes_before = likes()
    files = item_by_file(store)
    results, errors = [None] * len(jobs), []
    start = threading.Barrier(len(jobs))

    def run(i):
        try:
            user, text = jobs[i]
            start.wait(30)
            h = chat(clients[i], text, user=user)
            said = [t for m in h for t in texts(m)]
            assert videos(h) and not any(t.startswith("⚠️") for t in said), said
            first = video_id(videos(h)[0][1])
            clients[i].predict(first, "like", None, user, api_name="/feedback")
            results[i] = h
        except BaseException as exc:  # collected, reported below
            errors.append((jobs[i], repr(exc)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    for c in clients:
        c.close()
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    shown = [len(videos(h)) for h in results]
    assert all(k == server.settings.top_k for k in shown), shown
    # every turn stored one impression per shown item and a user + assistant message; every like stored
    assert own() == n_inter + sum(shown) + len(jobs)
    assert store.count("messages") == n_msgs + 2 * len(jobs)
    assert likes() == likes_before + len(jobs)


def test_python_app_py_serves_on_the_configured_port(app_data, tmp_path):
    """The Space entry point: `python app.py` reads GENEREC_DATA_DIR / GRADIO_SERVER_PORT from the env."""
    from gradio_client import Client

    with SubprocessApp(app_data, log_path=tmp_path / "app.log") as srv:
        assert http_status(srv.url) == 200
        c = Client(srv.url, verbose=False)
        api = c.view_api(return_format="dict", print_info=False)["named_endpoints"]
        c.close()
        assert {"/chat", "/feedback"} <= set(api)
        pid = srv.pid
    assert srv.proc is None and not Path(f"/proc/{pid}").exists()
    assert http_status(srv.url, timeout=1.0) is None  # nothing listens any more


def test_the_running_app_hands_gradio_nothing_from_the_data_dir(server):
    """Gradio's own file route serves its upload cache only: the data dir is blocked outright, and
    item media go through /media/<id>, which checks who asks (tests/test_access.py)."""
    assert not server.demo.allowed_paths
    assert str(server.settings.data_dir) in {str(Path(p)) for p in server.demo.blocked_paths}
    db = server.settings.data_dir / "generec.db"
    assert http_status(f"{server.url}gradio_api/file={db}") == 403


def test_real_data_dir_is_a_private_copy(real_data_dir):
    """Media copied (not linked), so nothing a test makes can land in the developer's data/media;
    the database copied whole through SQLite's backup API."""
    import sqlite3

    from conftest import REAL_DATA

    media = real_data_dir / "media"
    assert media.is_dir() and not media.is_symlink()
    files = sorted(media.iterdir())
    assert files and not any(f.is_symlink() for f in files)
    assert not files[0].samefile(REAL_DATA / "media" / files[0].name)
    db = sqlite3.connect(str(real_data_dir / "generec.db"))
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert db.execute("select count(*) from items").fetchone()[0] > 0
    finally:
        db.close()


# -- the demo's handlers around a small app with a scripted LLM (no server) --------------------------
@pytest.fixture
def small_app(fast_settings):
    from PIL import Image

    from generec.instructor.planner import Planner
    from generec.instructor.turn import Instructor
    from generec.llm.fake import FakeLLM
    from generec.app import GeneRec
    from generec.types import Item, User

    from conftest import make_video

    app = GeneRec(fast_settings.with_(llm="fake"))
    app.settings.media_dir.mkdir(parents=True)
    Image.new("RGB", (64, 64), "green").save(app.settings.media_dir / "dog.jpg")
    make_video(app.settings.media_dir / "dog.mp4", ["green"])
    app.catalog.add([Item(id="dog-park", title="Dog playing in the park", tags=["animals", "dog"], media_path="media/dog.mp4",
                          cover_path="media/dog.jpg", duration_s=1.0)])
    app.fake = FakeLLM()
    app._instructor = Instructor(Planner(app.fake))
    yield app
    if app._jobs is not None:
        app._jobs.shutdown()


def blocking_creator(app, started):
    """The app's creator jobs (its real `_create` path: job, events, cancel on close) around a runner
    that stands in for the pipeline: it reports the script stage, then waits to be cancelled."""
    from generec.creator.compose import Cancelled
    from generec.creator.jobs import CreatorJobs

    def runner(text, guidance, user, ctx, progress=None, cancel=None):
        progress("script", 0.1)
        started.set()
        if cancel.wait(30):
            raise Cancelled("cancelled during the script")
        raise RuntimeError("nobody cancelled the job")

    app._jobs = CreatorJobs(None, app.store.create_job, app.store.update_job, runner=runner)
    return app._jobs


def demo_handlers(demo) -> dict:
    return {f.api_name: (i, f) for i, f in demo.fns.items()}


def wait_for(fn, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while not fn():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def titles(history) -> list[str]:
    return [(getattr(m, "metadata", None) or {}).get("title", "") for m in history]


def is_heartbeat(out) -> bool:
    """A yield with no update at all (the handler's heartbeat while the turn waits)."""
    return all(isinstance(x, dict) and x.get("__type__") == "update" and len(x) == 1 for x in out)


def run_until_storyboard(respond):
    """Drive the chat handler as Gradio does until the creator's first stage shows; returns the generator
    and the box as the page shows it then (the last box sent: later steps leave it as it is)."""
    gen = respond({"text": "make me a video about rainy nights", "files": []}, "you", "s1", {}, [])
    shown = None
    for out in gen:
        if is_heartbeat(out):
            continue
        history, _, box, _ = out
        shown = shown if isinstance(box, dict) and box.get("__type__") == "update" else box
        if any(t.startswith("Writing the storyboard") for t in titles(history)):
            return gen, shown
    raise AssertionError("the creator never started")


def test_stop_is_wired_to_cancel_the_chat_turn(small_app):
    from generec.ui.chat import build_demo

    demo = build_demo(small_app)
    handlers = demo_handlers(demo)
    chat_index, _ = handlers["chat"]
    stops = [f for f in demo.fns.values() if any(t[1] == "stop" for t in f.targets)]
    assert any(chat_index in f.cancels for f in stops), "the box's Stop must cancel the /chat event"
    after = [f for f in demo.fns.values() if f.trigger_after == chat_index]
    assert after, "the box must be made usable again after a stopped turn"
    # a stopped turn (it never reached its last yield) still shows a pending step: settled and said
    stopped = [{"role": "user", "content": "make me a video about rain"},
               {"role": "assistant", "content": "0% of the job", "metadata": {"title": "Writing the storyboard", "status": "pending"}}]
    history, box, kept = after[0].fn(stopped)
    assert kept is history
    assert box.interactive is True and box.stop_btn is False and box.submit_btn is True
    assert history[1]["metadata"] == {"title": "Writing the storyboard · stopped", "status": "done"}
    assert "Stopped" in history[-1].content
    # a turn that finished is left as it is
    done = [stopped[0], {"role": "assistant", "content": "ok", "metadata": {"title": "Searched the corpus", "status": "done"}}]
    history, box, _ = after[0].fn(done)
    assert history == {"__type__": "update"} and box.interactive is True


def test_closing_the_turn_cancels_its_creator_job(small_app):
    """Stop cancels the /chat event; Gradio then closes the handler's generator. That must close the
    turn and cancel the creator job it started, at once, with the job stored as cancelled."""
    from generec.ui.chat import build_demo

    started = threading.Event()
    jobs = blocking_creator(small_app, started)
    small_app.fake.enqueue({"action": "create", "query": "rainy nights"})
    _, chat_fn = demo_handlers(build_demo(small_app))["chat"]
    gen, box = run_until_storyboard(chat_fn.fn)
    assert box.stop_btn is True and box.interactive is False   # Stop is offered while the turn runs
    assert started.wait(10)
    (job,) = jobs.jobs.values()
    assert job.status == "running"
    gen.close()   # what Gradio does to a cancelled generator event
    assert job.cancel_event.is_set()   # synchronously, not when the garbage collector runs
    assert wait_for(lambda: small_app.store.get_job(job.id).status == "cancelled"), small_app.store.get_job(job.id)
    assert job.status == "cancelled"
    assert not [it for it in small_app.store.list_items(visible_to=None) if it.origin == "ai_created"]


def test_a_waiting_turn_still_yields_so_stop_can_close_it(small_app):
    """Gradio closes a generator only between yields (closing one inside next() fails "already
    executing"). While the creator works on a stage no event comes, yet the handler must yield
    within about a second, or Stop would wait for the whole stage."""
    from generec.ui.chat import build_demo
    from generec.ui.messages import HEARTBEAT_S

    started = threading.Event()
    jobs = blocking_creator(small_app, started)
    small_app.fake.enqueue({"action": "create", "query": "rainy nights"})
    gen, _ = run_until_storyboard(demo_handlers(build_demo(small_app))["chat"][1].fn)
    assert started.wait(10)
    t0 = time.monotonic()
    beat = next(gen)   # the job is blocked: nothing new to show
    assert time.monotonic() - t0 < HEARTBEAT_S + 1.0 and is_heartbeat(beat), beat
    (job,) = jobs.jobs.values()
    assert job.status == "running"
    gen.close()
    assert wait_for(lambda: small_app.store.get_job(job.id).status == "cancelled")


def test_a_turn_that_ends_normally_gives_the_box_back(small_app):
    from generec.ui.chat import build_demo

    small_app.fake.enqueue({"action": "retrieve", "query": "dog"})
    outs = [o for o in demo_handlers(build_demo(small_app))["chat"][1].fn({"text": "dog", "files": []}, "you", "s1", {}, [])
            if not is_heartbeat(o)]
    assert outs[0][2].stop_btn is True and outs[0][2].interactive is False
    history, item_map, box, _ = outs[-1]
    assert box.interactive is True and box.stop_btn is False and box.submit_btn is True
    assert "dog-park" in item_map.values()


def test_profiles_made_after_start_are_listed_on_page_load(small_app):
    from generec.types import User
    from generec.ui.chat import build_demo

    handlers = demo_handlers(build_demo(small_app))
    small_app.store.upsert_user(User(name="owner--latecomer"))   # an extra profile of the local owner's, made elsewhere
    small_app.store.upsert_user(User(name="someone--else"))      # another account's: never listed
    dropdown = handlers["refresh_profiles"][1].fn()
    names = [c[1] if isinstance(c, (list, tuple)) else c for c in dropdown.choices]
    assert "latecomer" in names and "you" in names and not any("else" in n for n in names)
    assert handlers["refresh_profiles"][1].targets[0][1] == "load"


def test_an_item_without_video_is_a_text_card_with_its_checks():
    from generec.events import ShowItem
    from generec.types import Item
    from generec.ui.messages import to_messages

    history, item_map = [], {}
    movie = Item(id="movie-1", title="Toy Story (1995)", tags=["Animation", "Comedy"], description="")
    to_messages(ShowItem(movie, "close to your request", None), history, item_map)
    assert "Toy Story (1995)" in history[0].content and "Animation · Comedy" in history[0].content
    assert set(item_map.values()) == {"movie-1"}
    made = Item(id="ai-1", title="Rain", origin="ai_created")
    to_messages(ShowItem(made, "made for you", None, None, "AI-generated", ["All 8 checks passed", "nsfw: passed"]), history, item_map)
    assert "`AI-generated`" in history[-1].content and "nsfw: passed" in history[-1].content


def test_an_edit_made_in_a_turn_shows_its_badge_and_its_checks(small_app):
    """The edited video is shown with the AI-edited badge and its fidelity report, as a creation is."""
    from generec.events import ShowItem

    small_app.user("owner", create=True)
    small_app.fake.enqueue({"action": "retrieve", "query": "dog"})
    list(small_app.turn("owner", "dog", session="e1"))           # the dog video is now on screen
    small_app.fake.enqueue({"action": "edit", "edit_op": "restyle", "style": "noir", "item_ref": "dog-park"})
    shown = [ev for ev in small_app.turn("owner", "make the dog one noir", session="e1") if isinstance(ev, ShowItem)]
    assert shown, "no edited item shown"
    ev = shown[0]
    assert ev.item.origin == "ai_edited" and ev.badge == "AI-edited"
    assert ev.checks and ev.checks[0].startswith(("All", "Held", "Refused")) and len(ev.checks) > 2, ev.checks
