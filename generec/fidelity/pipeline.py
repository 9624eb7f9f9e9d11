"""The order a creator or editor follows for every result: label, mark, check, sign (or discard).

    inherit_licence(item, sources)          licence + attribution from the sources
    item.title = redact(item.title, ctx)    nothing personal is stored (request.py policy)
    report = finish(item, media, script, sources, ctx, cover=cover)    (media None: a cover alone)
    if not report.allowed: refuse with report.summary()   (the new files have been deleted)
    elif report.held:      keep it out of the feed, say which check could not run
    else:                  show it with badge(item.origin) and the report beside it

`finish` is the one sealing path, for a video (with or without its cover) and for a cover alone
(a thumbnail edit: the source video is neither marked, signed nor deleted). Generators that
mark frames inside their own render loop pass `marked=True`. `sign` is the one signing path
(C2PA Content Credentials, provenance.py), called by `finish` for every file it seals.
"""
from __future__ import annotations

import time
from pathlib import Path

from .. import __version__
from ..types import Item
from . import licences, marking, provenance
from ..media import MediaError
from .base import CheckResult, Context, Report
from .result import check_result


def inherit_licence(item: Item, sources: list[Item]) -> licences.Derived:
    """Set the item's licence and attribution from its sources; unpublishable items go private."""
    d = licences.derive([(s.id, s.licence, s.attribution) for s in sources])
    item.licence, item.attribution = d.licence, d.attribution
    if not d.publishable:
        item.visibility = "private"
    return d


def finish(item: Item, media: Path | None, script: dict | None, sources: list[Item], ctx: Context, *, cover: Path | None = None,
           marked: bool = False, models: dict | None = None, component: str = "creator", discard: bool = True) -> Report:
    """Watermark (unless `marked`), check, then sign (Content Credentials in each file); delete the new files when blocked.

    The one sealing path for every result: a video with an optional cover, or (`media` None) a
    cover alone, e.g. a personalised thumbnail over a video that is not ours to change."""
    media = Path(media) if media is not None else None
    cover = Path(cover) if cover is not None else None
    if media is None and cover is None:
        raise ValueError("finish needs a video or a cover to seal")
    timings, cannot_mark = {}, None
    t = time.perf_counter()
    if item.origin != "human":
        try:
            if media is not None and not marked:
                marking.embed_video(media, media)
            if cover is not None and cover.exists():
                marking.embed_image(cover, cover)
        except (ImportError, MediaError, OSError) as exc:
            cannot_mark = f"the watermark could not be embedded: {exc}"
    timings["watermark_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    report = check_result(item, media, script, sources, ctx, cover=cover)
    if cannot_mark:   # not the file's fault: hold it (not_run) instead of calling it unmarked (fail)
        report.checks = [CheckResult.not_run("watermark", cannot_mark) if c.name == "watermark" else c for c in report.checks]
    timings["checks_s"] = round(time.perf_counter() - t, 3)
    item.provenance["checks"] = report.to_dict()
    if not report.allowed:
        if discard:
            for p in (media, cover):
                if p is not None and p.exists():
                    p.unlink()
        item.provenance["timings"] = timings
        return report
    t = time.perf_counter()
    sign(item, [media, cover], sources, report, ctx, component=component, models=models)
    timings["provenance_s"] = round(time.perf_counter() - t, 3)
    item.provenance["timings"] = timings
    return report


def sign(item: Item, files: list, sources: list[Item], report: Report, ctx: Context, *, component: str = "creator",
         models: dict | None = None) -> dict:
    """The one signing path (videos and covers alike): C2PA Content Credentials embedded in each
    file, summarised in `item.provenance` (manifest, label, c2pa)."""
    generator = {"name": "generec", "version": __version__, "component": component, "models": models or {}}
    try:
        summary = provenance.seal(item, [Path(f) for f in files if f is not None], sources, report.to_dict(), generator, ctx.settings)
    except Exception as exc:   # c2pa missing or failing: hold the item (not_run), never show it as signed
        report.checks.append(CheckResult.not_run("provenance", f"the Content Credentials could not be signed: {exc}"))
        item.provenance["checks"] = report.to_dict()
        return {}
    item.provenance.update(summary)
    return summary
