"""Hugging Face sign-in, end to end and offline: the real app, Gradio's real OAuth routes, a real provider.

`python app.py` runs as on a Space with `hf_oauth: true`: the environment a Space gets (`SYSTEM=spaces`,
`SPACE_ID`, `OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET`, `OAUTH_SCOPES`, `OPENID_PROVIDER_URL`) and the
project's default `GENEREC_AUTH=auto`, which picks `hf` there. Gradio then attaches its real routes
(`/login/huggingface`, `/login/callback`, `/logout`: authlib's OpenID Connect client and a signed
session cookie) instead of its mocked local login, and `OPENID_PROVIDER_URL` points them at
`Provider` below: a small OpenID Connect provider on a loopback port (discovery, authorization
code flow with state and nonce, client authentication, single-use codes, RS256 ID tokens with a
JWKS, userinfo), standing in for huggingface.co.

A "browser" here is an httpx client that keeps the app's cookies and follows each redirect by
hand, and that is signed in at the provider (as a browser would be at huggingface.co).

Only difference from a Space: no `SPACE_HOST`, so Gradio builds the callback URL from the request
(`http://127.0.0.1:<port>/login/callback`) instead of `https://<space host>/login/callback`.
Gradio (authlib) takes the profile from the verified ID token and never calls the userinfo
endpoint; the test calls it with the access token the app stored, to show it is the one issued.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from app_server import SubprocessApp
from generec.ui.access import hf_account

pytestmark = pytest.mark.timeout(300, func_only=True)

SOME_BODY = {"sub": "6501a0c0ffee000000000042", "preferred_username": "Some.Body-42", "name": "Some Body",
             "picture": "https://cdn.example/avatars/some-body.png", "profile": "https://huggingface.co/Some.Body-42"}
OTHER = {"sub": "6501a0c0ffee000000000077", "preferred_username": "Other.Person", "name": "Other Person",
         "picture": "https://cdn.example/avatars/other.png", "profile": "https://huggingface.co/Other.Person"}
SHORT = {"sub": "6501a0c0ffee000000000099", "preferred_username": "Short.Lived", "name": "Short Lived",
         "picture": "https://cdn.example/avatars/short.png", "profile": "https://huggingface.co/Short.Lived"}


SB = hf_account(SOME_BODY["preferred_username"], SOME_BODY["sub"])   # the GeneRec account each one signs in as
OTHER_ACCOUNT = hf_account(OTHER["preferred_username"], OTHER["sub"])


# -- the provider ------------------------------------------------------------------------------------
class Provider:
    """An OpenID Connect provider (authorization code flow) for one registered client.

    People sign in at the provider with a login token (what a huggingface.co cookie is to a
    browser); `authorize` then approves at once and sends the browser back with a code. The token
    endpoint checks the client's secret, the code (single use, short-lived, issued to this client
    for this redirect URI) and answers with an access token and an ID token signed with the key
    the JWKS publishes. `rogue_key` signs ID tokens with a key the JWKS does not hold."""

    def __init__(self, client_id: str, client_secret: str, callback_path: str = "/login/callback"):
        from joserfc.jwk import RSAKey

        self.client_id, self.client_secret, self.callback_path = client_id, client_secret, callback_path
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "alg": "RS256", "use": "sig"})
        self.rogue_key = None
        self.app_origin = ""                 # the registered client's origin (its redirect URIs live there)
        self.logins: dict[str, dict] = {}    # login token -> claims of the person signed in at the provider
        self.lifetimes: dict[str, int] = {}  # sub -> access token lifetime (s), default 3600
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.redeemed: list[str] = []        # codes exchanged at the token endpoint
        self.refused: list[tuple[str, str]] = []   # (endpoint, reason)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="oidc-provider", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def login(self, claims: dict) -> str:
        token = secrets.token_urlsafe(16)
        self.logins[token] = claims
        return token

    def metadata(self) -> dict:
        u = self.url
        return {"issuer": u, "authorization_endpoint": f"{u}/oauth/authorize", "token_endpoint": f"{u}/oauth/token",
                "userinfo_endpoint": f"{u}/oauth/userinfo", "jwks_uri": f"{u}/oauth/jwks",
                "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "claims_supported": ["sub", "name", "preferred_username", "picture", "profile"]}

    # the endpoints: each returns (status, headers, body)
    def authorize(self, q: dict, headers) -> tuple:
        def refuse(why):
            self.refused.append(("authorize", why))
            return 400, {}, {"error": "invalid_request", "error_description": why}

        login = _cookie(headers.get("Cookie", ""), "hf_login")
        person = self.logins.get(login or "")
        if person is None:
            self.refused.append(("authorize", "not signed in"))
            return 401, {}, {"error": "login_required"}
        if q.get("client_id") != self.client_id:
            return refuse("unknown client")
        if q.get("response_type") != "code":
            return refuse("response_type must be code")
        if "openid" not in q.get("scope", "").split():
            return refuse("scope needs openid")
        redirect = q.get("redirect_uri", "")
        parts = urllib.parse.urlsplit(redirect)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != f"{self.app_origin}{self.callback_path}":
            return refuse("redirect_uri is not registered")
        if not q.get("state"):
            return refuse("state is required")
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"person": person, "redirect_uri": redirect, "nonce": q.get("nonce"),
                                "scope": q["scope"], "exp": time.time() + 60}
        sep = "&" if parts.query else "?"
        back = redirect + sep + urllib.parse.urlencode({"code": code, "state": q["state"]})
        return 302, {"Location": back}, None

    def token(self, form: dict, headers) -> tuple:
        def refuse(error, why, status=400):
            self.refused.append(("token", why))
            return status, {}, {"error": error, "error_description": why}

        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
        if cid != self.client_id or not secrets.compare_digest(secret or "", self.client_secret):
            return refuse("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type", "authorization_code only")
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)   # single use: gone whatever happens next
        if grant is None or grant["exp"] < time.time():
            return refuse("invalid_grant", "unknown, used or expired code")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return refuse("invalid_grant", "redirect_uri differs from the authorization request")
        self.redeemed.append(form["code"])
        person, now = grant["person"], int(time.time())
        lifetime = self.lifetimes.get(person["sub"], 3600)
        access = secrets.token_urlsafe(32)
        self.tokens[access] = {"person": person, "exp": now + lifetime}
        claims = {"iss": self.url, "sub": person["sub"], "aud": self.client_id, "iat": now, "auth_time": now,
                  "exp": now + lifetime, "at_hash": _half_hash(access), **person}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        from joserfc import jwt

        key = self.rogue_key or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-1", "typ": "JWT"}, claims, key)
        return 200, {"Cache-Control": "no-store"}, {"access_token": access, "token_type": "Bearer", "expires_in": lifetime,
                                                     "id_token": id_token, "scope": grant["scope"]}

    def userinfo(self, headers) -> tuple:
        auth = headers.get("Authorization", "")
        tok = self.tokens.get(auth[7:] if auth.startswith("Bearer ") else "")
        if tok is None or tok["exp"] < time.time():
            return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, {"error": "invalid_token"}
        return 200, {}, dict(tok["person"])

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):   # quiet
                pass

            def _send(self, status, headers, body):
                raw = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    return self._send(200, {}, provider.metadata())
                if url.path == "/oauth/jwks":
                    return self._send(200, {}, {"keys": [provider.key.as_dict(private=False)]})
                if url.path == "/oauth/authorize":
                    return self._send(*provider.authorize(q, self.headers))
                if url.path == "/oauth/userinfo":
                    return self._send(*provider.userinfo(self.headers))
                return self._send(404, {}, {"error": "not_found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if urllib.parse.urlsplit(self.path).path == "/oauth/token":
                    return self._send(*provider.token(dict(urllib.parse.parse_qsl(body)), self.headers))
                return self._send(404, {}, {"error": "not_found"})

        return Handler


def _half_hash(token: str) -> str:
    """OIDC's at_hash for RS256: the left half of SHA-256, base64url without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()[:16]).rstrip(b"=").decode()


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


# -- a browser ---------------------------------------------------------------------------------------
class Browser:
    """Cookies for the app (kept in a jar, as a browser keeps them), a login at the provider, and
    every redirect followed by hand so each step can be looked at."""

    def __init__(self, app_url: str, provider: Provider, person: dict | None = None):
        self.app = httpx.Client(base_url=app_url, timeout=30, follow_redirects=False,
                                event_hooks={"request": [self._send_cookies]})
        self.idp_login = provider.login(person) if person else None
        self.provider = provider
        self.app_url = app_url.rstrip("/")

    def close(self):
        self.app.close()

    def _send_cookies(self, request: httpx.Request) -> None:
        """Browsers count http://127.0.0.1 as a secure context and send it `Secure` cookies (Gradio's
        session cookie is one); httpx's jar keeps them but sends them over https only, so send them here."""
        if "cookie" not in request.headers and len(self.app.cookies.jar):
            request.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.app.cookies.jar)

    @property
    def session_cookie(self) -> str | None:
        return self.app.cookies.get("session")

    def to_provider(self, url: str) -> httpx.Response:
        assert url.startswith(self.provider.url + "/"), url
        headers = {"Cookie": f"hf_login={self.idp_login}"} if self.idp_login else {}
        return httpx.get(url, headers=headers, follow_redirects=False, timeout=30)

    def start_login(self, target: str = "/") -> httpx.Response:
        return self.app.get("login/huggingface", params={"_target_url": target})

    def sign_in(self) -> dict:
        """The whole flow; returns what each step answered."""
        login = self.start_login()
        authorize = self.to_provider(login.headers["location"])
        callback_url = authorize.headers["location"]
        assert callback_url.startswith(self.app_url + "/login/callback?"), callback_url
        callback = self.app.get(callback_url)
        return {"login": login, "authorize": authorize, "callback": callback}

    def export(self) -> httpx.Response:
        return self.app.get("me/export")


def session_payload(cookie: str) -> dict:
    """What Starlette's session cookie carries: base64 JSON, then a timestamp and a signature."""
    data = cookie.rsplit(".", 2)[0]
    return json.loads(base64.b64decode(data))


def signed_session(payload: dict, secret_key: str) -> str:
    """A session cookie made the way Starlette's SessionMiddleware makes one, with `secret_key`."""
    import itsdangerous

    data = base64.b64encode(json.dumps(payload).encode())
    return itsdangerous.TimestampSigner(secret_key).sign(data).decode()


@contextlib.contextmanager
def gradio_client(url: str, cookie: str | None):
    """An API client carrying a session cookie, as a signed-in browser would."""
    from gradio_client import Client

    client = Client(url, headers={"Cookie": f"session={cookie}"} if cookie else None, verbose=False)
    try:
        yield client
    finally:
        client.close()


# -- the Space -----------------------------------------------------------------------------------------
def small_space_data(data: Path) -> None:
    """Two public videos and one private video of Some.Body-42's, with real files and vectors."""
    from PIL import Image

    from conftest import make_video
    from generec.app import GeneRec
    from generec.config import Settings
    from generec.types import Item, User

    app = GeneRec(Settings(data_dir=data, embedder="hash", image_features="colour", llm="rules", threads=1))
    media = app.settings.media_dir
    for name, colour in (("dog", "green"), ("sea", "blue")):
        make_video(media / f"{name}.mp4", [colour])
        Image.new("RGB", (64, 64), colour).save(media / f"{name}.jpg")
    make_video(media / "created" / "sb-made.mp4", ["red"])
    app.store.upsert_user(User(name=SB, display=SB))   # made the video on an earlier visit
    app.catalog.add([Item(id="dog-park", title="Dog playing in the park", tags=["animals", "dog"], media_path="media/dog.mp4",
                          cover_path="media/dog.jpg", duration_s=1.0),
                     Item(id="blue-sea", title="Blue sea waves", tags=["sea", "calm"], media_path="media/sea.mp4",
                          cover_path="media/sea.jpg", duration_s=1.0),
                     Item(id="sb-made", title="Some Body's private video", origin="ai_created", owner=SB,
                          visibility="private", media_path="media/created/sb-made.mp4", duration_s=1.0)])
    app.store.close()


def db_rows(db: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    """`python app.py` with a Space's OAuth environment, pointed at a provider of our own."""
    root = tmp_path_factory.mktemp("space")
    data = root / "data"
    small_space_data(data)
    client_id, client_secret = f"client-{secrets.token_hex(8)}", secrets.token_urlsafe(24)
    with Provider(client_id, client_secret) as provider:
        env = {"SYSTEM": "spaces", "SPACE_ID": "someone/generec", "SPACE_HOST": None,
               "OAUTH_CLIENT_ID": client_id, "OAUTH_CLIENT_SECRET": client_secret, "OAUTH_SCOPES": "openid profile",
               "OPENID_PROVIDER_URL": provider.url, "GENEREC_AUTH": "auto", "GENEREC_EMBEDDER": "hash",
               "GENEREC_IMAGE_FEATURES": "colour", "GENEREC_LLM": "rules", "GENEREC_JUDGE_LLM": ""}
        with SubprocessApp(data, log_path=root / "app.log", env=env) as srv:
            provider.app_origin = srv.url.rstrip("/")
            yield {"url": srv.url, "provider": provider, "db": data / "generec.db", "data": data,
                   "secret": client_secret, "log": root / "app.log"}


@pytest.fixture
def browsers(space):
    made = []

    def make(person: dict | None = None) -> Browser:
        b = Browser(space["url"], space["provider"], person)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


# -- the tests -----------------------------------------------------------------------------------------
def test_gradio_runs_its_real_oauth_routes(space):
    """The Space's routes, not the mocked local login: /login/huggingface sends the browser to our
    provider (the mocked one would go straight to /login/callback and need a huggingface.co token)."""
    r = httpx.get(space["url"] + "login/huggingface", follow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["location"].startswith(space["provider"].url + "/oauth/authorize?")
    cfg = httpx.get(space["url"] + "config", timeout=30).json()
    # GENEREC_AUTH=auto picked hf: the page shows the sign-in button
    assert any("logout_value" in c.get("props", {}) for c in cfg["components"])


def test_an_anonymous_visitor_is_refused(space, browsers):
    db = space["db"]
    before = db_rows(db, "select (select count(*) from interactions), (select count(*) from messages), (select count(*) from users)")
    anon = browsers()
    for path in ("me/export", "media/sb-made", "media/dog-park", "media/dog-park/cover"):
        r = anon.app.get(path)
        assert r.status_code == 401 and "Sign in" in r.text, (path, r.status_code)
    with gradio_client(space["url"], None) as client:
        with pytest.raises(Exception, match="Sign in first"):
            client.predict("dog-park", "like", None, None, api_name="/feedback")
        out = client.predict({"text": "a dog in the park", "files": []}, "you", api_name="/chat")
        assert "Sign in first" in json.dumps(out) and "dog-park" not in json.dumps(out)
    assert db_rows(db, "select (select count(*) from interactions), (select count(*) from messages), (select count(*) from users)") == before


def test_the_oauth_flow_signs_some_body_in(space, browsers):
    provider = space["provider"]
    b = browsers(SOME_BODY)
    steps = b.sign_in()

    # 1. the app sends the browser to the provider, with its client id, its callback and a fresh state
    login = steps["login"]
    assert login.status_code == 302
    auth_url = urllib.parse.urlsplit(login.headers["location"])
    assert f"{auth_url.scheme}://{auth_url.netloc}{auth_url.path}" == provider.url + "/oauth/authorize"
    q = dict(urllib.parse.parse_qsl(auth_url.query))
    assert q["client_id"] == provider.client_id and q["response_type"] == "code"
    assert q["redirect_uri"].startswith(space["url"] + "login/callback?_target_url=")
    assert len(q["state"]) >= 20 and q.get("nonce") and set(q["scope"].split()) == {"openid", "profile"}
    set_cookie = login.headers["set-cookie"].lower()
    assert set_cookie.startswith("session=") and "httponly" in set_cookie and "secure" in set_cookie
    first = login.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert f"_state_huggingface_{q['state']}" in session_payload(first)   # the state waits in the signed session

    # 2. the provider approves and sends the browser back with a code and the same state
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(steps["authorize"].headers["location"]).query))
    assert back["state"] == q["state"] and back["code"]

    # 3. the callback redeems the code (server to server), checks the ID token, stores the sign-in
    cb = steps["callback"]
    assert cb.status_code in (302, 307) and cb.headers["location"] == "/", (cb.status_code, cb.text[:500])
    assert back["code"] in provider.redeemed
    info = session_payload(b.session_cookie)["oauth_info"]
    assert info["userinfo"]["preferred_username"] == "Some.Body-42" and info["userinfo"]["sub"] == SOME_BODY["sub"]
    assert info["userinfo"]["iss"] == provider.url and info["userinfo"]["aud"] == provider.client_id
    assert not any(k.startswith("_state_") for k in session_payload(b.session_cookie))   # the state is spent
    # the access token the app holds is the one the provider issued to Some.Body
    r = httpx.get(provider.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {info['access_token']}"})
    assert r.status_code == 200 and r.json()["sub"] == SOME_BODY["sub"]

    # 4. signed in: the app knows the account
    r = b.export()
    assert r.status_code == 200, r.text
    assert r.json()["account"] == SB and f'filename="generec-{SB}.json"' in r.headers["content-disposition"]
    assert b.app.get("media/sb-made").status_code == 200        # their own private video
    assert b.app.get("media/dog-park").status_code == 200

    # 5. the code cannot be used twice: a replayed callback signs nobody in
    replay = browsers(None)
    r = replay.app.get(steps["authorize"].headers["location"])
    assert r.status_code in (302, 307) and r.headers["location"].startswith("/login/huggingface")
    assert replay.export().status_code == 401

    # 6. logout ends it
    r = b.app.get("logout")
    assert r.status_code in (302, 307)
    assert b.export().status_code == 401


def test_calls_through_the_api_are_recorded_under_the_account(space, browsers):
    b = browsers(SOME_BODY)
    b.sign_in()
    db = space["db"]
    with gradio_client(space["url"], b.session_cookie) as client:
        out = client.predict("dog-park", "like", None, None, api_name="/feedback")
        assert out["kind"] == "like" and out["item_id"] == "dog-park"
        chat = client.predict({"text": "calm sea waves", "files": []}, "you", api_name="/chat")
        assert "Sign in" not in json.dumps(chat)
    assert ("dog-park", "like") in db_rows(db, f"select item_id, kind from interactions where user='{SB}'")
    assert db_rows(db, f"select count(*) from messages where user='{SB}'")[0][0] >= 2   # the question and the answer
    assert db_rows(db, f"select count(*) from users where name='{SB}'")[0][0] == 1
    mine = b.export().json()
    assert any(r["item_id"] == "dog-park" and r["kind"] == "like" for r in mine["interactions"])
    assert {i["id"] for i in mine["items"]} == {"sb-made"}


def test_another_person_sees_only_their_own(space, browsers):
    sb, other = browsers(SOME_BODY), browsers(OTHER)
    sb.sign_in()
    other.sign_in()
    assert sb.session_cookie != other.session_cookie
    with gradio_client(space["url"], sb.session_cookie) as c:
        c.predict("blue-sea", "dislike", None, None, api_name="/feedback")
    r = other.export()
    assert r.status_code == 200
    theirs = r.json()
    assert theirs["account"] == OTHER_ACCOUNT and theirs["items"] == []
    assert "some_body" not in json.dumps(theirs)
    assert other.app.get("media/sb-made").status_code == 404          # not theirs: looks like nothing
    assert other.app.get("media/sb-made/cover").status_code == 404
    assert other.app.get("media/dog-park").status_code == 200
    db = space["db"]
    before = db_rows(db, f"select count(*) from interactions where user like '{SB}%'")
    with gradio_client(space["url"], other.session_cookie) as c:
        for args in (("sb-made", "like", None, None), ("dog-park", "like", None, SB)):
            with pytest.raises(Exception):
                c.predict(*args, api_name="/feedback")
        msg, _ = c.predict(SB, "sb-made", api_name="/publish")
        assert "now public" not in msg
    assert db_rows(db, f"select count(*) from interactions where user like '{SB}%'") == before
    assert db_rows(db, "select visibility from items where id='sb-made'") == [("private",)]
    assert sb.export().json()["account"] == SB


def test_a_forged_or_tampered_session_signs_nobody_in(space, browsers):
    other = browsers(OTHER)
    other.sign_in()
    good = other.session_cookie
    payload = session_payload(good)
    as_some_body = json.loads(json.dumps(payload))
    as_some_body["oauth_info"]["userinfo"].update(SOME_BODY)

    def export_with(cookie: str) -> httpx.Response:
        return httpx.get(space["url"] + "me/export", headers={"Cookie": f"session={cookie}"}, timeout=30)

    assert export_with(good).json()["account"] == OTHER_ACCOUNT
    # Other.Person's signature on Some.Body's name
    data, ts, sig = good.rsplit(".", 2)
    swapped = base64.b64encode(json.dumps(as_some_body).encode()).decode()
    assert export_with(f"{swapped}.{ts}.{sig}").status_code == 401
    # signed with keys other than the server's: a guess, and the key of an unset client secret
    for key in (secrets.token_hex(32), hashlib.sha256(b"-v4").hexdigest()):
        assert export_with(signed_session(as_some_body, key)).status_code == 401
    # unsigned, and the bare oauth_info a mocked login would store
    assert export_with(base64.b64encode(json.dumps(as_some_body).encode()).decode()).status_code == 401
    # the same cookie made with the server's key is taken: the refusals above are the signature's doing
    # (and the client secret is all that guards sign-ins: Gradio derives the session key from it)
    server_key = hashlib.sha256((space["secret"] + "-v4").encode()).hexdigest()
    assert export_with(signed_session(as_some_body, server_key)).json()["account"] == SB
    with gradio_client(space["url"], signed_session(as_some_body, secrets.token_hex(32))) as c:
        with pytest.raises(Exception, match="Sign in first"):
            c.predict("dog-park", "like", None, None, api_name="/feedback")


def test_a_callback_with_a_wrong_state_signs_nobody_in(space, browsers):
    provider = space["provider"]
    victim, attacker = browsers(SOME_BODY), browsers(OTHER)

    def begin(b: Browser) -> tuple[str, str]:
        """Start a sign-in and come back from the provider: (the state, the callback URL)."""
        login = b.start_login()
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(login.headers["location"]).query))["state"]
        return state, b.to_provider(login.headers["location"]).headers["location"]

    def refused(r: httpx.Response) -> bool:
        return r.status_code in (302, 307) and r.headers["location"].startswith("/login/huggingface?_nb_redirects=1")

    # the state in the callback is not the one this browser's session holds
    state, back = begin(victim)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))["code"]
    assert refused(victim.app.get(back.replace(f"state={state}", "state=" + secrets.token_urlsafe(22))))
    assert code not in provider.redeemed                     # refused before the code was ever spent
    assert victim.export().status_code == 401
    assert victim.session_cookie is None     # Gradio dropped the pending state with it: the session is empty

    # no state at all
    state, back = begin(victim)
    assert refused(victim.app.get(back.replace(f"&state={state}", "")))
    assert victim.export().status_code == 401

    # login CSRF: the attacker's code and state, planted in the victim's browser mid sign-in, are not its state
    begin(victim)
    _, planted = begin(attacker)
    assert refused(victim.app.get(planted))
    assert victim.export().status_code == 401

    # the victim's own callback, replayed from a browser that never started a sign-in
    _, back = begin(victim)
    stranger = browsers(None)
    assert refused(stranger.app.get(back)) and stranger.export().status_code == 401

    # nobody signed in at the provider: it stops there and sends nothing back
    anon = browsers(None)
    r = anon.to_provider(anon.start_login().headers["location"])
    assert r.status_code == 401 and "location" not in r.headers and anon.export().status_code == 401


def test_an_id_token_not_signed_by_the_provider_is_refused(space, browsers):
    from joserfc.jwk import RSAKey

    provider = space["provider"]
    provider.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "alg": "RS256", "use": "sig"})
    try:
        b = browsers(SOME_BODY)
        steps = b.sign_in()
    finally:
        provider.rogue_key = None
    assert steps["callback"].status_code >= 400     # authlib's BadSignatureError: Gradio answers 500
    assert "oauth_info" not in session_payload(b.session_cookie)
    # the server closes the connection after a 500: ask on a new one
    r = httpx.get(space["url"] + "me/export", headers={"Cookie": f"session={b.session_cookie}"}, timeout=30)
    assert r.status_code == 401


def test_a_sign_in_ends_when_its_token_expires(space, browsers):
    """Gradio drops an `oauth_info` whose `expires_at` has passed; the app must not keep it alive
    for the cookie's 14 days."""
    space["provider"].lifetimes[SHORT["sub"]] = 2
    b = browsers(SHORT)
    b.sign_in()
    assert b.export().json()["account"] == hf_account(SHORT["preferred_username"], SHORT["sub"])
    time.sleep(3.0)
    assert b.export().status_code == 401


@pytest.mark.parametrize("first,second", [("Some.Body-42", "some-body.42"),
                                          ("Maximilian-Hoffmann-Research", "Maximilian-Hoffmann-Photos")])
def test_two_hugging_face_users_never_share_an_account(space, browsers, first, second):
    accounts = []
    for n, name in enumerate((first, second)):
        b = browsers({"sub": f"6501a0c0ffee0000000001{n}{len(name):02d}", "preferred_username": name, "name": name,
                      "picture": "", "profile": f"https://huggingface.co/{name}"})
        b.sign_in()
        accounts.append(b.export().json()["account"])
    assert accounts[0] != accounts[1], accounts
