"""Optional restyling through a diffusers image-to-image model, frame by frame.

Selected by configuration (`EditContext.img2img`: a local folder or a hub id; the lead wires
a `GENEREC_IMG2IMG` setting to it). No such weights exist in the registries this project
can reach, so the default restyle is ffmpeg's; this path is for a GPU host that has a model
(Stable Diffusion 1.5-sized models take ~3 s per step per frame on this CPU). The pipeline is
loaded once per process by the shared loader (models/diffusion.py), with the model's own
safety checker when it ships one. Every frame is painted with the same seed and prompt, which
keeps the look steady from frame to frame.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

from PIL import Image

from ..media import Probe, read_frames
from ..models.diffusion import DiffusionUnavailable, load_pipeline
from .base import EditContext, EditError, run_ffmpeg

DEFAULTS = {"fps": 8.0, "size": 512, "steps": 20, "strength": 0.45, "guidance": 7.5, "seed": 0, "batch": 4, "max_frames": 240}


def frame_size(info: Probe, longest: int) -> tuple[int, int]:
    """Model-friendly size: the longer side `longest`, both sides multiples of 8."""
    k = longest / max(info.width, info.height)
    return max(8, round(info.width * k / 8) * 8), max(8, round(info.height * k / 8) * 8)


def paint(pipe, images: list[Image.Image], prompt: str, opts: dict) -> list[Image.Image]:
    import torch

    out = []
    for i in range(0, len(images), int(opts["batch"])):
        batch = images[i:i + int(opts["batch"])]
        gen = torch.Generator(device="cpu").manual_seed(int(opts["seed"]))
        res = pipe(prompt=[prompt] * len(batch), image=batch, num_inference_steps=int(opts["steps"]),
                   strength=float(opts["strength"]), guidance_scale=float(opts["guidance"]), generator=gen, output_type="pil")
        if getattr(res, "nsfw_content_detected", None) and any(res.nsfw_content_detected):
            raise EditError("the image model's safety checker flagged a restyled frame; nothing was saved")
        out += list(res.images)
    return out


def restyle_video(src: Path, info: Probe, dst: Path, prompt: str, ctx: EditContext) -> tuple[Path, dict]:
    """Paint `src` into a silent video `dst` at the source's size; returns (dst, what was done)."""
    opts = {**DEFAULTS, **(ctx.img2img_options or {})}
    fps = min(float(opts["fps"]), info.fps or float(opts["fps"]))
    n = math.ceil(info.duration_s * fps)
    if n > int(opts["max_frames"]):
        raise EditError(f"painting {info.duration_s:.0f} s at {fps:g} fps needs {n} frames, over the {opts['max_frames']} frame limit; "
                        "restyle a shorter clip or ask for a named look without the image model")
    w, h = frame_size(info, int(opts["size"]))
    frames = read_frames(src, fps=fps, width=w, height=h, info=info)
    try:
        pipe = load_pipeline(ctx.img2img, "AutoPipelineForImage2Image", device=opts.get("device"), threads=ctx.settings.threads)
    except DiffusionUnavailable as exc:
        raise EditError(f"image-to-image restyling: {exc}") from exc
    painted = paint(pipe, [Image.fromarray(f) for f in frames.pixels], prompt, opts)
    with tempfile.TemporaryDirectory() as tmp:
        for k, im in enumerate(painted):
            im.save(Path(tmp) / f"{k:05d}.png")
        out_w, out_h = info.width // 2 * 2, info.height // 2 * 2
        run_ffmpeg(["-framerate", f"{fps:g}", "-i", str(Path(tmp) / "%05d.png"), "-vf", f"scale={out_w}:{out_h}:flags=bicubic",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-r", f"{info.fps or 30:g}",
                    "-f", "mp4", str(dst)], "assembling the painted frames")
    return dst, {"model": ctx.img2img, "prompt": prompt, "frames": len(painted), "fps": fps, "size": [w, h],
                 "steps": int(opts["steps"]), "strength": float(opts["strength"])}
