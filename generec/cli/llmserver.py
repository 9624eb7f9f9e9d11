"""`python -m generec llm-server`: the bundled model behind an OpenAI-compatible server (`generec.llm.server`),
with the app's long prompts read at start (`generec.app.llm_warm`)."""
from __future__ import annotations

import argparse
import sys

from ..app.llm_warm import warm
from ..config import Settings
from ..llm.server import env_for, start


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
