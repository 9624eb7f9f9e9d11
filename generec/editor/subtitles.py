"""Burning subtitles into a video: transcript segments to readable cues to an ASS file to pixels.

ffmpeg's `subtitles` filter (libass, present in imageio-ffmpeg's static build) draws them;
the DejaVu font is handed to libass through a private fonts folder, so no fontconfig setup is
needed. Whisper's segments can run 15 s and 200 characters: they are split at word
boundaries into cues of at most two lines, timed in proportion to their length.
"""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from ..media import Probe
from .base import EditError, encode_args, run_ffmpeg

LINE_CHARS, MAX_LINES = 42, 2
FONT_FILES = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"), Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf")]


def cues(segments: list[tuple[float, float, str]], line_chars: int = LINE_CHARS) -> list[tuple[float, float, str]]:
    """(start, end, text with '\\N' line breaks) cues of at most MAX_LINES lines each."""
    out = []
    for start, end, text in segments:
        lines = textwrap.wrap(" ".join(text.split()), width=line_chars)
        if not lines or end <= start:
            continue
        groups = [lines[i:i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
        total = sum(len(" ".join(g)) for g in groups)
        t = start
        for g in groups:
            d = (end - start) * len(" ".join(g)) / total
            out.append((t, t + d, "\\N".join(g)))
            t += d
    return out


def _ts(t: float) -> str:
    cs = int(round(max(t, 0) * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def layout(width: int, height: int) -> tuple[int, int, int, int]:
    """(font size, side margin, bottom margin, characters per line) for a frame size."""
    from .thumbnail import font

    size = max(12, round(min(height / 18, width / 22)))
    margin_h, margin_v = max(8, round(width / 20)), max(8, round(height / 18))
    sample = "the quick brown fox jumps over a lazy dog, THEN"
    per_char = font(size).getlength(sample) / len(sample)
    return size, margin_h, margin_v, max(12, min(LINE_CHARS, int((width - 2 * margin_h) * 0.92 / per_char)))


def ass_document(cue_list: list[tuple[float, float, str]], width: int, height: int) -> str:
    size, margin_h, margin_v, _ = layout(width, height)
    head = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,DejaVu Sans,{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,"
        f"{max(1, size // 12)},1,2,{margin_h},{margin_h},{margin_v},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    body = "".join(f"Dialogue: 0,{_ts(a)},{_ts(b)},Default,,0,0,0,,{t.replace('{', '(').replace('}', ')')}\n" for a, b, t in cue_list)
    return head + body


def burn(src: Path, dst: Path, segments: list[tuple[float, float, str]], info: Probe, work: Path) -> list[tuple[float, float, str]]:
    """Render the transcript `segments` onto `src` into `dst` (H.264 + AAC when there is sound); returns the cues."""
    work = Path(work)
    fonts = work / "fonts"
    fonts.mkdir(exist_ok=True)
    for f in FONT_FILES:
        if f.exists():
            shutil.copy(f, fonts / f.name)
            break
    w, h = info.width // 2 * 2, info.height // 2 * 2
    cue_list = cues(segments, layout(w, h)[3])  # wrapped by us to the frame width, so libass never adds a third line
    if not cue_list:
        raise EditError(f"{Path(src).name}: the transcript has no timed text to show")
    (work / "subs.ass").write_text(ass_document(cue_list, w, h), encoding="utf-8")
    # Relative names (ffmpeg runs in `work`) avoid escaping paths inside the filter graph.
    vf = f"scale={w}:{h},subtitles=subs.ass:fontsdir=fonts"
    try:
        run_ffmpeg(["-i", str(Path(src).resolve()), "-vf", vf, *encode_args(info.has_audio), "-f", "mp4", str(Path(dst).resolve())],
                   "burning in subtitles", cwd=work)
    except EditError as exc:
        if "subtitles" in str(exc).lower() and "no such filter" in str(exc).lower():
            raise EditError("this ffmpeg build cannot draw subtitles (no libass); install imageio-ffmpeg>=0.5") from exc
        raise
    return cue_list
