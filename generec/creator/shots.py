"""Shot index: the corpus videos cut into shots, each searchable by text and by look.

Shots are found by the shared detector (`generec.shots`) on frames sampled at 4 fps; shots
longer than `MAX_SHOT_S` are split. Each shot keeps its middle frame's image feature and
labels (the image model of the settings) and a text vector of its item's text plus those
labels. Only public, human-made corpus items are indexed: created items never feed later
creations, and nobody's private item shows up in another user's video.
The index is built once and cached in `<data>/creator/`, keyed by the corpus content.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from ..media import probe, read_frames
from ..shots import Shot as Span, shots_in

SAMPLE_FPS = 4.0
MIN_SHOT_S, MAX_SHOT_S = 1.0, 8.0
VERSION = 4           # bump when what is stored per shot (or how shots are cut) changes: old caches are rebuilt


@dataclass
class Shot(Span):
    """A corpus shot: its time span and what the index knows of it."""
    item_id: str
    labels: list[str]
    title: str
    licence: str
    attribution: str


def split_long(spans: list[Span]) -> list[tuple[float, float]]:
    """(start, end) of each shot, those over MAX_SHOT_S (+ MIN_SHOT_S of slack) cut into MAX_SHOT_S pieces."""
    out = []
    for s in spans:
        start = s.start
        while s.end - start > MAX_SHOT_S + MIN_SHOT_S:
            out.append((start, start + MAX_SHOT_S))
            start += MAX_SHOT_S
        out.append((start, s.end))
    return out


def find_shots(path: Path) -> tuple[list[tuple[float, float]], list[Image.Image]]:
    """Shot spans of a corpus video and each one's middle frame (224 px wide)."""
    info = probe(path)
    frames = read_frames(path, fps=SAMPLE_FPS, width=224, info=info)
    spans = split_long(shots_in(frames, info.duration_s, min_shot_s=MIN_SHOT_S))
    mids = [Image.fromarray(frames.pixels[min(len(frames) - 1, int((a + b) / 2 * SAMPLE_FPS))]) for a, b in spans]
    return spans, mids


class ShotIndex:
    def __init__(self, shots: list[Shot], text_vecs: np.ndarray, image_vecs: np.ndarray, paths: dict[str, Path]):
        self.shots, self.text_vecs, self.image_vecs, self.paths = shots, text_vecs, image_vecs, paths

    def __len__(self) -> int:
        return len(self.shots)

    @staticmethod
    def usable(items) -> list:
        return [it for it in items if it.from_corpus and it.media_path]

    @classmethod
    def open(cls, items, path_of: Callable[[str], Path], embedder, image_model, cache_dir: Path,
             log: Callable[[str], None] = lambda s: None) -> "ShotIndex":
        items = sorted(cls.usable(items), key=lambda it: it.id)
        paths = {it.id: path_of(it.media_path) for it in items}
        items = [it for it in items if paths[it.id].exists()]
        key = hashlib.blake2b(json.dumps([VERSION, embedder.name, image_model.name] + [
            [it.id, it.media_path, paths[it.id].stat().st_size, it.text()] for it in items]).encode(), digest_size=8).hexdigest()
        meta, arrays = Path(cache_dir) / f"shots-{key}.json", Path(cache_dir) / f"shots-{key}.npz"
        if meta.exists() and arrays.exists():
            try:
                data = np.load(arrays)
                shots = [Shot(**s) for s in json.loads(meta.read_text())]
                return cls(shots, data["text"], data["image"], paths)
            except (OSError, ValueError, TypeError, KeyError):
                pass  # unreadable or from another version of this code: rebuild below
        shots, texts, images = [], [], []
        for it in items:
            spans, mids = find_shots(paths[it.id])
            res = image_model.analyse(mids, top=3)
            for (a, b), labels in zip(spans, res.labels):
                # EfficientNet guesses wildly on cartoons and abstract art; keep only confident labels.
                names = [n for n, p in labels if p >= 0.3]
                shots.append(Shot(round(a, 2), round(b, 2), it.id, names, it.title, it.licence, it.attribution))
                texts.append(f"{it.text()} In this shot: {', '.join(names) or 'no clear object'}.")
            images.append(res.features)
            log(f"shots {it.id}: {len(spans)}")
        text_vecs = embedder.encode(texts) if texts else np.zeros((0, embedder.dim), np.float32)
        image_vecs = np.concatenate(images) if images else np.zeros((0, image_model.dim), np.float32)
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        for old in Path(cache_dir).glob("shots-*"):
            old.unlink()
        np.savez(arrays.with_suffix(".tmp.npz"), text=text_vecs, image=image_vecs)
        os.replace(arrays.with_suffix(".tmp.npz"), arrays)
        meta.write_text(json.dumps([asdict(s) for s in shots]))
        return cls(shots, text_vecs, image_vecs, paths)
