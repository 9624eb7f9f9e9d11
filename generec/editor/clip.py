"""Clip op: cut a long video into themed 5-30 s shorts, each a new item.

The video is split into units at shot cuts and at the edges of spoken sentences (so a clip
rarely starts mid-sentence). Each unit is described by the image labels of its best frame and
the words spoken in it. Units are scored against the request ("the parts about music"), the
user's visual taste and the texts of items they liked; the best-scoring runs of units that
last 5-30 s become clips, rendered with short fades.
"""
from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..media import Probe, read_frames
from ..shots import find_cuts, frame_changes
from .base import EditContext, EditError, EditRequest, Staging, child_id, child_item, encode_args, run_ffmpeg
from .frames import judge
from .speech import transcript_for

MIN_S, MAX_S, FADE_S, UNIT_MAX_S = 5.0, 30.0, 0.3, 10.0
NUMBERS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5}


@dataclass
class Unit:
    start: float
    end: float
    piece: int                      # the visual piece (shot or part of one) it belongs to
    spoken: list[int] = field(default_factory=list)   # transcript segments heard in it
    labels: list[str] = field(default_factory=list)
    speech: str = ""

    def text(self) -> str:
        seen = f"Seen: {', '.join(self.labels)}." if self.labels else ""
        return f"{seen} {self.speech}".strip()


@dataclass
class Plan:
    start: float
    end: float
    units: list[int]
    score: float


def _split(edges: list[float], longest: float) -> list[float]:
    out = [edges[0]]
    for a, b in zip(edges, edges[1:]):  # long stretches are split so a clip can end inside them
        k = int(np.ceil((b - a) / longest - 1e-9))
        out += [a + (b - a) * (i + 1) / k for i in range(k)]
    return out


def _merge(marks: list[float], duration: float, gap: float = 0.5) -> list[float]:
    edges = [0.0]
    for m in sorted(set(marks)):
        if gap <= m <= duration - gap and m - edges[-1] >= gap:  # slivers join their neighbour
            edges.append(m)
    return edges + [duration]


def describe(path: Path, info: Probe, ctx: EditContext) -> tuple[list[Unit], list, np.ndarray]:
    """Units of the video, the transcript segments, and per unit the image feature of its piece's best frame.

    Pictures are analysed once per visual piece (a shot, split to at most 10 s) and units
    (pieces split again at sentence edges) share their piece's description: that keeps the
    image model's work proportional to the number of shots, not of sentences.
    """
    with ThreadPoolExecutor(1) as pool:   # Whisper runs while ffmpeg decodes frames
        speech = pool.submit(transcript_for, path, info, ctx.settings)
        frames = read_frames(path, fps=3.0 if info.duration_s <= 240 else 1.5, width=224, info=info)
        diffs = frame_changes(frames)
        cuts = find_cuts(frames, diffs, min_shot_s=1.0)
        transcript = speech.result()
    segments = transcript.segments if transcript else []
    ok = judge(frames, cuts, diffs)
    quality = ok.sharp * np.where(ok.usable, 1.0, 0.01) + 1e-3
    pieces = _split(_merge(cuts, info.duration_s), UNIT_MAX_S)
    best = []
    for a, b in zip(pieces, pieces[1:]):
        idx = np.flatnonzero((frames.times >= a) & (frames.times < b))
        if not len(idx):
            idx = np.array([int(np.argmin(np.abs(frames.times - (a + b) / 2)))])
        best.append(int(idx[np.argmax(quality[idx])]))
    res = ctx.images.analyse([Image.fromarray(frames.pixels[i]) for i in best], top=3)
    edges = _merge(pieces[1:-1] + [t for s, e, _ in segments for t in (s, e)], info.duration_s)
    units = []
    for a, b in zip(edges, edges[1:]):
        piece = min(int(np.searchsorted(pieces, (a + b) / 2, side="right")) - 1, len(best) - 1)
        spoken = [k for k, (s, e, _) in enumerate(segments) if min(e, b) - max(s, a) > 0.25 * min(e - s, b - a)]
        units.append(Unit(a, b, piece, spoken, [n for n, p in res.labels[piece] if p >= 0.1], " ".join(segments[k][2] for k in spoken)))
    return units, segments, res.features[[u.piece for u in units]]


def _z(x: np.ndarray) -> np.ndarray:
    s = float(x.std())
    return (x - x.mean()) / s if s > 1e-6 else np.zeros_like(x)


def score_units(units: list[Unit], feats: np.ndarray, req: EditRequest, ctx: EditContext) -> tuple[np.ndarray, list[str]]:
    """Per-unit relevance: request (text), visual taste, and liked texts, each z-scored."""
    score, used = np.zeros(len(units)), []
    theme = theme_of(req)
    need_text = bool(theme) or bool(req.liked_text)
    T = ctx.texts.encode([u.text() or "nothing" for u in units]) if need_text else None
    has_text = np.array([bool(u.text()) for u in units], dtype=float)
    if theme:
        score += 1.0 * _z(T @ ctx.texts.encode([theme])[0] * has_text)
        used.append("request")
    if req.taste is not None and feats.shape[1] == req.taste.shape[0]:
        score += 0.6 * _z(feats @ req.taste)
        used.append("visual taste")
    if req.liked_text:
        liked = ctx.texts.encode(req.liked_text).mean(axis=0)
        score += 0.3 * _z(T @ liked * has_text)
        used.append("liked items")
    return score, used


def plan_clips(units: list[Unit], score: np.ndarray, n: int, min_s: float = MIN_S, max_s: float = MAX_S) -> list[Plan]:
    """Best non-overlapping runs of units lasting min_s..max_s, in time order."""
    runs = []
    for i in range(len(units)):
        for j in range(i, len(units)):
            dur = units[j].end - units[i].start
            if dur > max_s:
                break
            if dur >= min_s:
                w = np.array([units[k].end - units[k].start for k in range(i, j + 1)])
                s = float((score[i:j + 1] * w).sum() / w.sum()) + 0.2 * min(dur, 20.0) / 20.0
                runs.append(Plan(units[i].start, units[j].end, list(range(i, j + 1)), s))
    chosen: list[Plan] = []
    for r in sorted(runs, key=lambda r: -r.score):
        if len(chosen) >= n or (chosen and chosen[0].score > 0 and r.score < 0.5 * chosen[0].score):
            break  # past half the best run's score the clips stop being about the request
        if all(r.end <= c.start or r.start >= c.end for c in chosen):
            chosen.append(r)
    return sorted(chosen, key=lambda r: r.start)


COUNT = re.compile(r"\b(\d+|one|two|three|four|five)\s+(?:\w+\s+)?(?:clips?|shorts?|parts?|videos?)\b", re.I)


def wanted_count(instruction: str, duration: float) -> int:
    m = COUNT.search(instruction or "")
    n = (int(m[1]) if m[1].isdigit() else NUMBERS[m[1].lower()]) if m else 3
    return max(1, min(n, 5, int(duration // MIN_S)))


def theme_of(req: EditRequest) -> str:
    """What the clips should be about: the query, or the instruction without "make two clips (about)"."""
    if req.query:
        return req.query.strip()
    text = COUNT.sub(" ", req.instruction or "")
    text = re.sub(r"^\W*(?:please\s+)?(?:make|cut|give me|create|find)?\s*(?:me\s+)?(?:some\s+)?(?:clips?|shorts?)?\s*(?:about|on|of|with)?\s+", " ", f" {text}", flags=re.I)
    return " ".join(text.split())


def render(src: Path, start: float, end: float, dst: Path, has_audio: bool) -> None:
    d = end - start
    vf = (f"scale=w='min(1280,iw)':h='min(1280,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,"
          f"fade=t=in:st=0:d={FADE_S},fade=t=out:st={d - FADE_S:.3f}:d={FADE_S}")
    af = ["-af", f"afade=t=in:st=0:d={FADE_S},afade=t=out:st={d - FADE_S:.3f}:d={FADE_S}"] if has_audio else []
    run_ffmpeg(["-ss", f"{start:.3f}", "-i", str(src), "-t", f"{d:.3f}", "-vf", vf, *af, *encode_args(has_audio), "-f", "mp4", str(dst)],
               f"rendering the clip {start:.1f}-{end:.1f} s")


def run(req: EditRequest, ctx: EditContext, info: Probe) -> list:
    from ..media import probe
    from .thumbnail import grab

    src = Path(req.source_path)
    if info.duration_s < MIN_S + 0.5:
        raise EditError(f"{src.name} is only {info.duration_s:.1f} s long; clips are {MIN_S:.0f}-{MAX_S:.0f} s, so there is nothing to cut")
    units, segments, feats = describe(src, info, ctx)
    score, used = score_units(units, feats, req, ctx)
    plans = plan_clips(units, score, wanted_count(req.instruction, info.duration_s))
    if not plans:
        raise EditError(f"{src.name}: no stretch of {MIN_S:.0f}-{MAX_S:.0f} s could be cut from it")
    base = req.source_item.title if req.source_item else src.stem.replace("_", " ")
    theme = theme_of(req)
    items = []
    with Staging(ctx.out_dir) as stage:
        made = []
        for k, p in enumerate(plans, 1):
            params = {"start_s": round(p.start, 2), "end_s": round(p.end, 2), "theme": theme}
            item_id = child_id(req, "clip", params)
            vid_tmp, vid = stage.new(f"{item_id}.mp4")
            cov_tmp, cov = stage.new(f"{item_id}.jpg")
            render(src, p.start, p.end, vid_tmp, info.has_audio)
            best = max(p.units, key=lambda i: score[i])
            grab(src, min(units[best].start + 0.5 * (units[best].end - units[best].start), p.end - 0.1), info).save(cov_tmp, "JPEG", quality=88)
            made.append((k, p, item_id, vid_tmp, vid, cov, params))
        outs = [(k, p, item_id, probe(vt), vid, cov, params) for k, p, item_id, vt, vid, cov, params in made]
        stage.commit()
    for k, p, item_id, out_info, vid, cov, params in outs:
        heard = sorted({k for i in p.units for k in units[i].spoken})
        speech = " ".join(segments[k][2] for k in heard).strip()
        labels = [n for n, _ in Counter(lb for i in p.units for lb in units[i].labels).most_common(4)]
        title = f"{base} — clip {k}/{len(plans)}" + (f": {theme[:50]}" if theme else "")
        desc = (f"“{speech[:280]}”" if speech else f"{p.end - p.start:.0f} s of {base}") + f" (from {p.start:.0f}-{p.end:.0f} s)"
        models = [getattr(ctx.images, "name", "")] + ([getattr(ctx.texts, "name", "")] if theme or req.liked_text else [])
        items.append(child_item(req, ctx, "clip", params, item_id=item_id, title=title, media=vid, cover=cov, info=out_info,
                                description=desc, labels=labels, models=[m for m in models if m],
                                extra={"score": round(p.score, 3), "ranked_by": used or ["length only (no request or taste)"],
                                       "units": len(p.units), "heard": speech[:2000]}))
    return items
