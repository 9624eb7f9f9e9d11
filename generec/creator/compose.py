"""The render stage: title card, scenes, headlines, subtitles and badge into one 480x854 mp4.

Frames are composed with PIL/numpy and piped raw into imageio-ffmpeg's ffmpeg (libx264
`veryfast`, yuv420p, 24 fps, AAC narration muxed in), which is several times faster than
moviepy's per-frame effects here. Overlays are pre-rendered once and blended only over their
own rectangle. The output is written to a temporary name and renamed when complete.
`cover()` renders the cover image from the best-looking scene with the title on it.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from . import text as T
from .clips import FPS, H, W

TITLE_S = 1.2
FADE_S = 0.2


class Cancelled(Exception):
    """The job was cancelled; whatever it had written is removed."""


@dataclass
class Segment:
    clip: object                          # has frame(t) and close()
    start: float
    duration: float
    headline: T.Overlay | None = None
    cues: list[tuple[float, float, T.Overlay]] = field(default_factory=list)   # absolute times


@dataclass
class Plan:
    title: str
    segments: list[Segment]
    total: float
    audio: Path | None = None


def _blend(arr: np.ndarray, ov: tuple[np.ndarray, np.ndarray], x: int, y: int, opacity: float = 1.0) -> None:
    """Alpha-blend a premultiplied overlay into `arr` in place, clipped to the frame."""
    pre, alpha = ov
    h, w = alpha.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(arr.shape[1], x + w), min(arr.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return
    p = pre[y0 - y:y1 - y, x0 - x:x1 - x] * opacity
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x] * opacity
    region = arr[y0:y1, x0:x1].astype(np.float32)
    arr[y0:y1, x0:x1] = np.clip(region * (1.0 - a) + p, 0, 255).astype(np.uint8)


def _title_background(first: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(first.filter(ImageFilter.GaussianBlur(10))).enhance(0.55)


def render(plan: Plan, out: Path, cancel: threading.Event | None = None, progress: Callable[[float], None] = lambda f: None,
           preset: str = "veryfast", snapshots: list | None = None) -> Path:
    """Write the video; `snapshots`, when given, receives each scene's middle frame (no text on it)."""
    import imageio_ffmpeg

    out = Path(out)
    tmp = out.with_name(out.stem + ".part.mp4")
    n = int(round(plan.total * FPS))
    title = T.title_card(plan.title)
    title_ov, badge = title.arrays(), T.badge()
    badge_ov = badge.arrays()
    heads = {id(s): s.headline.arrays() for s in plan.segments if s.headline}
    cue_ovs = {id(o): o.arrays() for s in plan.segments for _, _, o in s.cues}
    first = plan.segments[0].clip.frame(0.0)
    title_bg = np.asarray(_title_background(first)).copy()
    out_params = ["-preset", preset, "-crf", "24", "-movflags", "+faststart"]
    if plan.audio:
        out_params += ["-b:a", "96k", "-ar", "44100", "-ac", "2", "-shortest"]  # the most widely playable AAC layout
    writer = imageio_ffmpeg.write_frames(str(tmp), (W, H), fps=FPS, codec="libx264", quality=None, macro_block_size=2,
                                         output_params=out_params, audio_path=str(plan.audio) if plan.audio else None,
                                         audio_codec="aac" if plan.audio else None, ffmpeg_log_level="error")
    writer.send(None)
    prev_last: np.ndarray | None = None
    k = 0
    try:
        for i in range(n):
            if cancel is not None and i % 12 == 0 and cancel.is_set():
                raise Cancelled("cancelled while rendering")
            t = i / FPS
            if t < TITLE_S:
                arr = title_bg.copy()
                _blend(arr, title_ov, title.x, title.y)
            else:
                while k + 1 < len(plan.segments) and t >= plan.segments[k + 1].start:
                    k += 1
                seg = plan.segments[k]
                raw = seg.clip.frame(t - seg.start)
                if snapshots is not None and len(snapshots) == k and t - seg.start >= seg.duration / 2:
                    snapshots.append(raw.copy())
                arr = np.asarray(raw).copy()
                fade = (t - seg.start) / FADE_S
                before = title_bg if k == 0 else prev_last
                if fade < 1.0 and before is not None:
                    arr = (arr * fade + before * (1 - fade)).astype(np.uint8)
                if seg.headline is not None:
                    _blend(arr, heads[id(seg)], seg.headline.x, seg.headline.y, min(1.0, (t - seg.start) / 0.3))
                for c0, c1, ov in seg.cues:
                    if c0 <= t < c1:
                        _blend(arr, cue_ovs[id(ov)], ov.x, ov.y)
                if k + 1 < len(plan.segments) and t + 1 / FPS >= plan.segments[k + 1].start:
                    prev_last = arr.copy()
            _blend(arr, badge_ov, badge.x, badge.y)
            writer.send(np.ascontiguousarray(arr).tobytes())
            if i % 24 == 0:
                progress(i / n)
        writer.close()
        os.replace(tmp, out)
    finally:
        writer.close()
        for s in plan.segments:
            s.clip.close()
        if tmp.exists():
            tmp.unlink()
    return out


def cover(frames: list[Image.Image], title: str, out: Path) -> Path:
    """The sharpest, best-exposed frame with the title and badge over it, saved as JPEG."""
    from ..media import frame_quality, save_jpeg

    best = max(frames, key=frame_quality)
    arr = np.asarray(ImageEnhance.Brightness(best).enhance(0.8)).copy()
    ov = T.title_card(title)
    _blend(arr, ov.arrays(), ov.x, ov.y)
    b = T.badge()
    _blend(arr, b.arrays(), b.x, b.y)
    save_jpeg(Image.fromarray(arr), Path(out))
    return Path(out)
