"""What the chat shows: GeneRec events as chat messages, the message box's states, and the pump
that runs a turn on its own thread so that Stop can close it between events."""
from __future__ import annotations

import logging
import queue
import threading
import traceback

import gradio as gr

from ..app import GeneRec
from ..events import Problem, Say, ShowItem, Step
from . import access

YOU = "you"   # the Profile list's value for the requester's own profile

log = logging.getLogger("generec.ui")

INTRO = ("**GeneRec** finds, and soon edits and makes, short videos for you. Tell it what you feel like watching, "
         "speak, or show it a picture. 👍/👎 on any video, and what you watch or pass over, change what comes next.")


def video_part(item_id: str, title: str) -> dict:
    """A chat video served by our own route, which checks who asks (see access.media_ref)."""
    return {"file": {"path": access.media_ref(item_id), "mime_type": "video/mp4", "orig_name": f"{item_id}.mp4"}, "alt_text": title}


def to_messages(ev, history: list, item_map: dict) -> None:
    if isinstance(ev, Step):
        took = f" · {ev.seconds:.2f} s" if ev.seconds is not None else ""
        last = history[-1] if history else None
        meta = getattr(last, "metadata", None) or {}
        if meta.get("status") == "pending" and meta.get("title", "").startswith(ev.title):
            history.pop()  # the pending step is finished: show its result in its place
        history.append(gr.ChatMessage(role="assistant", content=ev.detail or "…", metadata={"title": f"{ev.title}{took}", "status": "done" if ev.status != "pending" else "pending"}))
    elif isinstance(ev, Say):
        history.append(gr.ChatMessage(role="assistant", content=ev.text))
    elif isinstance(ev, Problem):
        history.append(gr.ChatMessage(role="assistant", content=f"⚠️ {ev.text}"))
    elif isinstance(ev, ShowItem):
        badge = f" `{ev.badge}`" if ev.badge else ""
        item_map[str(len(history))] = ev.item.id
        if ev.media is not None:
            history.append(gr.ChatMessage(role="assistant", content=video_part(ev.item.id, ev.item.title)))
        else:   # a title without a video (MovieLens): a text card, still with its own thumbs
            history.append(gr.ChatMessage(role="assistant", content=f"🎬 **{ev.item.title}**  \n{' · '.join(ev.item.tags)}"
                                                                    + (f"  \n<small>{ev.item.description[:300]}</small>" if ev.item.description else "")))
        item_map[str(len(history))] = ev.item.id
        checks = getattr(ev, "checks", None) or []   # fidelity check lines, for generated/edited items
        extra = "".join(f"  \n<small>{line}</small>" for line in checks)
        history.append(gr.ChatMessage(role="assistant", content=f"**{ev.item.title}**{badge} — {ev.why}.  \n<small>{ev.item.licence} · {ev.item.attribution}</small>{extra}"))


STOPPED = "⏹️ Stopped. Nothing more is made for that request; ask again whenever you like."


def settle(history: list, note: str = "") -> bool:
    """Mark the steps still pending as finished (title + note); True if there were any. A turn
    leaves one pending when it ends early: a failed creation, or a Stop."""
    settled = False
    for m in history:
        meta = m.get("metadata") if isinstance(m, dict) else getattr(m, "metadata", None)
        if isinstance(meta, dict) and meta.get("status") == "pending":
            meta["status"] = "done"
            if note:
                meta["title"] = f"{meta.get('title', '')}{note}"
            settled = True
    return settled


def busy_box() -> gr.MultimodalTextbox:
    """The box while a turn runs: cleared, locked, and offering Stop instead of Send."""
    return gr.MultimodalTextbox(value=None, interactive=False, submit_btn=False, stop_btn=True)


def ready_box(clear: bool = True) -> gr.MultimodalTextbox:
    """The box between turns: usable, Send back, no Stop (its text is kept unless `clear`)."""
    if clear:
        return gr.MultimodalTextbox(value=None, interactive=True, submit_btn=True, stop_btn=False)
    return gr.MultimodalTextbox(interactive=True, submit_btn=True, stop_btn=False)


HEARTBEAT_S = 1.0   # longest a running turn goes without yielding, so Stop can close it (each beat costs ~12 ms of Gradio work)


def job_ids(app: GeneRec) -> set:
    return app.job_ids()   # the creator's jobs, if it has started (never starts it)


def cancel_new_jobs(app: GeneRec, user: str, before: set) -> int:
    """Cancel, now, the creator jobs of this user that started after `before` (this turn's). The
    closed turn cancels its job too, but only once the job reports its next stage."""
    return app.cancel_jobs(user, exclude=before)


class Failed:
    def __init__(self, exc: BaseException, trace: str):
        self.exc, self.trace = exc, trace


END = object()


def pump(turn, out: queue.Queue, stop: threading.Event) -> None:
    """Run the turn on its own thread, handing each event over; stop after the event in hand once
    `stop` is set, and always close the turn (closing is what cancels a creator job)."""
    try:
        for ev in turn:
            if stop.is_set():
                break
            out.put(ev)
    except Exception as exc:  # handed to the UI thread, which reports it
        out.put(Failed(exc, traceback.format_exc()))
    finally:
        turn.close()
        out.put(END)
