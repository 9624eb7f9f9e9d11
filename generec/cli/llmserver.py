"""`python -m generec llm-server`: the bundled GGUF behind llama-cpp-python's OpenAI-compatible server.

The app reaches it with `GENEREC_LLM=openai:generec` and `OPENAI_BASE_URL=http://HOST:PORT/v1`
(the alias is `generec`). The server keeps evaluated prompts in RAM (`--cache`), so the planner's
long prompt and the creator's are each read once and not again when turns alternate between
them. It answers one request at a time (llama-cpp-python has no parallel slots; vLLM does, and
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
            "--interrupt_requests", "False", "--cache", "True", "--cache_type", "ram", "--verbose", "False"]


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


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="generec llm-server", description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--fast", action="store_true", help="the 0.5B model instead of the 1.5B")
    args = ap.parse_args(argv)
    cmd = command(Settings.from_env(), args.port, args.host, args.fast)
    print("the app uses it with: " + " ".join(f"{k}={v}" for k, v in env_for(args.port, args.host).items()), flush=True)
    os.execv(cmd[0], cmd)   # the server becomes this process: signals reach it directly
