"""Profiles and what people tell GeneRec about items: who a name is, their profile summary and
beliefs (with corrections), feedback, player signals and skips, publishing their own AI-made items, the real-only switch, and the personas.

Player signals (`player_signal`) come from the chat's video player through `/signals`: a `play`,
a `watch` of the seconds actually watched, and `complete` (the last stretch, when the video
reached its end). They are stored as the existing kinds, `play` and `watch`, and weighed where
every event is (`recsys.feedback.event_weight`): a play 0.1, a watch by its total share of the
video (a full one 0.6). They go to the requester's profile that was shown the item (its latest
impression among the account's profiles, which is the Profile choice the chat had when it showed
it; the chat clears itself when the choice changes), else to the account's own profile.
`skip_unplayed` stores a `skip` for each item of the last answer that got no play, watch or
verdict before the next turn.

A mixin of `GeneRec` (it uses `self.store`, `self.catalog`, `self.settings`, `self.limits`). Persona histories
are *simulated*: chosen by similarity to the persona's stated tastes, stored with
session="simulated" and shown as simulated.
"""
from __future__ import annotations

import json
import math
import time

from ..corpus import personas
from ..instructor import verdicts
from ..recsys.profile import build_profile
from ..types import EVENT_KINDS, Interaction, User
from .accounts import UserError, clean_name, owns, profiles_of

PLAYER_KINDS = ("play", "watch", "complete")
SLACK_S = 2.0            # a stretch may exceed the video's length by this much (timer jitter, a loop's seam)
UNKNOWN_LENGTH_S = 600.0  # longest stretch accepted for an item whose length is not stored
PLAYER_SESSION = "player"  # the session player signals are stored under


class TooMany(UserError):
    """More player reports than a person's player sends: refused, nothing stored."""


class PlayerSignals:
    """Reports from the chat's video player, and skips of what was left unplayed (see the module doc)."""

    def shown_to(self, account: str, item_id: str) -> str:
        """The account's profile that was last shown `item_id`; its own profile if none was."""
        best, at = account, None
        for name in profiles_of(self.store, account):
            seen = self.store.interactions(user=name, kinds=["impression"], item_id=item_id)
            if seen and (at is None or seen[-1].at > at):
                best, at = name, seen[-1].at
        return best

    def player_signal(self, account: str, item_id, kind, seconds=None) -> dict:
        """Store one player report of `account` (decided by the server, never by the caller).
        LookupError: no such item that the account may see (nothing stored); UserError: a bad
        kind or number; TooMany: a flood. Returns what was stored (`stored` False for a repeated play)."""
        if kind not in PLAYER_KINDS:
            raise UserError(f"unknown player report {str(kind)[:20]!r}; one of {', '.join(PLAYER_KINDS)}")
        item = self.store.get_item(item_id) if isinstance(item_id, str) and 0 < len(item_id) <= 200 else None
        if item is None or not (item.visibility == "public" or owns(account, item.owner)):
            raise LookupError("no such item")
        user = self.shown_to(account, item.id)
        if item.visibility != "public" and item.owner != user:
            raise LookupError("no such item")      # private: only the owning profile sees it
        self.user(user, create=True)               # the account's own profile is made on first use, as by the chat
        shown = self.store.interactions(user=user, kinds=["impression"], item_id=item.id)
        since = shown[-1].at if shown else None
        out = {"profile": user, "item_id": item.id, "kind": kind, "stored": False, "seconds": None}
        if kind == "play":
            if self.store.interactions(user=user, kinds=["play"], item_id=item.id, since=since):
                return out                          # one play per showing: a resumed video is not a new play
            self.store.record(Interaction(user, item.id, "play", session=PLAYER_SESSION))
            return {**out, "stored": True}
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
            raise UserError("seconds must be a number of seconds watched, 0 or more")
        longest = (item.duration_s or UNKNOWN_LENGTH_S) + SLACK_S
        secs = self.limits.watch_budget(account, min(float(seconds), longest))
        if secs <= 0 < seconds:
            raise TooMany("more watching reported than fits the last minute")
        if secs > 0:
            self.store.record(Interaction(user, item.id, "watch", value=round(secs, 2), session=PLAYER_SESSION))
        total = sum(e.value or 0.0 for e in self.store.interactions(user=user, kinds=["watch"], item_id=item.id))
        return {**out, "stored": secs > 0, "seconds": round(secs, 2), "watched_s": round(total, 2),
                "share": round(min(1.0, total / item.duration_s), 3) if item.duration_s else None}

    def skip_unplayed(self, name: str, session: str, on_page=None, message: str = "") -> list[str]:
        """Store a `skip` for each item of `name`'s last answer in `session` (and on the page, if
        `on_page` is given) that got no play, watch or verdict since that turn began; their ids.
        A `message` that gives a verdict on that answer ("I love the second one") or undoes one is
        still about it: nothing is skipped yet (the next request counts what stayed unplayed)."""
        if message and verdicts.is_undo(message):
            return []
        msgs = self.store.messages(name, session, limit=50)
        for n in range(len(msgs) - 1, -1, -1):
            m = msgs[n]
            if m.role == "assistant" and (m.meta or {}).get("kind") == "picks":
                shown = json.loads(m.content)
                began = next((msgs[j].at for j in range(n - 1, -1, -1) if msgs[j].role == "user"), m.at)
                break
        else:
            return []
        if message and verdicts.read(message, [it.title for it in self.store.get_items(shown).values()])[0]:
            return []
        acted = {e.item_id for e in self.store.interactions(user=name, kinds=["play", "watch", "like", "dislike", "skip"], since=began)}
        left = [i for i in dict.fromkeys(shown) if i not in acted and (on_page is None or i in on_page)]
        now = time.time()   # one time for the whole answer: the profile counts it as one rejection
        self.store.record_many(Interaction(name, i, "skip", session=session, at=now) for i in left)
        return left


class People(PlayerSignals):
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

    def beliefs(self, name: str, n: int = 8) -> dict:
        """What GeneRec believes about `name` (`recsys.beliefs`): the `n` strongest beliefs with
        their evidence, and how the five strongest moved over the person's signals."""
        from ..recsys.beliefs import beliefs, timeline

        prof = build_profile(self.store, clean_name(name))
        items = self.catalog.visible(prof.user.name)
        found = beliefs(prof, items, n)
        moved = timeline(prof.user, self.store.interactions(user=prof.user.name), items, [b.label for b in found[:5]])
        return {"beliefs": found, "timeline": moved, "set_aside": sorted((prof.user.preferences or {}).get("set_aside") or {})}

    def correct_belief(self, name: str, label: str, action: str) -> str:
        """Forget or reverse one of the person's current beliefs; the next answer follows it."""
        from ..recsys.beliefs import beliefs, correct

        user = self.user(name)
        prof = build_profile(self.store, user.name)
        held = {b.label: b for b in beliefs(prof, self.catalog.visible(user.name), n=10_000)}
        if label not in held:
            raise UserError(f"GeneRec holds no belief “{str(label)[:60]}” about you now; pick one from the list")
        if action not in ("forget", "reverse"):
            raise UserError(f"unknown correction “{action}”: forget or reverse")
        b = held[label]
        self.store.set_preferences(user.name, correct(user.preferences, label, action, b.strength))
        if action == "forget":
            return f"Forgot that you {'like' if b.strength > 0 else 'avoid'} “{label}”: what made me think so no longer steers your answers."
        return (f"Reversed: you now get {'less' if b.strength > 0 else 'more'} “{label}”, "
                "and what made me think otherwise no longer steers your answers.")

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
