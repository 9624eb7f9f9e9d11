"""What every LLM backend offers, and the errors split by audience.

`LLMUnavailable`: the backend cannot run here (missing package/model/endpoint) - a setup
problem with a hint. `LLMError`: one call failed or produced unusable output - the caller
may retry once and then tell the user.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import re
import threading
from typing import Protocol


class LLMUnavailable(RuntimeError):
    pass


class LLMError(RuntimeError):
    pass


class LLMTimeout(LLMError):
    """The call ran past its deadline; retrying would only double the wait."""


class LLMCancelled(LLMError):
    """The caller's stop event was set while the model was generating."""


# A job thread sets this around its model calls; streaming backends check it between tokens.
_STOP: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("generec_llm_stop", default=None)


@contextlib.contextmanager
def stop_when(event: threading.Event | None):
    """Model calls made inside this block end early (LLMCancelled) once `event` is set."""
    token = _STOP.set(event)
    try:
        yield
    finally:
        _STOP.reset(token)


def stop_requested() -> bool:
    event = _STOP.get()
    return event is not None and event.is_set()


Example = tuple[str, str]  # (user text, assistant JSON) pairs shown before the real request


class ChatLLM(Protocol):
    name: str

    def json(self, system: str, user: str, schema: dict, max_tokens: int = 256, examples: list[Example] = ()) -> dict: ...

    def text(self, system: str, user: str, max_tokens: int = 160) -> str: ...

    def choice(self, system: str, user: str, options: tuple[str, ...], examples: list[Example] = ()) -> dict[str, float]:
        """Log-probabilities (renormalised over `options`) that the reply's first word is each option."""
        ...


def messages(system: str, user: str, examples: list[Example] = ()) -> list[dict]:
    """System prompt and examples first, the request last: a fixed prefix llama.cpp can reuse."""
    out = [{"role": "system", "content": system}]
    for u, a in examples:
        out += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    out.append({"role": "user", "content": user})
    return out


def loads_object(text: str) -> dict:
    """The first JSON object in `text` (models sometimes wrap it in prose or fences)."""
    m = re.search(r"\{.*\}", text or "", re.S)
    if not m:
        raise LLMError("the model returned no JSON object")
    try:
        obj = json.loads(m.group(0))
    except json.JSONDecodeError as exc:
        raise LLMError(f"the model returned broken JSON ({exc.msg})") from exc
    if not isinstance(obj, dict):
        raise LLMError("the model returned JSON that is not an object")
    return obj
