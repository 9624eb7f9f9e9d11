"""The template storyboard: a usable script with no LLM, built from the request's own words.

The topic's content words become the facets of the middle scenes (each scene shows a
different facet, so visual retrieval finds different pictures); the viewer's liked tags
colour the closing scene. Sentence patterns are picked deterministically from the topic,
and every pattern in a pool starts differently, so the result always passes `problems`.
"""
from __future__ import annotations

import hashlib

from .request import content_words
from .storyboard import LIMITS, MAX_SCENES, MIN_SCENES, Scene, Storyboard, problems

_OPEN = ["Here is {topic}, seen up close.", "Take a few seconds for {topic}.", "This is {topic}, the {mood} way."]
# Middle lines do not name the facet (it may be an adjective); it goes on screen instead.
_MIDDLE = ["Look closer: every detail tells a little more.", "Light and colour change how it all feels.",
           "Slow down, this moment rewards a second look.", "Small things make {topic} worth watching.",
           "Listen to the rhythm it all moves with."]
_CLOSE = ["That was {topic}. Come back for more.", "And so it ends, {mood} to the last second.",
          "Remember this the next time you look around."]
_LENSES = ["close-up", "in motion", "from above", "at dusk"]


def _pick(pool: list, key: str, offset: int = 0):
    h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "little")
    return pool[(h + offset) % len(pool)]


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit].rsplit(" ", 1)[0].rstrip(",;:")


def _facets(topic: str, likes: list[str], n: int) -> list[tuple[str, str]]:
    """(on-screen word, visual description) for the middle scenes: the topic's own words
    first (each alone, so each finds its own picture), then liked tags, then camera lenses."""
    words = list(dict.fromkeys(content_words(topic)))
    out = [(w, w) for w in words] if len(words) > 1 else []
    out += [(t, f"{topic} with {t}") for t in likes if t not in words]
    out += [(lens, f"{topic} {lens}") for lens in _LENSES]
    return out[:n]


def template_storyboard(guidance: dict, profile_hint: dict, note: str = "") -> Storyboard:
    n = max(MIN_SCENES, min(MAX_SCENES, int(guidance["scenes"])))
    topic, mood = guidance["topic"], guidance.get("mood", "calm")
    short = _fit(topic, 40)
    likes = [str(t) for t in profile_hint.get("likes", [])]
    vals = {"topic": short, "mood": mood}
    scenes = [Scene(_fit(_pick(_OPEN, topic).format(**vals), LIMITS["narration"]), _fit(topic, LIMITS["visual"]),
                    _fit(short.capitalize(), LIMITS["on_screen"]))]
    for i, (word, visual) in enumerate(_facets(topic, likes[1:], n - 2)):
        scenes.append(Scene(_fit(_pick(_MIDDLE, topic, i).format(**vals), LIMITS["narration"]),
                            _fit(visual, LIMITS["visual"]), _fit(word.capitalize(), LIMITS["on_screen"])))
    flavour = f"{topic} with {likes[0]}" if likes else f"{topic} at the end of the day"
    scenes.append(Scene(_fit(_pick(_CLOSE, topic).format(**vals), LIMITS["narration"]), _fit(flavour, LIMITS["visual"]),
                        _fit("The end", LIMITS["on_screen"])))
    sb = Storyboard(_fit(short.title(), LIMITS["title"]), scenes, source="template", note=note)
    left = problems(sb, n)
    if left:  # an odd topic can still collide; say so rather than hide it
        sb.note = (sb.note + "; " if sb.note else "") + "template check: " + "; ".join(left[:2])
    return sb
