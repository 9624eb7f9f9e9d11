"""Text on the video, drawn with Pillow: subtitles, the scene headline, the title card.

Readability rules (moviepy's caption mode breaks them): wrap by measured pixel width at word
boundaries, keep side margins, size every line box from the font's ascent + descent so
descenders are never clipped, and put subtitles on a dark translucent box above the bottom
safe area. Overlays are RGBA images rendered once and alpha-blended onto frames.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

W, H = 480, 854
MARGIN = 28                 # side margin of every text block
SUB_BOTTOM = 110            # subtitles sit above the bottom bar that phone apps draw over
_FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/local/share/fonts")]


@lru_cache(maxsize=16)
def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in _FONT_DIRS:
        if (d / name).exists():
            return ImageFont.truetype(str(d / name), size)
    return ImageFont.load_default(size)  # Pillow's bundled font: no install needed, plainer look


def wrap(text: str, fnt, max_width: int, max_lines: int | None = None) -> list[str]:
    """Word-wrapped lines that each fit `max_width` pixels (a single over-long word is shrunk by cutting)."""
    words = text.split()
    if not words:
        return []
    width = max(8, len(text))
    while width > 4:
        lines = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
        if all(fnt.getlength(line) <= max_width for line in lines):
            break
        width -= 2
    lines = [line if fnt.getlength(line) <= max_width else _cut(line, fnt, max_width) for line in lines]
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _cut(lines[-1] + " …", fnt, max_width)
    return lines


def _cut(line: str, fnt, max_width: int) -> str:
    while line and fnt.getlength(line + "…") > max_width:
        line = line[:-1]
    return line.rstrip() + ("…" if not line.endswith("…") else "")


@dataclass
class Overlay:
    """A pre-rendered RGBA block and where its top-left goes on the frame."""
    image: Image.Image
    x: int
    y: int

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        a = np.asarray(self.image, dtype=np.float32) / 255.0
        alpha = a[..., 3:4]
        return a[..., :3] * alpha * 255.0, alpha


def _block(lines: list[str], fnt, fill, stroke: int = 0, box: tuple | None = None, pad: int = 14, spacing: int = 6,
           align_width: int | None = None) -> Image.Image:
    if not lines:   # nothing to say (a scene whose every sentence was dropped as unsupported): nothing drawn
        return Image.new("RGBA", (1, 1), (0, 0, 0, 0))
    ascent, descent = fnt.getmetrics()
    line_h = ascent + descent + stroke * 2
    text_w = max(int(fnt.getlength(line)) for line in lines) + stroke * 2
    w = (align_width or text_w) + pad * 2
    h = line_h * len(lines) + spacing * (len(lines) - 1) + pad * 2
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    if box:
        d.rounded_rectangle([0, 0, w - 1, h - 1], radius=12, fill=box)
    y = pad + stroke
    for line in lines:
        x = (w - fnt.getlength(line)) / 2
        # anchor "la": y is the ascender line, so ascent + descent below it always fits the box.
        d.text((x, y), line, font=fnt, fill=fill, anchor="la", stroke_width=stroke, stroke_fill=(0, 0, 0, 230))
        y += line_h + spacing
    return im


def subtitle(text: str, size: int = 28) -> Overlay:
    fnt = font(size)
    lines = wrap(text, fnt, W - 2 * MARGIN - 28, max_lines=2)
    im = _block(lines, fnt, fill=(255, 255, 255, 255), box=(0, 0, 0, 165))
    return Overlay(im, (W - im.width) // 2, H - SUB_BOTTOM - im.height)


def headline(text: str, size: int = 40) -> Overlay:
    fnt = font(size)
    lines = wrap(text, fnt, W - 2 * MARGIN, max_lines=2)
    im = _block(lines, fnt, fill=(255, 255, 255, 255), stroke=3, pad=6)
    return Overlay(im, (W - im.width) // 2, 120)


def title_card(title: str, size: int = 50) -> Overlay:
    fnt = font(size)
    lines = wrap(title, fnt, W - 2 * MARGIN, max_lines=4)
    im = _block(lines, fnt, fill=(255, 255, 255, 255), stroke=4, pad=8, spacing=10)
    return Overlay(im, (W - im.width) // 2, (H - im.height) // 2 - 40)


def badge(text: str = "AI-generated") -> Overlay:
    im = _block([text], font(18), fill=(255, 255, 255, 235), box=(0, 0, 0, 120), pad=8)
    return Overlay(im, W - im.width - 16, 24)


def cues(text: str, start: float, duration: float, size: int = 28) -> list[tuple[float, float, str]]:
    """Split a narration line into subtitle cues of at most two lines, timed by their share of characters."""
    lines = wrap(text, font(size), W - 2 * MARGIN - 28)
    chunks = [" ".join(lines[i:i + 2]) for i in range(0, len(lines), 2)] or [text]
    total = sum(len(c) for c in chunks) or 1
    out, t = [], start
    for c in chunks:
        d = duration * len(c) / total
        out.append((t, t + d, c))
        t += d
    return out
