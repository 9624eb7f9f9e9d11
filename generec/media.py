"""Video, audio and image file handling through the ffmpeg binary that imageio-ffmpeg ships.

Probing, normalising to browser-friendly H.264/AAC mp4, decoding frames (`read_frames`, the one
frame reader of the project: RGB or I420, at a steady rate or spread evenly), decoding audio,
loading pictures and picking a cover. Files here may come from anyone, so every read is bounded:
ffmpeg runs with a time limit, a per-allocation memory cap, only real media containers and only
the file it was given, and frames are decoded up to a memory budget; a picture's size is checked
from its header before its pixels are decoded. Errors
become `MediaError` with a message a person can act on; outputs are written to a temporary name
and renamed, so a failure never leaves a half-written file behind.
"""
from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger("generec.media")

VIDEO_EXTS = {".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".ogv", ".mpg", ".mpeg"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")   # what Pillow may parse (JPEG includes MPO): no EPS, TIFF, PSD, ...
# ffmpeg demuxers allowed on files people send: real containers only. Playlists (hls), concat
# lists and image sequences name other files or URLs, which must never be opened on a file's say-so.
# (Animated GIFs are in: the corpus takes some of its clips from them.)
DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpeg,mpegts,mpegvideo,m4v,ogg,gif,wav,mp3,flac,aac"
MAX_PIXELS = 50_000_000        # a picture or a video frame larger than this is refused unread
MAX_ALLOC = 512 * 2**20        # largest single block ffmpeg may allocate (an 8K RGB frame is ~100 MB)
PROBE_S, FRAME_S, AUDIO_S = 30.0, 30.0, 60.0   # time limits of one ffmpeg run, seconds (frames: plus 2 s per second read)
SEEK_S = 30.0                  # frames spread over a longer stretch are fetched by seeking to each
MAX_READ = 2**30               # bytes of decoded frames one read may hold


class MediaError(ValueError):
    """The file is not a usable video, audio or image; the message says why and what to do."""


def label(path) -> str:
    """A file's name as a message shows it: printable, valid text, at most 60 characters."""
    name = Path(path).name.encode("utf-8", "replace").decode("utf-8")
    name = "".join(c if c.isprintable() else "?" for c in name)
    return (name[:40] + "…" + name[-19:] if len(name) > 60 else name) or "the file"


@lru_cache(maxsize=1)
def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _source(path: Path) -> list[str]:
    """ffmpeg input options that open this one file and nothing it points to."""
    return ["-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-i", "file:" + os.path.abspath(path)]


def _ffmpeg(args: list[str], name: str, timeout: float) -> subprocess.CompletedProcess:
    cmd = [ffmpeg(), "-hide_banner", "-nostdin", "-max_alloc", str(MAX_ALLOC), *args]
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{name}: reading it took longer than {timeout:.0f} s, so I stopped; "
                         "the file may be damaged, try another or re-export it as mp4") from exc


@dataclass
class Probe:
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool


def probe(path: Path) -> Probe:
    path, name = Path(path), label(path)
    if not path.is_file():
        raise MediaError(f"{name}: file not found")
    if path.stat().st_size == 0:
        raise MediaError(f"{name}: the file is empty; attach it again")
    # `ffmpeg -i` with no output prints the stream table on stderr and exits 1; that is expected.
    err = _ffmpeg(_source(path), name, PROBE_S).stderr.decode("utf-8", "replace")
    streams = [ln for ln in err.splitlines() if re.search(r"Stream #.*: Video: ", ln) and "(attached pic)" not in ln]
    size = re.search(r"\b([1-9]\d{0,5})x([1-9]\d{0,5})\b", streams[0]) if streams else None
    if not size:
        raise MediaError(f"{name}: no readable video stream (corrupt or not a video); try another file or re-export it as mp4")
    w, h = int(size[1]), int(size[2])
    turn = re.search(r"display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", err, re.IGNORECASE)
    if turn and round(float(turn[1])) % 180 == 90:
        w, h = h, w   # a phone video filmed upright: ffmpeg turns its frames, so they come h wide
    if w * h > MAX_PIXELS:
        raise MediaError(f"{name}: its frames claim to be {w}×{h} pixels, more than the {MAX_PIXELS // 10**6} megapixels "
                         "I read; send a smaller video")
    dur = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", err)
    seconds = int(dur[1]) * 3600 + int(dur[2]) * 60 + float(dur[3]) if dur else 0.0
    fps = re.search(r"(\d+(?:\.\d+)?) fps", streams[0])
    return Probe(seconds, w, h, float(fps[1]) if fps else 0.0, bool(re.search(r"Stream #.*: Audio: ", err)))


def _run(args: list[str], name: str, doing: str, timeout: float) -> None:
    res = _ffmpeg(["-loglevel", "error", "-y", *args], name, timeout)
    if res.returncode != 0:
        tail = res.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        log.info("ffmpeg failed %s %s: %s", doing, name, tail[0][:300])
        raise MediaError(f"{name}: {doing} failed (the file may be damaged or cut short); try another or re-export it as mp4")


def normalise(src: Path, dst: Path, max_side: int = 854, max_s: float | None = None, info: Probe | None = None) -> Probe:
    """Re-encode to H.264 (yuv420p, faststart) + AAC when the source has sound; returns the new probe."""
    info = info or probe(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".mp4", dir=dst.parent)
    os.close(fd)
    scale = f"scale=w='min({max_side},iw)':h='min({max_side},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2"
    args = _source(src)
    if max_s:
        args += ["-t", f"{max_s:.3f}"]
    args += ["-map", "0:v:0", "-vf", scale, "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", "-r", "30"]
    args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k", "-ac", "2"] if info.has_audio else ["-an"]
    try:
        _run(args + ["-movflags", "+faststart", tmp], label(src), "re-encoding", 600 + 3 * min(info.duration_s, max_s or info.duration_s))
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return probe(dst)


@dataclass
class Frames:
    """Decoded frames and when they were taken. `pixels` is (n, h, w, 3) uint8 for "rgb", and
    (n, h * 3 // 2, w) for "i420": the Y plane with the U then the V plane under it."""
    times: np.ndarray     # (n,) seconds from the start of the video
    pixels: np.ndarray
    fps: float            # frames per second of video time that were taken

    def __len__(self) -> int:
        return len(self.times)

    def images(self) -> list[Image.Image]:
        """RGB frames as pictures."""
        return [Image.fromarray(f) for f in self.pixels]


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def _frame_size(info: Probe, width: int | None, height: int | None, aspect: float | None) -> tuple[int, int, int]:
    """(width, height) of the decoded frames and the width of the (cropped) source they come from."""
    cw, ch = info.width, info.height
    if aspect:
        cw, ch = min(cw, ch * aspect), min(ch, cw / aspect)
    if width is None and height is None and not aspect:
        return max(2, cw // 2 * 2), max(2, ch // 2 * 2), cw
    w = _even(width or cw)
    h = _even(height or w * ch / cw)
    if height is None and h > 4 * w:        # a very tall frame comes narrower, never taller than 4 widths
        w, h = _even(4 * w * cw / ch), 4 * w
    return w, h, cw


def read_frames(path: Path, *, fps: float | None = None, n: int | None = None, start: float = 0.0,
                length: float | None = None, width: int | None = None, height: int | None = None,
                aspect: float | None = None, layout: str = "rgb", info: Probe | None = None) -> Frames:
    """Frames of a video, decoded by ffmpeg into a raw pipe (no temporary files).

    Which frames: `fps` of them a second, or about `n` spread evenly (the middle of n equal
    parts), over `length` seconds from `start` (default: to the end). A spread over more than
    SEEK_S, or a single frame, is fetched by seeking to each one; shorter spreads come from one
    pass. Size: `width` pixels wide (default the source's), `height` from the aspect ratio (even,
    at most four widths) unless given; `aspect` crops the centre to that width/height first.
    `layout` is "rgb" or "i420" (limited-range BT.601, what the watermark reads).
    Raises MediaError when no frame can be decoded."""
    if (fps is None) == (n is None) or layout not in ("rgb", "i420"):
        raise ValueError("read_frames takes fps or n (not both), and layout 'rgb' or 'i420'")
    path, name = Path(path), label(path)
    info = info or probe(path)
    w, h, src_w = _frame_size(info, width, height, aspect)
    if w * h > MAX_PIXELS:
        raise MediaError(f"{name}: frames of {w}×{h} pixels are more than the {MAX_PIXELS // 10**6} megapixels I read; "
                         "ask for a smaller size")
    span = max(0.0, length if length is not None else info.duration_s - start)
    size = w * h * 3 if layout == "rgb" else w * h * 3 // 2
    vf = [f"scale={w}:{h}:flags={'area' if w <= src_w else 'bicubic'}"]
    if aspect:
        vf.insert(0, f"crop='min(iw,ih*{aspect:.6f})':'min(ih,iw/{aspect:.6f})'")
    if layout == "i420":
        vf[-1] += ":out_range=limited:out_color_matrix=bt601"
    vf.append("format=" + ("rgb24" if layout == "rgb" else "yuv420p"))

    def run(at: float, chain: list[str], frames: int, seconds: float | None, decode_s: float) -> bytes:
        args = ["-loglevel", "error", *(["-ss", f"{at:.3f}"] if at > 0 else []), *_source(path)]
        args += ["-t", f"{seconds:.3f}"] if seconds else []
        args += ["-map", "0:V:0", "-vf", ",".join(chain), "-fps_mode", "passthrough", "-frames:v", str(frames), "-f", "rawvideo", "pipe:1"]
        res = _ffmpeg(args, name, FRAME_S + 2 * decode_s)
        if res.returncode != 0:
            log.info("ffmpeg stopped reading %s: %s", name, res.stderr.decode("utf-8", "replace").strip()[-300:])
        out = res.stdout
        return out if len(out) % size == 0 else out[: len(out) // size * size]   # a frame cut short is dropped

    if fps is not None:
        most = int(np.ceil((span + 1) * fps)) + 1 if span else MAX_READ // size
        if most * size > MAX_READ:
            raise MediaError(f"{name}: {span:.1f} s at {fps:g} frames a second of {w}×{h} pixels is more than I decode "
                             "at once; ask for fewer frames, a smaller size or a shorter stretch")
        raw = run(start, [f"fps={fps:g}"] + vf, most, length, span)
        times = start + np.arange(len(raw) // size) / fps
    else:
        times = start + span * (np.arange(n) + 0.5) / n
        if n == 1 or span > SEEK_S:
            got = [(t, run(t, vf, 1, None, 0.0)) for t in times]
            times, raw = [t for t, one in got if one], b"".join(one for _, one in got)   # a seek past the end finds nothing
        else:  # the first frame at or after the middle of each of n equal parts, in one pass
            raw = run(start, [f"select='gte(t\\,(selected_n+0.5)*{span / n:.6f})'"] + vf, n, span or None, span)
            times = times[: len(raw) // size]
        fps = n / span if span else 0.0
    if not raw:
        raise MediaError(f"{name}: no frame could be decoded (the file may be damaged or cut short); "
                         "try another or re-export it as mp4")
    shape = (-1, h, w, 3) if layout == "rgb" else (-1, h * 3 // 2, w)
    return Frames(np.asarray(times, dtype=np.float64), np.frombuffer(raw, np.uint8).reshape(shape), float(fps))


def read_audio(path: Path, max_s: float, rate: int = 16000) -> np.ndarray:
    """The sound of a file as mono float32 samples at `rate` Hz. Decoding stops just past `max_s`
    whatever the header claims, and a longer recording is refused."""
    path, name = Path(path), label(path)
    res = _ffmpeg(["-loglevel", "error", *_source(path), "-t", f"{max_s + 1:.3f}", "-vn", "-ac", "1", "-ar", str(rate),
                   "-f", "f32le", "pipe:1"], name, AUDIO_S)
    samples = np.frombuffer(res.stdout[: len(res.stdout) // 4 * 4], dtype=np.float32)
    if res.returncode != 0 or not samples.size:
        log.info("ffmpeg could not decode %s: %s", name, res.stderr.decode("utf-8", "replace")[-300:])
        raise MediaError(f"{name}: the recording could not be decoded (damaged, cut short, or not a sound file); "
                         "record again or send a wav/mp3")
    if samples.size > max_s * rate:
        raise MediaError(f"{name}: the recording is longer than the {max_s:.0f} s limit; send a shorter one")
    return np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)


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
    """An RGB picture; its claimed size is checked before any pixel is decoded."""
    path, name = Path(path), label(path)
    if path.suffix.lower() not in IMAGE_EXTS:
        raise MediaError(f"{name}: not an image type I read ({', '.join(sorted(IMAGE_EXTS))})")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{name}: the file is empty; attach it again")
    if size > max_mb * 1024 * 1024:
        raise MediaError(f"{name}: image larger than {max_mb} MB; send a smaller one")
    too_big = f"{name}: the picture claims to be {{}} pixels, more than the {MAX_PIXELS // 10**6} megapixels I read; send a smaller one"
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise MediaError(too_big.format(f"{w}×{h}"))
            im.load()
            return im.convert("RGB")
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaError(too_big.format("hundreds of millions of")) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        log.info("image %s not decoded: %s: %s", name, type(exc).__name__, exc)
        raise MediaError(f"{name}: the picture could not be decoded (damaged, cut short, or not really a "
                         f"{path.suffix.lower().lstrip('.')}); send another picture (jpg or png)") from exc
