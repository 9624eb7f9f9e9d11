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

# Verb stems tolerate typos ("generat a vid") but not look-alikes ("creative commons", "product").
EXPLICIT_MAKE = re.compile(r"\b(make|mk|generat(e|es|ed|ing)?|gen|creat(e|es|ed|ing)?|crete|produc(e|es|ed|ing)|render|compose|animat(e|es|ed|ing)|design)\b"
                           r"|\bnew (video|vid|clip|one|animation)\b|doesn'?t exist|brand new"
                           r"|\bturn\b.{0,40}\binto an? (\w+ ){0,3}(video|vid|clip|animation|short|reel)\b"
                           r"|\ban? (\S+ ){0,3}(promo|promotional|advert|ad|intro|outro|invitation|announcement) (video|vid|clip|reel)\b", re.I)
INJECTED = re.compile(r"<[^>]*>.*?(</[^>]*>|$)|\b(system|assistant)\s*:.*$", re.I | re.S)
OVERRIDE = re.compile(r"\bsystem\s*override|\bnew rules?\b|\bdeveloper mode\b|\bjailbreak|\bdisregard (your|all|the|previous|any)\b", re.I)
# Asking what exists is a search however it is phrased; "do you have a dark mode?" is not.
ASKS_ITEMS = re.compile(r"\b(what'?s good|what (have|do) you (got|have)|got any(thing)?|have you got|is there (anything|any)|are there any|"
                        r"there'?s (a|an|some) (video|vid|clip|one)|(do|d'?) ?you have (any|anything|some|stuff|videos?|vids?|clips?|more|ones?|\w+ (videos?|vids?|clips?|stuff)))\b", re.I)
FEED_CUE = re.compile(r"\b(more|next|another|others?|else|different|less|fewer|no more|stop showing|from now on|not (these|those)|instead|"
                      r"skip|again|i want|i'?d like|show me|find me|looking for|in the mood for)\b", re.I)
QUESTION = re.compile(r"\?\s*$|^\s*(how|what|why|who|when|where|which|can you|could you|do you|are you|is it|tell me|explain)\b", re.I)
# A bare noun phrase is a search: "something mysterious", "anything with owls".
NOUN_PHRASE = re.compile(r"^\s*(something|anything|stuff|some|any|videos?|clips?)\b[^?]{0,40}$", re.I)
SIMILAR = re.compile(r"^\s*(something |anything |stuff |more |videos? |ones? )?(similar to|like)\b", re.I)
GREETING = re.compile(r"^\s*(hi|hello|hey|yo|ok|okay|so|um+|uh+|er+m?|well|yeah|yes|like|oh)\b[\s,.!]*", re.I)


def asks_to_make(text: str) -> bool:
    return bool(EXPLICIT_MAKE.search(INJECTED.sub(" ", text)))


def _ungreeted(text: str) -> str:
    """The text without its leading "hey so uh": what follows is what the person wants."""
    t = (text or "").strip()
    while GREETING.match(t) and GREETING.sub("", t, count=1) != t:
        t = GREETING.sub("", t, count=1)
    return t


def asks_for_feed(text: str) -> bool:
    """Asks what exists, for other items, or sets a standing preference; not a question about the
    app, a greeting alone, or an injection."""
    t = _ungreeted(text)
    if not t or re.search(INJECT, t.lower()) or OVERRIDE.search(t) or re.search(CHAT, t.lower()):
        return False
    if ASKS_ITEMS.search(t) or NOUN_PHRASE.match(t):
        return True
    return bool(FEED_CUE.search(t)) and not QUESTION.search(t)


def _cued(op: str | None, text: str) -> bool:
    return any(name == op and re.search(pat, text.lower()) for name, pat in EDIT_OPS)


def reconcile(g: Guidance, text: str, shown: list, upload: str | None) -> tuple[Guidance, str]:
    """The plan after the cue-word checks, and what changed ("" when nothing did)."""
    if g.action == "retrieve":   # no check below overrules a search
        return g, ""
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
    if g.action == "edit" and upload == "image" and not shown:   # the editor edits videos: a picture is made into one
        g.action, g.edit_op = ("create", None) if asks_to_make(text) else ("retrieve", None)
        return g, f"a picture is not a video to edit: {'creating' if g.action == 'create' else 'retrieving'}"
    if g.action == "edit" and SIMILAR.match(_ungreeted(text)):
        g.action, g.edit_op = "retrieve", None
        return g, "asks for similar items: retrieving"
    if g.action == "edit" and ruled.edit_op and ruled.edit_op != g.edit_op and not _cued(g.edit_op, text) and _cued(ruled.edit_op, text):
        was, g.edit_op = g.edit_op, ruled.edit_op
        return g, f"the words ask for {ruled.edit_op}, not {was}"
    if g.action == "chat" and ruled.action == "edit" and (ruled.item_ref or upload == "video") and not OVERRIDE.search(text):
        g.action, g.edit_op, g.item_ref = "edit", ruled.edit_op, ruled.item_ref
        return g, f"names an edit ({ruled.edit_op}) of a video: editing"
    if g.action == "chat" and asks_for_feed(text) and (ruled := plan_by_rules(_ungreeted(text), shown, upload)).action == "retrieve":
        return ruled, "asks for other items, not chat: retrieving"
    return g, ""
