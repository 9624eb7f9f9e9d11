"""Creator and editor jobs on a real queue: Redis and dramatiq, when `GENEREC_QUEUE_URL` is set (`jobs.py` is the in-process default).

Why dramatiq: its Redis broker acknowledges a message only when the job ends, and a worker's
heartbeat tells the others when it died, so a job whose worker was killed is delivered again to
a live worker (RQ marks such a job failed, or re-runs it minutes later at the cost of a retry).

The app side (`RemoteJobs`) has the in-process `CreatorJobs` interface: `submit()` stores the
job row, enqueues a message whose id is the job's, and returns a `RemoteJob` whose `events()`
read the job's Redis stream. Any app process can follow or cancel any job: state, events and the
cancel flag live in Redis under `generec:job:<id>`. Workers (`python -m generec worker`) run
`run_job`: a job already ended is skipped (delivered twice, it runs once); each delivery counts
an attempt, and past `MAX_ATTEMPTS` the job fails with a message saying the worker kept
stopping; the new item's id comes from the job, so a re-run replaces its own item. An edit job
(`submit_edit`, kind `edit`) runs the editor op the chat would have run in its own process, and
ends with the edit's result (its new private items are in the shared store and catalog).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from .jobs import TERMINAL, JobEvent
from .pipeline import CreateError
from ..types import Item

log = logging.getLogger("generec.worker")
NS = "generec"
QUEUE = "generec-jobs"
HEARTBEAT_MS = 15_000       # a worker silent this long is dead and its job is delivered again
MAX_ATTEMPTS = 3
KEEP_S = 7 * 86_400         # job state in Redis outlives any chat that follows it
NO_WORKER_S = 10.0          # a job still queued after this, with no live worker, says so


def _key(job_id, part: str = "") -> str:
    return f"{NS}:job:{job_id}" + (f":{part}" if part else "")


def item_id_for(job_id, db_url: str) -> str:
    return "ai-" + hashlib.blake2b(f"{db_url}|job|{job_id}".encode(), digest_size=6).hexdigest()


class Queue:
    """The Redis connection, the dramatiq broker and the one actor; imported lazily."""

    def __init__(self, url: str, runner: Callable | None = None):
        try:
            import dramatiq
            import redis
            from dramatiq.brokers.redis import RedisBroker
        except ImportError as exc:
            raise RuntimeError("GENEREC_QUEUE_URL needs dramatiq[redis] and redis: run `make install`") from exc
        self.url = url
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        # maintenance (requeueing dead workers' jobs) on every fetch: else it runs on 0.1 % of them
        self.broker = RedisBroker(url=url, namespace=NS, heartbeat_timeout=HEARTBEAT_MS, maintenance_chance=1_000_000)
        self.actor = dramatiq.actor(runner or _no_runner, broker=self.broker, actor_name="generec_job",
                                    queue_name=QUEUE, max_retries=0, time_limit=6 * 3600 * 1000)

    def ping(self) -> None:
        try:
            self.redis.ping()
        except Exception as exc:
            raise RuntimeError(f"no Redis at {self.url}: start redis-server, or unset GENEREC_QUEUE_URL "
                               f"to run jobs in the app's own process ({exc})") from exc

    def enqueue(self, job_id, kind: str, params: dict) -> None:
        msg = self.actor.message_with_options(args=(job_id, kind, params)).copy(message_id=f"{NS}-job-{job_id}")
        self.broker.enqueue(msg)

    # -- job state ------------------------------------------------------------------------
    def emit(self, job_id, status: str, stage: str = "", progress: float = 0.0, message: str = "", **extra) -> None:
        ev = {"status": status, "stage": stage, "progress": f"{progress:.4f}", "message": message,
              "extra": json.dumps(extra)}
        pipe = self.redis.pipeline()
        pipe.xadd(_key(job_id, "events"), ev, maxlen=2000, approximate=True)
        pipe.hset(_key(job_id), mapping={"status": status, "progress": ev["progress"], "updated": time.time(),
                                         **({"stage": stage} if stage and stage != "wait" else {})})
        for part in ("", "events"):
            pipe.expire(_key(job_id, part), KEEP_S)
        pipe.execute()

    def state(self, job_id) -> dict:
        return self.redis.hgetall(_key(job_id))

    def claim(self, job_id, to: str, only_from: tuple[str, ...]) -> bool:
        """Move the job's status to `to` only if it is one of `only_from` (atomic)."""
        import redis

        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(_key(job_id))
                if (pipe.hget(_key(job_id), "status") or "queued") not in only_from:
                    return False
                pipe.multi()
                pipe.hset(_key(job_id), "status", to)
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def cancel(self, job_id) -> bool:
        """Flag the job; True when it had not started and so ended here (its worker will skip it)."""
        self.redis.set(_key(job_id, "cancel"), "1", ex=KEEP_S)
        if self.claim(job_id, "cancelled", ("queued",)):   # never started: it ends now, for everyone
            self.emit(job_id, "cancelled", "", 0.0, "cancelled before it started")
            return True
        return False

    def cancelled(self, job_id) -> bool:
        return bool(self.redis.exists(_key(job_id, "cancel")))

    def beat(self, worker: str) -> None:
        """A worker says it is alive (every few seconds; the key lapses after HEARTBEAT_MS).
        Dramatiq's own heartbeats count the app processes too, since they send messages."""
        self.redis.set(f"{NS}:worker:{worker}", "1", px=HEARTBEAT_MS)

    def workers_alive(self) -> int:
        return sum(1 for _ in self.redis.scan_iter(match=f"{NS}:worker:*", count=100))


def _no_runner(*_a):
    raise RuntimeError("this process only submits jobs; run `python -m generec worker`")


class CancelFlag:
    """`threading.Event`'s `is_set` over the job's Redis cancel key, asked at most every 0.5 s."""

    def __init__(self, q: Queue, job_id):
        self.q, self.job_id, self._set, self._asked = q, job_id, False, 0.0

    def is_set(self) -> bool:
        if not self._set and time.monotonic() - self._asked > 0.5:
            self._asked = time.monotonic()
            self._set = self.q.cancelled(self.job_id)
        return self._set


# ---- the worker side -----------------------------------------------------------------------
def creation(create: Callable) -> Callable:
    """A creator job's work: `create(text, guidance, user, progress=, cancel=, item_id=)` is the
    creator pipeline bound to the worker's context; returns (result, message)."""
    def work(params: dict, progress, cancel, item_id: str) -> tuple[dict, str]:
        r = create(params.get("text", ""), params.get("guidance") or {}, params.get("user") or None,
                   progress=progress, cancel=cancel, item_id=item_id)
        return ({"item_id": r.item.id, "scenes": r.scenes, "notes": r.notes, "title": r.item.title,
                 "duration_s": r.item.duration_s, "stage_times": r.stage_times},
                f"made “{r.item.title}” ({r.item.duration_s:.1f} s)")
    return work


def editing(edit: Callable) -> Callable:
    """An editor job's work: `edit(params)` runs the op for the job's user and returns the editor
    tool's result dict; a refused or failed edit ends the job as failed, with its message."""
    def work(params: dict, progress, cancel, item_id: str) -> tuple[dict, str]:
        progress("edit", 0.0)
        res = edit(params)
        if res.get("status") != "ok":
            raise CreateError("edit", res.get("message") or "the edit failed")
        return res, f"made {len(res.get('items', []))} edited item(s)"
    return work


def run_job(q: Queue, job_id, params: dict, work: Callable, update_job: Callable | None = None,
            db_url: str = "") -> str:
    """One delivery of a job; returns how it ended. `work(params, progress, cancel, item_id)` does
    it and returns (result, message), or raises CreateError(stage, message) or Cancelled."""
    from .compose import Cancelled

    def persist(*a, **kw) -> None:
        if update_job is not None:
            try:
                update_job(*a, **kw)
            except Exception as exc:  # a failing status write must not leave the job without an end
                log.warning("job %s: the store's row was not updated: %s", job_id, exc)

    if not q.claim(job_id, "running", ("queued", "running")):
        return q.state(job_id).get("status", "unknown")   # ended already: a second delivery does nothing
    q.redis.hset(_key(job_id), "worker", f"{socket.gethostname()}:{os.getpid()}")   # who to blame (or kill, in a bench)
    attempt = q.redis.hincrby(_key(job_id), "attempts", 1)
    if attempt > MAX_ATTEMPTS:
        msg = f"its worker stopped {attempt - 1} times while making it, so it was given up"
        persist(job_id, "failed", error=msg)
        q.emit(job_id, "failed", "start", 0.0, msg)
        return "failed"
    if attempt > 1:
        q.emit(job_id, "running", "wait", 0.0, f"a worker stopped while making it; starting again (attempt {attempt} of {MAX_ATTEMPTS})")
    cancel = CancelFlag(q, job_id)
    last = [""]

    def progress(stage: str, frac: float) -> None:
        q.emit(job_id, "running", stage, frac)
        if stage != last[0]:
            last[0] = stage
            persist(job_id, "running", progress=min(1.0, frac))

    if cancel.is_set():
        persist(job_id, "cancelled")
        q.emit(job_id, "cancelled", "", 0.0, "cancelled before it started")
        return "cancelled"
    # at the end, the store's row first and then the event: whoever sees the end in Redis finds it in the store
    try:
        result, message = work(params, progress, cancel, item_id_for(job_id, db_url))
    except Cancelled as exc:
        persist(job_id, "cancelled", error=str(exc))
        q.emit(job_id, "cancelled", "", 0.0, str(exc))
        return "cancelled"
    except CreateError as exc:
        persist(job_id, "failed", error=str(exc), result={"stage": exc.stage})
        q.emit(job_id, "failed", exc.stage, 0.0, exc.message)
        return "failed"
    except Exception as exc:  # a bug, not a stage failure: still end the job visibly
        msg = f"{type(exc).__name__}: {exc}"
        persist(job_id, "failed", error=msg)
        q.emit(job_id, "failed", last[0] or "start", 0.0, msg)
        return "failed"
    persist(job_id, "done", progress=1.0, result=result)
    # the end event's own fields come first: a result's `status` (an edit's "ok") cannot clash with them
    q.emit(job_id, "done", "done", 1.0, message, **{k: v for k, v in result.items() if k not in ("status", "stage", "progress", "message")})
    return "done"


# ---- the app side --------------------------------------------------------------------------
@dataclass
class RemoteResult:
    item: Item
    scenes: int
    notes: list[str] = field(default_factory=list)


class RemoteJob:
    def __init__(self, q: Queue, job_id, user: str | None, text: str, catalog=None, store=None):
        self.q, self.id, self.user, self.text, self.catalog, self.store = q, job_id, user, text, catalog, store
        self.status, self.stage, self.progress = "queued", "", 0.0
        self.result: RemoteResult | None = None
        self.error: CreateError | None = None
        self._last = "0-0"

    def cancel(self) -> None:
        if self.q.cancel(self.id) and self.store is not None:   # ended before a worker took it: its row says so
            self.store.update_job(self.id, "cancelled", error="cancelled before it started")

    def _event(self, f: dict) -> JobEvent:
        ev = JobEvent(f["status"], f.get("stage", ""), float(f.get("progress") or 0), f.get("message", ""))
        self.status, self.progress = ev.status, ev.progress
        if ev.stage and ev.stage != "wait":
            self.stage = ev.stage
        extra = json.loads(f.get("extra") or "{}")
        if ev.status == "done":
            if self.catalog is not None:
                self.catalog.refresh()   # the worker added the item's vectors
            if "item_id" not in extra:   # an edit job: its result is the editor tool's dict
                self.result = extra
            else:
                item = (self.catalog.item(extra["item_id"]) if self.catalog is not None else None) \
                    or Item(id=extra["item_id"], title=extra.get("title", ""), duration_s=extra.get("duration_s", 0.0))
                self.result = RemoteResult(item, int(extra.get("scenes", 0)), list(extra.get("notes", [])))
        elif ev.status == "failed":
            self.error = CreateError(ev.stage or "start", ev.message)
        return ev

    def events(self, timeout: float | None = None) -> Iterator[JobEvent]:
        """The job's events from its start (every follower sees all of them), until it ends;
        `timeout` bounds the wait for each event."""
        waited, told = 0.0, False
        while True:
            block = 1.0 if timeout is None else min(1.0, max(0.01, timeout - waited))
            got = self.q.redis.xread({_key(self.id, "events"): self._last}, count=100, block=int(block * 1000))
            if not got:
                waited += block
                if timeout is not None and waited >= timeout:
                    return
                if not told and waited >= NO_WORKER_S and self.status == "queued" and self.q.workers_alive() == 0:
                    told = True
                    yield JobEvent("queued", "wait", 0.0, "no worker is running; it starts when one is "
                                   "(`python -m generec worker`)")
                continue
            waited = 0.0
            for _stream, entries in got:
                for eid, f in entries:
                    self._last = eid
                    ev = self._event(f)
                    yield ev
                    if ev.status in TERMINAL:
                        return

    def wait(self, timeout: float | None = None) -> RemoteResult:
        from .compose import Cancelled

        for _ in self.events(timeout=timeout):
            pass
        if self.status == "done":
            return self.result
        if self.status == "cancelled":
            raise Cancelled(f"job {self.id} was cancelled")
        if self.status == "failed":
            raise self.error
        raise TimeoutError(f"job {self.id} still {self.status}")


class RemoteJobs:
    """`CreatorJobs`' interface over the queue; the store is the one the workers write to."""

    def __init__(self, url: str, store, catalog=None):
        self.q = Queue(url)
        self.q.ping()
        self.store, self.catalog = store, catalog
        self.jobs: dict = {}

    def submit(self, text: str, user: str | None = None, guidance: dict | None = None) -> RemoteJob:
        params = {"text": text, "guidance": guidance or {}, "user": user or ""}
        job_id = self.store.create_job(user or "", "create", params, runner="queue")
        self.q.emit(job_id, "queued", "", 0.0, "waiting for a creator worker")
        self.q.enqueue(job_id, "create", params)
        job = RemoteJob(self.q, job_id, user, text, self.catalog, self.store)
        self.jobs[job_id] = job
        for old in [k for k, j in self.jobs.items() if j.status in TERMINAL][:-50]:
            del self.jobs[old]
        return job

    def submit_edit(self, user: str, item_id: str | None, op: str, args: dict, upload_video: str | None = None) -> RemoteJob:
        """An editor op on the queue: a worker runs it for `user` and adds the new items to the shared store."""
        params = {"user": user, "item_id": item_id, "op": op, "args": args, "upload_video": upload_video}
        job_id = self.store.create_job(user, "edit", params, runner="queue")
        self.q.emit(job_id, "queued", "", 0.0, "waiting for a worker")
        self.q.enqueue(job_id, "edit", params)
        job = RemoteJob(self.q, job_id, user, f"{op} of {item_id or 'the upload'}", self.catalog, self.store)
        self.jobs[job_id] = job
        return job

    def follow(self, job_id) -> RemoteJob:
        """A job submitted by any process, to follow or cancel from this one."""
        row = self.store.get_job(job_id)
        if row is None:
            raise KeyError(job_id)
        return RemoteJob(self.q, job_id, row.user, (row.params or {}).get("text", ""), self.catalog, self.store)

    def open_jobs(self, user: str) -> list[int]:
        return [j.id for j in self.store.jobs(user=user) if j.status in ("queued", "running")]

    def shutdown(self) -> None:
        """Nothing to stop here: the jobs belong to the workers and go on without this process."""
