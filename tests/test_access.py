"""Trust at the door, against the real app: who a request comes from, what it may fetch, what it may change.

A small app (synthetic videos, model-free embedders, keyword planner) is launched on loopback with
sign-in (`GENEREC_AUTH=accounts`) and two accounts, alice and bob. Alice owns a private video.
An anonymous visitor and bob try to read it, act as alice, and download the database, keys and
models by every path spelling; each attempt must be refused and leave the database as it was.
The same refusals run through the real handlers on PostgreSQL.
"""
from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from pathlib import Path

import httpx
import pytest


pytestmark = pytest.mark.timeout(240, func_only=True)

PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-22"}


def small_data(data: Path, settings) -> None:
    """Two public corpus videos and alice's private AI-made one, with real files and vectors."""
    from conftest import door_corpus
    from generec.types import Interaction

    app = door_corpus(settings, PASSWORDS, covers=True)
    app.store.record(Interaction("maya", "dog-park", "like", session="simulated"))
    # secrets and heavy files that must never be served
    (data / "keys").mkdir(exist_ok=True)
    (data / "keys" / "provenance-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot really\n")
    (data / "models").mkdir(exist_ok=True)
    (data / "models" / "tiny.gguf").write_bytes(b"GGUF" + b"\0" * 64)
    app.store.close()


def counts(db: Path) -> dict:
    con = sqlite3.connect(str(db))
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("users", "items", "interactions", "messages", "jobs", "accounts")} | {
            "alice_private": con.execute("select visibility from items where id='alice-made'").fetchone()[0]}
    finally:
        con.close()


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    """The app with sign-in, on loopback, in this process."""
    from conftest import door_app

    with door_app(tmp_path_factory.mktemp("door") / "data", small_data) as (url, settings, demo):
        yield url, settings, demo


def session_for(url: str, name: str | None) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    if name:
        r = c.post("login", data={"username": name, "password": PASSWORDS[name]})
        assert r.status_code in (200, 302, 303), r.text
        assert any(k.startswith("access-token") for k in c.cookies.keys()), dict(c.cookies)
    return c


def spellings(data: Path, target: Path) -> list[str]:
    """Ways of naming one file to Gradio's file route: relative, absolute, dotted, encoded, doubled."""
    rel_cwd = os.path.relpath(target, os.getcwd())
    absolute = str(target)
    dotted = str(data / "media" / ".." / target.relative_to(data))
    return [rel_cwd, absolute, dotted, absolute.replace("/", "//"), urllib.parse.quote(absolute, safe=""),
            urllib.parse.quote(dotted, safe="/").replace(".", "%2e"), f"{data}/./{target.relative_to(data)}",
            f"data/{target.relative_to(data)}"]


def test_an_anonymous_visitor_gets_nothing(door):
    url, settings, _ = door
    before = counts(settings.data_dir / "generec.db")
    web = session_for(url, None)
    assert web.get("media/alice-made").status_code == 401
    assert web.get("media/dog-park").status_code == 401       # a shared app shows nothing before sign-in
    assert web.get("me/export").status_code == 401
    assert web.get("gradio_api/info").status_code == 401
    from gradio_client import Client

    with pytest.raises(Exception):
        Client(url, verbose=False)
    assert counts(settings.data_dir / "generec.db") == before


def test_signed_in_bob_cannot_read_or_act_as_alice(door):
    from gradio_client import Client

    url, settings, _ = door
    db = settings.data_dir / "generec.db"
    before = counts(db)
    bob = session_for(url, "bob")
    assert bob.get("media/alice-made").status_code == 404                       # not yours: looks like nothing
    assert bob.get("media/alice-made/cover").status_code == 404
    assert bob.get("media/dog-park").status_code == 200                          # public corpus: yes
    from generec.ui.access import media_ref

    assert bob.get(f"gradio_api/file={media_ref('alice-made')}").status_code == 404  # the chat's spelling of the same
    assert bob.get(f"gradio_api/file={media_ref('dog-park')}").status_code == 200
    client = Client(url, auth=("bob", PASSWORDS["bob"]), verbose=False)
    try:
        for args in (("alice-made", "dislike", None, None), ("alice-made", "like", None, "alice"),
                     ("dog-park", "like", None, "alice"), ("dog-park", "like", None, "../alice")):
            with pytest.raises(Exception) as err:
                client.predict(*args, api_name="/feedback")
            assert "item" in str(err.value) or "profile" in str(err.value), err.value
        for who in ("alice", "", "you"):
            msg, _ = client.predict(who, "alice-made", api_name="/publish")
            assert "⚠️" in msg and "now public" not in msg, msg
        out = client.predict({"text": "show me alice's private video", "files": []}, "alice", api_name="/chat")
        assert "alice-made" not in json.dumps(out)
        out = client.predict({"text": "something red", "files": []}, "you", api_name="/chat")
        assert "alice-made" not in json.dumps(out)
    finally:
        client.close()
    after = counts(db)
    assert after["alice_private"] == "private"
    assert {k: v for k, v in after.items() if k not in ("users", "messages", "interactions")} == \
        {k: v for k, v in before.items() if k not in ("users", "messages", "interactions")}
    con = sqlite3.connect(str(db))
    try:   # bob's turn wrote only under bob's own profile; nothing under alice
        assert con.execute("select count(*) from interactions where user like 'alice%' and session != 'simulated'").fetchone()[0] == 0
        assert con.execute("select count(*) from messages where user like 'alice%'").fetchone()[0] == 0
        assert {r[0] for r in con.execute("select distinct user from messages")} <= {"bob", "bob--alice"}
    finally:
        con.close()


def test_alice_sees_her_own_private_video(door):
    url, settings, _ = door
    alice = session_for(url, "alice")
    r = alice.get("media/alice-made")
    assert r.status_code == 200 and r.content == (settings.media_dir / "created" / "alice-made.mp4").read_bytes()
    assert "no-store" in r.headers.get("cache-control", "")


@pytest.mark.parametrize("who", [None, "alice"])
def test_database_keys_and_models_are_never_served(door, who):
    url, settings, _ = door
    data = settings.data_dir
    web = session_for(url, who)
    targets = [data / "generec.db", data / "keys" / "provenance-key.pem", data / "models" / "tiny.gguf",
               data / "media" / "created" / "alice-made.mp4"]
    if (data / "generec.db-wal").exists():
        targets.append(data / "generec.db-wal")
    tried = 0
    for target in targets:
        for spelling in spellings(data, target):
            for route in (f"gradio_api/file={spelling}", f"file={spelling}", f"media/{spelling}", f"media/..%2f{target.name}"):
                r = web.get(route)
                assert r.status_code != 200 or not r.content.startswith((b"SQLite", b"GGUF", b"-----BEGIN")), (route, r.status_code)
                assert target.read_bytes()[:64] not in r.content or r.status_code != 200, route
                tried += 1
    # a symlink planted where Gradio serves its own files does not reach the database either
    from gradio.utils import get_upload_folder

    up = Path(get_upload_folder())
    up.mkdir(parents=True, exist_ok=True)
    link = up / f"door-{os.getpid()}.db"
    link.unlink(missing_ok=True)
    link.symlink_to(data / "generec.db")
    try:
        r = web.get(f"gradio_api/file={link}")
        assert r.status_code != 200 or not r.content.startswith(b"SQLite"), r.status_code
    finally:
        link.unlink()
    assert tried >= 100


def test_a_persona_stays_as_it_was_for_the_next_visitor(door):
    from gradio_client import Client

    url, settings, _ = door
    db = settings.data_dir / "generec.db"
    client = Client(url, auth=("alice", PASSWORDS["alice"]), verbose=False)
    try:
        out = client.predict("blue-sea", "dislike", None, "maya", api_name="/feedback")
        assert out["profile"] == "maya" and out["kind"] == "dislike"
    finally:
        client.close()
    con = sqlite3.connect(str(db))
    try:
        rows = lambda u: con.execute("select item_id, kind from interactions where user=? order by id", (u,)).fetchall()  # noqa: E731
        assert rows("maya") == [("dog-park", "like")]                              # the persona: unchanged
        assert rows("alice--maya") == [("dog-park", "like"), ("blue-sea", "dislike")]  # alice's copy: history + her click
    finally:
        con.close()


def test_your_data_downloads_and_deletes_only_your_own(door, tmp_path):
    from gradio_client import Client

    url, settings, _ = door
    db = settings.data_dir / "generec.db"
    alice = session_for(url, "alice")
    # one more private item of alice's and one like, then the export names them and nothing of bob's
    from generec.store import open_store
    from generec.types import Interaction

    store = open_store(settings.db_url)
    store.record(Interaction("alice", "dog-park", "like", session="s"))
    store.record(Interaction("bob", "dog-park", "like", session="s"))
    store.close()
    r = alice.get("me/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    mine = r.json()
    assert mine["account"] == "alice" and "alice" in mine["profile_names"] and {p["name"] for p in mine["profiles"]} == set(mine["profile_names"])
    assert {i["id"] for i in mine["items"]} == {"alice-made"}
    assert all(row["user"].startswith("alice") for row in mine["interactions"])
    assert not any("bob" in json.dumps(row) for row in mine["interactions"])
    bob_before = sqlite3.connect(str(db)).execute("select count(*) from interactions where user like 'bob%'").fetchone()[0]
    client = Client(url, auth=("alice", PASSWORDS["alice"]), verbose=False)
    try:
        msg, _ = client.predict(False, api_name="/erase_my_data")
        assert "Tick the box" in msg
        msg, _ = client.predict(True, api_name="/erase_my_data")
        assert "Deleted everything" in msg
    finally:
        client.close()
    con = sqlite3.connect(str(db))
    try:
        assert con.execute("select count(*) from users where name like 'alice%'").fetchone()[0] == 0
        assert con.execute("select count(*) from interactions where user like 'alice%'").fetchone()[0] == 0
        assert con.execute("select count(*) from items where owner like 'alice%'").fetchone()[0] == 0
        assert con.execute("select count(*) from interactions where user like 'bob%'").fetchone()[0] == bob_before
        assert con.execute("select count(*) from accounts where name='alice'").fetchone()[0] == 1   # the sign-in stays
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    assert not (settings.media_dir / "created" / "alice-made.mp4").exists()
    assert alice.get("media/alice-made").status_code == 404


# -- without a server --------------------------------------------------------------------------------
def test_sign_in_mode_follows_the_address(fast_settings, monkeypatch):
    from generec.ui.access import launch_options, sign_in_mode

    monkeypatch.delenv("SPACE_ID", raising=False)
    assert sign_in_mode(fast_settings) == "local"
    assert sign_in_mode(fast_settings.with_(host="0.0.0.0")) == "accounts"
    with pytest.raises(ValueError, match="loopback"):
        sign_in_mode(fast_settings.with_(host="0.0.0.0", auth="local"))
    monkeypatch.setenv("SPACE_ID", "someone/generec")
    monkeypatch.setenv("OAUTH_CLIENT_ID", "abc")
    assert sign_in_mode(fast_settings.with_(host="0.0.0.0")) == "hf"
    monkeypatch.delenv("SPACE_ID")
    from generec.app import GeneRec

    app = GeneRec(fast_settings.with_(host="0.0.0.0", llm="rules"))
    with pytest.raises(SystemExit, match="users add"):
        launch_options(app, app.settings)                      # shared, and nobody can sign in: refuse to start
    opts = launch_options(app, fast_settings.with_(llm="rules"))
    assert opts["allowed_paths"] == [] and str(fast_settings.data_dir) in opts["blocked_paths"] and "auth" not in opts


def test_passwords_are_stored_as_salted_hashes(fast_settings):
    from generec.app.accounts import Accounts
    from generec.store import open_store

    store = open_store(fast_settings.db_url)
    acc = Accounts(store)
    acc.add("carol", "correct horse")
    acc.add("dave", "correct horse")
    h1, h2 = store.account_hash("carol"), store.account_hash("dave")
    assert h1.startswith("$argon2id$") and h1 != h2 and "correct horse" not in h1   # salted: same password, other hash
    assert acc.check("carol", "correct horse") and not acc.check("carol", "wrong horse")
    assert not acc.check("nobody", "correct horse") and not acc.check("../carol", "correct horse")
    with pytest.raises(ValueError):
        acc.add("eve", "short")
    with pytest.raises(ValueError):
        acc.add("a--b", "long enough pw")
    assert acc.remove("dave") and acc.names() == ["carol"]
    store.close()


def test_users_cli_adds_lists_and_removes(tmp_path):
    import subprocess
    import sys

    env = dict(os.environ, GENEREC_DATA_DIR=str(tmp_path / "d"), GENEREC_EMBEDDER="hash")
    run = lambda *a, stdin="": subprocess.run([sys.executable, "-m", "generec", "users", *a], input=stdin, env=env,  # noqa: E731
                                              capture_output=True, text=True, timeout=120)
    r = run("add", "erin", "--password-stdin", stdin="erins-password\n")
    assert r.returncode == 0, r.stderr
    assert run("list").stdout.split() == ["erin"]
    assert run("add", "x", "--password-stdin", stdin="short\n").returncode == 2
    assert run("remove", "erin").returncode == 0 and run("list").stdout.split() == []


class _Req:
    """What Gradio hands a handler as `gr.Request` once sign-in has decided the user."""

    def __init__(self, username):
        self.username = username
        self.request = None


def _refusals_through_handlers(app):
    from generec.types import Item, User
    from generec.ui.chat import build_demo

    app.store.upsert_user(User(name="alice"))
    app.store.upsert_user(User(name="bob"))
    app.store.add_items([Item(id="alice-made", title="Alice's private video", origin="ai_created", owner="alice",
                              visibility="private", media_path="media/created/alice-made.mp4")])
    fns = {f.api_name: f.fn for f in build_demo(app, mode="accounts").fns.values() if f.api_name}
    before = (app.store.count("interactions"), app.store.count("items"))
    import gradio as gr

    for args in (("alice-made", "like", None, None), ("alice-made", "like", None, "alice")):
        with pytest.raises(gr.Error):
            fns["feedback"](*args, request=_Req("bob"))
    msg, _ = fns["publish"]("alice", "alice-made", request=_Req("bob"))
    assert "⚠️" in msg
    from generec.app.accounts import AccessError

    with pytest.raises((gr.Error, AccessError)):
        fns["feedback"]("alice-made", "like", None, None, request=_Req(None))   # nobody signed in
    assert (app.store.count("interactions"), app.store.count("items")) == before
    assert app.store.get_item("alice-made").visibility == "private"
    out = fns["feedback"]("alice-made", "like", None, None, request=_Req("alice"))   # the owner may
    assert out["kind"] == "like"


def test_refusals_hold_on_sqlite_through_the_handlers(fast_settings):
    from generec.app import GeneRec

    _refusals_through_handlers(GeneRec(fast_settings.with_(llm="rules")))


from conftest_pg import pg_server  # noqa: E402,F401


def test_refusals_hold_on_postgresql_through_the_handlers(fast_settings, pg_server):  # noqa: F811
    from generec.app import GeneRec

    url = pg_server.fresh_database()
    app = GeneRec(fast_settings.with_(llm="rules", database_url=url))
    try:
        _refusals_through_handlers(app)
    finally:
        app.store.close()
        pg_server.drop_database(url)


def test_limits_answer_at_once_instead_of_hanging():
    from generec.limits import Limits

    lim = Limits(turns_per_minute=2, creations_per_hour=1, max_waiting=3)
    assert lim.start_turn("a") is None and lim.start_turn("a") is None
    msg = lim.start_turn("a")
    assert msg and "Wait" in msg and "last minute" in msg
    assert lim.start_turn("b") is None       # in flight: a, a, b = 3
    busy = lim.start_turn("c")
    assert busy and "busy" in busy and "Try again in about" in busy
    lim.end_turn(2.0)
    assert lim.start_turn("c") is None
    assert lim.start_creation("a") is None
    assert "next one is possible" in lim.start_creation("a")
    assert lim.start_creation("b") is None


def test_in_chromium_bob_signs_in_and_still_cannot_see_alices_video(door):
    """A real page: the sign-in form, then bob's own chat; the browser itself (with bob's cookie)
    gets alice's private video refused and a public one served, and a turn's video plays."""
    from playwright.sync_api import sync_playwright

    url, settings, _ = door
    chromium = "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        pytest.fail(f"{chromium} is missing: `make install` installs Debian's chromium")
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=args, headless=True)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.fill("input[type=password]", "wrong password")
            page.fill("input[type=text], input:not([type])", "bob")
            page.keyboard.press("Enter")
            page.wait_for_timeout(1500)
            assert page.locator("#box").count() == 0          # a wrong password does not get in
            page.fill("input[type=text], input:not([type])", "bob")
            page.fill("input[type=password]", PASSWORDS["bob"])
            page.keyboard.press("Enter")
            page.wait_for_selector("#box textarea")
            status = lambda path: page.evaluate("p => fetch(p).then(r => r.status)", path)  # noqa: E731
            assert status("media/alice-made") == 404
            assert status("media/dog-park") == 200
            assert status(f"gradio_api/file={settings.data_dir / 'generec.db'}") in (403, 404)
            page.fill("#box textarea", "a dog in the park")
            page.press("#box textarea", "Enter")
            page.wait_for_function("() => document.querySelectorAll('#chat video').length >= 1")
            src = page.locator("#chat video").first.get_attribute("src")
            assert "generec-media" in src and "alice-made" not in src
            assert status(src.replace("dog-park", "alice-made").replace("blue-sea", "alice-made")) == 404   # the same route, alice's id
            page.wait_for_function("() => { const v = document.querySelector('#chat video'); return v.readyState >= 1 && !v.error; }")
        finally:
            browser.close()


def test_the_public_certificate_is_served_and_the_private_key_is_not(door):
    url, settings, _ = door
    web = session_for(url, "bob")
    r = web.get("provenance/chain.pem")
    assert r.status_code == 200 and "BEGIN CERTIFICATE" in r.text and "PRIVATE KEY" not in r.text
    for key in sorted((settings.data_dir / "keys").glob("*")):
        for spelling in spellings(settings.data_dir, key):
            got = web.get(f"gradio_api/file={spelling}")
            assert got.status_code != 200 or b"PRIVATE KEY" not in got.content, spelling


def test_hugging_face_sign_in_names_the_account_from_the_oauth_session():
    from generec.app.accounts import AccessError
    from generec.ui.access import account_of

    class Raw:
        def __init__(self, session):
            self.session = session

    mine = account_of(Raw({"oauth_info": {"userinfo": {"preferred_username": "Some.Body-42", "sub": "6501a0"}}}), "hf")
    assert mine.startswith("some_body_42_") and len(mine) <= 20
    other = account_of(Raw({"oauth_info": {"userinfo": {"preferred_username": "some-body.42", "sub": "6501a1"}}}), "hf")
    assert other.startswith("some_body_42_") and other != mine   # names that shorten alike: two accounts
    with pytest.raises(AccessError, match="Sign in"):   # no stable id, no account
        account_of(Raw({"oauth_info": {"userinfo": {"preferred_username": "Some.Body-42"}}}), "hf")
    with pytest.raises(AccessError, match="Sign in"):
        account_of(Raw({}), "hf")
    assert account_of(None, "local") == "owner"


def test_data_cli_exports_and_deletes_the_owners_data(fast_settings, tmp_path, monkeypatch):
    from generec.cli.main import main
    from generec.app import GeneRec
    from generec.types import Interaction, Item, User

    app = GeneRec(fast_settings.with_(llm="rules"))
    for name in ("owner", "owner--maya", "someone"):
        app.store.upsert_user(User(name=name))
    app.store.add_items([Item(id="mine", title="mine", origin="ai_created", owner="owner--maya", visibility="private")])
    app.store.record(Interaction("owner", "mine", "like"))
    app.store.record(Interaction("someone", "mine", "like"))
    monkeypatch.setenv("GENEREC_DATA_DIR", str(fast_settings.data_dir))
    monkeypatch.setenv("GENEREC_EMBEDDER", "hash")
    monkeypatch.setenv("GENEREC_IMAGE_FEATURES", "colour")
    out = tmp_path / "me.json"
    assert main(["data", "export", "--out", str(out)]) == 0
    got = json.loads(out.read_text())
    assert set(got["profile_names"]) == {"owner", "owner--maya"} and [i["id"] for i in got["items"]] == ["mine"]
    assert {r["user"] for r in got["interactions"]} == {"owner"}
    assert main(["data", "delete"]) == 2                   # asks for --yes: nothing deleted
    assert app.store.get_user("owner") is not None
    assert main(["data", "delete", "--yes"]) == 0
    assert app.store.get_user("owner") is None and app.store.get_user("owner--maya") is None
    assert app.store.get_item("mine") is None and app.store.get_user("someone") is not None
    assert len(app.store.interactions(user="someone")) == 1
