"""Chat LLM backends behind one small interface, chosen by the `GENEREC_LLM` setting.

`llamacpp` (default: the bundled Qwen2.5-Coder-1.5B GGUF, offline), `llamacpp:fast` (the
0.5B GGUF), `openai:<model>` (any OpenAI-compatible endpoint via LangChain's ChatOpenAI:
OpenAI, vLLM, Ollama, a llama.cpp server) and `fake` (scripted, for tests). Each backend
offers `json(system, user, schema, …)` for schema-constrained output and `text(…)`.
"""
from __future__ import annotations

from .base import LLMError, LLMUnavailable


def load_llm(settings, spec: str | None = None):
    spec = spec or settings.llm
    kind, _, arg = spec.partition(":")
    if kind == "llamacpp":
        from .llamacpp import LlamaCppLLM

        llm = LlamaCppLLM.from_settings(settings, fast=(arg == "fast"))
        llm.timeout_s = settings.llm_timeout_s
        return llm
    if kind == "openai":
        from .openai_compat import OpenAILLM

        return OpenAILLM(arg or "gpt-4o-mini", timeout_s=settings.llm_timeout_s)
    if kind == "fake":
        from .fake import FakeLLM

        return FakeLLM()
    raise LLMUnavailable(f"unknown GENEREC_LLM {spec!r}: use llamacpp, llamacpp:fast, openai:<model> or fake")


__all__ = ["load_llm", "LLMError", "LLMUnavailable"]
