"""`python -m generec worker`: a process that makes (and edits) the videos queued on `GENEREC_QUEUE_URL`.

It wires a `GeneRec` (store, catalog, the instructor's LLM) as the app does, then serves the
queue's jobs one at a time (two renders at once on one machine only make both slow: start more
workers on more machines). SIGTERM or Ctrl-C lets the running job finish first; a `kill -9`
leaves it to another worker, which gets it again once this one's heartbeat is old.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading

from ..config import Settings


def serve(settings: Settings, stop: threading.Event | None = None) -> int:
    if not settings.queue_url:
        print("generec worker: set GENEREC_QUEUE_URL=redis://host:port/db (the app must use the same one)", file=sys.stderr)
        return 2
    import dramatiq

    from ..app import GeneRec
    from ..creator.pipeline import create
    from ..creator.queued import HEARTBEAT_MS, Queue, creation, editing, run_job

    app = GeneRec(settings)
    ctx = app.creator_context()
    q: Queue | None = None

    make = creation(lambda text, guidance, user, **kw: create(text, guidance, user, ctx, **kw))
    edit = editing(app.edit_job)

    def runner(job_id, kind, params):
        work = {"create": make, "edit": edit}.get(kind)
        if work is None:
            raise ValueError(f"unknown job kind {kind!r}")
        how = run_job(q, job_id, params, work, update_job=app.store.update_job, db_url=settings.db_url)
        logging.getLogger("generec.worker").info("job %s: %s", job_id, how)

    q = Queue(settings.queue_url, runner=runner)
    q.ping()
    worker = dramatiq.Worker(q.broker, worker_threads=1, worker_timeout=1000)
    worker.queue_prefetch = 1   # a second job waits in Redis, where another worker can take it
    worker.start()
    stop = stop or threading.Event()
    me = f"{socket.gethostname()}:{os.getpid()}"

    def beat():
        while not stop.wait(HEARTBEAT_MS / 3000):
            try:
                q.beat(me)
            except Exception:   # Redis away for a moment: the next beat tries again
                pass

    q.beat(me)
    threading.Thread(target=beat, name="worker-beat", daemon=True).start()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    print(f"generec worker: serving {settings.queue_url} (data {settings.data_dir}, database {settings.db_url.split('@')[-1]})",
          flush=True)
    stop.wait()
    worker.stop(timeout=600_000)
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    for name in ("generec", "dramatiq"):
        logging.getLogger(name).setLevel(logging.INFO)
    return serve(Settings.from_env())
