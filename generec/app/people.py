"""Profiles and what people tell GeneRec about items: who a name is, their profile summary,
feedback, publishing their own AI-made items, the real-only switch, and the personas.

A mixin of `GeneRec` (it uses `self.store`, `self.catalog`, `self.settings`). Persona histories
are *simulated*: chosen by similarity to the persona's stated tastes, stored with
session="simulated" and shown as simulated.
"""
from __future__ import annotations

import time

from ..corpus import personas
from ..recsys.profile import build_profile
from ..types import EVENT_KINDS, Interaction, User
from .accounts import UserError, clean_name


class People:
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

    def feedback(self, name: str, item_id: str, kind: str, value: float | None = None, session: str | None = None) -> Interaction:
        if kind not in EVENT_KINDS:
            raise UserError(f"unknown feedback “{kind}”; one of {', '.join(EVENT_KINDS)}")
        user = self.user(name)
        if item_id not in self.catalog.visible(user.name):
            raise UserError(f"there is no item “{item_id[:60]}” that you can see")
        ev = Interaction(user=user.name, item_id=item_id, kind=kind, value=value, session=session)
        self.store.record(ev)
        return ev

    def publish(self, name: str, item_id: str) -> str:
        """The owner shares an AI-made item with everyone, if the publish checks allow it."""
        from ..fidelity.gate import publish

        user = self.user(name)
        item = self.store.get_item(item_id)
        if item is None or item_id not in self.catalog.visible(user.name):
            raise UserError(f"there is no item “{item_id[:60]}” that you can see")
        try:
            report = publish(item, user.name, self.settings, self.store)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        if not report.allowed or report.held:
            raise UserError(f"“{item.title}” stays private. {report.summary()}")
        return f"“{item.title}” is now public: others can find it in their feeds, labelled {item.provenance.get('label') or 'AI-made'}."

    def set_real_only(self, name: str, on: bool) -> dict:
        """The profile switch that turns generation (edit/create) off for this user."""
        user = self.user(name)
        prefs = dict(user.preferences or {}, real_only=bool(on))
        self.store.set_preferences(user.name, prefs)
        return prefs


def seed_personas(app, likes: int = 4, dislikes: int = 2) -> list[str]:
    """Micro-video persona users with *simulated* histories: likes/dislikes chosen by similarity to
    their stated tastes. Recorded with session="simulated" and shown as simulated in the UI."""
    made = []
    items = app.catalog.visible(None)
    ids = [i for i in items if i in app.catalog.text_index]
    if not ids:
        return made
    T = app.catalog.text_vectors(ids)
    for p in personas(app.settings.with_(corpus="microvideo")):   # the shipped personas, whatever the corpus
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
