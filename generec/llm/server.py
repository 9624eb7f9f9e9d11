"""The bundled GGUF behind llama-cpp-python's OpenAI-compatible server: its command line and start.

The app reaches it with `GENEREC_LLM=openai:generec` and `OPENAI_BASE_URL=http://HOST:PORT/v1`
(`env_for`). The server keeps evaluated prompts in RAM (`--cache`), so the planner's long prompt
and the creator's are each read once and not again when turns alternate between them. It keeps
no logits per token (`choice()`, which nothing in the app calls, needs them). It answers one
request at a time (llama-cpp-python has no parallel slots; vLLM does, and takes the same setting),
with the threads this machine can spare. `python -m generec llm-server` runs it.
"""
from __future__ import annotations

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


def env_for(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """What an app process needs to use the server."""
    return {"GENEREC_LLM": f"openai:{ALIAS}", "OPENAI_BASE_URL": f"http://{host}:{port}/v1", "OPENAI_API_KEY": "local"}
