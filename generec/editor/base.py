"""What every editing operation shares: the request, the context, errors, limits, outputs.

An op reads an `EditRequest` (source video, user, guidance, taste) with an `EditContext`
(settings, models, optional LLM, output folder) and returns new `Item`s whose parent is the
source. Outputs are written under temporary names through `Staging` and renamed only when
the whole op succeeded, so a failure leaves no partial file behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..config import Settings
from ..media import MediaError, Probe, probe
from ..types import Item

MAX_SIDE = 4096  # widest/tallest frame accepted; 8K sources would blow the 2-core time budget


class EditError(ValueError):
    """The edit cannot be done as asked; the message tells the person why and what to try."""


@dataclass
class EditRequest:
    source_path: Path
    source_item: Item | None = None
    user: str = ""
    instruction: str = ""
    style: str | None = None          # restyle: a look name; None = read it from the instruction
    query: str | None = None          # clip: the theme; None = the instruction
    taste: np.ndarray | None = None   # visual taste: mean image feature of the user's liked covers
    liked_text: list[str] = field(default_factory=list)  # texts of liked items (text taste)


@dataclass
class EditContext:
    settings: Settings
    out_dir: Path
    image_model: Any = None           # from generec.models.vision; loaded on first use
    text_embedder: Any = None         # from generec.models.embed; loaded on first use
    llm_text: Callable[[str], str] | None = None  # prompt -> text; None = template rewrite
    img2img: str | None = None        # diffusers img2img model: hub id or local folder
    img2img_options: dict[str, Any] = field(default_factory=dict)

    @property
    def images(self):
        if self.image_model is None:
            from ..models.vision import load_image_features

            self.image_model = load_image_features(self.settings.image_features, self.settings.threads)
        return self.image_model

    @property
    def texts(self):
        if self.text_embedder is None:
            from ..models.embed import load_text_embedder

            self.text_embedder = load_text_embedder(self.settings.embedder, self.settings.threads)
        return self.text_embedder

    def rel(self, path: Path) -> str:
        """Paths inside the data dir are stored relative to it, as corpus items are."""
        path = Path(path).resolve()
        try:
            return str(path.relative_to(Path(self.settings.data_dir).resolve()))
        except ValueError:
            return str(path)


def check_source(path: Path, settings: Settings) -> Probe:
    """Refuse what the editor cannot handle before any work starts."""
    path = Path(path)
    if not path.is_file():
        raise EditError(f"{path.name}: no such video file")
    mb = path.stat().st_size / 2**20
    if mb > settings.max_upload_mb:
        raise EditError(f"{path.name}: {mb:.0f} MB is over the {settings.max_upload_mb} MB limit; send a shorter or smaller video")
    try:
        info = probe(path)
    except MediaError as exc:
        raise EditError(str(exc)) from exc
    if info.duration_s <= 0.2:
        raise EditError(f"{path.name}: the video has no length I can read (corrupt or a still image?)")
    if info.duration_s > settings.max_video_s:
        raise EditError(f"{path.name}: {info.duration_s:.0f} s is longer than the {settings.max_video_s:.0f} s limit; trim it first")
    if max(info.width, info.height) > MAX_SIDE:
        raise EditError(f"{path.name}: {info.width}x{info.height} is larger than {MAX_SIDE} px on a side; send a smaller version")
    return info


def slug(text: str, n: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:n] or "video"


def parent_key(req: EditRequest) -> str:
    return req.source_item.id if req.source_item else f"upload-{slug(Path(req.source_path).stem, 32)}"


def child_id(req: EditRequest, op: str, params: dict, part: str = "") -> str:
    # Same source + op + params + user gives the same id, so repeating an edit replaces it.
    blob = json.dumps([parent_key(req), op, params, req.user, part], sort_keys=True, default=str)
    return f"{parent_key(req)}-{op}-{hashlib.sha1(blob.encode()).hexdigest()[:8]}"


def child_item(req: EditRequest, ctx: EditContext, op: str, params: dict, *, item_id: str, title: str,
               media: Path, cover: Path | None, info: Probe, description: str = "", labels: list[str] | None = None,
               models: list[str] | None = None, extra: dict | None = None) -> Item:
    """A private, AI-edited item owned by the user, crediting and licensed like its source."""
    src = req.source_item
    src_name = f"“{src.title}” ({src.id})" if src else f"the upload {Path(req.source_path).name}"
    credit = f"edited by GeneRec from {src_name}"
    if src and src.attribution:
        credit += f"; original: {src.attribution}"
    prov = {"op": op, "params": params, "source_item": src.id if src else None,
            "source_file": None if src else Path(req.source_path).name, "user": req.user or None,
            "instruction": req.instruction, "models": models or [], "created_at": time.time()}
    prov.update(extra or {})
    return Item(
        id=item_id, title=title[:120], description=description or (src.description if src else ""),
        tags=list(dict.fromkeys((src.tags if src else []) + ["ai-edited", op])),
        labels=labels if labels is not None else (list(src.labels) if src else []),
        media_path=ctx.rel(media), cover_path=ctx.rel(cover) if cover else "",
        duration_s=round(info.duration_s, 2), width=info.width, height=info.height, has_audio=info.has_audio,
        origin="ai_edited", parent_id=src.id if src else None,
        licence=(src.licence if src else "") or "user-supplied", attribution=credit,
        provenance=prov, visibility="private", owner=req.user or None,
        source={"kind": "edit", "parent": src.id if src else Path(req.source_path).name},
    )


class Staging:
    """Files an op writes: each under a hidden temporary name until `commit()` renames all.

    Used as a context manager: leaving it by an exception (or without commit) deletes every
    file it handed out, committed or not, so a half-finished op leaves nothing behind.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._pending: list[tuple[Path, Path]] = []
        self._done: list[Path] = []

    def new(self, name: str) -> tuple[Path, Path]:
        """(temporary path to write, final path it will get)."""
        final = self.out_dir / name
        tmp = self.out_dir / f".{final.stem}.partial{os.getpid()}{final.suffix}"
        self._pending.append((tmp, final))
        return tmp, final

    def commit(self) -> None:
        for tmp, final in self._pending:
            if not tmp.exists():
                raise EditError(f"internal: {final.name} was not written")
        for tmp, final in self._pending:
            os.replace(tmp, final)
            self._done.append(final)
        self._pending = []

    def discard(self) -> None:
        for p in [t for t, _ in self._pending] + self._done:
            p.unlink(missing_ok=True)
        self._pending, self._done = [], []

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is not None or self._pending:
            self.discard()


def encode_args(has_audio: bool, crf: int = 23) -> list[str]:
    """Browser-friendly output: H.264 yuv420p, AAC when there is sound, moov atom first."""
    v = ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p"]
    a = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"] if has_audio else ["-an"]
    return v + a + ["-movflags", "+faststart"]


def run_ffmpeg(args: list[str], what: str, cwd: Path | None = None) -> None:
    import subprocess

    from ..media import ffmpeg

    res = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                         capture_output=True, text=True, errors="replace", cwd=cwd)
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["no message"])[-1]
        raise EditError(f"{what} failed: {tail[:200]}")
