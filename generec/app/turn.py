"""A chat turn: validate what a person sent, read the uploads, screen the request, let the
instructor plan and call its tools, present every item, and store the messages and impressions.

A mixin of `GeneRec`. Nothing is stored for a message that carried nothing usable; a refused
request is stored with the refusal; every item shown is an impression. Given the page's items
(`on_page`), the turn also stores as skipped what the last answer showed and nobody played, once
the message is read: a voice note's transcript can be a verdict on that answer, which is no skip.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Iterator

from ..events import Event, Problem, Say, ShowItem, Step
from ..instructor.tools import Deps
from ..types import Interaction
from .accounts import UserError
from .present import present
from .uploads import read_uploads

MAX_TEXT = 2000
log = logging.getLogger(__name__)


class Turns:
    def screen(self, user: str | None, text: str):
        """The fidelity request checks (safety, privacy, imitation, injection) for one request."""
        from ..fidelity.gate import screen

        return screen(self.settings, self.store, user, text)

    def turn(self, name: str, text: str = "", files: list[str] | None = None, session: str | None = None,
             on_page: set[str] | None = None) -> Iterator[Event]:
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
        request = " ".join(x for x in (text, seen.transcript) if x)
        if on_page is not None:
            try:   # before this message is stored: the last answer is the one it follows
                self.skip_unplayed(user.name, session, on_page=on_page, message=request)
            except Exception:   # a failed write here never costs the person their turn
                log.exception("storing skips failed")
        self.store.add_message(user.name, session, "user", text, {"files": [str(f) for f in files or []]})
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
                    ev = present(ev, self.catalog)
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
