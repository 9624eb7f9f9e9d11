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
    from ..fidelity.semantic import CATEGORIES
    from ..instructor.guidance import schema
    from ..instructor.planner import Planner
    from ..llm.base import LLMError
    from ..llm.openai_compat import OpenAILLM
    from ..prompts import render

    os.environ.update({k: v for k, v in env_for(port, host).items() if k.startswith("OPENAI")})
    llm = OpenAILLM(ALIAS, timeout_s=600)
    planner = Planner(llm)
    families = {"planner": (planner.system, schema(), planner.examples),
                "policy judge": (render("fidelity_judge_system.j2"), judge.schema(list(CATEGORIES)), judge.examples())}
    took = {}
    for name, (system, sch, examples) in families.items():
        t0 = time.perf_counter()
        try:
            llm.json(system, "hello", sch, max_tokens=8, examples=examples)
        except LLMError:
            pass   # eight tokens are rarely a whole answer; the prompt is read, which is the point
        took[name] = round(time.perf_counter() - t0, 1)
    return took
