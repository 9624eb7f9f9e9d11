"""llama.cpp in-process: the bundled Qwen2.5-Coder GGUF with JSON-schema constrained output.

One `Llama` object per model file, settings and slot, shared by every session and every
`LlamaCppLLM` built on it, behind one lock cached beside it (the model is not thread-safe, so
two instances must never hold two different locks over the same object). With `slots` > 1
(`GENEREC_LLM_SLOTS`) the same file is opened that many times (the weights are memory-mapped, so
they are shared; each slot adds its own context) and a call takes whichever slot is free. On this
project's 2-core box a second slot bought nothing (`bench load --setups in-process,two-slots`):
decoding is bound by the CPU here, not by memory bandwidth (`bench decode`: four sequences in one
batch decode 1.0-1.2x the tokens a second of one), and the app needs the second core. It is for
machines with cores to spare. Threads default to the free cores: llama.cpp with
more threads than free cores collapses. The system prompt and examples come first in every call,
so llama.cpp reuses the evaluated prefix from the previous call. When two prompt families share a
model (the planner and the creator's storyboard writer), each family's evaluated state is saved
(after its first call when the prefix is long, else once it recurs) and restored when the other
family ran in between, so a chat turn after a video creation doesn't re-read the planner's long prompt
(measured here on the 0.5B model: restoring 0.6 s against 38-45 s of re-evaluation).
With a `state_dir` (the data dir's `cache/llm`), a long family's evaluated prefix is also kept on
disk, keyed by the model file, the context size, llama-cpp-python's version and the prefix itself:
the corpus build reads the planner's prompt once, and every later start loads it in about a second
instead of re-reading it (two to three minutes on one core here).
"""
from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import pickle
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

from .base import LLMCancelled, LLMError, LLMTimeout, LLMUnavailable, loads_object, messages, stop_requested


log = logging.getLogger("generec.llm")

MAX_MODELS = 4   # model files x slots kept open
MAX_STATES = 3   # saved prompt-family states per model (each ~20-200 MB)
LONG_PREFIX = 3000   # characters of system prompt + examples worth saving after their first call
_models: dict[tuple[str, int, int, int], tuple[object, threading.Lock]] = {}
_free: dict[tuple, threading.Semaphore] = {}   # (path, n_ctx, threads, slots) -> how many of its slots are free
_prefixes: dict[int, dict] = {}   # id(model) -> {"last": family key, "states": OrderedDict(key -> LlamaState)}
_models_lock = threading.Lock()   # two first calls at once must not load the same model twice


def _load(path: str, n_ctx: int, threads: int, slot: int = 0) -> tuple[object, threading.Lock]:
    """The shared model for these arguments and the one lock that guards it (loaded once)."""
    key = (path, n_ctx, threads, slot)
    with _models_lock:
        if key in _models:
            return _models[key]
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise LLMUnavailable("llama-cpp-python is not installed: run `make install`") from exc
        llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, n_batch=256, verbose=False, seed=0)
        while len(_models) >= MAX_MODELS:  # forget the oldest; instances still holding it keep its lock with it
            _models.pop(next(iter(_models)))
        _models[key] = (llm, threading.Lock())
        return _models[key]


@atexit.register
def _close_models() -> None:
    """Free the models before the interpreter tears down the modules their destructors need.
    A model still busy (a daemon thread mid-call) is left alone; a closed one keeps its lock held,
    so no late call can reach freed memory."""
    for llm, lock in list(_models.values()):
        if lock.acquire(timeout=1.0):
            close = getattr(llm, "close", None)
            if close is not None:
                close()
    _models.clear()
    _prefixes.clear()


class LlamaCppLLM:
    timeout_s: float | None = None   # generation stops this long after the prompt is read (reading it is bounded by n_ctx)
    _format = None                   # the model's own chat template, for `choice` (built on first use)

    def __init__(self, path: Path, threads: int = 1, n_ctx: int = 4096, state_dir: Path | None = None, slots: int = 1):
        if not Path(path).is_file():
            raise LLMUnavailable(f"GGUF model not found at {path}: run `make install` or set GENEREC_LLM_MODEL_PATH")
        self.path = Path(path)
        self.name = f"llamacpp:{self.path.name}"
        self.slots = [_load(str(self.path.resolve()), n_ctx, threads, i) for i in range(max(1, slots))]
        self.llm, self.lock = self.slots[0]
        with _models_lock:
            self._free = _free.setdefault((str(self.path.resolve()), n_ctx, threads, len(self.slots)), threading.Semaphore(len(self.slots)))
        self.state_dir = Path(state_dir) if state_dir else None
        if self.state_dir:
            import llama_cpp

            st = self.path.resolve().stat()
            self._state_key = hashlib.sha1(f"{self.path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{n_ctx}|{llama_cpp.__version__}".encode()).hexdigest()[:12]

    def _state_file(self, family: str) -> Path:
        return self.state_dir / f"prefix-{self._state_key}-{family[:16]}.pkl"

    def _read_state(self, family: str):
        """The family's evaluated prefix from disk, or None (missing, or unreadable: it is evaluated again)."""
        if not self.state_dir or not self._state_file(family).is_file():
            return None
        from llama_cpp.llama import LlamaState

        try:
            with open(self._state_file(family), "rb") as f:
                d = pickle.load(f)
            return LlamaState(input_ids=d["input_ids"], scores=d["scores"], n_tokens=d["n_tokens"],
                              llama_state=d["llama_state"], llama_state_size=d["llama_state_size"], seed=d["seed"])
        except Exception as exc:  # noqa: BLE001 - a cache file never stops a turn
            log.warning("ignoring the saved prompt state %s: %s", self._state_file(family).name, exc)
            return None

    def _write_state(self, family: str, state) -> None:
        """Atomically, once. The last-token scores are not kept: every call evaluates at least its
        own request after the prefix, which computes them again."""
        if not self.state_dir or self._state_file(family).is_file():
            return
        import numpy as np

        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self._state_file(family).with_suffix(f".tmp{os.getpid()}")
            with open(tmp, "wb") as f:
                pickle.dump({"input_ids": state.input_ids, "n_tokens": state.n_tokens,
                             "scores": np.zeros((1, state.scores.shape[1]), dtype=np.single),
                             "llama_state": state.llama_state, "llama_state_size": state.llama_state_size,
                             "seed": state.seed}, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._state_file(family))
        except OSError as exc:
            log.warning("could not keep the prompt state on disk: %s", exc)

    @contextmanager
    def _slot(self):
        """A free slot's model, held for one call (a one-slot instance waits on its one lock)."""
        if len(self.slots) == 1:
            with self.lock:
                yield self.llm
            return
        with self._free:
            for llm, lock in self.slots:
                if lock.acquire(blocking=False):
                    break
            else:   # every slot taken by a caller outside this pool's count: wait for the first
                llm, lock = self.slots[0]
                lock.acquire()
            try:
                yield llm
            finally:
                lock.release()

    @classmethod
    def from_settings(cls, settings, fast: bool = False) -> "LlamaCppLLM":
        return cls(cls.path_for(settings, fast), settings.threads, state_dir=settings.data_dir / "cache" / "llm", slots=settings.llm_slots)

    @staticmethod
    def path_for(settings, fast: bool = False) -> Path:
        """The GGUF these settings use (`GENEREC_LLM_MODEL_PATH`, else the bundled 1.5B or, `fast`, 0.5B), not loaded."""
        from ..models.cache import ModelMissing, model_path

        if settings.llm_model_path:
            return Path(settings.llm_model_path)
        try:
            return model_path("qwen2.5-coder-0.5b" if fast else "qwen2.5-coder-1.5b", settings)
        except ModelMissing as exc:
            raise LLMUnavailable(str(exc)) from exc

    def _bring_back(self, llm, msgs: list[dict]) -> tuple[dict, str, str, object]:
        """(cache, family, prefix, saved state) for this call's system + examples, with the
        family's evaluated prefix loaded when another family ran since. Call under the lock."""
        prefix = json.dumps(msgs[:-1], sort_keys=True)   # system + examples
        family = hashlib.sha1(prefix.encode()).hexdigest()
        cache = _prefixes.setdefault(id(llm), {"last": None, "states": OrderedDict(), "seen": set()})
        saved = cache["states"].get(family)
        if saved is None and cache["last"] != family and len(prefix) >= LONG_PREFIX:
            saved = self._read_state(family)   # evaluated by an earlier process (the corpus build)
            if saved is not None:
                cache["states"][family] = saved
        if saved is not None and cache["last"] != family:
            try:
                llm.load_state(saved)   # another family ran since: bring this one's prefix back
            except (RuntimeError, ValueError):
                cache["states"].pop(family, None)
        return cache, family, prefix, saved

    def _keep(self, llm, cache: dict, family: str, prefix: str, saved) -> None:
        """After a finished call: keep the family's state when it is worth it (a long prefix,
        seconds to re-read, or one that recurs). Call under the lock."""
        if saved is None and (len(prefix) >= LONG_PREFIX or family in cache["seen"]):
            try:
                cache["states"][family] = llm.save_state()
                while len(cache["states"]) > MAX_STATES:
                    cache["states"].popitem(last=False)
                if len(prefix) >= LONG_PREFIX:
                    self._write_state(family, cache["states"][family])
            except (RuntimeError, ValueError, MemoryError):
                pass   # only speed is lost
        cache["last"] = family
        cache["seen"].add(family)

    def _complete(self, msgs: list[dict], max_tokens: int, **kw) -> str:
        with self._slot() as llm:
            cache, family, prefix, saved = self._bring_back(llm, msgs)
            deadline = None
            parts, late, stopped = [], False, False
            try:   # streamed, so generation past its deadline can be stopped between tokens
                stream = llm.create_chat_completion(messages=msgs, max_tokens=max_tokens, temperature=0.0, stream=True, **kw)
                for chunk in stream:
                    if deadline is None and self.timeout_s:   # the clock starts once the prompt is read (bounded by n_ctx)
                        deadline = time.monotonic() + self.timeout_s
                    parts.append(chunk["choices"][0]["delta"].get("content") or "")
                    if deadline is not None and time.monotonic() > deadline:
                        late = True
                        stream.close()
                        break
                    if stop_requested():   # the job that asked was cancelled (Stop in the chat)
                        stopped = True
                        stream.close()
                        break
            except ValueError as exc:  # e.g. the prompt no longer fits the context window
                raise LLMError(str(exc)[:200]) from exc
            if late or stopped:
                cache["last"] = family
                if stopped:
                    raise LLMCancelled("stopped by the user")
                raise LLMTimeout(f"the model took longer than {self.timeout_s:.0f} s")
            self._keep(llm, cache, family, prefix, saved)
        return "".join(parts)

    def json(self, system, user, schema, max_tokens=256, examples=()):
        text = self._complete(messages(system, user, examples), max_tokens,
                              response_format={"type": "json_object", "schema": schema})
        return loads_object(text)

    def text(self, system, user, max_tokens=160):
        return self._complete(messages(system, user), max_tokens).strip()

    def choice(self, system, user, options, examples=()):
        """Log-probabilities that the reply starts with each of `options` (single words; a
        capitalised first letter counts as the same word), renormalised over them. Read from the
        logits after the prompt, nothing sampled: a score to set a threshold on."""
        import numpy as np
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        msgs = messages(system, user, examples)
        llm = self.llm
        if self._format is None:
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise LLMUnavailable(f"{self.path.name} carries no chat template")
            eos, bos = (llm._model.token_get_text(t) if t >= 0 else "" for t in (llm.token_eos(), llm.token_bos()))
            self._format = Jinja2ChatFormatter(template, eos, bos)
        prompt = self._format(messages=msgs).prompt
        ids = {o: {llm.tokenize(v.encode(), add_bos=False)[0] for v in (o, o[:1].upper() + o[1:])} for o in options}
        with self._slot() as llm:   # every slot reads the same file: the same vocabulary and template
            cache, family, prefix, saved = self._bring_back(llm, msgs)
            toks = llm.tokenize(prompt.encode(), add_bos=False, special=True)
            if len(toks) >= llm.n_ctx():
                raise LLMError("the prompt does not fit the context window")
            same = 0
            for a, b in zip(llm.input_ids[:llm.n_tokens], toks):
                if a != b:
                    break
                same += 1
            llm.n_tokens = min(same, len(toks) - 1)   # at least the last token is read again, for its logits
            llm.eval(toks[llm.n_tokens:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
            self._keep(llm, cache, family, prefix, saved)
        mass = {o: float(np.logaddexp.reduce(logits[sorted(v)])) for o, v in ids.items()}
        total = float(np.logaddexp.reduce(list(mass.values())))
        return {o: m - total for o, m in mass.items()}
