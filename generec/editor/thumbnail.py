"""Thumbnail op: the frame of a video that best matches this user's visual taste.

As in the GeneRec study, taste is the mean image feature of the covers of items the user
liked (the caller computes it). Frames are sampled across the video; black, blurred and
transition frames are dropped; a few dozen candidates (at least one per shot) are scored by
cosine similarity to the taste. Without a taste the sharpest usable frame wins. A variant
with the title drawn on it is always made; the one asked for becomes the cover.
"""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..media import Probe, frame_quality, read_frames
from ..shots import find_cuts, frame_changes, shots_from_cuts
from .base import EditContext, EditError, EditRequest, Staging, child_id, child_item
from .frames import judge

MAX_CANDIDATES = 16   # image features cost ~30 ms each on this CPU: keeps a 30 s video under 2 s
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in FONT_DIRS:
        if (d / name).exists():
            return ImageFont.truetype(str(d / name), size)
    return ImageFont.load_default(size)


def pick_candidates(times: np.ndarray, usable: np.ndarray, sharp: np.ndarray, cuts: list[float], duration: float) -> list[int]:
    """Indices of frames worth scoring: the sharpest usable frame of every shot, then evenly spread others."""
    shots = shots_from_cuts(cuts, duration)
    chosen: list[int] = []
    for s in shots:
        idx = np.flatnonzero(usable & (times >= s.start) & (times < s.end))
        if len(idx):
            chosen.append(int(idx[np.argmax(sharp[idx])]))
    rest = [i for i in np.flatnonzero(usable) if i not in chosen]
    room = MAX_CANDIDATES - len(chosen)
    if room > 0 and rest:
        chosen += [int(rest[j]) for j in np.unique(np.linspace(0, len(rest) - 1, min(room, len(rest))).astype(int))]
    return sorted(chosen[:MAX_CANDIDATES] if len(chosen) > MAX_CANDIDATES else chosen)


def candidates(path: Path, info: Probe) -> tuple[np.ndarray, list[Image.Image], dict]:
    """(times, pictures, counts) of the frames worth scoring: usable, spread over time and shots."""
    fps = float(np.clip(120.0 / max(info.duration_s, 0.1), 0.5, 4.0))
    frames = read_frames(path, fps=fps, width=224, info=info)
    diffs = frame_changes(frames)
    cuts = find_cuts(frames, diffs, min_shot_s=1.0)
    u = judge(frames, cuts, diffs)
    usable = u.usable
    for relax in (u.black | u.blurred, u.black):  # a video made only of fades still gets a thumbnail
        if not usable.any():
            usable = ~relax
    if not usable.any():
        raise EditError(f"{path.name}: every frame is black or blank; there is nothing to use as a thumbnail")
    cand = pick_candidates(frames.times, usable, u.sharp, cuts, info.duration_s)
    counts = {"candidates": len(cand), "sampled": len(frames), "skipped_black": int(u.black.sum()),
              "skipped_blurred": int(u.blurred.sum()), "skipped_transition": int(u.transition.sum())}
    return frames.times[cand], [Image.fromarray(frames.pixels[i]) for i in cand], counts


def choose_frame(path: Path, info: Probe, images, taste: np.ndarray | None) -> tuple[float, float, dict]:
    """(time, score, details) of the best frame for this taste."""
    times, pics, details = candidates(path, info)
    if taste is None:
        scores = np.array([frame_quality(p) for p in pics])
        details["how"] = "sharpest usable frame (no taste: the user has liked nothing yet)"
    else:
        feats = images.analyse(pics, top=1).features
        if feats.shape[1] != taste.shape[0]:
            raise EditError(f"the taste vector has {taste.shape[0]} dimensions but the image model gives {feats.shape[1]}")
        scores = feats @ (taste / max(float(np.linalg.norm(taste)), 1e-12))
        details["how"] = "closest frame to the user's visual taste (mean feature of liked covers)"
    best = int(np.argmax(scores))
    return float(times[best]), float(scores[best]), details


def grab(path: Path, t: float, info: Probe, max_width: int = 1280) -> Image.Image:
    """The frame at time t at (up to) full resolution."""
    return Image.fromarray(read_frames(path, n=1, start=t, length=0.0, width=min(info.width, max_width), info=info).pixels[0])


def draw_title(im: Image.Image, title: str) -> Image.Image:
    """Title in white on a darkening band at the bottom, wrapped to fit, with margins."""
    im = im.convert("RGB").copy()
    w, h = im.size
    size = max(12, h // 11)
    f = font(size)
    margin = max(8, w // 24)
    chars = max(8, int((w - 2 * margin) / (f.getlength("abcdefghij") / 10)))
    lines = textwrap.wrap(title.strip(), width=chars)[:3] or [""]
    asc, desc = f.getmetrics()
    line_h = asc + desc + size // 6          # full ascent + descent: descenders are never cut
    block = line_h * len(lines)
    top = h - margin - block
    band = Image.new("L", (1, h), 0)         # vertical alpha ramp behind the text
    start = max(0, top - margin)
    for y in range(start, h):
        band.putpixel((0, y), int(170 * min(1.0, (y - start) / max(1, margin * 1.5))))
    im.paste(Image.new("RGB", (w, h), (0, 0, 0)), (0, 0), band.resize((w, h)))
    d = ImageDraw.Draw(im)
    for k, line in enumerate(lines):
        d.text((margin, top + k * line_h), line, font=f, fill=(255, 255, 255),
               stroke_width=max(1, size // 18), stroke_fill=(0, 0, 0))
    return im


def run(req: EditRequest, ctx: EditContext, info: Probe) -> list:
    src = Path(req.source_path)
    t, score, details = choose_frame(src, info, ctx.images if req.taste is not None else None, req.taste)
    frame = grab(src, t, info)
    quoted = re.search(r"[\"“']([^\"”']{2,80})[\"”']", req.instruction or "")
    title = quoted[1] if quoted else (req.source_item.title if req.source_item else src.stem.replace("_", " "))
    want_title = bool(quoted) or bool(re.search(r"\b(title|text|caption|words)\b", req.instruction or "", re.I))
    params = {"time_s": round(t, 2), "title_on_cover": want_title, "taste": req.taste is not None}
    item_id = child_id(req, "thumb", params)
    with Staging(ctx.out_dir) as stage:
        plain_tmp, plain = stage.new(f"{item_id}.jpg")
        titled_tmp, titled = stage.new(f"{item_id}-titled.jpg")
        frame.save(plain_tmp, "JPEG", quality=90)
        draw_title(frame, title).save(titled_tmp, "JPEG", quality=90)
        if req.source_item:
            media = Path(req.source_path)    # same video, new cover: no copy needed
        else:
            media_tmp, media = stage.new(f"{item_id}{src.suffix.lower() or '.mp4'}")
            shutil.copyfile(src, media_tmp)  # an upload may be a temp file: keep our own copy
        stage.commit()
    cover, other = (titled, plain) if want_title else (plain, titled)
    base_title = req.source_item.title if req.source_item else title
    models = [] if req.taste is None else [getattr(ctx.images, "name", "image-features")]
    return [child_item(req, ctx, "thumbnail", params, item_id=item_id, title=base_title, media=media, cover=cover,
                       info=info, models=models,
                       extra={"frame_time_s": round(t, 2), "score": round(score, 4), "selection": details,
                              "variants": {"plain_cover": ctx.rel(plain), "titled_cover": ctx.rel(titled)},
                              "other_cover": ctx.rel(other)})]
