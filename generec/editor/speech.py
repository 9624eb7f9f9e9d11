"""Transcripts for the editor: skip videos with no sound, and never transcribe the same file twice.

Whisper on silence tends to invent words ("Thank you."), so audio whose loudest sample is
near digital silence counts as no speech before any model runs. Transcripts are cached in
`<data>/cache/editor/` keyed by the file's size and its first and last megabyte.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from ..config import Settings
from ..media import Probe, ffmpeg
from ..models.speech import SpeechError, Transcript

SILENT_DB = -50.0   # max_volume below this: no audible sound at all


def peak_db(path: Path) -> float | None:
    """Loudest sample in dBFS (ffmpeg volumedetect); None when no audio could be decoded."""
    res = subprocess.run([ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", "volumedetect", "-f", "null", "-"],
                         capture_output=True, text=True, errors="replace")
    m = re.search(r"max_volume: (-?[\d.]+|-inf) dB", res.stderr)
    if not m:
        return None
    return float("-inf") if m[1] == "-inf" else float(m[1])


def _key(path: Path, spec: str) -> str:
    h = hashlib.sha1(f"{spec}|{path.stat().st_size}".encode())
    with open(path, "rb") as fh:
        h.update(fh.read(2**20))
        fh.seek(max(0, path.stat().st_size - 2**20))
        h.update(fh.read(2**20))
    return h.hexdigest()[:20]


def transcript_for(path: Path, info: Probe, settings: Settings) -> Transcript | None:
    """The speech in a video, or None when it has no audio, silent audio, or no words."""
    from ..models.speech import transcribe

    path = Path(path)
    if not info.has_audio:
        return None
    cache = settings.data_dir / "cache" / "editor" / f"{_key(path, settings.asr)}.json"
    if cache.exists():
        d = json.loads(cache.read_text())
        tr = Transcript(d["text"], d["language"], d["duration_s"], [tuple(s) for s in d["segments"]])
    else:
        peak = peak_db(path)
        if peak is None or peak < SILENT_DB:
            tr = Transcript("", "", info.duration_s, [])
        else:
            try:
                tr = transcribe(path, settings.asr, settings.threads)
            except SpeechError:
                return None
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"text": tr.text, "language": tr.language, "duration_s": tr.duration_s, "segments": tr.segments}))
        os.replace(tmp, cache)
    return tr if tr.text.strip() else None
