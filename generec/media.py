"""Video and image file handling through the ffmpeg binary that imageio-ffmpeg ships.

Probing, normalising to browser-friendly H.264/AAC mp4, sampling frames and picking a cover.
Errors become `MediaError` with a message a person can act on; outputs are written to a
temporary name and renamed, so a failure never leaves a half-written file behind.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

VIDEO_EXTS = {".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".ogv", ".mpg", ".mpeg"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}


class MediaError(ValueError):
    """The file is not a usable video or image; the message says why and what to do."""


@lru_cache(maxsize=1)
def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class Probe:
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool


def probe(path: Path) -> Probe:
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path.name}: file not found")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name}: the file is empty")
    # `ffmpeg -i` with no output prints the stream table on stderr and exits 1; that is expected.
    res = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, errors="replace")
    err = res.stderr
    video = re.search(r"Stream #.*?Video: .*?(\d{2,5})x(\d{2,5})", err)
    if not video:
        raise MediaError(f"{path.name}: no readable video stream (corrupt or not a video); try another file or re-export it as mp4")
    dur = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", err)
    seconds = int(dur[1]) * 3600 + int(dur[2]) * 60 + float(dur[3]) if dur else 0.0
    fps = re.search(r"(\d+(?:\.\d+)?) fps", err)
    return Probe(seconds, int(video[1]), int(video[2]), float(fps[1]) if fps else 0.0, "Audio:" in err)


def _run(args: list[str], what: str) -> None:
    res = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], capture_output=True, text=True, errors="replace")
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()[-1:] or ["no message"]
        raise MediaError(f"{what} failed: {tail[0][:200]}")


def normalise(src: Path, dst: Path, max_side: int = 854, max_s: float | None = None, info: Probe | None = None) -> Probe:
    """Re-encode to H.264 (yuv420p, faststart) + AAC when the source has sound; returns the new probe."""
    info = info or probe(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".mp4", dir=dst.parent)
    os.close(fd)
    scale = f"scale=w='min({max_side},iw)':h='min({max_side},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2"
    args = ["-i", str(src)]
    if max_s:
        args += ["-t", f"{max_s:.3f}"]
    args += ["-map", "0:v:0", "-vf", scale, "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", "-r", "30"]
    args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k", "-ac", "2"] if info.has_audio else ["-an"]
    try:
        _run(args + ["-movflags", "+faststart", tmp], f"re-encoding {Path(src).name}")
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return probe(dst)


def sample_frames(path: Path, n: int = 6, width: int = 256, duration_s: float | None = None) -> list[tuple[float, Image.Image]]:
    """n frames spread evenly over the video (avoiding the very first and last instants)."""
    duration_s = duration_s if duration_s is not None else probe(path).duration_s
    times = [duration_s * (i + 0.5) / n for i in range(n)] if duration_s > 0 else [0.0]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, t in enumerate(times):
            f = Path(tmp) / f"{i}.png"
            _run(["-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", "-vf", f"scale={width}:-2", str(f)], "reading a frame")
            if f.exists():
                with Image.open(f) as im:
                    out.append((t, im.convert("RGB")))
    if not out:
        raise MediaError(f"{Path(path).name}: no frame could be read")
    return out


def frame_quality(im: Image.Image) -> float:
    """Higher is a better cover: not black/washed out, sharp (Laplacian variance), colourful."""
    a = np.asarray(im.convert("L").resize((128, 72)), dtype=np.float32)
    mean = a.mean()
    if mean < 20 or mean > 240:
        return 0.0
    lap = a[1:-1, 1:-1] * 4 - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return float(np.log1p(lap.var()) + a.std() / 32)


def save_jpeg(im: Image.Image, dst: Path, quality: int = 88) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp.jpg")
    im.convert("RGB").save(tmp, "JPEG", quality=quality)
    os.replace(tmp, dst)


def load_image(path: Path, max_mb: int = 20) -> Image.Image:
    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTS:
        raise MediaError(f"{path.name}: not an image type I read ({', '.join(sorted(IMAGE_EXTS))})")
    if path.stat().st_size > max_mb * 1024 * 1024:
        raise MediaError(f"{path.name}: image larger than {max_mb} MB; send a smaller one")
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGB")
    except Exception as exc:  # PIL raises many types for broken files
        raise MediaError(f"{path.name}: the image could not be decoded ({type(exc).__name__}); it may be corrupt") from exc
