"""A keyword planner: guidance from cue words, with no model.

It is the fallback when the LLM is unavailable or fails twice, the `rules` backend for fast
tests, and a baseline in `bench instructor`. It knows the same conventions as the prompt.
"""
from __future__ import annotations

import difflib
import re

from .guidance import Guidance

CREATE = r"\b(make|generate|create|produce|render|compose)\b(?!.*\b(look|cover|thumbnail|shorter|faster|slower|subtitles?|captions?)\b)|\bnew (video|clip)\b"
EDIT_OPS = [
    ("thumbnail", r"\b(cover|thumbnail|thumb|poster|preview (image|pic|picture|frame|still)|(still|frame) for the (cover|preview))\b"),
    ("caption", r"\b(subtitles?|captions?|retitle|rename|title|description|transcribe|transcript|(text|words) on (the )?screen|onto the screen)\b"),
    ("clip", r"\b(cut|trim|shorten|shorter|split|highlights?|clips? about|parts? about|excerpt)\b"),
    ("restyle", r"\b(look|filter|vintage|noir|black and white|sepia|warm(er)?|vivid|cartoon|sketch|faster|slow ?motion|slower|speed|vertical|9:16|colou?rs?)\b"),
]
REF = r"\b(that one|this one|the (first|second|third|last|long|short|[a-z]+) one|the( [a-z-]+){1,3} (video|clip|film|movie|reel|explainer|trailer|screencast|short)|my (video|clip|upload)|this (video|clip|picture|photo)|\bit\b)"
CHAT = r"^\s*(hi|hello|hey|thanks|thank you|how (does|do)|what (is|are|can)|who are you|bye)\b"
INJECT = r"\b(ignore (your|all|the|previous|any)\b.*\b(instructions|rules)|system prompt|password|other users?'?s?\b|user \w+'s|\w+'s (history|profile|likes))"
MOODS = ["calm", "relaxing", "soothing", "funny", "energetic", "sad", "cheerful", "scary", "peaceful", "happy", "exciting", "chill", "cozy"]
STYLES = ["vintage", "noir", "cartoon", "watercolor", "warm", "vivid", "sketch", "cinematic", "retro", "black and white", "sepia"]
FEED_WORDS = set("make generate create new no not less fewer without one that this these those next more another other others "
                 "else different again instead skip from now on anymore bleh nah meh ok okay".split())
FILLER = set("a an the me some something show find give i want would like to watch video videos clip clips please with of about for can you could my im i'm just any more".split())


# words that make a short request more than a topic: a question, a verdict, a count or a pointer
NOT_PLAIN = set("how what why who when where which whose is are was were do does did can could should would will "
                "love loved hate hated boring great awesome amazing terrible awful bad good liked like dislike "
                "same similar than but".split())


def _cue_words() -> set[str]:
    pats = (INJECT, REF, CREATE, CHAT, *(pat for _, pat in EDIT_OPS))
    return ({w for p in pats for w in re.findall(r"[a-z]{3,}", p)} - FILLER - {"all", "your", "previous", "the"}) | FEED_WORDS | NOT_PLAIN


CUES = _cue_words()
# a busy model's wider shortcut: a request that opens by asking to be shown or found something, with
# no pointer, verdict, question or feed word in it ("show me cartoon robots", "show me a slow smooth
# wave"), searches; an edit needs something to edit, and "it", "this", "the second one" say what
SEARCHED = r"^\s*(?:please\s+)?(?:show me|find me|find|search for|look for|i want to (?:watch|see))\b"
STEER = NOT_PLAIN | (FEED_WORDS - {"on", "from", "now"}) | {"edit", "change", "turn", "versions", "version"}


def _near_cue(word: str) -> bool:
    """A misspelt cue word ("shortn", "captons", "heyyy") is still a cue; a filler word is not."""
    word = re.sub(r"(.)\1{2,}", r"\1", word)   # heyyy -> hey
    if word in CUES:
        return True
    return word not in FILLER and len(word) >= 4 and bool(difflib.get_close_matches(word, CUES, n=1, cutoff=0.8))


def _stem(word: str) -> str:
    return word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def vocabulary(texts) -> frozenset[str]:
    """The words a corpus knows (its titles, descriptions, tags and labels), singular."""
    return frozenset(_stem(w) for t in texts for w in re.findall(r"[a-z]{3,}", t.lower()))


def known_words(store) -> frozenset[str]:
    """What search can find: the corpus's own words and the 1000 ImageNet labels its frames are tagged with."""
    import json

    from ..config import ROOT

    labels = json.loads((ROOT / "assets" / "imagenet_labels.json").read_text())
    return vocabulary([*(it.text() for it in store.list_items(visible_to=None)), *labels])


def plain_plan(text: str, shown: list | None = None, upload: str | None = None, known: frozenset[str] | None = None,
               long_words_ok: bool = False) -> Guidance | None:
    """True when the request is only a topic to look for ("something calm with animals"): no upload,
    at most 8 words, no cue of an edit, a creation, a reference to what was shown, chat, an
    injection, a negation, a duration or a verdict, and (given the corpus `known` words) every
    topic word known to the corpus: a word it has never seen ("gen a vid", "lol") may be a cue the
    rules lack, so the model reads it. `long_words_ok` (a busy model): words of five letters or more
    pass unknown too; short unknown ones ("lol", "gen", "vid") are slang or cues and still go to
    the model; and a request opening with "show me" or "find" (`SEARCHED`) may name a look, a
    length or a near-cue word as its topic when no `STEER` word is in it. Measured against the
    model in `bench instructor --compare-plain [--busy]`.
    Returns the cue words' plan of such a request, else None."""
    t = " " + (text or "").lower().strip() + " "
    words = re.findall(r"[a-z']+", t)
    if upload or not words or len(words) > 8 or re.search(r"\d", t):
        return None
    searched = long_words_ok and re.match(SEARCHED, t)
    if any(re.search(p, t) for p in (INJECT, REF, CREATE)) or re.search(CHAT, t.strip()):
        return None
    if searched:   # "show me <words>" and nothing that steers: a look or a length named there is the topic's
        if any(w in STEER for w in words):
            return None
    elif any(re.search(pat, t) for _, pat in EDIT_OPS) or any(_near_cue(w) for w in words):
        return None
    g = plan_by_rules(text, shown, upload)
    if g.action != "retrieve" or not (g.query or g.mood):
        return None
    topic = [w for w in words if len(w) >= 3 and w not in FILLER and w not in MOODS]
    return g if known is None or all(_stem(w) in known or (long_words_ok and len(w) >= 5) for w in topic) else None


def is_plain_search(text: str, shown: list | None = None, upload: str | None = None, known: frozenset[str] | None = None,
                    long_words_ok: bool = False) -> bool:
    return plain_plan(text, shown, upload, known, long_words_ok) is not None


def _words_after(pattern: str, text: str) -> list[str]:
    return [m.strip() for m in re.findall(pattern, text) if m.strip()][:5]


def plan_by_rules(text: str, shown: list | None = None, upload: str | None = None) -> Guidance:
    t = " " + (text or "").lower().strip() + " "
    g = Guidance()
    if re.search(INJECT, t):
        g.action = "chat"
        return g
    if re.search(CHAT, t.strip()) and not re.search(r"\b(video|clip|show|find|watch)\b", t.replace("history", "")):
        g.action = "chat"
        return g
    ref = re.search(REF, t)
    g.item_ref = ref.group(0).strip() if ref else None
    op = next((name for name, pat in EDIT_OPS if re.search(pat, t)), None)
    if re.search(CREATE, t) and not (ref and op):
        g.action = "create"
    elif op and (ref or upload == "video" or re.search(r"\b(edit|change|turn|versions? of)\b", t)):
        g.action, g.edit_op = "edit", op
    else:
        g.action = "retrieve"
    g.mood = next((m for m in MOODS if re.search(rf"\b{m}\b", t)), None)
    g.style = next((s for s in STYLES if re.search(rf"\b{s}\b", t)), None)
    d = re.search(r"(\d+)\s*(s|sec|secs|seconds?)\b|(\d+)\s*(min|minutes?)\b|\b(a|one) minute\b|half a minute", t)
    if d:
        g.duration_s = float(d.group(1)) if d.group(1) else float(d.group(3)) * 60 if d.group(3) else 60.0 if d.group(5) else 30.0
    g.avoid = _words_after(r"\b(?:no more|no|without|less|fewer|not|avoid|stop showing)\s+(?!(?:these|those|this|that|too|really|sure|so)\b)([a-z ]+?)(?=[,.!?]| and | but |$| please| from now| anymore)", t)
    g.include = _words_after(r"(?<!no )\b(?:with|more)\s+(?!(?:like|of|than|please)\b)([a-z ]+?)(?=[,.!?]| and | but |$| please| from now| anymore)", t)
    about = re.search(r"\babout ([a-z ]+?)(?=[,.!?]| with | in \d|$| please)", t)
    words = [w for w in re.findall(r"[a-z]+", about.group(1) if about else t) if w not in FILLER and w != g.mood and w != g.style]
    skip = {w for part in g.avoid + g.include for w in part.split()} | {w for _, p in EDIT_OPS for w in re.findall(r"[a-z]+", p)}
    words = [w for w in words if w not in skip and w not in FEED_WORDS]
    ref_words = set(re.findall(r"[a-z]+", g.item_ref or ""))
    words = [w for w in words if w not in ref_words and w not in {"add", "put", "change", "turn", "look"}]
    g.query = " ".join(words[:5]) or None
    if g.action == "retrieve" and g.include and (not g.query or g.query in " ".join(g.include)):
        g.query, g.include = " ".join(g.include), []   # "something calm with animals": animals is the topic
    return g
