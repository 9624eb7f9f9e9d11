"""Moving pictures for one scene, each a `frame(t) -> PIL RGB 480x854` over its own time.

- `ShotClip`: a cut from a corpus video, cropped to 9:16 while decoding (`media.read_frames`,
  a couple of seconds at a time), with a slow zoom; a shot shorter than the scene is slowed
  down (at most 2x) and then held.
- `StillClip`: Ken Burns (zoom and pan) over a photo or a generated image.
- `IconClip`: an OpenMoji icon that breathes and floats over a procedural backdrop, with
  fainter related icons drifting behind it (parallax).
Frame functions do plain PIL crops and resizes: far faster than moviepy resize lambdas.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from ..media import MediaError, probe, read_frames
from .background import Backdrop

W, H = 480, 854
FPS = 24


def ease(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def cover_fit(im: Image.Image, w: int, h: int) -> Image.Image:
    """Scale and centre-crop so the image fills w x h."""
    s = max(w / im.width, h / im.height)
    im = im.resize((max(w, round(im.width * s)), max(h, round(im.height * s))), Image.BILINEAR)
    x, y = (im.width - w) // 2, (im.height - h) // 2
    return im.crop((x, y, x + w, y + h))


def _zoom(src: Image.Image, z: float, pan: tuple[float, float] = (0.5, 0.5)) -> Image.Image:
    """Crop a W:H window 1/z of `src` wide (z >= 1 relative to the smallest cover) and resize to W x H."""
    bw, bh = src.width / z, src.height / z
    x = (src.width - bw) * pan[0]
    y = (src.height - bh) * pan[1]
    return src.resize((W, H), Image.BILINEAR, box=(x, y, x + bw, y + bh))


class ShotClip:
    HEAD = 1.10      # decode 10 % larger than the frame, so the zoom never upsamples at its end
    CHUNK = 48       # frames per ffmpeg run: two seconds of output in memory (and the next two decoding meanwhile)

    def __init__(self, path: Path, start: float, shot_len: float, duration: float, fps: int = FPS):
        self.path, self.start, self.duration, self.fps = Path(path), start, duration, fps
        # Output frame k shows the source at k / rate s: a shot shorter than the scene plays slower, at most 2x.
        self.rate = fps * min(2.0, max(1.0, duration / max(shot_len, 0.1)))
        self.total = max(1, round(duration * fps))
        self.size = int(W * self.HEAD) // 2 * 2, int(H * self.HEAD) // 2 * 2
        self.info = probe(self.path)
        self._pool, self._ahead = ThreadPoolExecutor(1, thread_name_prefix="shot-clip"), None
        self._chunk, self._first, self._ended = None, 0, False
        self._i, self._last = -1, None

    def _read(self, first: int) -> np.ndarray:
        """Output frames from `first` on, a chunk of them. The centre is cut to 9:16 while
        decoding: saliency guesses (edge energy, colour contrast) did worse on this corpus."""
        count = min(self.CHUNK, self.total - first)
        try:   # one frame more than needed: at some seeks the fps filter gives one fewer
            return read_frames(self.path, fps=self.rate, start=self.start + first / self.rate, length=(count + 1) / self.rate,
                               width=self.size[0], aspect=self.size[0] / self.size[1], info=self.info).pixels[:count]
        except MediaError:
            if first == 0:
                raise
            return np.zeros((0, 2, 2, 3), np.uint8)    # past the end of the file

    def _decode(self, first: int) -> None:
        ahead, self._ahead = self._ahead, None     # chunks are played in order: the one ahead starts at `first`
        self._chunk, self._first = ahead.result() if ahead is not None else self._read(first), first
        self._ended = len(self._chunk) < min(self.CHUNK, self.total - first)
        if not self._ended and first + self.CHUNK < self.total:
            self._ahead = self._pool.submit(self._read, first + self.CHUNK)

    def _frame_at(self, k: int) -> np.ndarray | None:
        """Output frame k, or None past the end (of the scene or of the file): the last one is held."""
        if k >= self.total or (self._ended and k >= self._first + len(self._chunk)):
            return None
        if self._chunk is None or k >= self._first + len(self._chunk):
            self._decode(k)
        return self._chunk[k - self._first] if k - self._first < len(self._chunk) else None

    def frame(self, t: float) -> Image.Image:
        want, raw = int(t * self.fps), None
        while self._i < want:
            nxt = self._frame_at(self._i + 1)
            self._i += 1
            if nxt is None:
                self._i = want
                break
            raw = nxt
        if raw is not None:
            self._last = Image.fromarray(raw)
        if self._last is None:
            self._last = Image.new("RGB", (W, H))
        return _zoom(self._last, 1.0 + 0.09 * ease(t / self.duration))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._chunk = self._ahead = None


class StillClip:
    def __init__(self, image: Image.Image, duration: float, seed: int = 0):
        self.src = cover_fit(image.convert("RGB"), int(W * 1.2), int(H * 1.2))
        rng = np.random.default_rng(seed)
        self.pan0, self.pan1 = tuple(rng.uniform(0.2, 0.8, 2)), tuple(rng.uniform(0.3, 0.7, 2))
        self.zoom_in = bool(rng.integers(0, 2))
        self.duration = duration

    def frame(self, t: float) -> Image.Image:
        u = ease(t / self.duration)
        z = 1.0 + 0.18 * (u if self.zoom_in else 1 - u)
        pan = (self.pan0[0] + (self.pan1[0] - self.pan0[0]) * u, self.pan0[1] + (self.pan1[1] - self.pan0[1]) * u)
        return _zoom(self.src, z, pan)

    def close(self) -> None:
        pass


def _with_shadow(icon: Image.Image) -> Image.Image:
    pad = 24
    out = Image.new("RGBA", (icon.width + 2 * pad, icon.height + 2 * pad), (0, 0, 0, 0))
    alpha = icon.getchannel("A").point(lambda a: a * 0.45)
    shadow = Image.new("RGBA", icon.size, (0, 0, 0, 255))
    shadow.putalpha(alpha)
    out.alpha_composite(shadow, (pad + 6, pad + 12))
    out = out.filter(ImageFilter.GaussianBlur(8))
    out.alpha_composite(icon, (pad, pad))
    return out


class IconClip:
    def __init__(self, backdrop: Backdrop, duration: float, icon: Image.Image | None = None,
                 extras: list[Image.Image] = (), seed: int = 0):
        self.backdrop, self.duration = backdrop, duration
        self.icon = _with_shadow(icon.resize((300, 300), Image.LANCZOS)) if icon is not None else None
        rng = np.random.default_rng(seed)
        self.extras = []
        for k, ex in enumerate(extras):
            small = ex.resize((130, 130), Image.LANCZOS)
            small.putalpha(small.getchannel("A").point(lambda a: int(a * 0.38)))
            # Upper half, left then right: clear of the headline and of the subtitle band.
            x0 = 30 + (k % 2) * 300 + rng.uniform(-10, 10)
            y0 = 200 + k * 230 + rng.uniform(-15, 15)
            self.extras.append((small, x0, y0, rng.uniform(-14, 14)))
        self.phase = rng.uniform(0, 2 * math.pi)

    def frame(self, t: float) -> Image.Image:
        im = self.backdrop.frame(t)
        for small, x0, y0, vx in self.extras:  # far layer: moves slowly (parallax)
            im.paste(small, (int(x0 + vx * t), int(y0 - 6 * t)), small)
        if self.icon is not None:
            s = 0.92 + 0.12 * ease(t / self.duration)
            size = int(self.icon.width * s)
            icon = self.icon.resize((size, size), Image.BILINEAR)
            x = (W - size) // 2
            y = int(H * 0.46 - size / 2 + 10 * math.sin(t * 1.6 + self.phase))
            im.paste(icon, (x, y), icon)
        return im

    def close(self) -> None:
        pass
