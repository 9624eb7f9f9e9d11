"""The app's long prompts (the planner's, the policy judge's) read once by an LLM server at its start.

The in-process backend loads these prompts' evaluated states from disk; a server has to read
them itself (about 45 s each on one core), and should before the first person chats.
"""
from __future__ import annotations

import os
import time

from ..config import Settings
from ..llm.server import ALIAS, env_for


def warm(settings: Settings, port: int, host: str = "127.0.0.1") -> dict[str, float]:
    """Have the server read the app's long prompts (the planner's, the policy judge's) once, so
    the first people to chat do not wait for it (about 45 s each on one core); the in-process
    backend gets the same from its saved prompt states. Returns seconds per prompt."""
    from ..fidelity import judge
    from ..instructor.guidance import schema
    from ..instructor.planner import Planner
    from ..llm.base import LLMError
    from ..llm.openai_compat import OpenAILLM
    from ..prompts import render

    os.environ.update({k: v for k, v in env_for(port, host).items() if k.startswith("OPENAI")})
    llm = OpenAILLM(ALIAS, timeout_s=600)
    planner = Planner(llm)
    calls = {"planner": lambda: llm.json(planner.system, "hello", schema(), max_tokens=8, examples=planner.examples),
             "policy judge": lambda: llm.choice(render("fidelity_judge_system.j2"), judge.QUESTION.format(text="hello"), ("yes", "no"),
                                                examples=judge.examples())}
    took = {}
    for name, call in calls.items():
        t0 = time.perf_counter()
        try:
            call()
        except LLMError:
            pass   # a short or odd answer does not matter: the prompt is read, which is the point
        took[name] = round(time.perf_counter() - t0, 1)
    return took
