"""Reading what a person attaches to a message: pictures, voice notes, videos.

Each file becomes features the ranker can use (image vector and labels, a transcript) or a
plain-language problem; one bad file never spoils the rest of the message.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .media import IMAGE_EXTS, VIDEO_EXTS, MediaError, load_image, probe, sample_frames

AUDIO_EXTS = {".wav", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".flac", ".webm", ".aac"}


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


def read_uploads(files: list[str], catalog, settings) -> Understood:
    out = Understood()
    for f in files or []:
        path = Path(f)
        t0 = time.perf_counter()
        try:
            if not path.is_file():
                raise MediaError(f"{path.name}: the upload did not arrive; attach it again")
            size_mb = path.stat().st_size / 1e6
            if size_mb > settings.max_upload_mb:
                raise MediaError(f"{path.name}: {size_mb:.0f} MB is over the {settings.max_upload_mb} MB limit; send a shorter or smaller file")
            kind = _kind(path)
            if kind == "image":
                res = catalog.analyse_images([load_image(path)], top=3)
                ranked = res.labels[0] if res.labels else []
                labels = [n for n, p in ranked if p > 0.1] or [n for n, _ in ranked[:1]]
                out.image_vecs.append(res.features[0])
                out.labels.extend(labels)
                out.notes.append(("Looked at your picture", "I see: " + (", ".join(labels) or "nothing I can name"), time.perf_counter() - t0))
            elif kind == "audio":
                from .models.speech import SpeechError, transcribe

                try:
                    tr = transcribe(path, settings.asr, settings.threads)
                except SpeechError as exc:
                    raise MediaError(str(exc)) from exc
                if not tr.text:
                    raise MediaError(f"{path.name}: I heard no words in the recording; try again closer to the microphone, or type")
                out.transcript = " ".join(x for x in (out.transcript, tr.text) if x)
                out.notes.append(("Heard you", f"“{tr.text}”", time.perf_counter() - t0))
            elif kind == "video":
                info = probe(path)
                if info.duration_s > settings.max_video_s:
                    raise MediaError(f"{path.name}: {info.duration_s:.0f} s is longer than the {settings.max_video_s:.0f} s limit")
                frames = [im for _, im in sample_frames(path, n=4, duration_s=info.duration_s)]
                res = catalog.analyse_images(frames, top=2)
                v = res.features.mean(axis=0)
                out.image_vecs.append(v / max(float(np.linalg.norm(v)), 1e-12))
                labels = sorted({n for fl in res.labels for n, p in fl if p > 0.2})
                out.labels.extend(labels[:4])
                out.video = path
                out.notes.append(("Watched your video", f"{info.duration_s:.0f} s, {info.width}×{info.height}; I see: {', '.join(labels[:4]) or 'nothing I can name'}", time.perf_counter() - t0))
            else:
                raise MediaError(f"{path.name}: I can't use {path.suffix or 'this'} files; send a picture (jpg/png), a voice note, or a video (mp4)")
        except MediaError as exc:
            out.problems.append(str(exc))
    return out
