"""GeneRec as one object: settings, store, catalog and feed wired together, and a chat turn.

This is the outer layer: it validates what people send, stores messages and interactions,
and turns a request into events (steps, picks, problems) for any front end to render.
A turn reads the uploads, then hands the request to the instructor, which plans it with
the LLM and calls the retrieve / edit / create tools; impressions and messages are stored here.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import Iterator

from .catalog import Catalog
from .config import ROOT, Settings
from .events import Event, Problem, Say, ShowItem, Step
from .feed import Feed
from .instructor.planner import Planner
from .instructor.tools import Deps
from .instructor.turn import Instructor
from .limits import Limits
from .llm import LLMUnavailable, load_llm
from .profile import build_profile
from .types import EVENT_KINDS, Interaction, User
from .uploads import read_uploads

log = logging.getLogger("generec")
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
        self.store.fail_interrupted_jobs()   # jobs a crash or kill left queued or running are marked failed
        self.catalog = catalog or Catalog(settings, self.store)
        self.feed = Feed(self.catalog)
        self.editor = self._edit        # (deps, item_id, op, args) -> dict; None switches editing off
        self.creator = self._create     # (deps, args) -> dict; None switches creating off
        self._jobs = None
        self._instructor = None
        self._lock = threading.Lock()   # two first turns at once must not load the LLM twice
        self.limits = Limits.from_settings(settings)

    @property
    def instructor(self) -> Instructor:
        """Built on first use: loading the LLM costs seconds the corpus build doesn't need."""
        with self._lock:
            return self._make_instructor()

    def _make_instructor(self) -> Instructor:
        if self._instructor is None:
            llm = None
            if self.settings.llm != "rules":
                try:
                    llm = load_llm(self.settings)
                except LLMUnavailable as exc:
                    if os.environ.get("GENEREC_STRICT") == "1":   # `make test`: a configured model that fails is an error
                        raise
                    log.warning("LLM unavailable, planning with keyword rules: %s", exc)
            self._instructor = Instructor(Planner(llm))
        return self._instructor

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

    # -- editor and creator, as the instructor's tools see them -----------------
    def _over_limit(self, user: str) -> dict | None:
        """An account's edits and creations are counted together (its persona copies included)."""
        why = self.limits.start_creation(user.split("--", 1)[0])
        return {"status": "unavailable", "message": why} if why else None

    def _edit(self, deps, item_id: str, op: str, args: dict) -> dict:
        from .editor.hook import app_editor

        if (over := self._over_limit(deps.user)) is not None:
            return over

        res = app_editor(deps, None if item_id == "upload" else item_id, op, args)
        if res.get("status") == "ok":
            items = [self.catalog.item(i["id"]) for i in res["items"]]
            from .fidelity.gate import report_lines
            from .fidelity.provenance import badge

            res["events"] = [ShowItem(it, f"{op} made for you from “{(self.catalog.item(it.parent_id) or it).title}”; private until you publish it",
                                      self.catalog.path(it.media_path), self.catalog.path(it.cover_path) if it.cover_path else None,
                                      badge(it.origin), report_lines(it)) for it in items if it]
        return res

    @property
    def jobs(self):
        """One creator worker thread per app, started on first use."""
        with self._lock:
            if self._jobs is None:
                from .creator.context import CreatorContext
                from .creator.jobs import CreatorJobs

                llm = self._make_instructor().planner.llm
                ctx = CreatorContext.from_app(self, llm=llm, persist=True, visuals=self.settings.creator_visuals,
                                              voice=self.settings.creator_voice)
                self._jobs = CreatorJobs(ctx, self.store.create_job, self.store.update_job)
            return self._jobs

    def job_ids(self) -> set[str]:
        """Ids of the creator jobs known so far (none before the creator first starts)."""
        return set(self._jobs.jobs) if self._jobs is not None else set()

    def cancel_jobs(self, name: str, exclude: set[str] = frozenset()) -> int:
        """Cancel this user's running creator jobs, except those in `exclude`; returns how many."""
        if self._jobs is None:
            return 0
        mine = [j for k, j in list(self._jobs.jobs.items()) if k not in exclude and j.user == name
                and j.status not in ("done", "failed", "cancelled")]
        for job in mine:
            job.cancel()
        return len(mine)

    def _create(self, deps, args: dict) -> dict:
        from .creator.tool import guidance_from_args, job_events

        if (over := self._over_limit(deps.user)) is not None:
            return over
        job = self.jobs.submit(args.get("query") or "", user=deps.user, guidance=guidance_from_args(args))

        def stream():
            # the chat shows each stage as it happens; a closed chat turn (Stop) cancels the job
            finished = False
            try:
                for ev in job_events(job, self.catalog):
                    yield ev
                finished = True
            finally:
                if not finished:
                    job.cancel()
        return {"status": "started", "events": stream()}

    def screen(self, user: str | None, text: str):
        """The fidelity request checks (safety, privacy, imitation, injection) for one request."""
        from .fidelity.gate import screen

        return screen(self.settings, self.store, user, text)

    def warm_up(self) -> None:
        """Load the LLM and the check models (the learned request screen included: fitted on the first
        start, loaded afterwards) and evaluate the LLM's fixed prompt prefix, so the first request is quick."""
        try:
            self.screen(None, "hello")
            from .fidelity.gate import context_for
            from .fidelity.semantic import warm_up

            warm_up(context_for(self.settings))   # the learned request screen: fitted once, then loaded from the data dir
            self.instructor.planner.plan("hello")
            from PIL import Image

            from .fidelity.backends import nsfw_scores

            nsfw_scores([Image.new("RGB", (64, 64))], context_for(self.settings))   # the result check's frame model
        except Exception as exc:  # warming is best effort; the first real turn reports real errors
            log.warning("warm-up failed: %s", exc)

    def publish(self, name: str, item_id: str) -> str:
        """The owner shares an AI-made item with everyone, if the publish checks allow it."""
        from .fidelity.gate import publish

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
        seen, deps, upload = self.read(user.name, session, files or [])
        for title, detail, secs in seen.notes:
            yield Step(title, detail, seconds=secs)
        for p in seen.problems:
            yield Problem(p)
        if not text and not (seen.transcript or seen.labels) and seen.image_vector() is None:
            # nothing usable arrived: say so, and store nothing (a bad upload leaves no trace)
            yield Say("I couldn't use anything in that message. Try typing what you'd like to see.")
            return
        self.store.add_message(user.name, session, "user", text, {"files": [str(f) for f in files or []]})
        heard = seen.transcript
        request = " ".join(x for x in (text, heard) if x)
        if request:
            t0 = time.perf_counter()
            report = self.screen(user.name, request)
            if not report.allowed:
                yield Problem(f"I won't do that. {report.summary()}. Nothing was searched or made; ask for something else.")
                self.store.add_message(user.name, session, "assistant", report.summary(), {"kind": "refused"})
                return
            if report.held:   # a check could not run: retrieval is fine, making something is not
                paused = {"status": "unavailable", "message": f"making or editing videos is paused: {report.summary()}"}
                deps.editor = lambda *a, **k: paused   # noqa: E731
                deps.creator = lambda *a, **k: paused  # noqa: E731
            yield Step("Checked your request", report.summary(), seconds=time.perf_counter() - t0)
        shown_now = []
        run = self.instructor.run(deps, request, seen.labels, upload)
        try:
            for ev in run:
                if isinstance(ev, ShowItem):
                    self.store.record(Interaction(user=user.name, item_id=ev.item.id, kind="impression", session=session))
                    shown_now.append(ev.item.id)
                yield ev
        finally:   # a closed turn (Stop) closes the instructor's generator now, which cancels its creator job
            run.close()
        if shown_now:
            self.store.add_message(user.name, session, "assistant", json.dumps(shown_now), {"kind": "picks"})

    def read(self, user: str, session: str, files: list[str]):
        """Uploads turned into features, and the tool dependencies for this user and session."""
        seen = read_uploads(files, self.catalog, self.settings)
        upload = "video" if seen.video else "image" if seen.image_vecs else "audio" if seen.transcript else None
        deps = Deps(store=self.store, catalog=self.catalog, feed=self.feed, settings=self.settings, user=user,
                    session=session, shown=self.last_shown(user, session), image_vec=seen.image_vector(),
                    upload_video=str(seen.video) if seen.video else None, editor=self.editor, creator=self.creator)
        return seen, deps, upload

    def plan(self, name: str, text: str, files: list[str] | None = None, session: str = "cli") -> dict:
        """The guidance for a request, by exactly the path a chat turn takes."""
        user = self.user(name)
        seen, deps, upload = self.read(user.name, session, files or [])
        if seen.problems and not text and not seen.transcript:
            raise UserError("; ".join(seen.problems))
        plan = self.instructor.plan(deps, " ".join(x for x in (text, seen.transcript) if x), seen.labels, upload)
        return {**plan.guidance.to_dict(), "_source": plan.source, "_transcript": seen.transcript or None, "_labels": seen.labels}

    def last_shown(self, user: str, session: str) -> list[str]:
        for m in reversed(self.store.messages(user, session, limit=50)):
            if m.role == "assistant" and (m.meta or {}).get("kind") == "picks":
                return json.loads(m.content)
        return []


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
