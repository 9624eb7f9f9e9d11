"""The editor's side of the fidelity checks (issue 7): every edited item is sealed before use.

`seal_items` takes the items an op made and returns those that passed, each watermarked,
checked and carrying a signed manifest, plus one line per item that was refused (its files
are deleted). A personalised thumbnail over a corpus video only makes a new cover, so it is
sealed alone (`gate.seal` with no video): the source video is never touched.
"""
from __future__ import annotations

from pathlib import Path

from ..fidelity import gate
from ..fidelity.marking import embed_image
from ..types import Item
from .base import EditRequest


def _abs(settings, rel: str) -> Path | None:
    return settings.data_path(rel) if rel else None


def _variants(settings, item: Item) -> list[Path]:
    """The other cover files a thumbnail op wrote (plain / titled), as they exist on disk."""
    paths = (_abs(settings, v) for v in (item.provenance.get("variants") or {}).values())
    return [p for p in paths if p is not None and p.exists()]


def sources_of(req: EditRequest) -> list[Item]:
    if req.source_item is not None:
        return [req.source_item]
    name = Path(req.source_path).name
    return [Item(f"upload:{name}", "an uploaded video", licence="user-supplied",
                 attribution=f"uploaded by {req.user or 'a user'} ({name})")]


def seal_items(items: list[Item], req: EditRequest, settings, store=None) -> tuple[list[Item], list[str]]:
    fctx = gate.context_for(settings, store, req.user or None, req.instruction or "")
    srcs = sources_of(req)
    kept, refused = [], []
    for it in items:
        media, cover = _abs(settings, it.media_path), _abs(settings, it.cover_path)
        shared_video = req.source_item is not None and media is not None and media.resolve() == Path(req.source_path).resolve()
        if shared_video and cover is not None:
            report = gate.seal(it, None, srcs, fctx, cover=cover, component="editor")   # the cover alone
            if report.allowed:
                for v in _variants(settings, it):
                    if v != cover:
                        embed_image(v, v)
        else:
            report = gate.seal(it, media, srcs, fctx, cover=cover, component="editor")
        if report.allowed:
            kept.append(it)
        else:
            for v in _variants(settings, it):
                v.unlink()
            refused.append(f"{it.title}: {report.summary()}")
    return kept, refused
