"""GeneRec as one object: settings, store, catalog and feed wired together, and a chat turn.

This is the outer layer: it validates what people send, stores messages and interactions,
and turns a request into events (steps, picks, problems) for any front end to render.
Until the instructor (LLM agent) lands, a turn is semantic retrieval over the message,
ranked with the user's profile.
"""
from __future__ import annotations

import json
import re
import time
from typing import Iterator

from .catalog import Catalog
from .config import ROOT, Settings
from .events import Event, Problem, Say, ShowItem, Step
from .feed import Feed
from .profile import build_profile
from .types import EVENT_KINDS, Interaction, User
from .uploads import read_uploads

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_TEXT = 2000


class UserError(ValueError):
    """Input a person can fix; the message tells them how."""


def clean_name(name: str) -> str:
    n = (name or "").strip().lower()
    if not NAME.match(n):
        raise UserError(f"“{name[:40]}” is not a usable profile name: use 1–32 letters, digits, '-' or '_'")
    return n


class GeneRec:
    def __init__(self, settings: Settings, store=None, catalog: Catalog | None = None):
        from .store import open_store

        self.settings = settings
        self.store = store or open_store(settings.db_url)
        self.catalog = catalog or Catalog(settings, self.store)
        self.feed = Feed(self.catalog)

    # -- users -------------------------------------------------------------
    def user(self, name: str, create: bool = False) -> User:
        n = clean_name(name)
        u = self.store.get_user(n)
        if u is None:
            if not create:
                raise UserError(f"there is no profile called “{n}”; pick one from the list or create it")
            u = User(name=n, display=n)
            self.store.upsert_user(u)
        return u

    def profile_summary(self, name: str) -> dict:
        prof = build_profile(self.store, clean_name(name))
        items = self.catalog.visible(prof.user.name)
        likes, dislikes = prof.tastes(items)
        title = lambda ids: [items[i].title for i in ids if i in items]  # noqa: E731
        return {
            "name": prof.user.name, "display": prof.user.display or prof.user.name, "bio": prof.user.bio,
            "simulated": prof.user.simulated, "simulated_events": prof.simulated_events,
            "liked": title(prof.liked), "disliked": title(prof.rejected),
            "tastes": likes, "avoids": dislikes, "preferences": prof.user.preferences,
        }

    # -- feedback ----------------------------------------------------------
    def feedback(self, name: str, item_id: str, kind: str, value: float | None = None, session: str | None = None) -> Interaction:
        if kind not in EVENT_KINDS:
            raise UserError(f"unknown feedback “{kind}”; one of {', '.join(EVENT_KINDS)}")
        user = self.user(name)
        if item_id not in self.catalog.visible(user.name):
            raise UserError(f"there is no item “{item_id[:60]}” that you can see")
        ev = Interaction(user=user.name, item_id=item_id, kind=kind, value=value, session=session)
        self.store.record(ev)
        return ev

    # -- a chat turn -------------------------------------------------------
    def turn(self, name: str, text: str = "", files: list[str] | None = None, session: str | None = None) -> Iterator[Event]:
        t_start = time.perf_counter()
        text = (text or "").strip()
        session = session or "default"
        try:
            user = self.user(name)
        except UserError as exc:
            yield Problem(str(exc))
            return
        if not text and not files:
            yield Problem("Your message was empty. Tell me what you'd like to watch (for example “something calm with animals”), or attach a picture or a voice note.")
            return
        if len(text) > MAX_TEXT:
            yield Problem(f"That message is {len(text)} characters long; I read at most {MAX_TEXT}. Shorten it and send it again.")
            return
        self.store.add_message(user.name, session, "user", text, {"files": [str(f) for f in files or []]})
        seen = read_uploads(files or [], self.catalog, self.settings)
        for title, detail, secs in seen.notes:
            yield Step(title, detail, seconds=secs)
        for p in seen.problems:
            yield Problem(p)
        query = " ".join([text] + seen.text_parts).strip()
        image_vec = seen.image_vector()
        if not query and image_vec is None:
            yield Say("I couldn't use anything in that message. Try typing what you'd like to see.")
            return
        yield Step("Understood", f"looking for: {query or 'things like your picture'}", seconds=time.perf_counter() - t_start)
        t0 = time.perf_counter()
        prof = build_profile(self.store, user.name)
        picks = self.feed.recommend(prof, query, image_vec, k=self.settings.top_k)
        yield Step("Searched the corpus", f"{len(self.catalog.text_index)} items ranked for {user.display or user.name}", seconds=time.perf_counter() - t0)
        if not picks:
            yield Say("I have nothing left to show you for that: you have turned down everything that fits. Try another request.")
            return
        for p in picks:
            self.store.record(Interaction(user=user.name, item_id=p.item.id, kind="impression", session=session))
            badge = {"ai_created": "AI-generated", "ai_edited": "AI-edited"}.get(p.item.origin, "")
            yield ShowItem(p.item, p.why, self.catalog.path(p.item.media_path), self.catalog.path(p.item.cover_path) if p.item.cover_path else None, badge)
        self.store.add_message(user.name, session, "assistant", json.dumps([p.item.id for p in picks]), {"kind": "picks"})


def load_personas() -> list[dict]:
    return json.loads((ROOT / "assets" / "personas.json").read_text())


def seed_personas(app: GeneRec, likes: int = 4, dislikes: int = 2) -> list[str]:
    """Persona users with *simulated* histories: likes/dislikes chosen by similarity to their
    stated tastes. Recorded with session="simulated" and shown as simulated in the UI."""
    made = []
    items = app.catalog.visible(None)
    ids = [i for i in items if i in app.catalog.text_index]
    if not ids:
        return made
    T = app.catalog.text_vectors(ids)
    for p in load_personas():
        if app.store.get_user(p["name"]) is not None:
            continue
        app.store.upsert_user(User(name=p["name"], display=p["display"], simulated=True, bio=p["bio"]))
        like_scores = T @ app.catalog.embed_text([p["likes"]])[0]
        dis_scores = T @ app.catalog.embed_text([p["dislikes"]])[0]
        liked = [ids[j] for j in like_scores.argsort()[::-1][:likes]]
        disliked = [ids[j] for j in dis_scores.argsort()[::-1] if ids[j] not in liked][:dislikes]
        t = time.time() - 86400
        for n, i in enumerate(liked):
            app.store.record(Interaction(p["name"], i, "like", at=t + n, session="simulated"))
        for n, i in enumerate(disliked):
            app.store.record(Interaction(p["name"], i, "dislike", at=t + 100 + n, session="simulated"))
        made.append(p["name"])
    return made
