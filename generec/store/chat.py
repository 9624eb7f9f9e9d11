"""Chat messages and generation jobs: what a chat session leaves behind besides interactions.

A mixin of `Store` (db.py), kept apart only to keep files short: it relies on the Store's
`engine`, its writer engine `_w` and its `_insert` helper, and follows the same rule of one
short transaction per call with every argument checked before any SQL.

Each job row names the process that runs it (`runner_id`: host, boot, pid and the pid's start
time, so a reused pid is not mistaken for the old process). After a crash, `fail_interrupted_jobs`
marks failed the queued and running jobs whose process is gone; jobs of live processes (another
app, a CLI on the same database) and of processes on other hosts are left alone.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from . import records as R
from .schema import jobs, messages


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _started(pid: int) -> str | None:
    """The start time of a live process (clock ticks since boot), "" where /proc is missing, None
    when there is no such process or only its zombie."""
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    stat = _read(f"/proc/{pid}/stat")
    fields = stat.rsplit(")", 1)[-1].split()      # after "pid (name)": state is first, start time 20th
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def runner_id(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}|{_read('/proc/sys/kernel/random/boot_id')}|{pid}|{_started(pid) or ''}"


def runner_gone(runner: str | None) -> bool:
    """True when the process that ran a job is certainly dead; False when alive or unknowable."""
    if not runner:
        return True                               # a job from before runners were recorded
    host, boot, pid, started = (runner.split("|") + ["", "", "", ""])[:4]
    if host != socket.gethostname():
        return False
    if boot and boot != _read("/proc/sys/kernel/random/boot_id"):
        return True
    now = _started(int(pid)) if pid.isdigit() else None
    return now is None or (bool(started) and bool(now) and now != started)


class ChatAndJobs:
    # -- chat messages -------------------------------------------------------------------
    def add_message(self, user: str, session: str, role: str, content: str,
                    meta: dict[str, Any] | None = None) -> int:
        row = {"user": R.text("message user", user, empty=False),
               "session": R.text("message session", session),
               "role": R.one_of("message role", role, R.ROLES),
               "content": R.text("message content", content),
               "meta": R.jsonable("message meta", {} if meta is None else meta), "at": time.time()}
        with self._w.begin() as conn:
            return self._insert(conn, messages, row, "message")

    def messages(self, user: str, session: str | None = None, limit: int = 200) -> list[R.Message]:
        """The latest `limit` messages of the user (in one session if given), oldest first."""
        q = select(messages).where(messages.c.user == user)
        if session is not None:
            q = q.where(messages.c.session == session)
        q = q.order_by(messages.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [R.to_message(r) for r in reversed(conn.execute(q).all())]

    # -- generation jobs -----------------------------------------------------------------
    def create_job(self, user: str, kind: str, params: dict[str, Any] | None = None, runner: str | None = None) -> int:
        """`runner`: who runs it; default this process (a restart fails its open jobs), `"queue"`
        for a job on the work queue (its workers end it, whatever happens to this process)."""
        now = time.time()
        row = {"user": R.text("job user", user, empty=False), "kind": R.text("job kind", kind, empty=False),
               "params": R.jsonable("job params", {} if params is None else params),
               "status": "queued", "progress": None, "result": None, "error": None,
               "created_at": now, "updated_at": now, "runner": runner or runner_id()}
        with self._w.begin() as conn:
            return self._insert(conn, jobs, row, f"{kind} job")

    def update_job(self, job_id: int, status: str, progress: float | None = None,
                   result: Any = None, error: str | None = None) -> None:
        """Set the status; progress/result/error are changed only when given. KeyError if absent."""
        values: dict[str, Any] = {"status": R.one_of("job status", status, R.JOB_STATUSES),
                                  "updated_at": time.time()}
        if progress is not None:
            values["progress"] = float(R.number("job progress", progress, low=0, high=1))
        if result is not None:
            values["result"] = R.jsonable("job result", result, kind=None)
        if error is not None:
            values["error"] = R.text("job error", error)
        with self._w.begin() as conn:
            if conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values)).rowcount == 0:
                raise KeyError(job_id)

    def get_job(self, job_id: int) -> R.Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return R.to_job(row) if row else None

    def jobs(self, user: str | None = None, status: str | None = None) -> list[R.Job]:
        q = select(jobs).order_by(jobs.c.id)
        if user is not None:
            q = q.where(jobs.c.user == user)
        if status is not None:
            q = q.where(jobs.c.status == R.one_of("job status", status, R.JOB_STATUSES))
        with self.engine.connect() as conn:
            return [R.to_job(r) for r in conn.execute(q)]

    def fail_interrupted_jobs(self, reason: str = "interrupted by a restart of the app before it finished") -> int:
        """Mark failed, with `reason` as the error, every queued or running job whose process has died
        (a crash, a kill, a reboot); returns how many. Call it when the app starts."""
        open_ = ("queued", "running")
        with self.engine.connect() as conn:
            rows = conn.execute(select(jobs.c.id, jobs.c.runner).where(jobs.c.status.in_(open_))).all()
        dead = [i for i, runner in rows if runner_gone(runner)]
        if not dead:
            return 0
        values = {"status": "failed", "error": R.text("job error", reason), "updated_at": time.time()}
        with self._w.begin() as conn:   # a job that ended meanwhile keeps its own status
            return conn.execute(update(jobs).where(jobs.c.id.in_(dead), jobs.c.status.in_(open_)).values(**values)).rowcount
