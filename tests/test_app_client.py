"""The running chat app, driven through its HTTP API with gradio_client (no browser).

The app is launched in this process on a free loopback port against this module's own copy of
the real corpus (made from `real_data_dir`); every write is checked by reading that database back.
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

    with InProcessApp(Settings(data_dir=app_data, threads=1)) as srv:
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
    """(position, component part) of every video message in a returned history."""
    return [(n, p) for n, m in enumerate(history) for p in m.get("content") or []
            if p.get("type") == "component" and p.get("component") == "video"]


def item_by_file(store) -> dict[str, object]:
    return {Path(it.media_path).name: it for it in store.list_items(visible_to=None)}


def chat(client, text: str, user: str = "maya", history: list | None = None) -> list[dict]:
    out = client.predict(box(text), history or [], user, api_name="/chat")
    assert isinstance(out, (list, tuple)) and len(out) == 2, out  # (chat history, box update)
    return out[0]


def test_chat_api_takes_box_history_and_profile(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    params = [p["parameter_name"] for p in api["/chat"]["parameters"]]
    assert params == ["box", "history", "user"]  # session and item map are per-session state, not API inputs
    assert [p["parameter_name"] for p in api["/feedback"]["parameters"]] == ["user", "item_id", "kind", "value"]
    assert "maya" in api["/chat"]["parameters"][2]["python_type"]["type"]


def test_full_turn_returns_served_videos_with_reasons(server, client, store):
    before = [user_msg("hello")]
    history = chat(client, REQUEST, history=before)

    assert history[0]["role"] == "user" and texts(history[0]) == ["hello"]  # the history sent is kept
    assert any(REQUEST in t for m in history for t in texts(m) if m["role"] == "user")
    steps = [m["metadata"]["title"] for m in history if (m.get("metadata") or {}).get("title")]
    assert any(s.startswith("Searched the corpus") for s in steps), steps

    found = videos(history)
    assert len(found) == server.settings.top_k, history
    files = item_by_file(store)
    for pos, part in found:
        path = part["value"]
        assert isinstance(path, str) and path.endswith(".mp4"), part
        item = files[Path(path).name]
        # served by the app: the bytes over HTTP are the corpus file's bytes
        with urllib.request.urlopen(f"{server.url}gradio_api/file={path}", timeout=30) as r:
            assert r.status == 200
            assert r.headers.get("content-type", "").startswith("video/")
            body = r.read()
        assert body == (server.settings.data_dir / item.media_path).read_bytes()
        # the message after each video is its reason line: bold title, a dash, why
        reason = " ".join(texts(history[pos + 1]))
        assert reason.startswith(f"**{item.title}**") and " — " in reason, reason
        assert len(reason.split(" — ", 1)[1].strip()) > 3
        assert part["constructor_args"].get("label") == item.title


def test_feedback_endpoint_stores_a_like(client, store):
    item = store.list_items(visible_to=None)[0]
    t0 = time.time()
    out = client.predict("leo", item.id, "like", None, api_name="/feedback")
    assert out == {"user": "leo", "item_id": item.id, "kind": "like", "value": None}
    rows = [r for r in store.interactions(user="leo", kinds=["like"], item_id=item.id, since=t0 - 1)
            if r.session != "simulated"]
    assert len(rows) == 1, rows


@pytest.mark.parametrize("args,words", [
    (("maya", "no-such-item", "like", None), "no-such-item"),
    (("maya", "white-dog-resting", "adore", None), "adore"),
])
def test_feedback_endpoint_rejects_bad_input_clearly(client, store, args, words):
    from gradio_client.exceptions import AppError

    n = store.count("interactions")
    with pytest.raises(AppError, match=words):
        client.predict(*args, api_name="/feedback")
    assert store.count("interactions") == n


def test_empty_message_is_explained_and_app_keeps_serving(client):
    history = chat(client, "   ")
    said = " ".join(t for m in history for t in texts(m))
    assert "empty" in said.lower(), history
    assert not videos(history)
    # the same client gets a normal answer next
    assert videos(chat(client, REQUEST))


def test_unknown_profile_gets_a_clear_message(client, store):
    from gradio_client.exceptions import AppError

    n = store.count("interactions")
    with pytest.raises(AppError) as chat_err:
        chat(client, REQUEST, user="nobody")
    assert "nobody" in str(chat_err.value) and "maya" in str(chat_err.value)  # names it and the choices
    with pytest.raises(AppError, match="no profile called “nobody”"):
        client.predict("nobody", "white-dog-resting", "like", None, api_name="/feedback")
    assert store.count("interactions") == n
    assert videos(chat(client, REQUEST))  # still serving


@pytest.mark.xfail(strict=False, reason="a picture sent without words is planned as 'chat' (help text, no videos): "
                   "the planner gets only the image labels; see the report")
def test_picture_alone_finds_videos(client):
    from gradio_client import handle_file

    out = client.predict(box("", [handle_file(str(PHOTO))]), [], "maya", api_name="/chat")
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
    n_inter, n_msgs = store.count("interactions"), store.count("messages")
    likes_before = len(store.interactions(kinds=["like"]))
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
            first = files[Path(videos(h)[0][1]["value"]).name]
            clients[i].predict(user, first.id, "like", None, api_name="/feedback")
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
    assert store.count("interactions") == n_inter + sum(shown) + len(jobs)
    assert store.count("messages") == n_msgs + 2 * len(jobs)
    assert len(store.interactions(kinds=["like"])) == likes_before + len(jobs)


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
