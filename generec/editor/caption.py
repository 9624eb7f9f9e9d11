"""Caption op: burn in subtitles from the transcript, and retitle the video in the tone asked for.

The title and description are rewritten by the LLM when the context has one (prompt:
prompts/editor_caption.j2, answer as JSON); otherwise, or when its answer is unusable, a
fixed template per tone does it and the item's provenance says so. A video without audible
speech is refused with a clear message rather than captioned with invented words.
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Callable

from ..media import Probe
from .base import EditContext, EditError, EditRequest, Staging, child_id, child_item
from .speech import transcript_for
from .subtitles import burn

# tone -> (words that ask for it, title template, description template)
TONES = {
    "funny": (("funny", "humor", "humour", "joke", "playful", "witty", "silly"), "{t} (you'll laugh)", "Wait for it: {s}"),
    "formal": (("formal", "professional", "serious", "academic"), "{t}: an overview", "This video covers the following. {s}"),
    "excited": (("excited", "exciting", "hype", "energetic", "enthusiastic"), "{t}!", "You have to see this! {s}"),
    "calm": (("calm", "gentle", "relaxed", "soothing", "quiet"), "{t}, calmly", "Take a moment. {s}"),
    "dramatic": (("dramatic", "epic", "cinematic", "suspense"), "{t}: the story", "It starts like this. {s}"),
    "casual": (("casual", "friendly", "chatty", "informal"), "{t}, basically", "So here's the thing: {s}"),
}


def tone_of(instruction: str) -> str:
    text = (instruction or "").lower()
    for tone, (words, _, _) in TONES.items():
        if any(re.search(rf"\b{w}", text) for w in words):
            return tone
    m = re.search(r"\b(?:in an?|make it(?: sound)?|sound)\s+([a-z]+)(?:\s+tone)?", text)
    return m[1] if m else "clear and friendly"


def first_sentence(text: str, limit: int = 200) -> str:
    s = re.split(r"(?<=[.!?])\s+", text.strip())[0]
    return s if len(s) <= limit else s[:limit].rsplit(" ", 1)[0] + "…"


def template_rewrite(title: str, transcript: str, tone: str) -> tuple[str, str]:
    _, tt, dt = TONES.get(tone, ((), "{t}", "{s}"))
    return tt.format(t=title), dt.format(s=f"“{first_sentence(transcript)}”")


CAPTION_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["title", "description"],
                  "properties": {"title": {"type": "string", "maxLength": 80}, "description": {"type": "string", "maxLength": 300}}}


def llm_caller(llm) -> Callable[[str], str]:
    """Adapt a `generec.llm` backend: schema-constrained JSON keeps small models in shape."""
    def call(prompt: str) -> str:
        return json.dumps(llm.json("You write titles and descriptions for short videos.", prompt, CAPTION_SCHEMA, max_tokens=200))
    return call


def prompt_for(title: str, description: str, transcript: str, tone: str, instruction: str) -> str:
    from ..prompts import render

    return render("editor_caption.j2", title=title, description=description[:400], transcript=transcript[:1500],
                  tone=tone, instruction=instruction[:300])


def llm_rewrite(llm_text: Callable[[str], str], prompt: str) -> tuple[str, str] | None:
    """The LLM's {"title", "description"}, or None when it failed or the answer is not usable."""
    try:
        answer = llm_text(prompt) or ""
    except (RuntimeError, ValueError, OSError):  # LLMError/LLMUnavailable are RuntimeErrors: fall back, don't fail the edit
        return None
    m = re.search(r"\{.*\}", answer, re.S)
    try:
        d = json.loads(m[0]) if m else {}
    except json.JSONDecodeError:
        return None
    title, desc = str(d.get("title", "")).strip(), str(d.get("description", "")).strip()
    if not (2 <= len(title) <= 100 and 2 <= len(desc) <= 400):
        return None
    return title, desc


def run(req: EditRequest, ctx: EditContext, info: Probe) -> list:
    from ..media import probe
    from .thumbnail import grab

    src = Path(req.source_path)
    if not info.has_audio:
        raise EditError(f"{src.name} has no audio track, so there is no speech to caption")
    tr = transcript_for(src, info, ctx.settings)
    if tr is None:
        raise EditError(f"no speech was found in {src.name} (its sound is silent or has no words), so there is nothing to caption")
    base = req.source_item.title if req.source_item else src.stem.replace("_", " ")
    tone = tone_of(req.instruction)
    how = "template (no LLM configured)"
    rewritten = None
    if ctx.llm_text is not None:
        rewritten = llm_rewrite(ctx.llm_text, prompt_for(base, req.source_item.description if req.source_item else "", tr.text, tone, req.instruction))
        how = "llm" if rewritten else "template (the LLM's answer was unusable)"
    title, desc = rewritten or template_rewrite(base, tr.text, tone)
    params = {"tone": tone, "segments": len(tr.segments)}
    item_id = child_id(req, "caption", params)
    with tempfile.TemporaryDirectory() as work, Staging(ctx.out_dir) as stage:
        vid_tmp, vid = stage.new(f"{item_id}.mp4")
        cov_tmp, cov = stage.new(f"{item_id}.jpg")
        cue_list = burn(src, vid_tmp, tr.segments, info, Path(work))
        out_info = probe(vid_tmp)
        a, b, _ = cue_list[0]
        grab(vid_tmp, (a + b) / 2, out_info).save(cov_tmp, "JPEG", quality=88)  # a cover that shows the captions
        stage.commit()
    models = [ctx.settings.asr] + (["llm"] if how == "llm" else [])
    return [child_item(req, ctx, "caption", params, item_id=item_id, title=title, media=vid, cover=cov, info=out_info,
                       description=desc, models=models,
                       extra={"rewrite": how, "tone": tone, "language": tr.language,
                              "heard": tr.text[:2000], "cue_times": [[round(a, 2), round(b, 2)] for a, b, _ in cue_list]})]
