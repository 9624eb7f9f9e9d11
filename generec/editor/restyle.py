"""Restyle op: named looks, speed changes and a 9:16 crop that follows the subject.

Looks are the ones a person asks for by name (warm, noir, vintage, cartoon, sketch, vivid),
each an ffmpeg filter chain, so a 15 s clip restyles in seconds on a CPU. When a diffusers
image-to-image model is configured (`EditContext.img2img`), the look is painted by it frame
by frame instead (see diffusion.py). Speed uses setpts/atempo; the crop is in reframe.py.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..media import Probe
from .base import EditContext, EditError, EditRequest, Staging, child_id, child_item, encode_args, run_ffmpeg

# look -> (words people use for it, ffmpeg filter chain, prompt for an image-to-image model)
LOOKS = {
    "warm": (("warm", "golden", "sunset", "cosy", "cozy", "summer"),
             "colortemperature=temperature=4300:mix=0.9,eq=saturation=1.15:gamma=1.03",
             "warm golden-hour light, soft cosy colour grade"),
    "noir": (("noir", "black and white", "black & white", "b&w", "monochrome", "greyscale", "grayscale"),
             "hue=s=0,eq=contrast=1.35:brightness=-0.03,vignette=PI/5",
             "black and white film noir still, high contrast, deep shadows"),
    "vintage": (("vintage", "retro", "old film", "sepia", "70s", "faded", "nostalgic"),
                "curves=preset=vintage,eq=saturation=0.85,noise=alls=8:allf=t,vignette=PI/4",
                "vintage 1970s film photograph, faded colours, film grain"),
    "cartoon": (("cartoon", "comic", "anime", "toon", "animated"),
                # flat posterised colour (blur, then 6 levels per channel) multiplied by dark outlines
                "split[flat][ink];[flat]avgblur=2,eq=saturation=1.5:contrast=1.1,"
                "lutrgb=r='trunc(val/48)*48+24':g='trunc(val/48)*48+24':b='trunc(val/48)*48+24',format=gbrp[paint];"
                "[ink]format=gray,edgedetect=low=0.1:high=0.3,negate,format=gbrp[lines];"
                "[paint][lines]blend=all_mode=multiply,format=yuv420p",
                "cartoon illustration, flat bright colours, bold outlines"),
    "sketch": (("sketch", "pencil", "drawing", "drawn", "line art"),
               "format=gray,edgedetect=low=0.05:high=0.15,negate,format=yuv420p",
               "pencil sketch on white paper, fine graphite lines"),
    "vivid": (("vivid", "punchy", "saturated", "colourful", "colorful", "pop", "bright"),
              "eq=saturation=1.7:contrast=1.12,unsharp=5:5:0.8",
              "vivid saturated colours, crisp and punchy"),
}
SPEED_WORDS = {"twice as fast": 2.0, "double speed": 2.0, "half speed": 0.5, "slow motion": 0.5, "slow-mo": 0.5,
               "slowmo": 0.5, "speed up": 1.5, "faster": 1.5, "slow down": 0.75, "slower": 0.75, "timelapse": 4.0}
VERTICAL_WORDS = ("9:16", "vertical", "portrait", "tiktok", "reels", "shorts", "stories", "phone")


@dataclass
class Plan:
    look: str | None = None
    speed: float = 1.0
    vertical: bool = False
    prompt: str | None = None   # free-text style, only usable with an image-to-image model

    def describe(self) -> str:
        parts = [self.look or (f"“{self.prompt}”" if self.prompt else "")]
        parts += [f"{self.speed:g}× speed"] if self.speed != 1.0 else []
        parts += ["9:16"] if self.vertical else []
        return ", ".join(p for p in parts if p)


def parse(instruction: str, style: str | None, free_style: bool = False) -> Plan:
    text = f"{style or ''} {instruction or ''}".lower()
    plan = Plan()
    hits = [(text.find(w), look) for look, (words, _, _) in LOOKS.items() for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
    if hits:
        plan.look = min(hits)[1]                       # the look named first wins
    m = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)\s*x(?!\w)|(?<!\w)x\s*(\d+(?:\.\d+)?)(?![\w.])", text)
    if m:
        plan.speed = float(m[1] or m[2])
    else:
        plan.speed = next((v for w, v in SPEED_WORDS.items() if w in text), 1.0)
    if not 0.25 <= plan.speed <= 4.0:
        raise EditError(f"a speed of {plan.speed:g}× is outside what I do (0.25× to 4×)")
    plan.vertical = any(w in text for w in VERTICAL_WORDS)
    if plan.look is None and free_style and (style or instruction or "").strip():
        plan.prompt = (style or instruction).strip()[:200]
    if plan.look is None and plan.prompt is None and plan.speed == 1.0 and not plan.vertical:
        raise EditError(f"I could not tell which restyle you want from “{(style or instruction or '')[:80]}”. "
                        f"Ask for a look ({', '.join(LOOKS)}), a speed (“2x”, “slow motion”) or “vertical 9:16”.")
    return plan


def atempo(speed: float) -> str:
    """atempo takes 0.5..2 per instance in older builds: chain instances for the rest."""
    parts, s = [], speed
    while s > 2.0:
        parts.append("atempo=2.0")
        s /= 2.0
    while s < 0.5:
        parts.append("atempo=0.5")
        s /= 0.5
    return ",".join(parts + [f"atempo={s:.4f}"])


def run(req: EditRequest, ctx: EditContext, info: Probe) -> list:
    from ..media import probe
    from .thumbnail import grab

    src = Path(req.source_path)
    plan = parse(req.instruction, req.style, free_style=bool(ctx.img2img))
    params = {"look": plan.look, "prompt": plan.prompt, "speed": plan.speed, "vertical": plan.vertical,
              "img2img": ctx.img2img if (ctx.img2img and (plan.look or plan.prompt)) else None}
    item_id = child_id(req, "restyle", params)
    extra, models = {}, []
    with tempfile.TemporaryDirectory() as work, Staging(ctx.out_dir) as stage:
        vid_tmp, vid = stage.new(f"{item_id}.mp4")
        cov_tmp, cov = stage.new(f"{item_id}.jpg")
        chain, source, has_audio = [], src, info.has_audio
        if params["img2img"]:
            from .diffusion import restyle_video

            prompt = plan.prompt or LOOKS[plan.look][2]
            source, extra["img2img"] = restyle_video(src, info, Path(work) / "painted.mp4", prompt, ctx)
            models.append(ctx.img2img)
        elif plan.look:
            chain.append(LOOKS[plan.look][1])
        if plan.vertical:  # tracked on the original pictures; a painted version has the same size
            from .reframe import reframe_filter

            crop, extra["reframe"] = reframe_filter(src, info, Path(work))
            chain.append(crop)
        if plan.speed != 1.0:
            chain.append(f"setpts=PTS/{plan.speed:.4f}")
        chain.append("scale=trunc(iw/2)*2:trunc(ih/2)*2")
        args = ["-i", str(source)]
        if has_audio:
            args += ["-i", str(src), "-map", "0:v:0", "-map", "1:a:0"] if source != src else ["-map", "0:v:0", "-map", "0:a:0"]
            if plan.speed != 1.0:
                args += ["-af", atempo(plan.speed)]
        args += ["-vf", ",".join(chain), *encode_args(has_audio), "-f", "mp4", str(vid_tmp)]
        run_ffmpeg(args, f"restyling {src.name}", cwd=Path(work))
        out_info = probe(vid_tmp)
        grab(vid_tmp, out_info.duration_s / 2, out_info).save(cov_tmp, "JPEG", quality=88)
        stage.commit()
    base = req.source_item.title if req.source_item else src.stem.replace("_", " ")
    return [child_item(req, ctx, "restyle", params, item_id=item_id, title=f"{base} ({plan.describe()})", media=vid,
                       cover=cov, info=out_info, models=models, extra=extra)]
