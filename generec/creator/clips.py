"""Moving pictures for one scene, each a `frame(t) -> PIL RGB 480x854` over its own time.

- `ShotClip`: a cut from a corpus video, cropped to 9:16 by ffmpeg while decoding, with a
  slow zoom; a shot shorter than the scene is slowed down (at most 2x) and then held.
- `StillClip`: Ken Burns (zoom and pan) over a photo or a generated image.
- `IconClip`: an OpenMoji icon that breathes and floats over a procedural backdrop, with
  fainter related icons drifting behind it (parallax).
Frame functions do plain PIL crops and resizes: far faster than moviepy resize lambdas.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

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
    HEAD = 1.10  # decode 10 % larger than the frame, so the zoom never upsamples at its end

    def __init__(self, path: Path, start: float, shot_len: float, duration: float, fps: int = FPS):
        import logging

        import imageio_ffmpeg

        logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)  # it warns that we rescale, which we mean to

        self.duration = duration
        slow = min(2.0, max(1.0, duration / max(shot_len, 0.1)))
        sw, sh = int(W * self.HEAD) // 2 * 2, int(H * self.HEAD) // 2 * 2
        # Centre crop to 9:16: saliency guesses (edge energy, colour contrast) did worse on this corpus.
        vf = (f"setpts={slow:.3f}*PTS,fps={fps},crop='min(iw,ih*9/16)':'min(ih,iw*16/9)',"
              f"scale={sw}:{sh}:force_original_aspect_ratio=increase,crop={sw}:{sh}")
        self._gen = imageio_ffmpeg.read_frames(str(path), input_params=["-ss", f"{start:.3f}"],
                                               output_params=["-t", f"{duration:.3f}", "-vf", vf, "-an"])
        meta = next(self._gen)
        self._size = meta["size"]
        self._i, self._last = -1, None
        self.fps = fps

    def _next(self) -> Image.Image | None:
        try:
            raw = next(self._gen)
        except StopIteration:
            return None
        w, h = self._size
        return Image.frombuffer("RGB", (w, h), raw, "raw", "RGB", 0, 1)

    def frame(self, t: float) -> Image.Image:
        want = int(t * self.fps)
        while self._i < want:
            nxt = self._next()
            self._i += 1
            if nxt is None:
                self._i = want
                break
            self._last = nxt
        if self._last is None:
            self._last = Image.new("RGB", (W, H))
        return _zoom(self._last, 1.0 + 0.09 * ease(t / self.duration))

    def close(self) -> None:
        self._gen.close()


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
