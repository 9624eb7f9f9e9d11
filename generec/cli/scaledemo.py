"""`make scale-demo` (`python -m generec scale-demo`): GeneRec as several processes on one machine.

It starts, all on loopback: Redis (the job queue, appending to its log), PostgreSQL 18 with
pgvector (the store and the item vectors), the bundled model behind the OpenAI-compatible LLM
server, two creator workers and two app processes (ports 7861 and 7862; the planner and the
storyboards go to the LLM server). Everything lives in `<data>/scale/`, so a second run picks up
where the first stopped; the first run seeds PostgreSQL from the built corpus. Ctrl-C (or
SIGTERM) stops the apps first, then the workers (each finishes its running job), the LLM server
and the engines. On separate machines, each part is the same command with the URLs pointed
elsewhere: see the README's "Past one process".
"""
from __future__ import annotations

import argparse
import os
import signal
import threading
from unittest import mock

from ..config import Settings

APP_PORTS = (7861, 7862)
LLM_PORT = 8765
REDIS_PORT = 6390


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="generec scale-demo", description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-llm-server", action="store_true", help="each process loads the model itself")
    args = ap.parse_args(argv)
    from ..bench.app import AppProcess
    from ..bench.scale import Engines, Workers, seed
    from ..store import open_store
    from ..app.llm_warm import warm
    from ..llm import server as llmserver

    src = Settings.from_env()
    root = src.data_dir / "scale"
    root.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    engines = Engines(root, keep_in=root, redis_port=REDIS_PORT)
    server = workers = None
    apps: list = []
    try:
        env = {"GENEREC_DATA_DIR": str(root / "data"), "GENEREC_DATABASE_URL": engines.pg_url,
               "GENEREC_QUEUE_URL": engines.redis_url, "GENEREC_THREADS": "1", "GRADIO_SERVER_NAME": "127.0.0.1"}
        dst = Settings.from_env(env)
        with open_store(dst.db_url) as store:
            empty = not store.list_items(visible_to=None)
        if empty:
            print("first run: seeding PostgreSQL and pgvector from the built corpus …", flush=True)
            seed(src, dst, small=False, log=print, media_only_if_missing=True)
        if not args.no_llm_server:
            server = llmserver.start(src, LLM_PORT, log=open(root / "llm-server.log", "a"))
            print(f"LLM server reading the app's long prompts: {warm(src, LLM_PORT)} s", flush=True)
            env.update(llmserver.env_for(LLM_PORT))
            print(f"LLM server: http://127.0.0.1:{LLM_PORT}/v1 (llama-cpp-python, bundled GGUF)", flush=True)
        workers = Workers(env, root)
        workers.start(args.workers)
        print(f"workers: {args.workers} (python -m generec worker) on {engines.redis_url}", flush=True)
        for i, port in enumerate(APP_PORTS):
            with mock.patch.dict(os.environ, {**env, "GRADIO_SERVER_PORT": str(port)}):
                apps.append(AppProcess(dst.data_dir, 1, log_name=f"app{i}.log", port=port))
        for a in apps:
            a.wait_ready(900)
        print("apps: " + "  ".join(a.url for a in apps) + f"\nstore: {engines.pg_url}\nlogs: {root}\nCtrl-C stops everything.",
              flush=True)
        stop.wait()
    finally:
        print("stopping …", flush=True)
        for a in apps:
            a.stop()
        if workers is not None:
            workers.stop()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        engines.stop()
    return 0
