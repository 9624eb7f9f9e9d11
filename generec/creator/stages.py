"""The work inside each stage of `pipeline.create`, one function per stage, plus the item record.

Kept apart from the orchestration so each piece can be called (and benchmarked) alone:
`script`, `choose_visuals`, `narrate`, `plan` (scene lengths from speech, clips, subtitle
cues), `render_video`, and `make_item` (licence and attribution derived from the sources).
"""
from __future__ import annotations


import threading
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from . import text as T
from .background import Backdrop
from .clips import IconClip, ShotClip, StillClip
from .compose import TITLE_S, Cancelled, Plan, Segment, render
from .narration import load_voice, write_track
from .request import content_words, read_request
from .storyboard import write_storyboard
from .visuals import Visual

LEAD_S, TAIL_S, MIN_SCENE_S = 0.15, 0.4, 2.2


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def script(ctx, text: str, guidance: dict, user: str | None):
    g = read_request(text, guidance)
    taste, hint = ctx.taste(user)
    hint = {"likes": list(dict.fromkeys(g["include"] + hint.get("likes", []))),
            "avoids": list(dict.fromkeys(g["avoid"] + hint.get("avoids", [])))}
    # What this request says to include or avoid weighs like the history does, in the picture choice too.
    for words, name in ((g["include"], "like_text"), (g["avoid"], "dislike_text")):
        if words:
            v = ctx.embedder.encode([", ".join(words)])[0]
            old = getattr(taste, name)
            setattr(taste, name, _unit(v if old is None else old + v))
    return g, taste, write_storyboard(g, hint, ctx.llm)


def choose_visuals(ctx, sb, g: dict, taste, cancel: threading.Event) -> list[Visual]:
    if ctx.visuals.startswith("diffusers:"):
        from .diffusion import generate_visuals

        return generate_visuals(ctx.visuals.split(":", 1)[1], sb, g, ctx.settings, cancel)
    if ctx.visuals != "compose":
        raise ValueError(f"unknown visual backend {ctx.visuals!r}: use 'compose' or 'diffusers:<model id or folder>'")
    lib = ctx.library()
    topic = lib.embedder.encode([". ".join(x for x in (g["topic"], g["mood"], g.get("style", "")) if x)])[0]
    scene_vecs = lib.embedder.encode([s.visual for s in sb.scenes])
    palette, effect = lib.palette(topic, taste), lib.effect(topic)
    used: set[str] = set()
    # A quarter of the topic in every scene vector keeps a terse description ("city lights") on topic.
    return [lib.choose(_unit(0.75 * v + 0.25 * topic), taste, used, palette, effect) for v in scene_vecs]


def narrate(ctx, sb, g: dict, cancel: threading.Event):
    if not g["narration"] or ctx.voice == "none":
        return [None] * len(sb.scenes), None
    voice = load_voice(g.get("voice") or ctx.voice, ctx.settings.threads, ctx.settings.strict)
    out = []
    for s in sb.scenes:
        if cancel.is_set():
            raise Cancelled("cancelled during narration")
        out.append(voice.say(s.narration) if s.narration.strip() else None)   # a line dropped by the fact check
    return out, voice


def _seed(*parts) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def make_clip(v: Visual, duration: float, seed: int, ctx):
    if v.kind == "shot":
        lib = ctx.library()
        return ShotClip(lib.shots.paths[v.shot.item_id], v.shot.start, v.shot.duration, duration)
    if v.kind == "still":
        with Image.open(v.still.path) as im:
            return StillClip(im.convert("RGB"), duration, seed)
    if v.kind == "generated":
        return StillClip(v.image, duration, seed)
    backdrop = Backdrop(v.palette, v.effect, seed, duration)
    if v.kind == "icon":
        icons = ctx.library().icons
        return IconClip(backdrop, duration, icons.image(v.icon, 384), [icons.image(x, 192) for x in v.extra_icons], seed)
    return IconClip(backdrop, duration, None, seed=seed)


def plan(sb, visuals: list[Visual], speech: list, g: dict, ctx):
    """Segments for the renderer, total length, a timeline record, and (start, speech) pairs."""
    n = len(sb.scenes)
    silent_len = max(MIN_SCENE_S, (g["duration_s"] - TITLE_S) / n)
    segments, timeline, lines = [], [], []
    start = TITLE_S
    for i, (scene, v, sp) in enumerate(zip(sb.scenes, visuals, speech)):
        dur = max(MIN_SCENE_S, LEAD_S + sp.seconds + TAIL_S) if sp is not None else silent_len
        # Subtitles follow the voice; with no voice the line is shown as a caption for the scene.
        s0, s1 = (start + LEAD_S, start + LEAD_S + sp.seconds) if sp is not None else (start + 0.2, start + dur - 0.2)
        cue_list = T.cues(scene.narration, s0, s1 - s0) if g.get("subtitles", True) else []
        seg = Segment(make_clip(v, dur, _seed(sb.title, i, v.ref), ctx), start, dur,
                      T.headline(scene.on_screen) if scene.on_screen else None,
                      [(a, b, T.subtitle(c)) for a, b, c in cue_list])
        segments.append(seg)
        if sp is not None:
            lines.append((s0, sp))
        timeline.append({"scene": i, "start": round(start, 3), "end": round(start + dur, 3),
                         "speech": [round(s0, 3), round(s1, 3)] if sp is not None else None,
                         "cues": [[round(a, 3), round(b, 3), c] for a, b, c in cue_list]})
        start += dur
    return segments, start, timeline, lines


def render_all(ctx, sb, visuals, speech, g: dict, work: Path, media: Path, cancel, progress, mids: list):
    """Plan the timeline, write the narration track, render; returns (total s, timeline, has audio)."""
    segments, total, timeline, lines = plan(sb, visuals, speech, g, ctx)
    audio = write_track(lines, total, work / "narration.wav") if lines else None
    # The watermark goes in at the "checks" stage (fidelity.finish re-encodes with the Cb plane marked,
    # ~3 ms a frame); marking the RGB frames inside this loop measured no quicker (6-8 ms a frame).
    render(Plan(sb.title, segments, total, audio), media, cancel, progress, snapshots=mids)
    return total, timeline, audio is not None


def make_item(item_id: str, user: str | None, text: str, g: dict, sb, visuals: list[Visual], voice, total: float,
              has_audio: bool, ctx, times: dict):
    from ..types import Item

    licences = sorted({v.licence for v in visuals if v.licence})
    credits = list(dict.fromkeys(a for v in visuals for a in v.attribution.split("; ") if a))
    if voice is not None:
        credits.append(f"narration: {voice.name} ({voice.licence})" + (f" [{voice.note}]" if getattr(voice, "note", "") else ""))
    sources = [{"scene": i, "kind": v.kind, "ref": v.ref, "description": v.description, "relevance": round(v.relevance, 3),
                "licence": v.licence, "palette": v.palette, "effect": v.effect,
                "extra_icons": [x.hexcode for x in v.extra_icons]} for i, v in enumerate(visuals)]
    narration = " ".join(s.narration for s in sb.scenes)
    return Item(
        id=item_id, title=sb.title, description=f"{narration[:400]} (AI-created for: {g['request'][:120]})",
        tags=list(dict.fromkeys(["ai-created", g["mood"]] + content_words(g["topic"])[:5])),
        duration_s=round(total, 3), width=480, height=854, has_audio=has_audio, origin="ai_created",
        licence=" AND ".join(licences) or "CC0-1.0", attribution="; ".join(credits), visibility="private", owner=user,
        source={"kind": "generated", "generator": "generec.creator"},
        provenance={"request": text, "guidance": g, "storyboard": sb.to_dict(), "sources": sources,
                    "settings": {"visuals": ctx.visuals, "voice": getattr(voice, "name", "none"), "fps": 24, "size": "480x854",
                                 "subtitles": g.get("subtitles", True)},
                    "models": {"llm": sb.model or None, "tts": getattr(voice, "name", None),
                               "embedder": ctx.settings.embedder, "image_features": ctx.settings.image_features},
                    "stage_times": dict(times)})
