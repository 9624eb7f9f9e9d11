"""The Gradio 6 chat: converts GeneRec events into chat messages and thumbs into interactions.

It holds no logic of its own: a turn is `GeneRec.turn`, feedback is `GeneRec.feedback`.
Each item message (the video and its reason line) is mapped to its item id in per-session
state, so a 👍/👎 on either is stored at once and moves the next answer.
"""
from __future__ import annotations

import logging
import traceback
import uuid

import gradio as gr

from ..events import Problem, Say, ShowItem, Step
from ..service import GeneRec, UserError, load_personas
from .panels import corpus_rows, profile_markdown

log = logging.getLogger("generec.ui")

INTRO = ("**GeneRec** finds, and soon edits and makes, short videos for you. Tell it what you feel like watching, "
         "speak, or show it a picture. 👍/👎 on any video changes what comes next.")


def _to_messages(ev, history: list, item_map: dict) -> None:
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
        history.append(gr.ChatMessage(role="assistant", content=gr.Video(str(ev.media), label=ev.item.title, height=300)))
        item_map[str(len(history))] = ev.item.id
        history.append(gr.ChatMessage(role="assistant", content=f"**{ev.item.title}**{badge} — {ev.why}.  \n<small>{ev.item.licence} · {ev.item.attribution}</small>"))


def build_demo(app: GeneRec) -> gr.Blocks:
    personas = [p["name"] for p in load_personas()]
    users = [u.name for u in app.store.list_users()]
    choices = personas + sorted(set(users) - set(personas))
    default_user = choices[0] if choices else "guest"
    if not app.store.get_user(default_user):
        app.user(default_user, create=True)

    def respond(box, history, user, session, item_map):
        box = box or {}
        text, files = (box.get("text") or "").strip(), list(box.get("files") or [])
        history = list(history or [])
        item_map = dict(item_map or {})
        if text:
            history.append(gr.ChatMessage(role="user", content=text))
        for f in files:
            history.append(gr.ChatMessage(role="user", content=gr.File(f) if not str(f).lower().endswith((".png", ".jpg", ".jpeg", ".webp")) else gr.Image(f)))
        yield history, item_map, gr.MultimodalTextbox(value=None, interactive=False)
        try:
            for ev in app.turn(user, text, files, session=session):
                _to_messages(ev, history, item_map)
                yield history, item_map, gr.MultimodalTextbox(value=None, interactive=False)
        except Exception as exc:  # the UI boundary: report, keep serving, nothing stored is touched
            log.error("turn failed: %s", traceback.format_exc())
            history.append(gr.ChatMessage(role="assistant", content=f"⚠️ Something broke on my side ({type(exc).__name__}: {str(exc)[:200]}). Your history is safe; please try again."))
        yield history, item_map, gr.MultimodalTextbox(value=None, interactive=True)

    def on_like(data: gr.LikeData, user, session, item_map):
        item_id = (item_map or {}).get(str(data.index if not isinstance(data.index, (list, tuple)) else data.index[0]))
        if item_id is None or data.liked not in (True, False):
            return gr.skip()
        try:
            app.feedback(user, item_id, "like" if data.liked else "dislike", session=session)
        except UserError as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return profile_markdown(app, user)

    def api_feedback(user: str, item_id: str, kind: str, value: float | None = None):
        """Record a like/dislike/skip/watch for an item; returns the stored interaction."""
        try:
            ev = app.feedback(user, item_id, kind, value)
        except UserError as exc:
            raise gr.Error(str(exc))
        return {"user": ev.user, "item_id": ev.item_id, "kind": ev.kind, "value": ev.value}

    def pick_user(name):
        try:
            u = app.user(name)
        except UserError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return profile_markdown(app, name), [], {}, bool((u.preferences or {}).get("real_only"))

    def toggle_real_only(name, on):
        try:
            app.set_real_only(name, on)
        except UserError as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return profile_markdown(app, name)

    def create_user(name, current):
        try:
            u = app.user(name, create=True)
        except UserError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), gr.skip()
        names = sorted(set(choices) | {x.name for x in app.store.list_users()})
        return gr.Dropdown(choices=names, value=u.name), profile_markdown(app, u.name), ""

    with gr.Blocks(title="GeneRec") as demo:
        session = gr.State(lambda: uuid.uuid4().hex[:12])
        item_map = gr.State({})
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(elem_id="chat", height=620, group_consecutive_messages=False, label="GeneRec",
                                  placeholder="Try “something calm with animals”.")
                box = gr.MultimodalTextbox(elem_id="box", sources=["upload", "microphone"], file_types=["image", "audio", "video"],
                                           file_count="multiple", placeholder="What would you like to watch?", show_label=False)
            with gr.Column(scale=1):
                user = gr.Dropdown(choices=choices, value=default_user, label="Profile", elem_id="profile", allow_custom_value=False)
                with gr.Row():
                    new_name = gr.Textbox(placeholder="new profile name", show_label=False, elem_id="new-profile", scale=3)
                    create = gr.Button("Create", scale=1, elem_id="create-profile")
                real_only = gr.Checkbox(label="Real items only (never edit or make videos for me)", elem_id="real-only",
                                        value=bool((app.store.get_user(default_user).preferences or {}).get("real_only")))
                profile = gr.Markdown(profile_markdown(app, default_user), elem_id="profile-md")
                with gr.Accordion("Corpus", open=False):
                    gr.Dataframe(corpus_rows(app), headers=["id", "title", "tags", "seconds", "origin", "licence"], interactive=False, elem_id="corpus")
        box.submit(respond, [box, chat, user, session, item_map], [chat, item_map, box], api_name="chat")
        chat.like(on_like, [user, session, item_map], [profile], api_visibility="private")
        user.change(pick_user, [user], [profile, chat, item_map, real_only], api_visibility="private")
        real_only.input(toggle_real_only, [user, real_only], [profile], api_visibility="private")
        create.click(create_user, [new_name, user], [user, profile, new_name], api_visibility="private")
        fb = gr.Button(visible=False)
        fb.click(api_feedback, [gr.Textbox(visible=False), gr.Textbox(visible=False), gr.Textbox(visible=False), gr.Number(visible=False)],
                 gr.JSON(visible=False), api_name="feedback")
    return demo
