"""Chat messages and generation jobs: what a chat session leaves behind besides interactions.

A mixin of `Store` (db.py), kept apart only to keep files short: it relies on the Store's
`engine`, its writer engine `_w` and its `_insert` helper, and follows the same rule of one
short transaction per call with every argument checked before any SQL.
"""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from . import records as R
from .schema import jobs, messages


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
    def create_job(self, user: str, kind: str, params: dict[str, Any] | None = None) -> int:
        now = time.time()
        row = {"user": R.text("job user", user, empty=False), "kind": R.text("job kind", kind, empty=False),
               "params": R.jsonable("job params", {} if params is None else params),
               "status": "queued", "progress": None, "result": None, "error": None,
               "created_at": now, "updated_at": now}
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
