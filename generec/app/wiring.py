"""`GeneRec`: settings, store, catalog, feed and the instructor wired into one object.

The instructor (and its LLM) is built on first use, so the corpus build never pays for it.
`warm_up` loads every model a first turn needs. The jobs of the object are in its mixins:
`People` (profiles, feedback, publishing), `Tools` (editor and creator), `Turns` (a chat turn).
"""
from __future__ import annotations

import logging
import threading
import time

from ..config import Settings
from ..instructor.planner import Planner
from ..instructor.turn import Instructor
from ..limits import Limits
from ..llm import LLMUnavailable, load_llm
from ..recsys.catalog import Catalog
from ..recsys.feed import Feed
from .people import People
from .tools import Tools
from .turn import Turns

log = logging.getLogger("generec")


class GeneRec(People, Tools, Turns):
    def __init__(self, settings: Settings, store=None, catalog: Catalog | None = None):
        from ..store import open_store

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
                    if self.settings.strict:   # `make test`: a configured model that fails is an error
                        raise
                    log.warning("LLM unavailable, planning with keyword rules: %s", exc)
            self._instructor = Instructor(Planner.configured(llm, self.settings, self.store))
        return self._instructor

    def warm_up(self) -> None:
        """Load the LLM and the check models (the learned request screen included: fitted on the first
        start, loaded afterwards) and evaluate the LLM's fixed prompt prefix, so the first request is
        quick. Each step's seconds are kept in `warm_times` (the launcher prints them)."""
        from PIL import Image

        from ..fidelity import judge
        from ..fidelity.backends import nsfw_scores
        from ..fidelity.gate import context_for
        from ..fidelity.semantic import warm_up

        steps = [("catalog", lambda: self.catalog.heal(log.warning)),   # an item a crash left without vectors becomes searchable again
                 ("request checks", lambda: self.screen(None, "hello")),
                 ("learned screen", lambda: warm_up(context_for(self.settings))),   # fitted once, then loaded from the data dir
                 ("policy judge", lambda: judge.score("hello", context_for(self.settings))),   # its prompt, read at the corpus build
                 ("planner", lambda: self.instructor.planner.plan("hello")),   # last LLM call: its prompt stays loaded for the first turn
                 ("frame model", lambda: nsfw_scores([Image.new("RGB", (64, 64))], context_for(self.settings)))]
        self.warm_times = {}
        try:
            for name, step in steps:
                t0 = time.perf_counter()
                step()
                self.warm_times[name] = round(time.perf_counter() - t0, 2)
        except Exception as exc:  # warming is best effort; the first real turn reports real errors
            log.warning("warm-up failed: %s", exc)
