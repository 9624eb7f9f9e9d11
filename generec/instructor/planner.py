"""The planner: one LLM call, constrained by the guidance schema, per request.

The system prompt and few-shot examples are a fixed prefix (llama.cpp reuses its evaluated
cache across calls); only the short request part changes. With `fast`, a request that is only a
topic to search for is planned by the cue words (`rules.plain_plan`), and its source says so. Unreadable output is retried once
with the reason; a second failure falls back to the keyword planner, and the step says so.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import cached_property

from ..config import ROOT
from ..llm.base import LLMError, LLMTimeout
from ..prompts import render
from .guidance import Guidance, GuidanceError, schema
from .reconcile import reconcile
from .rules import plain_plan, plan_by_rules

PLAIN = "cue words: a plain search, no model needed"
BUSY = "cue words: a plain search, planned without the model while it was busy with another request"

log = logging.getLogger("generec.instructor")

MAX_TEXT = 600


@dataclass
class Plan:
    guidance: Guidance
    source: str          # "llm", "llm-retry", or "rules" (and why)


class Planner:
    def __init__(self, llm=None, fast: bool = False, known: frozenset[str] | None = None, check: bool = True):
        self.llm = llm       # None: keyword rules only
        self.fast = fast     # plain searches skip the model (GENEREC_PLAN_FAST=plain; "busy": also any-word ones while it is busy)
        self._inflight = 0   # plans waiting for or inside the model right now
        self._count = threading.Lock()
        self.known = known   # the corpus's words (rules.vocabulary): a plain search uses only these
        self.check = check   # the cue-word reading corrects the model's plan (`reconcile`); off only to measure the model alone

    @classmethod
    def configured(cls, llm, settings, store) -> "Planner":
        """The chat's planner: with a model, the plain-search shortcut of `GENEREC_PLAN_FAST` over the corpus's words."""
        from .rules import known_words

        fast = settings.plan_fast if llm is not None and settings.plan_fast != "off" else False
        return cls(llm, fast=fast, known=known_words(store) if fast else None)

    @cached_property
    def system(self) -> str:
        return render("instructor_system.j2")

    @cached_property
    def examples(self) -> list[tuple[str, str]]:
        out = []
        for line in (ROOT / "prompts" / "instructor_examples.jsonl").read_text().splitlines():
            if line.strip():
                ex = json.loads(line)
                shown = [{"title": t} for t in ex.get("shown", [])]
                user = render("instructor_request.j2", text=ex["text"], shown=shown, upload=ex.get("upload"))
                out.append((user, Guidance.parse(ex["guidance"]).compact()))
        return out

    def request_text(self, text: str, shown: list[dict], upload: str | None) -> str:
        # titles come from our own corpus but are clipped anyway; the user's text is bounded
        safe_shown = [{"title": str(s.get("title", ""))[:60]} for s in shown[-5:]]
        return render("instructor_request.j2", text=text[:MAX_TEXT], shown=safe_shown, upload=upload)

    def plan(self, text: str, shown: list[dict] | None = None, upload: str | None = None) -> Plan:
        shown = shown or []
        if self.llm is None:
            return Plan(plan_by_rules(text, shown, upload), "rules")
        plain = plain_plan(text, shown, upload, self.known) if self.fast else None
        if plain is not None:
            return Plan(plain, PLAIN)
        if self.fast == "busy" and self._inflight >= len(getattr(self.llm, "slots", [self.llm])) and (plain := plain_plan(text, shown, upload, self.known, long_words_ok=True)) is not None:
            return Plan(plain, BUSY)
        with self._count:
            self._inflight += 1
        try:
            return self._ask_model(text, shown, upload)
        finally:
            with self._count:
                self._inflight -= 1

    def _ask_model(self, text: str, shown: list[dict], upload: str | None) -> Plan:
        user = self.request_text(text, shown, upload)
        problem = ""
        for attempt in range(2):
            ask = user if not problem else f"{user}\n(Your previous answer was unusable: {problem}. Answer with valid JSON.)"
            try:
                raw = self.llm.json(self.system, ask, schema(), max_tokens=96, examples=self.examples)
                g = Guidance.parse(raw)
                source = "llm" if attempt == 0 else "llm-retry"
                g, changed = reconcile(g, text, shown, upload) if self.check else (g, "")
                if changed:
                    source += f" ({changed})"
                return Plan(g, source)
            except LLMTimeout as exc:   # a second try would only double the wait
                log.warning("planner: %s; the keyword rules plan this turn", exc)
                return Plan(plan_by_rules(text, shown, upload), f"rules ({exc})")
            except (LLMError, GuidanceError) as exc:
                problem = str(exc)[:120]
        log.warning("planner: the model failed twice (%s); the keyword rules plan this turn", problem)
        return Plan(plan_by_rules(text, shown, upload), f"rules (the model failed twice: {problem})")
