"""The Gradio 6 chat page: its handlers turn clicks into GeneRec calls and thumbs into interactions.

It holds no logic of its own: a turn is `GeneRec.turn`, feedback is `GeneRec.feedback`. Who
is asking comes from the request (ui/access.py), never from an argument: the Profile list only
chooses among the requester's own profiles (its own, its extra ones, its persona try-out copies).
Each item message (the video and its reason line) is mapped to its item id in per-session
state, so a 👍/👎 on either is stored at once and moves the next answer. The player reports
play and watch time itself (ui/player.py, `/signals` in ui/access.py); when a new message comes,
the items of the last answer that nobody played are stored as skipped. While a turn runs the
box shows a Stop button: it cancels the turn's event, which closes the turn generator (and with
it any creator job the turn started). The profile list is re-read on every page load.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid

import gradio as gr

from ..app.accounts import COPY, AccessError, copy_name, erase_data, profile_label, profiles_of, resolve_profile
from ..app import GeneRec, UserError, clean_name
from . import access
from .messages import END, HEARTBEAT_S, INTRO, STOPPED, YOU, Failed, busy_box, cancel_new_jobs, job_ids, pump, ready_box, settle, to_messages
from .panels import beliefs_view, corpus_rows, profile_markdown

log = logging.getLogger("generec.ui")


def build_demo(app: GeneRec, mode: str | None = None) -> gr.Blocks:
    from ..corpus import personas as corpus_personas

    mode = mode or access.sign_in_mode(app.settings)
    app.limits.per_account = mode != "local"
    personas = corpus_personas(app.settings)
    persona_names = [p["name"] for p in personas]

    def account(request) -> str:
        return access.account_of(request, mode)

    def extra_profiles(acct: str) -> list[str]:
        """The account's own extra profiles (made with Create), by their short names."""
        return sorted(u.split(COPY, 1)[1] for u in profiles_of(app.store, acct)
                      if COPY in u and u.split(COPY, 1)[1] not in persona_names)

    def choices_for(acct: str) -> list[tuple[str, str]]:
        return ([("You", YOU)] + [(f"{p.get('display') or p['name']} · try-out copy", p["name"]) for p in personas]
                + [(n, n) for n in extra_profiles(acct)])

    def profile(request, choice) -> str:
        """The user this request acts as: the requester's own profile, an extra profile of theirs,
        or their copy of a persona. Never anyone else's, whatever `choice` says."""
        return acting(request, choice)[1]

    def acting(request, choice) -> tuple[str, str]:
        """(the requester's account, the profile of theirs that `choice` picks)."""
        acct = account(request)
        pick = str(choice or "").strip().lower()
        if pick in ("", YOU):
            pick = acct
        elif pick not in persona_names:
            pick = copy_name(acct, pick)   # one of their own extra profiles, or nothing
        try:
            return acct, resolve_profile(app, acct, pick, personas, label=str(choice or ""))
        except AccessError as exc:
            raise UserError(str(exc)) from None

    def respond(box, choice, session, item_map, history, request: gr.Request = None):
        """One turn. The chat's history lives in server-side state (`history`), never sent back by
        the browser: a shown video names a file that only our checked route serves."""
        box = box or {}
        text, files = (box.get("text") or "").strip(), list(box.get("files") or [])
        history = list(history or [])
        item_map = dict(item_map or {})
        if text:
            history.append(gr.ChatMessage(role="user", content=text))
        for f in files:
            history.append(gr.ChatMessage(role="user", content=gr.File(f) if not str(f).lower().endswith((".png", ".jpg", ".jpeg", ".webp")) else gr.Image(f)))
        yield history, item_map, busy_box(), history
        try:
            acct, user = acting(request, choice)
        except (UserError, AccessError) as exc:
            msg = str(exc)
            history.append(gr.ChatMessage(role="assistant", content=f"⚠️ {msg[:1].upper()}{msg[1:]}."))
            yield history, item_map, ready_box(), history
            return
        refused = app.limits.start_turn(acct)
        if refused:
            history.append(gr.ChatMessage(role="assistant", content=f"⚠️ {refused}"))
            yield history, item_map, ready_box(clear=False), history
            return
        t0 = time.perf_counter()
        # The turn runs on a pump thread and this generator yields at least every HEARTBEAT_S: Gradio
        # can close a generator only between yields, so Stop (or a closed page) takes effect at once
        # instead of after the creator's current stage.
        events: queue.Queue = queue.Queue()
        stop, jobs_before = threading.Event(), job_ids(app)
        threading.Thread(target=pump, args=(app.turn(user, text, files, session=session, on_page=set(item_map.values())), events, stop),
                         name=f"turn-{session}", daemon=True).start()
        finished = False
        try:
            while True:
                try:
                    ev = events.get(timeout=HEARTBEAT_S)
                except queue.Empty:
                    yield gr.skip(), gr.skip(), gr.skip(), gr.skip()   # nothing new: a heartbeat, no update
                    continue
                if ev is END:
                    break
                if isinstance(ev, Failed):  # the UI boundary: report, keep serving, nothing stored is touched
                    log.error("turn failed: %s", ev.trace)
                    history.append(gr.ChatMessage(role="assistant", content=f"⚠️ Something broke on my side ({type(ev.exc).__name__}: {str(ev.exc)[:200]}). Your history is safe; please try again."))
                    continue
                to_messages(ev, history, item_map)
                # the box was locked by the first yield: re-sending it would make Gradio rebuild its
                # config (a JSON-schema pass holding the GIL) on every step of every turn
                yield history, item_map, gr.skip(), history
            finished = True
        finally:
            app.limits.end_turn(time.perf_counter() - t0)
            if not finished:   # closed early (Stop): end the turn and cancel the job it started, now
                stop.set()
                cancel_new_jobs(app, user, jobs_before)
        settle(history)
        yield history, item_map, ready_box(), history

    def after_turn(history):
        """Runs after every turn; one that still shows a pending step was stopped: say so."""
        history = list(history or [])
        if not settle(history, " · stopped"):
            return gr.skip(), ready_box(clear=False), gr.skip()
        history.append(gr.ChatMessage(role="assistant", content=STOPPED))
        return history, ready_box(clear=False), history

    def on_like(data: gr.LikeData, choice, session, item_map, request: gr.Request = None):
        item_id = (item_map or {}).get(str(data.index if not isinstance(data.index, (list, tuple)) else data.index[0]))
        if item_id is None or data.liked not in (True, False):
            return gr.skip()
        try:
            user = profile(request, choice)
            app.feedback(user, item_id, "like" if data.liked else "dislike", session=session)
        except (UserError, AccessError) as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return profile_markdown(app, user)

    def api_feedback(item_id: str, kind: str, value: float | None = None, choice: str | None = None, request: gr.Request = None):
        """Record a like/dislike/skip/watch by the signed-in person (on their profile `choice`:
        blank for their own, or a persona's name for their try-out copy); returns what was stored."""
        try:
            user = profile(request, choice)
            ev = app.feedback(user, item_id, kind, value)
        except (UserError, AccessError) as exc:
            raise gr.Error(str(exc))
        return {"profile": profile_label(user), "item_id": ev.item_id, "kind": ev.kind, "value": ev.value}

    def pick_user(choice, request: gr.Request = None):
        try:
            user = profile(request, choice)
        except (UserError, AccessError) as exc:  # a name that is no profile of theirs: say so where it shows
            return f"{exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()
        u = app.user(user)
        return profile_markdown(app, user), [], {}, bool((u.preferences or {}).get("real_only")), []

    def refresh_profiles(request: gr.Request = None):
        """On every page load: the requester's own profiles (made since start too) and the personas."""
        try:
            return gr.Dropdown(choices=choices_for(account(request)))
        except AccessError:
            return gr.Dropdown(choices=[("You", YOU)])

    def profile_card(choice, request: gr.Request = None):
        try:
            return profile_markdown(app, profile(request, choice))
        except (UserError, AccessError) as exc:
            return str(exc)

    def toggle_real_only(choice, on, request: gr.Request = None):
        try:
            user = profile(request, choice)
            app.set_real_only(user, on)
        except (UserError, AccessError) as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return profile_markdown(app, user)

    def create_user(name, request: gr.Request = None):
        """An extra profile of the requester's own (a fresh history), e.g. one per family member."""
        try:
            acct = account(request)
            short = clean_name(name)
            if short in persona_names or short == YOU:
                raise UserError(f"“{short}” is taken by a persona; choose another name")
            full = copy_name(acct, short)
            clean_name(full)   # the whole name must fit too
            app.user(full, create=True)
        except (UserError, AccessError) as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), gr.skip()
        return gr.Dropdown(choices=choices_for(acct), value=short), profile_markdown(app, full), ""

    def my_items(choice, request: gr.Request = None) -> gr.Dropdown:
        """The AI-made items of the profile in use, for the publish control."""
        try:
            user = profile(request, choice)
            mine = [(f"{it.title} ({it.visibility})", it.id) for it in app.store.list_items(visible_to=user)
                    if it.owner == user and it.origin != "human"]
        except (UserError, AccessError):
            mine = []
        return gr.Dropdown(choices=mine, value=None)

    def publish_item(choice, item_id, request: gr.Request = None):
        if not item_id:
            return "Pick one of your AI-made videos first.", gr.skip()
        try:
            msg = app.publish(profile(request, choice), item_id)
        except (UserError, AccessError) as exc:
            msg = f"⚠️ {exc}"
        return msg, my_items(choice, request)

    def show_beliefs(choice, request: gr.Request = None):
        try:
            user = profile(request, choice)
        except (UserError, AccessError):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        bars, lines, text, labels = beliefs_view(app, user)
        return bars, lines, text, gr.Dropdown(choices=labels, value=None)

    def correct_belief(choice, label, action, request: gr.Request = None):
        if not label:
            return "Pick a belief in the list first."
        try:
            return app.correct_belief(profile(request, choice), label, action)
        except (UserError, AccessError) as exc:
            return f"⚠️ {exc}"

    def erase_mine(confirm, request: gr.Request = None):
        if not confirm:
            return "Tick the box first: this deletes every profile of yours, its history and its private videos.", gr.skip()
        try:
            acct = account(request)
        except AccessError as exc:
            return f"⚠️ {exc}", gr.skip()
        counts = erase_data(app, acct)
        said = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"Deleted everything stored about you: {said}. A new, empty profile starts with your next message.", False

    with gr.Blocks(title="GeneRec") as demo:
        session = gr.State(lambda: uuid.uuid4().hex[:12])
        item_map = gr.State({})
        past = gr.State([])     # the chat as the server showed it (see respond)
        gr.Markdown(INTRO)
        if mode == "hf":
            gr.LoginButton()
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(elem_id="chat", height=620, group_consecutive_messages=False, label="GeneRec",
                                  placeholder="Try “something calm with animals”.")
                # stop_btn turns True (and submit_btn False) while a turn runs; see busy_box / ready_box
                box = gr.MultimodalTextbox(elem_id="box", sources=["upload", "microphone"], file_types=["image", "audio", "video"],
                                           file_count="multiple", placeholder="What would you like to watch?", show_label=False,
                                           submit_btn=True, stop_btn=False)
            with gr.Column(scale=1):
                # custom values pass through, so an unknown name gets an answer in the chat, not a bare error
                user = gr.Dropdown(choices=[("You", YOU)] + [(p.get("display") or p["name"], p["name"]) for p in personas],
                                   value=YOU, label="Profile", elem_id="profile", allow_custom_value=True)
                with gr.Row():
                    new_name = gr.Textbox(placeholder="new profile name", show_label=False, elem_id="new-profile", scale=3)
                    create = gr.Button("Create", scale=1, elem_id="create-profile")
                real_only = gr.Checkbox(label="Real items only (never edit or make videos for me)", elem_id="real-only", value=False)
                profile_md = gr.Markdown("", elem_id="profile-md")
                with gr.Accordion("What GeneRec believes about you", open=True, elem_id="beliefs"):
                    belief_bars = gr.BarPlot(x="belief", y="strength", color="kind", elem_id="belief-bars", height=220,
                                             x_title="", y_title="strength (+ taste, − avoidance)", show_label=False)
                    belief_lines = gr.LinePlot(x="step", y="strength", color="belief", elem_id="belief-lines", height=200,
                                               x_title="your signals, oldest → newest", y_title="strength", show_label=False)
                    belief_md = gr.Markdown(elem_id="belief-md")
                    belief_pick = gr.Dropdown(choices=[], label="Correct a belief", elem_id="belief-pick", allow_custom_value=True)
                    with gr.Row():
                        forget = gr.Button("Forget it", elem_id="belief-forget", size="sm")
                        reverse = gr.Button("Reverse it", elem_id="belief-reverse", size="sm")
                    corrected = gr.Markdown(elem_id="belief-said")
                with gr.Accordion("Your AI-made videos", open=False):
                    mine = gr.Dropdown(choices=[], label="Private until you publish one", elem_id="mine", allow_custom_value=True)
                    publish = gr.Button("Publish to everyone", elem_id="publish")
                    published = gr.Markdown(elem_id="publish-md")
                with gr.Accordion("Your data", open=False):
                    gr.Markdown("[Download everything stored about you](me/export) (JSON: profiles, likes, watches, "
                                "messages, jobs and your private videos' records).", elem_id="export-md")
                    confirm = gr.Checkbox(label="Yes, delete all of it, my private videos included", elem_id="erase-confirm")
                    erase = gr.Button("Delete everything about me", variant="stop", elem_id="erase")
                    erased = gr.Markdown(elem_id="erase-md")
                with gr.Accordion("Corpus", open=False):
                    gr.Dataframe(corpus_rows(app), headers=["id", "title", "tags", "seconds", "origin", "licence"], interactive=False, elem_id="corpus")
        turn_ev = box.submit(respond, [box, user, session, item_map, past], [chat, item_map, box, past], api_name="chat",
                             concurrency_limit=app.settings.max_waiting + 4, concurrency_id="turns")
        # after the turn, and also after a Stop (a cancelled respond never reaches its last yield)
        belief_outs = [belief_bars, belief_lines, belief_md, belief_pick]
        turn_ev.then(after_turn, [past], [chat, box, past], api_visibility="private", queue=False).then(
            my_items, [user], [mine], api_visibility="private", queue=False).then(
            show_beliefs, [user], belief_outs, api_visibility="private", queue=False)
        # Stop cancels the running turn: Gradio closes respond's generator, which ends the turn
        box.stop(None, None, None, cancels=[turn_ev], api_visibility="private")
        demo.load(refresh_profiles, None, [user], api_visibility="private", queue=False)
        demo.load(profile_card, [user], [profile_md], api_visibility="private", queue=False)
        demo.load(my_items, [user], [mine], api_visibility="private", queue=False)
        demo.load(show_beliefs, [user], belief_outs, api_visibility="private", queue=False)
        chat.like(on_like, [user, session, item_map], [profile_md], api_visibility="private").then(
            show_beliefs, [user], belief_outs, api_visibility="private", queue=False)
        user.change(pick_user, [user], [profile_md, chat, item_map, real_only, past], api_visibility="private").then(
            my_items, [user], [mine], api_visibility="private", queue=False).then(
            show_beliefs, [user], belief_outs, api_visibility="private", queue=False)
        for button, action in ((forget, "forget"), (reverse, "reverse")):
            button.click(correct_belief, [user, belief_pick, gr.State(action)], [corrected], api_visibility="private").then(
                show_beliefs, [user], belief_outs, api_visibility="private", queue=False).then(
                profile_card, [user], [profile_md], api_visibility="private", queue=False)
        publish.click(publish_item, [user, mine], [published, mine], api_name="publish")
        real_only.input(toggle_real_only, [user, real_only], [profile_md], api_visibility="private")
        create.click(create_user, [new_name], [user, profile_md, new_name], api_visibility="private")
        erase.click(erase_mine, [confirm], [erased, confirm], api_name="erase_my_data")
        fb = gr.Button(visible=False)
        fb.click(api_feedback, [gr.Textbox(visible=False), gr.Textbox(visible=False), gr.Number(visible=False), gr.Textbox(visible=False)],
                 gr.JSON(visible=False), api_name="feedback")
    return demo
