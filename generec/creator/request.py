"""What a creation request asks for: the guidance dict, read from the user's words and checked.

`read_request(text, guidance)` turns "a calm 15 second video about rainy nights, no narration"
into {"topic": "rainy nights", "mood": "calm", "duration_s": 15, "narration": False, ...}.
Explicit guidance (from the chat agent) wins over what is parsed. Requests that cannot be
made (empty, no subject, a length outside what a micro-video can be, the user's own face or
voice) raise `RequestError` with an answer the user can act on.
"""
from __future__ import annotations

import re
from typing import Any

MIN_S, MAX_S, DEFAULT_S = 5.0, 60.0, 10.0
MAX_CHARS = 500
MOODS = ("calm", "cozy", "upbeat", "energetic", "funny", "dramatic", "mysterious", "sad", "romantic", "epic", "playful", "dreamy")
_MOOD_WORDS = {"relaxing": "calm", "peaceful": "calm", "chill": "calm", "happy": "upbeat", "cheerful": "upbeat",
               "exciting": "energetic", "scary": "mysterious", "spooky": "mysterious", "melancholic": "sad", "cute": "playful"}
_STOP = set("a an the of in on at to for with and or about some my me i you it this that video clip reel short please "
            "make create generate produce show want would like can could do give us something few one".split())
# "12 s", "30-second", "about a minute long", "half a minute": the hedge and "long" go with it, out of the topic
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
                 "half a": 0.5, "half an": 0.5}
_DURATION = re.compile(r"\b(?:(?:about|around|roughly|approximately|under|up to|at most)\s+)?"
                       r"(\d+(?:\.\d+)?|half an?|an?|one|two|three|five|ten|fifteen|twenty|thirty)\s*(-\s*)?"
                       r"(s|sec|secs|second|seconds|min|mins|minute|minutes|h|hr|hrs|hour|hours)\b(?:\s+long)?", re.I)
_NO_NARRATION = re.compile(r"\b(no|without)\s+(narration|voice ?over|voice|narrator|speech|talking)\b|\b(silent|mute|muted)\b", re.I)
_NO_SUBTITLES = re.compile(r"\b(no|without)\s+(subtitles?|captions?)\b", re.I)
_LEAD = re.compile(r"^\s*(please\s+)?((can|could|would) you\s+)?(make|create|generate|produce|render|do|give me|show me|i want|i'd like)?\s*"
                   r"(me\s+)?((a|an|some)\s+)?((short|little|quick|tiny|new|vertical|" + "|".join(MOODS + tuple(_MOOD_WORDS)) + r")\s+)*"
                   r"(((micro[- ]?)?video|clip|reel|short|movie|film|story)\s+)?((about|of|on|showing|with|for|featuring)\s+)?", re.I)
# Things the creator cannot honestly do: it has no picture or recording of the user.
_SELF = re.compile(r"\b(my|our) (face|own face|voice|own voice|selfie|family|kids?|children|dog|cat|house|photos?)\b|\bof me\b|\bstarring me\b", re.I)


class RequestError(ValueError):
    """The request cannot be made as asked; the message says why and what to ask instead."""


def _duration(text: str) -> float | None:
    m = _DURATION.search(text)
    if not m:
        return None
    n = m[1].lower()
    value, unit = float(_NUMBER_WORDS[n]) if n in _NUMBER_WORDS else float(n), m[3].lower()
    if unit.startswith("h"):
        return value * 3600
    if unit.startswith("m"):
        return value * 60
    return value


def _mood(text: str) -> str | None:
    words = re.findall(r"[a-z]+", text.lower())
    for w in words:
        if w in MOODS:
            return w
        if w in _MOOD_WORDS:
            return _MOOD_WORDS[w]
    return None


def topic_of(text: str) -> str:
    """The subject words of a request: lead-in ("make a video about"), length and options removed."""
    t = _NO_NARRATION.sub(" ", _NO_SUBTITLES.sub(" ", text))
    t = _DURATION.sub(" ", t)
    t = re.sub(r"[\"“”‘’`]", "", t)
    t = re.sub(r"\s+", " ", t).strip(" ,.;:!?-")
    t = _LEAD.sub("", t, count=1).strip(" ,.;:!?-")
    t = re.sub(r"^((long|second|seconds|a|an|some)\s+)+", "", t).strip(" ,.;:!?-")
    return t


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'-]+", text.lower()) if w not in _STOP and w not in MOODS]


def read_request(text: str, guidance: dict[str, Any] | None = None) -> dict[str, Any]:
    guidance = {k: v for k, v in (guidance or {}).items() if v not in (None, "", [], ())}
    if "query" in guidance and "topic" not in guidance:  # the chat agent's name for the subject
        guidance["topic"] = guidance.pop("query")
    text = (text or "").strip()
    if not text and not guidance.get("topic"):
        raise RequestError("The request is empty. Say what the video should be about, for example "
                           "“a calm 10 second video about rainy nights in the city”.")
    if len(text) > MAX_CHARS:
        raise RequestError(f"The request is {len(text)} characters long; describe the video in at most {MAX_CHARS}.")
    if _SELF.search(text):
        raise RequestError("I can't put you, your voice or your own photos in a video: I only have the shared corpus, "
                           "icons and still images to build from. Describe a subject instead (a place, a mood, an idea).")
    duration = guidance.get("duration_s") or _duration(text) or DEFAULT_S
    if not MIN_S <= float(duration) <= MAX_S:
        asked = m[0] if (m := _DURATION.search(text)) and not guidance.get("duration_s") else f"{float(duration):.0f} s"
        raise RequestError(f"I make micro-videos of {MIN_S:.0f} to {MAX_S:.0f} seconds; you asked for {asked}. "
                           f"Ask for {MAX_S:.0f} seconds or less.")
    topic = (guidance.get("topic") or topic_of(text)).strip()
    if not content_words(topic):
        raise RequestError("What should the video be about? I understood no subject in "
                           f"“{text[:80]}”. Try “a short video about autumn leaves in the park”.")
    out = {
        "topic": topic[:120],
        "request": text or topic,
        "mood": guidance.get("mood") or _mood(text) or "calm",
        "duration_s": float(duration),
        "narration": bool(guidance.get("narration", not _NO_NARRATION.search(text))),
        "subtitles": bool(guidance.get("subtitles", not _NO_SUBTITLES.search(text))),
    }
    # Three scenes for a 10 s video, one more for every further ~6 s, at most six.
    out["scenes"] = int(guidance.get("scenes") or min(6, max(3, round(3 + (out["duration_s"] - 10) / 6))))
    for key in ("style", "voice"):
        if guidance.get(key):
            out[key] = str(guidance[key])[:60]
    for key in ("include", "avoid"):  # stated wishes for this video, on top of the profile's
        out[key] = [str(x)[:40] for x in guidance.get(key, [])][:5]
    return out
