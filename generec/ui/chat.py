"""The Gradio 6 chat: converts GeneRec events into chat messages and thumbs into interactions.

It holds no logic of its own: a turn is `GeneRec.turn`, feedback is `GeneRec.feedback`.
Each item message (the video and its reason line) is mapped to its item id in per-session
state, so a 👍/👎 on either is stored at once and moves the next answer. While a turn runs the
box shows a Stop button: it cancels the turn's event, which closes the turn generator (and with
it any creator job the turn started). The profile list is re-read on every page load.
"""
from __future__ import annotations

import logging
import queue
import threading
import traceback
import uuid

import gradio as gr

from ..events import Problem, Say, ShowItem, Step
from ..service import GeneRec, UserError, clean_name
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
        if ev.media is not None:
            history.append(gr.ChatMessage(role="assistant", content=gr.Video(str(ev.media), label=ev.item.title, height=300)))
        else:   # a title without a video (MovieLens): a text card, still with its own thumbs
            history.append(gr.ChatMessage(role="assistant", content=f"🎬 **{ev.item.title}**  \n{' · '.join(ev.item.tags)}"
                                                                    + (f"  \n<small>{ev.item.description[:300]}</small>" if ev.item.description else "")))
        item_map[str(len(history))] = ev.item.id
        checks = getattr(ev, "checks", None) or []   # fidelity check lines, for generated/edited items
        extra = "".join(f"  \n<small>{line}</small>" for line in checks)
        history.append(gr.ChatMessage(role="assistant", content=f"**{ev.item.title}**{badge} — {ev.why}.  \n<small>{ev.item.licence} · {ev.item.attribution}</small>{extra}"))


STOPPED = "⏹️ Stopped. Nothing more is made for that request; ask again whenever you like."


def _settle(history: list, note: str = "") -> bool:
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


def _busy() -> gr.MultimodalTextbox:
    """The box while a turn runs: cleared, locked, and offering Stop instead of Send."""
    return gr.MultimodalTextbox(value=None, interactive=False, submit_btn=False, stop_btn=True)


def _ready(clear: bool = True) -> gr.MultimodalTextbox:
    """The box between turns: usable, Send back, no Stop (its text is kept unless `clear`)."""
    if clear:
        return gr.MultimodalTextbox(value=None, interactive=True, submit_btn=True, stop_btn=False)
    return gr.MultimodalTextbox(interactive=True, submit_btn=True, stop_btn=False)


HEARTBEAT_S = 0.5   # longest a running turn goes without yielding, so Stop can close it


def _job_ids(app: GeneRec) -> set:
    return app.job_ids()   # the creator's jobs, if it has started (never starts it)


def _cancel_new_jobs(app: GeneRec, user: str, before: set) -> int:
    """Cancel, now, the creator jobs of this user that started after `before` (this turn's). The
    closed turn cancels its job too, but only once the job reports its next stage."""
    try:
        return app.cancel_jobs(clean_name(user), exclude=before)
    except UserError:
        return 0


class _Failed:
    def __init__(self, exc: BaseException, trace: str):
        self.exc, self.trace = exc, trace


_END = object()


def _pump(turn, out: queue.Queue, stop: threading.Event) -> None:
    """Run the turn on its own thread, handing each event over; stop after the event in hand once
    `stop` is set, and always close the turn (closing is what cancels a creator job)."""
    try:
        for ev in turn:
            if stop.is_set():
                break
            out.put(ev)
    except Exception as exc:  # handed to the UI thread, which reports it
        out.put(_Failed(exc, traceback.format_exc()))
    finally:
        turn.close()
        out.put(_END)


def build_demo(app: GeneRec) -> gr.Blocks:
    from ..corpus import personas as corpus_personas

    personas = [p["name"] for p in corpus_personas(app.settings)]

    def profile_names() -> list[str]:
        """Personas first, then everyone else, as the store has them now (MovieLens's hundreds of
        background raters, `ml-…`, are left out; its chosen real users are personas)."""
        users = [u.name for u in app.store.list_users() if not u.name.startswith("ml-")]
        return personas + sorted(set(users) - set(personas))

    choices = profile_names()
    default_user = choices[0] if choices else "guest"
    if not app.store.get_user(default_user):
        app.user(default_user, create=True)

    def profile_problem(name) -> str | None:
        """A plain answer when the profile box names nobody we know (blank, unusable or unknown)."""
        names = profile_names()
        listed = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
        if not str(name or "").strip():
            return f"Pick a profile first: choose one from the Profile list ({listed}) or create your own."
        try:
            app.user(str(name))
        except UserError as exc:
            msg = str(exc)
            return f"{msg[:1].upper()}{msg[1:]}. Profiles: {listed}."
        return None

    def respond(box, history, user, session, item_map):
        box = box or {}
        text, files = (box.get("text") or "").strip(), list(box.get("files") or [])
        history = list(history or [])
        item_map = dict(item_map or {})
        if text:
            history.append(gr.ChatMessage(role="user", content=text))
        for f in files:
            history.append(gr.ChatMessage(role="user", content=gr.File(f) if not str(f).lower().endswith((".png", ".jpg", ".jpeg", ".webp")) else gr.Image(f)))
        yield history, item_map, _busy()
        problem = profile_problem(user)
        if problem:
            history.append(gr.ChatMessage(role="assistant", content=f"⚠️ {problem}"))
            yield history, item_map, _ready()
            return
        # The turn runs on a pump thread and this generator yields at least every HEARTBEAT_S: Gradio
        # can close a generator only between yields, so Stop (or a closed page) takes effect at once
        # instead of after the creator's current stage.
        events: queue.Queue = queue.Queue()
        stop, jobs_before = threading.Event(), _job_ids(app)
        threading.Thread(target=_pump, args=(app.turn(user, text, files, session=session), events, stop),
                         name=f"turn-{session}", daemon=True).start()
        finished = False
        try:
            while True:
                try:
                    ev = events.get(timeout=HEARTBEAT_S)
                except queue.Empty:
                    yield gr.skip(), gr.skip(), gr.skip()   # nothing new: a heartbeat, no update
                    continue
                if ev is _END:
                    break
                if isinstance(ev, _Failed):  # the UI boundary: report, keep serving, nothing stored is touched
                    log.error("turn failed: %s", ev.trace)
                    history.append(gr.ChatMessage(role="assistant", content=f"⚠️ Something broke on my side ({type(ev.exc).__name__}: {str(ev.exc)[:200]}). Your history is safe; please try again."))
                    continue
                _to_messages(ev, history, item_map)
                yield history, item_map, _busy()
            finished = True
        finally:
            if not finished:   # closed early (Stop): end the turn and cancel the job it started, now
                stop.set()
                _cancel_new_jobs(app, user, jobs_before)
        _settle(history)
        yield history, item_map, _ready()

    def after_turn(history):
        """Runs after every turn; one that still shows a pending step was stopped: say so."""
        history = list(history or [])
        if not _settle(history, " · stopped"):
            return gr.skip(), _ready(clear=False)
        history.append(gr.ChatMessage(role="assistant", content=STOPPED))
        return history, _ready(clear=False)

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
        problem = profile_problem(name)
        if problem:  # e.g. a name typed into the list that is no profile yet: say so where it shows
            return problem, gr.skip(), gr.skip(), gr.skip()
        u = app.user(name)
        return profile_markdown(app, name), [], {}, bool((u.preferences or {}).get("real_only"))

    def refresh_profiles():
        """On every page load: profiles made since the app started (another tab, the CLI) are listed."""
        return gr.Dropdown(choices=profile_names())

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
        return gr.Dropdown(choices=profile_names(), value=u.name), profile_markdown(app, u.name), ""

    def my_items(name) -> gr.Dropdown:
        """The signed-in user's AI-made items, for the publish control."""
        try:
            mine = [(f"{it.title} ({it.visibility})", it.id) for it in app.store.list_items(visible_to=clean_name(name))
                    if it.owner == clean_name(name) and it.origin != "human"]
        except UserError:
            mine = []
        return gr.Dropdown(choices=mine, value=None)

    def publish_item(name, item_id):
        if not item_id:
            return "Pick one of your AI-made videos first.", gr.skip()
        try:
            msg = app.publish(name, item_id)
        except UserError as exc:
            msg = f"⚠️ {exc}"
        return msg, my_items(name)

    with gr.Blocks(title="GeneRec") as demo:
        session = gr.State(lambda: uuid.uuid4().hex[:12])
        item_map = gr.State({})
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(elem_id="chat", height=620, group_consecutive_messages=False, label="GeneRec",
                                  placeholder="Try “something calm with animals”.")
                # stop_btn turns True (and submit_btn False) while a turn runs; see _busy / _ready
                box = gr.MultimodalTextbox(elem_id="box", sources=["upload", "microphone"], file_types=["image", "audio", "video"],
                                           file_count="multiple", placeholder="What would you like to watch?", show_label=False,
                                           submit_btn=True, stop_btn=False)
            with gr.Column(scale=1):
                # custom values pass through, so an unknown name gets an answer in the chat, not a bare error
                user = gr.Dropdown(choices=choices, value=default_user, label="Profile", elem_id="profile", allow_custom_value=True)
                with gr.Row():
                    new_name = gr.Textbox(placeholder="new profile name", show_label=False, elem_id="new-profile", scale=3)
                    create = gr.Button("Create", scale=1, elem_id="create-profile")
                real_only = gr.Checkbox(label="Real items only (never edit or make videos for me)", elem_id="real-only",
                                        value=bool((app.store.get_user(default_user).preferences or {}).get("real_only")))
                profile = gr.Markdown(profile_markdown(app, default_user), elem_id="profile-md")
                with gr.Accordion("Your AI-made videos", open=False):
                    mine = gr.Dropdown(choices=[], label="Private until you publish one", elem_id="mine", allow_custom_value=True)
                    publish = gr.Button("Publish to everyone", elem_id="publish")
                    published = gr.Markdown(elem_id="publish-md")
                with gr.Accordion("Corpus", open=False):
                    gr.Dataframe(corpus_rows(app), headers=["id", "title", "tags", "seconds", "origin", "licence"], interactive=False, elem_id="corpus")
        turn_ev = box.submit(respond, [box, chat, user, session, item_map], [chat, item_map, box], api_name="chat")
        # after the turn, and also after a Stop (a cancelled respond never reaches its last yield)
        turn_ev.then(after_turn, [chat], [chat, box], api_visibility="private", queue=False).then(
            my_items, [user], [mine], api_visibility="private", queue=False)
        # Stop cancels the running turn: Gradio closes respond's generator, which ends the turn
        box.stop(None, None, None, cancels=[turn_ev], api_visibility="private")
        demo.load(refresh_profiles, None, [user], api_visibility="private", queue=False)
        demo.load(my_items, [user], [mine], api_visibility="private", queue=False)
        chat.like(on_like, [user, session, item_map], [profile], api_visibility="private")
        user.change(pick_user, [user], [profile, chat, item_map, real_only], api_visibility="private").then(
            my_items, [user], [mine], api_visibility="private", queue=False)
        publish.click(publish_item, [user, mine], [published, mine], api_name="publish")
        real_only.input(toggle_real_only, [user, real_only], [profile], api_visibility="private")
        create.click(create_user, [new_name, user], [user, profile, new_name], api_visibility="private")
        fb = gr.Button(visible=False)
        fb.click(api_feedback, [gr.Textbox(visible=False), gr.Textbox(visible=False), gr.Textbox(visible=False), gr.Number(visible=False)],
                 gr.JSON(visible=False), api_name="feedback")
    return demo
