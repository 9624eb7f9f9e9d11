"""One chat turn, as events: read the request, plan it, call the right tool, show the result.

The first event is a pending step emitted before any model runs, so the chat moves at once.
Failures the user can fix (an unresolvable "that one", a bad argument) become plain
answers; generation is offered, never run silently, after a run of answers that went badly
(`offer.py`: skips, short watches, 👎) or when nothing relevant is found, unless the user switched to real items only. A picture (or video)
sent without words always means "find things that look like this"; a retrieval never searches
for nothing: an empty query falls back to the style/mood, then to the person's own words.
"""
from __future__ import annotations

import re
import time
from typing import Iterator

from pydantic import ValidationError

from ..events import Event, Problem, Say, ShowItem, Step
from .guidance import Guidance
from .planner import Planner
from . import verdicts
from .refs import resolve
from .rules import FILLER, INJECT
from .tools import Deps, make_tools

MIN_RELEVANCE = 0.25
STANDING = re.compile(r"\b(i (don'?t|do not|never) (like|want|enjoy)|i (love|like|enjoy|hate)|less|more|no more|stop showing|from now on|in general|always)\b")
HELP = ("I recommend short videos and can change or make them. Try “something calm with animals”, "
        "“make the second one look vintage”, “cut the long one into clips about music”, or "
        "“make me a video about rainy nights in the city”. 👍/👎 teach me your taste.")


NOT_A_TOPIC = FILLER | set("i'm don't dont do not no never less stop showing from now on in general always hate love enjoy "
                          "stuff things stuffs anything everything".split())


def search_query(g: Guidance, text: str, extra_terms: list[str]) -> tuple[str, bool]:
    """What to search for, and whether it came from the guidance (a topic) rather than the fallback.

    The planner's query (with the mood), else its style and mood, else what to include; when the
    guidance names none of these, the person's own words (minus filler and what they want to
    avoid), so the search is never empty. What the image model saw in an upload is always added.
    """
    topic = " ".join(x for x in ([g.query, g.mood] if g.query else [g.style, g.mood]) if x) or " ".join(g.include)
    words = []
    if not topic:
        avoid = {w for a in g.avoid for w in re.findall(r"[a-z]+", a.lower())}
        stem = lambda w: w[:-1] if w.endswith("s") and len(w) > 3 else w  # noqa: E731
        avoid |= {stem(w) for w in avoid}
        raw = re.findall(r"[a-z][a-z'-]*", (text or "").lower().replace("’", "'"))
        words = [w for w in raw if len(w) > 1 and w not in NOT_A_TOPIC and w not in avoid and stem(w) not in avoid]
        if not words and not g.avoid and not extra_terms:
            words = raw   # nothing but filler: search for what was said rather than for nothing
    query = " ".join(x for x in [topic, " ".join(words), *extra_terms] if x).strip()
    return query, bool(topic or extra_terms)


def describe(g: Guidance) -> str:
    bits = [g.action + (f" · {g.edit_op}" if g.edit_op else "")]
    for k in ("query", "mood", "style", "item_ref"):
        if getattr(g, k):
            bits.append(f"{k}: {getattr(g, k)}")
    if g.duration_s:
        bits.append(f"{g.duration_s:.0f} s")
    if g.include:
        bits.append("with " + ", ".join(g.include))
    if g.avoid:
        bits.append("without " + ", ".join(g.avoid))
    return " · ".join(bits)


class Instructor:
    def __init__(self, planner: Planner):
        self.planner = planner

    def plan(self, deps: Deps, text: str, extra_terms: list[str], upload: str | None):
        """What the request means, given what this session was last shown (the chat and `generec plan` share this)."""
        visible = deps.catalog.visible(deps.user)
        shown_titles = [{"title": visible[i].title} for i in deps.shown if i in visible]
        return self.planner.plan(text or " ".join(extra_terms), shown_titles, upload)

    def run(self, deps: Deps, text: str, extra_terms: list[str], upload: str | None) -> Iterator[Event]:
        t0 = time.perf_counter()
        yield Step("Reading your request", "…", status="pending")
        tools = make_tools(deps)
        if upload not in ("image", "video") and (verdicts.is_undo(text) or deps.shown):
            rest, judged = yield from self._verdicts(deps, tools, text, t0)
            if not rest:
                return
            if judged:   # "love it, more like that": the verdict is stored, now the request (the whole of an edit's)
                text, t0 = rest, time.perf_counter()
                yield Step("Reading your request", "…", status="pending")
        plan = self.plan(deps, text, extra_terms, upload)
        visible = deps.catalog.visible(deps.user)
        g = plan.guidance
        via = "" if plan.source == "llm" else f" (via {plan.source})"
        if upload in ("image", "video") and not (text or "").strip() and g.action != "retrieve":
            # a picture or video with no words: look for things like it (the planner sees only labels)
            g.action, g.edit_op = "retrieve", None
            via += f" (a{'n' if upload == 'image' else ''} {upload} alone: finding look-alikes)"
        yield Step("Reading your request", describe(g) + via, seconds=time.perf_counter() - t0)
        try:
            if g.action == "chat":
                yield Say(self._chat(text))
            elif g.action == "retrieve":
                yield from self._retrieve(deps, tools, g, text, extra_terms)
            elif g.action == "edit":
                yield from self._edit(deps, tools, g, visible)
            else:
                yield from self._create(deps, tools, g)
        except ValidationError as exc:
            first = exc.errors()[0]
            yield Problem(f"I couldn't use that request: {'.'.join(map(str, first['loc']))} {first['msg'].lower()}. Try rephrasing it more simply.")

    def _verdicts(self, deps: Deps, tools: dict, text: str, t0: float) -> Iterator[Event]:
        """Store the verdicts in words on shown items ("I love the second one"), say what was
        understood, with an undo; returns the rest of the message still to plan ("" for none) and
        whether a verdict was read."""
        if verdicts.is_undo(text):
            yield Step("Reading your request", "undo the last 👍/👎 of this chat (via cue words)", seconds=time.perf_counter() - t0)
            res = tools["take_back_rating"].invoke({})
            yield Say(f"Undone: your {res['kind']} of “{res['title']}” is no longer stored." if res["status"] == "ok"
                      else "There is no 👍 or 👎 in this chat to take back.")
            return "", False
        visible = deps.catalog.visible(deps.user)
        found, rest = verdicts.read(text, [visible[i].title for i in deps.shown if i in visible])
        if not found:
            return text, False
        yield Step("Reading your request", f"{len(found)} verdict(s) on what you were shown (via cue words)"
                   + (f", then “{rest}”" if rest else ""), seconds=time.perf_counter() - t0)
        yield from self._store_verdicts(deps, tools, found, visible)
        return rest, True

    def _store_verdicts(self, deps: Deps, tools: dict, found: list, visible: dict) -> Iterator[Event]:
        for v in found:
            item_id = self._pointed_at(deps, v.pointer, visible)
            if item_id is None:
                yield Say(f"I took “{v.words}” as a {'👍' if v.kind == 'like' else '👎'}, but couldn't tell which video "
                          f"“{v.pointer}” means. Say “the first one”, “the second one”, or press 👍/👎 under it.")
                continue
            res = tools["rate_item"].invoke({"item_id": item_id, "kind": v.kind})
            if res["status"] != "ok":
                yield Problem(res["message"])
                continue
            yield Step("Noted your verdict", f"{v.kind} · “{res['title']}” (from “{v.words}”)")
            more = "I'll show more like it" if v.kind == "like" else "I'll show fewer like it"
            yield Say(f"Got it: you {'liked' if v.kind == 'like' else 'disliked'} “{res['title']}”; {more}. Say “undo” to take that back.")

    @staticmethod
    def _pointed_at(deps: Deps, pointer: str, visible: dict) -> str | None:
        """The shown item a verdict points at, by `refs.resolve`: "this"/"it" prefers the shown one
        played last (else the first shown), as an edit's "that one" prefers the one liked last."""
        played = [e.item_id for e in deps.store.interactions(user=deps.user, kinds=["play", "watch"])]
        return resolve(pointer, deps.shown, visible, deps.catalog.embed_text, played)

    def _chat(self, text: str) -> str:
        if re.search(INJECT, " " + text.lower() + " "):
            return "I can only see your own profile and history, and I keep to my instructions. " + HELP
        if re.search(r"\b(thanks|thank you|cheers)\b", text.lower()):
            return "You're welcome! Ask for anything else you'd like to watch."
        return HELP

    def _retrieve(self, deps, tools, g: Guidance, text: str, extra_terms: list[str]) -> Iterator[Event]:
        if (g.include or g.avoid) and STANDING.search(text.lower()):
            prefs = tools["update_preferences"].invoke({"include": g.include, "avoid": g.avoid})
            yield Step("Remembered your preference", f"more: {', '.join(prefs['include']) or '—'} · less: {', '.join(prefs['avoid']) or '—'}")
        query, topical = search_query(g, text, extra_terms)
        t0 = time.perf_counter()
        res = tools["recommend"].invoke({"query": query[:120], "include": g.include, "avoid": g.avoid, "k": deps.settings.top_k})
        yield Step("Searched the corpus", f"{len(deps.catalog.text_index)} items ranked for “{query or 'your taste'}”", seconds=time.perf_counter() - t0)
        if not res["items"]:
            yield Say("I have nothing left to show you for that: you have turned down everything that fits. Try another request.")
            return
        for it in res["items"]:
            yield ShowItem(deps.catalog.item(it["id"]), it["why"])   # media, badge and checks: app.present
        # a weak match is a reason to offer generation only when the request named something to find
        stated_only = bool(g.include or g.avoid) and not topical and STANDING.search(text.lower())
        weak = bool(query) and not stated_only and max(it["relevance"] for it in res["items"]) < MIN_RELEVANCE
        if not res["real_only"] and (res["offer"] or weak):   # the offer rule: instructor/offer.py
            why = "the last few weren't what you wanted" if not weak else "nothing here matches that closely"
            yield Say(f"Since {why}, I can make a new video for you instead: say “make one about …”, "
                      "or “make the first one look vintage” to change one of these.")

    def _edit(self, deps, tools, g: Guidance, visible: dict) -> Iterator[Event]:
        prefs = tools["get_preferences"].invoke({})
        if prefs.get("real_only"):
            yield Say("You switched on “real items only”, so I won't edit videos. Switch it off in your profile to let me.")
            return
        liked = [e.item_id for e in deps.store.interactions(user=deps.user, kinds=["like"])]
        item_id = resolve(g.item_ref, deps.shown, visible, deps.catalog.embed_text, liked)
        if item_id is None and not (deps.upload_video and g.item_ref):
            yield Say("Which video should I change? Ask for some videos first, then say “the first one” or name it.")
            return
        what = f"{g.edit_op} of “{visible[item_id].title if item_id in visible else 'your video'}”"
        t0 = time.perf_counter()
        yield Step("Editing", f"{what}…", status="pending")
        res = tools["edit_item"].invoke({"item_id": item_id or "upload", "op": g.edit_op, "style": g.style, "query": g.query, "duration_s": g.duration_s})
        yield Step("Editing", what + (" — done" if res.get("status") == "ok" else ""), seconds=time.perf_counter() - t0)
        yield from self._result(deps, res, what)

    def _create(self, deps, tools, g: Guidance) -> Iterator[Event]:
        prefs = tools["get_preferences"].invoke({})
        if prefs.get("real_only"):
            yield Say("You switched on “real items only”, so I won't make new videos. Switch it off in your profile to let me.")
            return
        if not (g.query or g.mood or g.style):
            yield Say("What should the new video be about? For example “make me a calm video about rainy nights in the city”.")
            return
        res = tools["create_item"].invoke({"query": g.query or g.mood or g.style, "style": g.style, "mood": g.mood,
                                           "duration_s": g.duration_s, "include": g.include, "avoid": g.avoid})
        yield from self._result(deps, res, f"a new video about “{g.query or g.mood}”")

    def _result(self, deps, res: dict, what: str) -> Iterator[Event]:
        status = res.get("status")
        if status == "unavailable":
            yield Say(f"I understood you want {what}, but {res['message']}. I can find existing videos meanwhile.")
        elif status == "error":
            yield Problem(res["message"])
        # `yield from`, not a loop: closing the turn (Stop) closes a streamed creator job's events
        # at once, which cancels the job
        yield from res.get("events", [])
