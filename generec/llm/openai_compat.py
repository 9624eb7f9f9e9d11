"""Any OpenAI-compatible endpoint through LangChain's ChatOpenAI (OpenAI, vLLM, Ollama, llama.cpp server).

Base URL and key come from `OPENAI_BASE_URL` / `OPENAI_API_KEY` (a local server takes any key).
Structured output asks for a `json_schema` response format (OpenAI, vLLM, Ollama); a server that
refuses it (llama-cpp-python's, which takes the schema inside `json_object`) is asked that way
from then on. The answer is still validated by the caller. With a base URL set, the length limit
is also sent as `max_tokens`: LangChain sends `max_completion_tokens`, which such servers ignore.
"""
from __future__ import annotations

import os

from .base import LLMError, LLMUnavailable, loads_object, messages


class OpenAILLM:
    def __init__(self, model: str, timeout_s: float = 60.0):
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise LLMUnavailable("langchain-openai is not installed: run `make install`") from exc
        self.name = f"openai:{model}"
        self.base_url = os.environ.get("OPENAI_BASE_URL") or None
        self.chat = ChatOpenAI(model=model, base_url=self.base_url,
                               api_key=os.environ.get("OPENAI_API_KEY") or "not-needed", temperature=0,
                               timeout=timeout_s, max_retries=1)
        self.schema_in_json_object = False   # learnt from the server's first refusal of json_schema

    def _invoke(self, msgs, max_tokens, **kw) -> str:
        if self.base_url:
            kw["extra_body"] = {"max_tokens": max_tokens}
        try:
            # llama.cpp's server rejects assistant messages whose content is null: send "" instead
            out = self.chat.bind(max_tokens=max_tokens, **kw).invoke([(m["role"], m["content"] or "") for m in msgs])
        except Exception as exc:  # network, auth, server errors all arrive as different types
            raise LLMError(f"{self.name}: {type(exc).__name__}: {str(exc)[:160]}") from exc
        return out.content if isinstance(out.content, str) else str(out.content)

    def json(self, system, user, schema, max_tokens=256, examples=()):
        msgs = messages(system, user, examples)
        if not self.schema_in_json_object:
            fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": False}}
            try:
                return loads_object(self._invoke(msgs, max_tokens, response_format=fmt))
            except LLMError as exc:
                if "json_object" not in str(exc.__cause__ or exc):
                    raise
                self.schema_in_json_object = True   # "Input should be 'text' or 'json_object'"
        fmt = {"type": "json_object", "schema": schema}
        return loads_object(self._invoke(msgs, max_tokens, response_format=fmt))

    def text(self, system, user, max_tokens=160):
        return self._invoke(messages(system, user), max_tokens).strip()

    def choice(self, system, user, options, examples=()):
        """Log-probabilities that the reply starts with each of `options`, renormalised over them,
        from the server's top log-probabilities of the first token (OpenAI, vLLM and llama.cpp's
        server return them; a server that does not gets an LLMError)."""
        import math

        try:
            out = self.chat.bind(max_tokens=1, logprobs=True, top_logprobs=20).invoke(
                [(m["role"], m["content"] or "") for m in messages(system, user, examples)])
        except Exception as exc:  # network, auth, server errors all arrive as different types
            raise LLMError(f"{self.name}: {type(exc).__name__}: {str(exc)[:160]}") from exc
        content = ((out.response_metadata or {}).get("logprobs") or {}).get("content") or []
        top = content[0].get("top_logprobs", []) if content else []
        mass = {o: 0.0 for o in options}
        for t in top:
            word = str(t.get("token", "")).strip().lower()
            if word in mass:
                mass[word] += math.exp(t["logprob"])
        total = sum(mass.values())
        if total <= 0:
            raise LLMError(f"{self.name}: no log-probabilities for {', '.join(options)} in the answer")
        return {o: math.log(max(m, 1e-12) / total) for o, m in mass.items()}
