"""Reading what a person attaches to a message: pictures, voice notes, videos.

Each file becomes features the ranker can use (image vector and labels, a transcript) or a
plain-language problem that names it; one bad file never spoils the rest of the message, and
no file, however malformed, raises out of here. A file is read at the path it arrived under and
only if that is a regular file; its name is only shown (through `media.label`), never used to
build another path. The readers in media.py bound the work any one file can cause.
"""
from __future__ import annotations

import logging
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..media import IMAGE_EXTS, VIDEO_EXTS, MediaError, label, load_image, probe, read_audio, read_frames

AUDIO_EXTS = {".wav", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".flac", ".webm", ".aac"}
log = logging.getLogger("generec.app.uploads")


@dataclass
class Understood:
    transcript: str = ""                                    # what was said in a voice note
    labels: list[str] = field(default_factory=list)         # what the image model sees in pictures/videos
    image_vecs: list[np.ndarray] = field(default_factory=list)
    notes: list[tuple[str, str, float]] = field(default_factory=list)  # (step title, detail, seconds)
    problems: list[str] = field(default_factory=list)
    video: Path | None = None                               # an uploaded video, subject for later edits

    def image_vector(self) -> np.ndarray | None:
        if not self.image_vecs:
            return None
        v = np.mean(self.image_vecs, axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-12)


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext == ".webm":  # browser microphone recordings arrive as webm audio
        return "video" if _has_video(path) else "audio"
    if ext in VIDEO_EXTS:
        return "video"
    if ext in AUDIO_EXTS:
        return "audio"
    return "other"


def _has_video(path: Path) -> bool:
    try:
        probe(path)
        return True
    except MediaError:
        return False


def _arrived(path: Path, max_mb: int) -> None:
    """Refuse what is not a regular, non-empty file within the upload limit (a directory, device
    or pipe could never be read to the end)."""
    name = label(path)
    try:
        st = path.stat()
    except (OSError, ValueError):
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise MediaError(f"{name}: the upload did not arrive; attach it again")
    if st.st_size == 0:
        raise MediaError(f"{name}: the file is empty (0 bytes); attach it again")
    if st.st_size > max_mb * 1e6:
        raise MediaError(f"{name}: {st.st_size / 1e6:.0f} MB is over the {max_mb} MB limit; send a shorter or smaller file")


def read_uploads(files: list[str], catalog, settings) -> Understood:
    out = Understood()
    for f in files or []:
        path = Path(f)
        t0 = time.perf_counter()
        try:
            _arrived(path, settings.max_upload_mb)
            kind = _kind(path)
            if kind == "other":
                raise MediaError(f"{label(path)}: I can't use {label(path.suffix) if path.suffix else 'this kind of'} files; "
                                 "send a picture (jpg/png), a voice note, or a video (mp4)")
            read = {"image": _read_image, "audio": _read_voice, "video": _read_video}[kind]
            out.notes.append((*read(path, catalog, settings, out), time.perf_counter() - t0))
        except MediaError as exc:
            out.problems.append(str(exc))
        except Exception:  # a reader's own bug must not end the turn: report it like any unusable file
            log.exception("reading the upload %s failed", label(path))
            out.problems.append(f"{label(path)}: something went wrong while reading this file; try another file, or type what you want")
    return out


# Each reader adds what it understood to `out` and returns its note (step title, detail);
# everything that can fail comes before the first change to `out`.
def _read_image(path: Path, catalog, settings, out: Understood) -> tuple[str, str]:
    res = catalog.analyse_images([load_image(path)], top=3)
    ranked = res.labels[0] if res.labels else []
    labels = [n for n, p in ranked if p > 0.1] or [n for n, _ in ranked[:1]]
    out.image_vecs.append(res.features[0])
    out.labels.extend(labels)
    return "Looked at your picture", "I see: " + (", ".join(labels) or "nothing I can name")


def _read_voice(path: Path, catalog, settings, out: Understood) -> tuple[str, str]:
    from ..models.speech import SpeechError, transcribe

    audio = read_audio(path, settings.max_video_s)
    if float(np.abs(audio).max()) < 1e-3:
        raise MediaError(f"{label(path)}: the recording is silent; try again closer to the microphone, or type")
    try:
        tr = transcribe(audio, settings.asr, settings.threads)
    except SpeechError as exc:
        raise MediaError(f"{label(path)}: {exc}") from exc
    if not tr.text:
        raise MediaError(f"{label(path)}: I heard no words in the recording; try again closer to the microphone, or type")
    out.transcript = " ".join(x for x in (out.transcript, tr.text) if x)
    return "Heard you", f"“{tr.text}”"


def _read_video(path: Path, catalog, settings, out: Understood) -> tuple[str, str]:
    info = probe(path)
    if info.duration_s > settings.max_video_s:
        raise MediaError(f"{label(path)}: {info.duration_s:.0f} s is longer than the {settings.max_video_s:.0f} s limit; "
                         "send a shorter video")
    frames = read_frames(path, n=4, width=256, info=info).images()
    res = catalog.analyse_images(frames, top=2)
    v = res.features.mean(axis=0)
    out.image_vecs.append(v / max(float(np.linalg.norm(v)), 1e-12))
    labels = sorted({n for fl in res.labels for n, p in fl if p > 0.2})
    out.labels.extend(labels[:4])
    out.video = path
    seen = ", ".join(labels[:4]) or "nothing I can name"
    return "Watched your video", f"{info.duration_s:.0f} s, {info.width}×{info.height}; I see: {seen}"
