"""The creator as the chat sees it: job progress as chat events, and the instructor's tool hook.

`job_events(job)` turns a running job into `Step` events (one per stage, as it
starts) and ends with `ShowItem` for the new video or a `Problem` naming the stage that
failed; a chat turn can `yield from` it while the job runs on the creator's worker thread.
`guidance_from_args` reads the instructor's create_item arguments (the tool itself: `generec.app.tools`).
"""
from __future__ import annotations

import time
from typing import Iterator

from ..events import Event, Problem, ShowItem, Step

STAGE_TITLES = {"screen": "Checking the request", "checks": "Fidelity checks, watermark and provenance", "script": "Writing the storyboard", "visuals": "Choosing the pictures", "narration": "Recording the narration",
                "render": "Rendering the video", "cover": "Making the cover", "save": "Adding it to your videos"}


def job_events(job, timeout: float | None = None) -> Iterator[Event]:
    current, started = "", time.perf_counter()
    for ev in job.events(timeout=timeout):
        if ev.status == "running" and ev.stage in STAGE_TITLES and ev.stage != current:
            if current:
                yield Step(STAGE_TITLES[current], "done", status="done", seconds=time.perf_counter() - started)
            current, started = ev.stage, time.perf_counter()
            yield Step(STAGE_TITLES[current], f"{ev.progress:.0%} of the job", status="pending")
        elif ev.status == "done":
            if current:
                yield Step(STAGE_TITLES[current], "done", status="done", seconds=time.perf_counter() - started)
            r = job.result
            if r.notes:   # a fallback stood in somewhere (template storyboard, espeak voice...): say so
                yield Step("Stood in for a part that failed", "; ".join(r.notes), status="done")
            why = f"made for you from your request; {r.scenes} scenes, {r.item.duration_s:.0f} s, private until you publish it"
            yield ShowItem(r.item, why)   # its media, badge and checks are added by generec.app.present
        elif ev.status == "failed":
            stage = STAGE_TITLES.get(ev.stage, ev.stage or "starting")
            msg = job.error.message if job.error is not None else ev.message
            yield Problem(f"I couldn't make the video: the step “{stage}” failed ({msg}). Nothing was saved.")
        elif ev.stage == "wait" and ev.message:
            yield Step("Waiting for the creator", ev.message, status="pending")   # no worker free, or one stopped
        elif ev.status == "cancelled":
            yield Problem("The video was cancelled; nothing was saved.")


def guidance_from_args(args: dict) -> dict:
    """The instructor's create_item arguments as creator guidance."""
    g = {k: args.get(k) for k in ("style", "mood", "duration_s", "include", "avoid")}
    g["topic"] = args.get("query")
    return {k: v for k, v in g.items() if v not in (None, "", [])}
