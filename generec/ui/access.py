"""The door: which sign-in the app uses, who each request comes from, and what it may fetch.

The requester is always decided here, from the connection, never from an argument:
- `local`: the app is bound to loopback (the `make demo` default); one owner, no sign-in;
- `accounts`: Gradio's sign-in page over the accounts of `python -m generec users add`;
- `hf`: Hugging Face OAuth on a Space that enables it (`hf_oauth: true`).
`auto` picks `local` on loopback, `hf` on a Space with OAuth, `accounts` anywhere else; a
non-loopback app never runs without sign-in.

Files: Gradio serves nothing from the data dir (it is blocked outright). Item media go through
`/media/{item_id}` (and `/cover`), which serves public items to anyone signed in and private
items only to the account that owns them; everything else answers 404, whatever the spelling.

Player signals: `POST /signals` with JSON `{"item_id", "kind": play|watch|complete, "seconds"}`
(sent by the page's script, `ui/player.py`). The account is the requester's, decided as for
media (401 for nobody signed in); nothing in the body names a user, and other fields are
ignored. An item the account may not see answers 404 like an unknown one, and nothing is
stored; a bad kind or number 400; more reports than a player sends 429. It takes JSON only,
and from this page's own origin (a cross-site form cannot post it).
"""
from __future__ import annotations

import json
import hashlib
import os
import re
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import Request   # at module level: the routes' annotations are resolved from here

from ..app.accounts import LOCAL_OWNER, AccessError, Accounts, export_data, owns

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MODES = ("auto", "local", "accounts", "hf")


def sign_in_mode(settings) -> str:
    mode = settings.auth
    if mode not in MODES:
        raise ValueError(f"GENEREC_AUTH={mode!r}: choose one of {', '.join(MODES)}")
    loopback = settings.host in LOOPBACK
    if mode == "auto":
        if os.environ.get("SPACE_ID") and os.environ.get("OAUTH_CLIENT_ID"):
            return "hf"
        return "local" if loopback else "accounts"
    if mode == "local" and not loopback:
        raise ValueError(f"GENEREC_AUTH=local only works on loopback; {settings.host} needs sign-in (accounts or hf)")
    return mode


def launch_options(app, settings) -> dict:
    """The `launch()` arguments of the door: sign-in, the closed file surface, our routes."""
    mode = sign_in_mode(settings)
    data = Path(settings.data_dir)
    blocked = sorted({str(p) for p in (data, data.resolve(), settings.media_dir.resolve(), settings.model_cache.resolve())})
    from .player import head

    opts = {"allowed_paths": [], "blocked_paths": blocked, "ssr_mode": False, "head": head(),
            "app_kwargs": {"routes": media_routes(app, mode)}}
    if mode == "accounts":
        accounts = Accounts(app.store)
        if not accounts.names():
            raise SystemExit(f"GeneRec is bound to {settings.host} and needs sign-in, but it has no accounts yet. "
                             "Add one with `python -m generec users add NAME`, or bind it to 127.0.0.1.")
        async def check(name: str, password: str) -> bool:
            # Argon2 is slow on purpose: run it on a worker thread, or every sign-in would hold up
            # the whole server's event loop (seen under load: sign-ins queued behind each other)
            import anyio

            return await anyio.to_thread.run_sync(accounts.check, name, password)

        opts["auth"] = check
        opts["auth_message"] = "Sign in to GeneRec (accounts are made with `python -m generec users add NAME`)."
    return opts


def hf_account(name: str | None, sub: str | None) -> str | None:
    """The account of a Hugging Face user: their name, shortened to what an account name allows, and
    6 hex digits of their stable id (`sub`), so two users whose names shorten alike ("Some.Body-42",
    "some-body.42") never share one. No `sub`, no account."""
    if not sub:
        return None
    n = re.sub(r"[^a-z0-9_]", "_", (name or "user").lower())[:13].strip("_") or "user"
    return f"{n}_{hashlib.sha256(str(sub).encode()).hexdigest()[:6]}"


def account_of(request, mode: str) -> str:
    """The account a request (a `gr.Request` or a starlette `Request`) comes from; AccessError
    when nobody is signed in."""
    if mode == "local":
        return LOCAL_OWNER
    user = None
    if mode == "accounts":
        user = getattr(request, "username", None)
        if user is None:
            raw = getattr(request, "request", request)   # gr.Request wraps the starlette request
            app = getattr(raw, "app", None)
            cid = getattr(app, "cookie_id", None)
            if cid is not None:
                tok = raw.cookies.get(f"access-token-{cid}") or raw.cookies.get(f"access-token-unsecure-{cid}")
                user = app.tokens.get(tok)
    elif mode == "hf":
        raw = getattr(request, "request", request)
        try:
            info = raw.session.get("oauth_info") or {}
        except (AssertionError, AttributeError):   # no session middleware: OAuth is not on
            info = {}
        if (info.get("expires_at") or float("inf")) < time.time():   # as Gradio does: an expired sign-in is none
            info = {}
        who = info.get("userinfo") or {}
        user = hf_account(who.get("preferred_username"), who.get("sub"))
    if not user:
        raise AccessError("Sign in first: this GeneRec is shared, so it needs to know who you are.")
    return str(user)


def media_ref(item_id: str) -> str:
    """The name a chat video goes by: a path in a folder of Gradio's cache that never holds a file.
    Gradio then hands browsers and API clients `/gradio_api/file=<that path>`, and our route for
    exactly that prefix (registered before Gradio's own) serves it after checking who asks. So the
    player, a download and `gradio_client` all get the video, and only if they may see it."""
    from gradio.utils import get_upload_folder

    return f"{get_upload_folder()}/{VIRTUAL}/{item_id}.mp4"


VIRTUAL = "generec-media"   # the never-written folder of media_ref


def may_see(item, account: str) -> bool:
    return item is not None and (item.visibility == "public" or owns(account, item.owner))


def media_routes(app, mode: str) -> list:
    """`/media/{id}`, `/media/{id}/cover`, `/provenance/chain.pem`, `/me/export`, `POST /signals`."""
    from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
    from fastapi.routing import APIRoute

    media_root = app.settings.media_dir.resolve()
    media_lexical = Path(os.path.normpath(app.settings.media_dir))

    def _file(item_id: str, kind: str, request: Request):
        try:
            account = account_of(request, mode)
        except AccessError as exc:
            return PlainTextResponse(str(exc), status_code=401)
        item = app.store.get_item(item_id)
        if not may_see(item, account):   # unknown and not-yours look the same: nothing to learn
            return PlainTextResponse("No such item.", status_code=404)
        rel = item.cover_path if kind == "cover" else item.media_path
        if not rel:
            return PlainTextResponse("No such file.", status_code=404)
        path = Path(os.path.normpath(app.catalog.path(rel)))
        inside = path.is_relative_to(media_lexical) or path.resolve().is_relative_to(media_root)
        if not inside or not path.is_file():
            return PlainTextResponse("No such file.", status_code=404)
        return FileResponse(path, headers={"Cache-Control": "private, no-store" if item.visibility != "public" else "private"})

    async def video(item_id: str, request: Request):
        return _file(item_id, "video", request)

    async def cover(item_id: str, request: Request):
        return _file(item_id, "cover", request)

    async def chain(request: Request):
        try:
            from ..fidelity.provenance import public_chain
        except ImportError:
            return PlainTextResponse("No provenance certificate on this server.", status_code=404)
        path = public_chain(app.settings)
        return Response(Path(path).read_bytes(), media_type="application/x-pem-file")

    async def export(request: Request):
        try:
            account = account_of(request, mode)
        except AccessError as exc:
            return PlainTextResponse(str(exc), status_code=401)
        body = json.dumps(export_data(app, account), ensure_ascii=False, indent=1, default=str)
        return JSONResponse(json.loads(body), headers={"Content-Disposition": f'attachment; filename="generec-{account}.json"',
                                                       "Cache-Control": "private, no-store"})

    async def chat_video(item_id: str, request: Request):
        return _file(item_id, "video", request)

    async def signals(request: Request):
        from urllib.parse import urlparse

        import anyio

        from ..app.accounts import UserError
        from ..app.people import TooMany

        try:
            account = account_of(request, mode)
        except AccessError as exc:
            return PlainTextResponse(str(exc), status_code=401)
        origin, h = request.headers.get("origin"), request.headers
        if h.get("sec-fetch-site") in ("cross-site", "same-site") or (
                origin and urlparse(origin).netloc not in (h.get("host"), h.get("x-forwarded-host"))):
            return PlainTextResponse("Player reports come from this page only.", status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return PlainTextResponse("Send JSON.", status_code=415)
        refused = app.limits.start_signal(account)
        if refused:
            return PlainTextResponse(refused, status_code=429)
        raw = await request.body()
        try:
            body = json.loads(raw) if len(raw) <= 2048 else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return PlainTextResponse('Send {"item_id": …, "kind": "play"|"watch"|"complete", "seconds": …}.', status_code=400)
        try:
            out = await anyio.to_thread.run_sync(app.player_signal, account, body.get("item_id"), body.get("kind"), body.get("seconds"))
        except LookupError:
            return PlainTextResponse("No such item.", status_code=404)
        except TooMany as exc:
            return PlainTextResponse(str(exc), status_code=429)
        except UserError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return JSONResponse(out, headers={"Cache-Control": "no-store"})

    from gradio.utils import get_upload_folder

    virtual = quote(f"{get_upload_folder()}/{VIRTUAL}", safe="/")
    return [APIRoute(f"/gradio_api/file={virtual}/{{item_id}}.mp4", chat_video, methods=["GET", "HEAD"]),
            APIRoute("/media/{item_id}", video, methods=["GET", "HEAD"]),
            APIRoute("/media/{item_id}/cover", cover, methods=["GET", "HEAD"]),
            APIRoute("/provenance/chain.pem", chain, methods=["GET"]),
            APIRoute("/me/export", export, methods=["GET"]),
            APIRoute("/signals", signals, methods=["POST"])]
