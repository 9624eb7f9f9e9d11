"""Creation jobs off the request thread: one worker, a queue, progress events and cancel.

`CreatorJobs.submit()` returns a `Job` at once; the chat then reads `job.events()` (stage
and progress as they happen) and stays responsive, and `job.cancel()` stops it at the next
check (queued jobs never start). Job status can be persisted through two callables with the
store's signatures, `create_job(user, kind, params) -> id` and `update_job(id, status,
progress=, result=, error=)`, so this module does not import the store. One worker, because
two renders at once on a 2-core machine would only make both slow.

A job killed with its process leaves its row "running" (the store marks it failed at the next
start) and maybe half-written files; no item row, since the row is written last, after the media
are complete and sealed. `sweep_leftovers` removes those files when the creator starts.
"""
from __future__ import annotations

import itertools
import queue
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .compose import Cancelled
from .pipeline import CreateError, CreateResult, create

TERMINAL = ("done", "failed", "cancelled")


@dataclass
class JobEvent:
    status: str          # queued, running, done, failed, cancelled
    stage: str           # script, visuals, narration, render, cover, save, done, or "" before the start
    progress: float
    message: str = ""


class Job:
    def __init__(self, job_id, user: str | None, text: str):
        self.id, self.user, self.text = job_id, user, text
        self.status, self.stage, self.progress = "queued", "", 0.0
        self.result: CreateResult | None = None
        self.error: CreateError | None = None
        self.cancel_event = threading.Event()
        self.future = None
        self._events: queue.Queue[JobEvent] = queue.Queue()
        self._finished = threading.Event()
        self._on_cancel_queued: Callable[[], None] = lambda: None

    def _emit(self, ev: JobEvent) -> None:
        self.status, self.stage, self.progress = ev.status, ev.stage or self.stage, ev.progress
        self._events.put(ev)
        if ev.status in TERMINAL:
            self._finished.set()

    def cancel(self) -> None:
        self.cancel_event.set()
        if self.future is not None and self.future.cancel():  # still queued: it will never run
            self._emit(JobEvent("cancelled", self.stage, self.progress, "cancelled before it started"))
            self._on_cancel_queued()

    def events(self, timeout: float | None = None) -> Iterator[JobEvent]:
        """Progress events until the job ends; `timeout` bounds the wait for each event."""
        while True:
            try:
                ev = self._events.get(timeout=timeout)
            except queue.Empty:
                return
            yield ev
            if ev.status in TERMINAL:
                return

    def wait(self, timeout: float | None = None) -> CreateResult:
        if not self._finished.wait(timeout):
            raise TimeoutError(f"job {self.id} still {self.status}")
        if self.status == "done":
            return self.result
        if self.status == "cancelled":
            raise Cancelled(f"job {self.id} was cancelled")
        raise self.error


def sweep_leftovers(data_dir: Path, older_than_s: float = 3600.0) -> list[Path]:
    """Remove what killed jobs left behind: creator work folders, half-written renders
    (`*.part.mp4`) and edit outputs never renamed into place (`.*.partial*`). Only what nobody
    touched for `older_than_s`, so a job of another live process (a CLI run) keeps its files.
    Finished files with no item row are left: nothing lists them, and they may be someone's."""
    data_dir = Path(data_dir)
    found = [*(data_dir / "creator" / "work").glob("*"), *(data_dir / "media" / "created").glob("*.part.mp4"),
             *(data_dir / "media" / "edits").glob(".*.partial*")]
    gone = []
    for p in found:
        try:
            if time.time() - p.stat().st_mtime < older_than_s:
                continue
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
            gone.append(p)
        except OSError:
            continue          # best effort: a leftover is invisible anyway
    return gone


class CreatorJobs:
    def __init__(self, ctx, create_job: Callable | None = None, update_job: Callable | None = None,
                 runner: Callable[..., CreateResult] = create):
        self.ctx, self.runner = ctx, runner
        if getattr(ctx, "persist", False):
            sweep_leftovers(ctx.settings.data_dir)
        self.create_job, self.update_job = create_job, update_job
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="creator")
        self.jobs: dict = {}
        self._ids = itertools.count(1)

    def _persist(self, job: Job, status: str, **kw) -> None:
        if self.update_job is not None:
            try:
                self.update_job(job.id, status, **kw)
            except Exception:  # a failing status write must not kill the video being made
                pass

    def submit(self, text: str, user: str | None = None, guidance: dict | None = None) -> Job:
        params = {"text": text, "guidance": guidance or {}}
        job_id = self.create_job(user or "", "create", params) if self.create_job else next(self._ids)
        job = Job(job_id, user, text)
        job._on_cancel_queued = lambda: self._persist(job, "cancelled")
        for old in [k for k, j in self.jobs.items() if j.status in TERMINAL][:-50]:
            del self.jobs[old]  # keep the last finished jobs for lookups, not all of them forever
        self.jobs[job_id] = job
        job._emit(JobEvent("queued", "", 0.0, "waiting for the creator"))
        job.future = self.pool.submit(self._run, job, guidance or {})
        return job

    def _run(self, job: Job, guidance: dict) -> None:
        last_stage = [""]

        def progress(stage: str, frac: float) -> None:
            job._emit(JobEvent("running", stage, frac))
            if stage != last_stage[0]:  # one store write per stage, not per render tick
                last_stage[0] = stage
                self._persist(job, "running", progress=min(1.0, frac))

        if job.cancel_event.is_set():
            job._emit(JobEvent("cancelled", "", 0.0, "cancelled before it started"))
            self._persist(job, "cancelled")
            return
        try:
            job.result = self.runner(job.text, guidance, job.user, self.ctx, progress=progress, cancel=job.cancel_event)
        except Cancelled as exc:
            job._emit(JobEvent("cancelled", job.stage, job.progress, str(exc)))
            self._persist(job, "cancelled", error=str(exc))
            return
        except CreateError as exc:
            job.error = exc
            job._emit(JobEvent("failed", exc.stage, job.progress, str(exc)))
            self._persist(job, "failed", error=str(exc), result={"stage": exc.stage})
            return
        except Exception as exc:  # a bug, not a stage failure: still end the job visibly
            job.error = CreateError(job.stage or "start", f"{type(exc).__name__}: {exc}")
            job._emit(JobEvent("failed", job.stage, job.progress, str(job.error)))
            self._persist(job, "failed", error=str(job.error))
            return
        r = job.result
        job._emit(JobEvent("done", "done", 1.0, f"made “{r.item.title}” ({r.item.duration_s:.1f} s)"))
        self._persist(job, "done", progress=1.0, result={"item_id": r.item.id, "media_path": r.item.media_path,
                                                         "cover_path": r.item.cover_path, "stage_times": r.stage_times})

    def shutdown(self) -> None:
        for job in self.jobs.values():
            if job.status not in TERMINAL:
                job.cancel()
        self.pool.shutdown(wait=True)
