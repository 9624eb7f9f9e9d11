"""A 9:16 crop that follows the subject: where to put the window, frame by frame.

No detector runs here: the subject is taken to be where the picture is busiest, meaning
moving pixels (difference from the previous frame) plus edges, with motion counted double.
For each sampled frame the crop window is placed over the most such energy; the path is then
median-filtered and averaged over about a second so the virtual camera pans instead of
jumping. ffmpeg moves the `crop` window through a `sendcmd` script, one command per frame.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..media import Probe, read_frames
from .frames import luma

TRACK_FPS = 4.0


def crop_size(info: Probe, aspect: float = 9 / 16) -> tuple[int, int]:
    """Largest even-sized window of the given width/height ratio inside the frame."""
    w, h = info.width, info.height
    if w / h > aspect:
        return int(h * aspect) // 2 * 2, h // 2 * 2
    return w // 2 * 2, int(w / aspect) // 2 * 2


def subject_path(path: Path, info: Probe, crop_w: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, left edge of the crop in source pixels) sampled at TRACK_FPS, smoothed."""
    width = 160
    frames = read_frames(path, fps=TRACK_FPS, width=width, info=info)
    g = luma(frames.pixels.astype(np.float32))
    edges = np.abs(np.diff(g, axis=2, prepend=g[:, :, :1])) + np.abs(np.diff(g, axis=1, prepend=g[:, :1, :]))
    motion = np.abs(np.diff(g, axis=0, prepend=g[:1]))
    energy = (edges + 2 * motion).sum(axis=1)                       # (n, width): busyness per column
    win = max(1, int(round(crop_w * width / info.width)))
    if win >= width:
        return frames.times, np.zeros(len(frames))
    csum = np.concatenate([np.zeros((len(energy), 1)), np.cumsum(energy, axis=1)], axis=1)
    inside = csum[:, win:] - csum[:, :-win]                          # energy inside each window position
    left = np.argmax(inside, axis=1).astype(float)
    flat = inside.max(axis=1) - inside.min(axis=1) < 1e-3 * (inside.max(axis=1) + 1)
    left[flat] = (width - win) / 2                                   # nothing to follow: stay centred
    k = int(TRACK_FPS)                                               # ~1 s windows
    pad = np.pad(left, k, mode="edge")
    left = np.array([np.median(pad[i:i + 2 * k + 1]) for i in range(len(left))])
    left = np.convolve(np.pad(left, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), mode="valid")
    scale = info.width / width
    return frames.times, np.clip(left * scale, 0, info.width - crop_w)


def crop_script(times: np.ndarray, lefts: np.ndarray, fps: float, duration: float, target: str = "crop@subject") -> str:
    """sendcmd lines moving the crop's x at every output frame, linearly between samples."""
    ts = np.arange(0, duration, 1.0 / max(fps, 1.0))
    xs = np.interp(ts, times, lefts)
    return "\n".join(f"{t:.4f} {target} x {int(x) // 2 * 2};" for t, x in zip(ts, xs)) + "\n"


def reframe_filter(path: Path, info: Probe, workdir: Path) -> tuple[str, dict]:
    """The filter chain for a subject-following 9:16 crop, and what it decided (for provenance)."""
    cw, ch = crop_size(info)
    if cw >= info.width - 1:  # already 9:16 or narrower: crop height, centred
        return f"crop={cw}:{ch}:0:{(info.height - ch) // 2}", {"crop": [cw, ch], "follow": False}
    times, lefts = subject_path(path, info, cw)
    (Path(workdir) / "crop.cmd").write_text(crop_script(times, lefts, info.fps or 30.0, info.duration_s))
    x0 = int(lefts[0]) // 2 * 2 if len(lefts) else (info.width - cw) // 2
    return (f"sendcmd=f=crop.cmd,crop@subject=w={cw}:h={ch}:x={x0}:y=0",
            {"crop": [cw, ch], "follow": True, "x_range": [int(lefts.min()), int(lefts.max())]})
