"""The editor and the creator as the instructor's tools see them: `(deps, …) -> result dict`.

A mixin of `GeneRec`. `edit_item` runs an editor op on a corpus item or the upload and, only when
it succeeded and the fidelity checks kept it, adds the new private items to the catalog. The
creator runs on one worker thread per app, or on the work queue's workers (`jobs`), and so do edits when the queue is
set (`_edit_on_queue`); `_create` streams its stages into the chat
and cancels the job when the turn is closed. Edits and creations count against the account's
limits (`generec.limits`).
"""
from __future__ import annotations

import time

from ..editor import OPS, run_edit
from ..editor.base import EditContext, EditError
from ..editor.hook import request_for, summary
from ..events import ShowItem
from ..instructor.tools import Deps
from .accounts import COPY


def edit_item(deps: Deps, item_id: str | None, op: str, args: dict) -> dict:
    """(tool deps, item id or None for the upload, op, {style, query, duration_s}) -> the instructor's result."""
    t0 = time.perf_counter()
    ctx = EditContext(deps.settings, deps.settings.media_dir / "edits",
                      image_model=deps.catalog.image_model, text_embedder=deps.catalog.text_model)
    try:
        if op not in OPS:
            raise EditError(f"unknown edit “{op}”; choose one of: {', '.join(OPS)}")
        source = {"video": deps.upload_video} if (deps.upload_video and not item_id) else {"item_id": item_id}
        req = request_for(deps.catalog, deps.store, deps.user, instruction=args.get("query") or args.get("style") or "",
                          style=args.get("style"), query=args.get("query"), image_model=ctx.images, **source)
        items = run_edit(op, req, ctx)
    except EditError as exc:
        return {"status": "error", "message": str(exc)}
    from ..editor.checks import seal_items

    items, refused = seal_items(items, req, deps.settings, deps.store)   # watermark, checks, signed manifest
    if not items:
        return {"status": "error", "message": "the fidelity checks refused the result, so nothing was kept: " + " | ".join(refused)}
    deps.catalog.add(items)   # only now: a failed or refused edit adds nothing to the corpus
    return {"status": "ok", "items": [summary(it) for it in items], "refused": refused,
            "seconds": round(time.perf_counter() - t0, 2)}


class Tools:
    def _over_limit(self, user: str) -> dict | None:
        """An account's edits and creations are counted together (its persona copies included)."""
        why = self.limits.start_creation(user.split(COPY, 1)[0])
        return {"status": "unavailable", "message": why} if why else None

    def _edit(self, deps: Deps, item_id: str, op: str, args: dict) -> dict:
        if (over := self._over_limit(deps.user)) is not None:
            return over
        if self.settings.queue_url:
            return self._edit_on_queue(deps, None if item_id == "upload" else item_id, op, args)
        res = edit_item(deps, None if item_id == "upload" else item_id, op, args)
        if res.get("status") == "ok":
            res["events"] = self._edited(op, res)
        return res

    def _edited(self, op: str, res: dict) -> list[ShowItem]:
        """The new items of a finished edit, as the chat shows them."""
        items = [it for it in (self.catalog.item(i["id"]) for i in res.get("items", [])) if it]
        return [ShowItem(it, f"{op} made for you from “{(self.catalog.item(it.parent_id) or it).title}”; private until you publish it")
                for it in items]

    def edit_job(self, params: dict) -> dict:
        """A worker's side of a queued edit: the op for the job's user, as `edit_item` runs it in the chat."""
        deps = Deps(store=self.store, catalog=self.catalog, feed=self.feed, settings=self.settings, user=params["user"],
                    session="worker", upload_video=params.get("upload_video"))
        return edit_item(deps, params.get("item_id"), params["op"], params.get("args") or {})

    def _edit_on_queue(self, deps: Deps, item_id: str | None, op: str, args: dict) -> dict:
        """The edit as a queued job: its end streams into the chat; a closed turn (Stop) cancels it."""
        job = self.jobs.submit_edit(deps.user, item_id, op, args, deps.upload_video)

        def stream():
            from ..events import Problem, Step

            finished = False
            try:
                for ev in job.events():
                    if ev.stage == "wait" and ev.message:
                        yield Step("Waiting for a worker", ev.message, status="pending")
                    elif ev.status == "failed":
                        yield Problem(f"I couldn't make that edit: {job.error.message if job.error else ev.message}. Nothing was saved.")
                    elif ev.status == "cancelled":
                        yield Problem("The edit was cancelled; nothing was saved.")
                    elif ev.status == "done":   # the job refreshed the catalog when it saw its end
                        yield from self._edited(op, job.result or {})
                finished = True
            finally:
                if not finished:
                    job.cancel()
        return {"status": "started", "events": stream()}

    def creator_context(self):
        """What a creation needs: this app's catalog and settings, and the instructor's LLM."""
        from ..creator.context import CreatorContext

        llm = self._make_instructor().planner.llm
        return CreatorContext.from_app(self, llm=llm, persist=True, visuals=self.settings.creator_visuals,
                                       voice=self.settings.creator_voice)

    @property
    def jobs(self):
        """The creator's jobs, started on first use: one worker thread in this app, or the work
        queue's workers when `GENEREC_QUEUE_URL` is set."""
        with self._lock:
            if self._jobs is None:
                if self.settings.queue_url:
                    from ..creator.queued import RemoteJobs

                    self._jobs = RemoteJobs(self.settings.queue_url, self.store, self.catalog)
                else:
                    from ..creator.jobs import CreatorJobs

                    self._jobs = CreatorJobs(self.creator_context(), self.store.create_job, self.store.update_job)
            return self._jobs

    def job_ids(self) -> set[str]:
        """Ids of the creator jobs known so far (none before the creator first starts)."""
        return set(self._jobs.jobs) if self._jobs is not None else set()

    def cancel_jobs(self, name: str, exclude: set[str] = frozenset()) -> int:
        """Cancel this user's running creator jobs, except those in `exclude`; returns how many.
        (On the queue a job can also be cancelled from another process: `jobs.follow(id).cancel()`.)"""
        if self._jobs is None:
            return 0
        mine = [j for k, j in list(self._jobs.jobs.items()) if k not in exclude and j.user == name
                and j.status not in ("done", "failed", "cancelled")]
        for job in mine:
            job.cancel()
        return len(mine)

    def _create(self, deps: Deps, args: dict) -> dict:
        from ..creator.tool import guidance_from_args, job_events

        if (over := self._over_limit(deps.user)) is not None:
            return over
        job = self.jobs.submit(args.get("query") or "", user=deps.user, guidance=guidance_from_args(args))

        def stream():
            # the chat shows each stage as it happens; a closed chat turn (Stop) cancels the job
            finished = False
            try:
                yield from job_events(job)
                finished = True
            finally:
                if not finished:
                    job.cancel()
        return {"status": "started", "events": stream()}
