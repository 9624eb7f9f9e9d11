"""Second opinions on the model's plan: where the cue words plainly disagree, they win.

The small local model reads most requests right, but it slips in a few recurring ways, and a
cue-word reading (the keyword planner) catches them cheaply:
- creating is never silent: "create" needs an explicit ask to make something; without one it
  is an edit when the words name an edit of an existing video, else a search;
- "make a highlight reel of the Grand Prix film" edits that film rather than making a new one;
- an edit operation with no cue for it in the text gives way to the one the words name;
- a request for other items or a standing like/dislike ("next", "not these", "fewer X from
  now on", "hey, I want something chill") is a search, not small talk.
Text inside tags or after "SYSTEM:" is someone else's order, so it is removed before looking.
"""
from __future__ import annotations

import re

from .guidance import Guidance
from .rules import CHAT, EDIT_OPS, INJECT, plan_by_rules

EXPLICIT_MAKE = re.compile(r"\b(make|generate|gen|create|crete|creat|produce|render|compose|animate|design)\b"
                           r"|\bnew (video|vid|clip|one|animation)\b|doesn'?t exist|brand new"
                           r"|\bturn\b.{0,40}\binto an? (\w+ ){0,3}(video|clip|animation|short|reel)\b"
                           r"|\ban? (\w+ )?(promo|promotional|advert|ad|intro|invitation|announcement) (video|clip|reel)\b", re.I)
INJECTED = re.compile(r"<[^>]*>.*?(</[^>]*>|$)|\b(system|assistant)\s*:.*$", re.I | re.S)
FEED_CUE = re.compile(r"\b(more|next|another|others?|else|different|less|fewer|no more|stop showing|from now on|not (these|those)|instead|"
                      r"skip|again|i want|i'?d like|show me|find me|looking for|in the mood for|got any(thing)?|what'?s good|"
                      r"what (have|do) you (got|have)|is there (anything|any)|are there any|do you have (any|anything))\b", re.I)
QUESTION = re.compile(r"\?\s*$|^\s*(how|what|why|who|when|where|which|can you|could you|do you|are you|is it|tell me|explain)\b", re.I)
ASKS_ITEMS = re.compile(r"^\s*(what'?s good|what (have|do) you (got|have)|got any|is there (anything|any)|are there any|do you have (any|anything))", re.I)
GREETING = re.compile(r"^\s*(hi|hello|hey|yo|ok|okay|so|um+|uh+|well)\b[\s,.!]*", re.I)


def asks_to_make(text: str) -> bool:
    return bool(EXPLICIT_MAKE.search(INJECTED.sub(" ", text)))


def _ungreeted(text: str) -> str:
    """The text without its leading "hey so uh": what follows is what the person wants."""
    t = (text or "").strip()
    while GREETING.match(t) and GREETING.sub("", t, count=1) != t:
        t = GREETING.sub("", t, count=1)
    return t


def asks_for_feed(text: str) -> bool:
    """Asks for other items or sets a standing preference: not a question about the app, a greeting alone, or an injection."""
    t = _ungreeted(text)
    if not t or re.search(INJECT, t.lower()) or re.search(CHAT, t.lower()):
        return False
    return bool(FEED_CUE.search(t)) and (not QUESTION.search(t) or bool(ASKS_ITEMS.match(t)))


def _cued(op: str | None, text: str) -> bool:
    return any(name == op and re.search(pat, text.lower()) for name, pat in EDIT_OPS)


def reconcile(g: Guidance, text: str, shown: list, upload: str | None) -> tuple[Guidance, str]:
    """The plan after the cue-word checks, and what changed ("" when nothing did)."""
    ruled = plan_by_rules(text, shown, upload)
    if g.action == "create" and not asks_to_make(text):
        if ruled.action == "edit":
            g.action, g.edit_op = "edit", ruled.edit_op
            g.item_ref = g.item_ref or ruled.item_ref
            return g, "no ask to make something new, but an edit is named: editing"
        g.action = "retrieve"
        return g, "create needs an explicit ask: retrieving"
    if g.action == "create" and ruled.action == "edit" and ruled.item_ref:
        g.action, g.edit_op, g.item_ref = "edit", ruled.edit_op, g.item_ref or ruled.item_ref
        return g, f"makes something out of {ruled.item_ref}: editing"
    if g.action == "edit" and ruled.edit_op and ruled.edit_op != g.edit_op and not _cued(g.edit_op, text) and _cued(ruled.edit_op, text):
        was, g.edit_op = g.edit_op, ruled.edit_op
        return g, f"the words ask for {ruled.edit_op}, not {was}"
    if g.action == "chat" and asks_for_feed(text) and (ruled := plan_by_rules(_ungreeted(text), shown, upload)).action == "retrieve":
        return ruled, "asks for other items, not chat: retrieving"
    return g, ""
