"""A scripted LLM for tests: a real implementation of the interface, not a mock.

Queue answers with `enqueue(...)` (dicts for `json`, strings for `text`, or exceptions to
raise), or give a `respond(kind, system, user, schema)` function that plays the model. Every
call is kept in `history` so tests can assert what the model was asked. Like the streaming
backends, a call ends with `LLMCancelled` when the caller's stop event is set by the time it answers.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

from .base import LLMCancelled, LLMError, stop_requested


class FakeLLM:
    name = "fake"

    def __init__(self, respond: Callable[..., Any] | None = None):
        self.respond = respond
        self.queue: deque = deque()
        self.history: list[dict] = []

    def enqueue(self, *answers: Any) -> "FakeLLM":
        self.queue.extend(answers)
        return self

    def _next(self, kind: str, system: str, user: str, schema: dict | None):
        self.history.append({"kind": kind, "system": system, "user": user, "schema": schema})
        if self.queue:
            ans = self.queue.popleft()
        elif self.respond:
            ans = self.respond(kind, system, user, schema)
        else:
            raise LLMError("the fake model has no answer queued")
        if isinstance(ans, Exception):
            raise ans
        if stop_requested():   # as a streaming backend does: a stop set during the call ends it
            raise LLMCancelled("stopped by the user")
        return ans

    def json(self, system, user, schema, max_tokens=256, examples=()):
        ans = self._next("json", system, user, schema)
        if not isinstance(ans, dict):
            from .base import loads_object

            return loads_object(str(ans))
        return ans

    def text(self, system, user, max_tokens=160):
        return str(self._next("text", system, user, None))

    def choice(self, system, user, options, examples=()):
        """The answer is a dict of option -> log-probability, or a number: the log-odds of the
        first option against the second."""
        import math

        ans = self._next("choice", system, user, None)
        if isinstance(ans, dict):
            return {o: float(ans[o]) for o in options}
        s = float(ans)
        return {options[0]: -math.log1p(math.exp(-s)), options[1]: -math.log1p(math.exp(s))}
