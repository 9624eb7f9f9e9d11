"""`python -m generec llm-server`: the bundled GGUF behind llama-cpp-python's OpenAI-compatible server.

The app reaches it with `GENEREC_LLM=openai:generec` and `OPENAI_BASE_URL=http://HOST:PORT/v1`
(the alias is `generec`). The server keeps evaluated prompts in RAM (`--cache`), so the planner's
long prompt and the creator's are each read once and not again when turns alternate between
them. It keeps no logits per token (`choice()`, which nothing in the app calls, needs them). It answers one request at a time (llama-cpp-python has no parallel slots; vLLM does, and
takes the same setting), with the threads this machine can spare.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request

from ..config import Settings

ALIAS = "generec"


def command(settings: Settings, port: int, host: str = "127.0.0.1", fast: bool = False) -> list[str]:
    from ..models.cache import model_path

    path = settings.llm_model_path or str(model_path("qwen2.5-coder-0.5b" if fast else "qwen2.5-coder-1.5b", settings))
    t = str(settings.threads)
    return [sys.executable, "-m", "llama_cpp.server", "--model", path, "--model_alias", ALIAS, "--host", host,
            "--port", str(port), "--n_ctx", "4096", "--n_threads", t, "--n_threads_batch", t,
            "--interrupt_requests", "False", "--cache", "True", "--cache_type", "ram", "--cache_size", str(4 << 30),
            # without logits for every token a saved prompt state is the KV cache alone (~30 KB a token, not
            # 2.5 GB), so the RAM cache keeps each prompt family; first-token log-probabilities are then unavailable
            "--logits_all", "False", "--verbose", "False"]


def start(settings: Settings, port: int, host: str = "127.0.0.1", fast: bool = False, log=None,
          timeout_s: float = 120.0) -> subprocess.Popen:
    """Start the server and wait until it answers; the caller stops it (terminate())."""
    proc = subprocess.Popen(command(settings, port, host, fast), stdout=log or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the LLM server exited with {proc.returncode}: is llama-cpp-python's [server] extra installed?")
        try:
            urllib.request.urlopen(f"http://{host}:{port}/docs", timeout=2).read()   # /v1/models waits for the model's lock
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"the LLM server did not answer on {host}:{port} within {timeout_s:.0f} s")


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


def env_for(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """What an app process needs to use the server."""
    return {"GENEREC_LLM": f"openai:{ALIAS}", "OPENAI_BASE_URL": f"http://{host}:{port}/v1", "OPENAI_API_KEY": "local"}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="generec llm-server", description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--fast", action="store_true", help="the 0.5B model instead of the 1.5B")
    ap.add_argument("--no-warm", action="store_true", help="do not read the app's long prompts at start")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    proc = start(settings, args.port, args.host, args.fast, log=sys.stderr)
    try:
        if not args.no_warm:
            print(f"reading the app's long prompts: {warm(settings, args.port, args.host)} s", flush=True)
        print("ready; the app uses it with: " + " ".join(f"{k}={v}" for k, v in env_for(args.port, args.host).items()), flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
