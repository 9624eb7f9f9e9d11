"""Shot detection, the one the editor and the creator share: where the scene changes.

Each sampled frame is shrunk to 64x36 and summarised by a joint colour histogram (4x4x4 bins)
plus its coarse grey layout. A cut is a frame whose change from the previous one is large in
absolute terms *and* stands out from the changes around it (so steady motion or a flickering
visualiser does not read as a stream of cuts), with a minimum shot length between cuts. Frames
come from `media.read_frames`; a caller that decodes frames for its own use as well passes
them to `shots_in` instead of decoding twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .media import Frames, Probe, probe, read_frames


@dataclass
class Shot:
    """A stretch of video between two cuts, in seconds."""
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def _small(rgb: np.ndarray, w: int = 64, h: int = 36) -> np.ndarray:
    """Box-average every frame down to (n, h, w, 3) floats; cheap and enough for cut detection."""
    n, H, W, _ = rgb.shape
    w, h = min(w, W), min(h, H)
    ys = np.linspace(0, H, h + 1).astype(int)
    xs = np.linspace(0, W, w + 1).astype(int)
    a = np.add.reduceat(np.add.reduceat(rgb.astype(np.float32), ys[:-1], axis=1), xs[:-1], axis=2)
    return a / np.outer(np.diff(ys), np.diff(xs))[None, :, :, None]


def frame_changes(frames: Frames) -> np.ndarray:
    """diffs[i] in [0, 1]: how much frame i differs from frame i-1 (diffs[0] = 0)."""
    small = _small(frames.pixels)
    q = np.clip(small // 64, 0, 3).astype(np.int32)
    codes = (q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]).reshape(len(small), -1)
    hist = np.stack([np.bincount(c, minlength=64) for c in codes]).astype(np.float32)
    hist /= hist.sum(axis=1, keepdims=True)
    grey = small.mean(axis=3) / 255.0
    diffs = np.zeros(len(small), np.float32)
    if len(small) > 1:
        hist_d = 0.5 * np.abs(hist[1:] - hist[:-1]).sum(axis=1)        # colour content changed
        layout_d = np.abs(grey[1:] - grey[:-1]).mean(axis=(1, 2)) * 4   # what is where changed
        diffs[1:] = np.minimum(1.0, 0.5 * hist_d + 0.5 * np.minimum(layout_d, 1.0))
    return diffs


def find_cuts(frames: Frames, diffs: np.ndarray, threshold: float = 0.3, min_shot_s: float = 1.0) -> list[float]:
    n = len(diffs)
    half = max(2, int(round(frames.fps)))  # about a second of context either side
    candidates = []
    for i in range(1, n):
        around = np.concatenate([diffs[max(1, i - half):i], diffs[i + 1:i + 1 + half]])
        local = float(np.median(around)) if len(around) else 0.0
        if diffs[i] >= threshold and diffs[i] >= 3 * local + 0.05:
            candidates.append(i)
    # Keep the strongest cut within any min_shot_s window, scanning strongest first.
    kept: list[int] = []
    for i in sorted(candidates, key=lambda j: -diffs[j]):
        if all(abs(frames.times[i] - frames.times[k]) >= min_shot_s for k in kept):
            kept.append(i)
    return sorted(float(frames.times[i]) for i in kept)


def shots_from_cuts(cuts: list[float], duration_s: float, min_shot_s: float = 0.0) -> list[Shot]:
    # A 'shot' of a few frames at either end is a fade in or out, not content of its own.
    edges = [0.0] + [c for c in cuts if min_shot_s <= c <= duration_s - min_shot_s and c > 0] + [duration_s]
    return [Shot(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def shots_in(frames: Frames, duration_s: float, threshold: float = 0.3, min_shot_s: float = 1.0) -> list[Shot]:
    """Shots of a video from frames already decoded at a steady rate (`read_frames(fps=...)`)."""
    return shots_from_cuts(find_cuts(frames, frame_changes(frames), threshold, min_shot_s), duration_s, min_shot_s)


def detect_shots(path: Path, info: Probe | None = None, fps: float = 6.0, threshold: float = 0.3,
                 min_shot_s: float = 1.0) -> list[Shot]:
    """Shots of a video file, decoding it at `fps` frames per second (raises media.MediaError)."""
    info = info or probe(path)
    return shots_in(read_frames(path, fps=fps, width=64, info=info), info.duration_s, threshold, min_shot_s)
