"""The script stage: a storyboard (title + 3-6 scenes) written by the LLM or filled from templates.

The LLM only fills a JSON schema whose every string has a maxLength, so a small local model
cannot run on. Small models still repeat themselves, so its answer is checked
(`findings`): empty or over-long fields, repeated or near-identical lines, stuttering words.
A few faulty scenes are replaced by template scenes (`repair`); when there is no LLM, the
call fails, or too much is wrong, `template_storyboard` writes the whole script from the
request's topic, mood and the viewer's tastes. The storyboard records which path made it
and why, and keeps the rejected draft.
"""
from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

from ..llm.base import LLMCancelled
from ..prompts import render as _prompt

log = logging.getLogger("generec.creator")

MIN_SCENES, MAX_SCENES = 3, 6
LIMITS = {"title": 48, "narration": 110, "visual": 80, "on_screen": 32}
MAX_WORDS = 20


@dataclass
class Scene:
    narration: str
    visual: str
    on_screen: str


@dataclass
class Storyboard:
    title: str
    scenes: list[Scene]
    source: str = "template"          # "llm" or "template"
    note: str = ""                    # why the template was used, when it was
    model: str = ""
    draft: dict | None = None         # the LLM's answer when it was rejected or repaired, for provenance

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, **extra) -> "Storyboard":
        scenes = [Scene(*(_clean(s.get(k, ""), LIMITS[k]) for k in ("narration", "visual", "on_screen")))
                  for s in d.get("scenes", []) if isinstance(s, dict)]
        return cls(_clean(d.get("title", ""), LIMITS["title"]), scenes, **extra)


def schema(n_scenes: int | None = None) -> dict:
    """JSON schema for the LLM; `n_scenes` pins the count, else 3-6."""
    def text(name: str, lo: int) -> dict:
        return {"type": "string", "minLength": lo, "maxLength": LIMITS[name]}
    scene = {"type": "object", "properties": {"narration": text("narration", 8), "visual": text("visual", 3),
                                              "on_screen": text("on_screen", 1)},
             "required": ["narration", "visual", "on_screen"], "additionalProperties": False}
    lo, hi = (n_scenes, n_scenes) if n_scenes else (MIN_SCENES, MAX_SCENES)
    return {"type": "object", "properties": {"title": text("title", 3),
                                             "scenes": {"type": "array", "items": scene, "minItems": lo, "maxItems": hi}},
            "required": ["title", "scenes"], "additionalProperties": False}


def _clean(s, limit: int | None = None) -> str:
    s = re.sub(r"[#*_`\"“”]|https?://\S+", "", str(s or ""))
    s = re.sub(r"\s+", " ", s).strip()
    if limit and len(s) >= limit and " " in s:
        # The schema closed the string at maxLength, likely mid-word: keep whole words only.
        s = s[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
        s = re.sub(r"(\s+(a|an|the|and|or|of|to|in|on|with|for|by|at))+$", "", s, flags=re.I)
    return s


_FOREIGN = re.compile(r"[^\u0000-\u024f\u2010-\u2027\u2030-\u205e]")  # beyond Latin script and punctuation


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", s.lower())


def _similar(a: str, b: str) -> float:
    wa, wb = set(_words(a)), set(_words(b))
    return len(wa & wb) / max(1, len(wa | wb))


def findings(sb: Storyboard, n_scenes: int | None = None) -> list[tuple[int | None, str]]:
    """Every problem as (index of the scene to blame or None, message); empty means usable.
    For a repeated pair the later scene is blamed, so replacing it fixes the pair."""
    out: list[tuple[int | None, str]] = []
    if not _words(sb.title) or len(sb.title) > LIMITS["title"]:
        out.append((None, "title empty or too long"))
    if not MIN_SCENES <= len(sb.scenes) <= MAX_SCENES or (n_scenes and len(sb.scenes) != n_scenes):
        out.append((None, f"{len(sb.scenes)} scenes"))
    for i, sc in enumerate(sb.scenes):
        for name in ("narration", "visual", "on_screen"):
            value = getattr(sc, name)
            if not _words(value):
                out.append((i, f"scene {i + 1}: empty {name}"))
            elif len(value) > LIMITS[name]:
                out.append((i, f"scene {i + 1}: {name} longer than {LIMITS[name]} characters"))
            elif _FOREIGN.search(value):  # small multilingual models drift into other scripts; the font lacks them
                out.append((i, f"scene {i + 1}: {name} has characters outside the Latin script"))
        if len(_words(sc.on_screen)) > 5:
            out.append((i, f"scene {i + 1}: on-screen text over 5 words"))
        w = _words(sc.narration)
        if len(w) > MAX_WORDS:
            out.append((i, f"scene {i + 1}: narration has {len(w)} words"))
        grams = [tuple(w[j:j + 2]) for j in range(len(w) - 1)]
        if len(grams) != len(set(grams)) or any(a == b for a, b in zip(w, w[1:])):
            out.append((i, f"scene {i + 1}: narration repeats itself"))
    for name, limit in (("narration", 0.6), ("visual", 0.75), ("on_screen", 0.99)):
        lines = [getattr(s, name) for s in sb.scenes]
        for i in range(len(lines)):
            for j in range(i + 1, len(lines)):
                if _similar(lines[i], lines[j]) >= limit:
                    out.append((j, f"scenes {i + 1} and {j + 1}: repeated {name}"))
    # "The robot is busy…" / "The robot is laughing…" reads fine; four identical opening words do not.
    starts = [tuple(_words(s.narration)[:4]) for s in sb.scenes]
    for j in range(len(starts)):
        if starts[j] in starts[:j]:
            out.append((j, f"scene {j + 1}: narration starts like an earlier one"))
    return out


def problems(sb: Storyboard, n_scenes: int | None = None) -> list[str]:
    """Messages of `findings`; empty means usable."""
    return [msg for _, msg in findings(sb, n_scenes)]


def repair(sb: Storyboard, spare: Storyboard, n_scenes: int) -> Storyboard | None:
    """Replace only the blamed scenes with the template's scenes at the same places;
    None when the storyboard as a whole is broken or the patched one still fails."""
    found = findings(sb, n_scenes)
    blamed = {i for i, _ in found if i is not None}
    if any(i is None for i, _ in found) or len(blamed) > len(sb.scenes) // 2:
        return None
    scenes = [spare.scenes[i] if i in blamed else sc for i, sc in enumerate(sb.scenes)]
    fixed = Storyboard(sb.title, scenes, source="llm+template", model=sb.model,
                       note=f"template filled scene(s) {', '.join(str(i + 1) for i in sorted(blamed))}: "
                            + "; ".join(m for _, m in found[:3]))
    return fixed if not problems(fixed, n_scenes) else None


def max_words(guidance: dict) -> int:
    # ~2.6 spoken words per second over what is left after the 1.2 s title card.
    per_scene = (guidance["duration_s"] - 1.2) / guidance["scenes"]
    return max(6, min(MAX_WORDS, int(per_scene * 2.6)))


def write_storyboard(guidance: dict, profile_hint: dict, llm=None, max_tokens: int = 480) -> Storyboard:
    """The LLM's storyboard when it passes the checks; with its faulty scenes replaced by template
    scenes when only a few are at fault; else the template's (the reason kept in `note`)."""
    from .templates import template_storyboard

    n = guidance["scenes"]
    if llm is None:
        return template_storyboard(guidance, profile_hint, note="no LLM configured")
    system = _prompt("creator_storyboard_system.j2")
    user = _prompt("creator_storyboard_user.j2", request=guidance["request"], topic=guidance["topic"],
                   mood=guidance["mood"], n_scenes=n, max_words=max_words(guidance),
                   style=guidance.get("style") or "", likes=list(profile_hint.get("likes", []))[:4],
                   avoids=list(profile_hint.get("avoids", []))[:3])
    model = str(getattr(llm, "name", type(llm).__name__))
    try:
        raw = llm.json(system, user, schema(n), max_tokens=max_tokens)
    except LLMCancelled as exc:   # Stop, not a failure: no fallback video
        from .compose import Cancelled
        raise Cancelled("cancelled while writing the storyboard") from exc
    except Exception as exc:  # any backend failure: the template still gives the user a video, and says so
        log.warning("storyboard: the LLM call failed, the template writes it: %s", exc)
        return template_storyboard(guidance, profile_hint, note=f"LLM call failed ({type(exc).__name__}: {str(exc)[:120]})")
    sb = Storyboard.from_dict(raw if isinstance(raw, dict) else {}, source="llm", model=model)
    bad = problems(sb, n)
    if not bad:
        return sb
    spare = template_storyboard(guidance, profile_hint)
    fixed = repair(sb, spare, n)
    if fixed is not None:
        fixed.draft = raw
        return fixed
    spare.note = "LLM storyboard rejected: " + "; ".join(bad[:4])
    log.warning("storyboard: %s", spare.note)
    spare.draft = raw
    return spare

