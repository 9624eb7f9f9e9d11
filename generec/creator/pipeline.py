"""The AI creator, end to end: request -> storyboard -> visuals -> narration -> mp4 + cover -> Item.

`create()` runs the stages in order, reports each through `progress(stage, fraction)`, checks
`cancel` between and inside stages, and times them. Any failure raises `CreateError(stage,
message)` and removes everything the job wrote (work files, media, cover, a stored row), so
a failed or cancelled job never leaves a partial item. The item is private to its owner;
`publish()` lets the owner share it with everyone.
"""
from __future__ import annotations

import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..types import Item
from ..llm.base import stop_when
from .compose import Cancelled, cover  # noqa: F401  (Cancelled is part of this module's API)
from . import checks
from .context import CreatorContext
from .request import RequestError
from .storyboard import Storyboard

STAGES = ("screen", "script", "visuals", "narration", "render", "cover", "checks", "save")
_WEIGHTS = {"screen": 0.0, "script": 0.3, "visuals": 0.1, "narration": 0.1, "render": 0.35, "cover": 0.02, "checks": 0.1,
            "save": 0.03}


class CreateError(RuntimeError):
    def __init__(self, stage: str, message: str):
        super().__init__(f"{stage} failed: {message}")
        self.stage, self.message = stage, message


@dataclass
class CreateResult:
    item: Item
    storyboard: Storyboard
    media_path: Path
    cover_path: Path
    stage_times: dict[str, float]
    timeline: list[dict] = field(default_factory=list)   # per scene: start, end, speech_start, speech_end, cues
    notes: list[str] = field(default_factory=list)

    @property
    def scenes(self) -> int:
        return len(self.storyboard.scenes)


class _Run:
    """One job's bookkeeping: stage timing, progress, cancellation and what to delete on failure."""

    def __init__(self, progress, cancel):
        self.progress = progress or (lambda stage, frac: None)
        self.cancel = cancel or threading.Event()
        self.times: dict[str, float] = {}
        self.done = 0.0
        self.files: list[Path] = []
        self.stored: tuple | None = None

    def stage(self, name: str, fn, *args):
        if self.cancel.is_set():
            raise Cancelled(f"cancelled before {name}")
        self.progress(name, self.done)
        t0 = time.perf_counter()
        try:
            out = fn(*args)
        except (Cancelled, CreateError):
            raise
        except (RequestError, checks.Refused) as exc:
            raise CreateError(name, str(exc)) from exc
        except Exception as exc:  # which stage broke matters more to the user than the exception type
            raise CreateError(name, f"{type(exc).__name__}: {exc}") from exc
        self.times[name] = round(time.perf_counter() - t0, 3)
        self.done += _WEIGHTS[name]
        return out

    def cleanup(self) -> None:
        for f in self.files:
            if f.is_dir():
                shutil.rmtree(f, ignore_errors=True)
            elif f.exists():
                f.unlink()
        if self.stored:
            catalog, item_id = self.stored
            catalog.remove(item_id)


def create(request_text: str, guidance: dict | None, user: str | None, ctx: CreatorContext,
           progress: Callable[[str, float], None] | None = None, cancel: threading.Event | None = None,
           item_id: str | None = None) -> CreateResult:
    """`item_id`: the new item's id (a queued job passes one derived from the job, so a job run
    again after its worker died replaces its own item instead of adding a second)."""
    run = _Run(progress, cancel)
    item_id = item_id or f"ai-{uuid.uuid4().hex[:12]}"
    work = ctx.settings.data_dir / "creator" / "work" / item_id
    run.files.append(work)
    try:
        result = _create(request_text, guidance or {}, user, ctx, run, item_id, work)
    except BaseException:
        run.cleanup()
        raise
    shutil.rmtree(work, ignore_errors=True)
    run.progress("done", 1.0)
    return result


def _create(text, guidance, user, ctx: CreatorContext, run: _Run, item_id: str, work: Path) -> CreateResult:
    from . import stages

    fctx = run.stage("screen", checks.screen, ctx, text, user) if ctx.checks else None
    with stop_when(run.cancel):   # Stop in the chat ends the storyboard call between tokens
        g, taste, sb = run.stage("script", stages.script, ctx, text, guidance, user)
    work.mkdir(parents=True, exist_ok=True)
    visuals = run.stage("visuals", stages.choose_visuals, ctx, sb, g, taste, run.cancel)
    srcs = checks.sources(visuals, checks.store_of(ctx)) if fctx else []
    dropped = checks.keep_supported_facts(sb, srcs, fctx, g.get("topic", "")) if fctx else []
    speech, voice = run.stage("narration", stages.narrate, ctx, sb, g, run.cancel)
    media_dir = ctx.settings.data_dir / "media" / "created"
    media_dir.mkdir(parents=True, exist_ok=True)
    media = media_dir / f"{item_id}.mp4"
    run.files.append(media)
    mids: list = []
    render_progress = lambda f: run.progress("render", run.done + _WEIGHTS["render"] * f)  # noqa: E731
    total, timeline, has_audio = run.stage("render", stages.render_all, ctx, sb, visuals, speech, g, work, media,
                                           run.cancel, render_progress, mids)
    cover_path = media_dir / f"{item_id}.jpg"
    run.files.append(cover_path)

    def finish():
        cover(mids, sb.title, cover_path)
        item = stages.make_item(item_id, user, text, g, sb, visuals, voice, total, has_audio, ctx, run.times)
        item.media_path = str(media.relative_to(ctx.settings.data_dir))
        item.cover_path = str(cover_path.relative_to(ctx.settings.data_dir))
        return item

    item = run.stage("cover", finish)
    if fctx is not None:
        if dropped:
            item.provenance["authenticity_dropped"] = dropped
        report = run.stage("checks", checks.seal, item, media, cover_path, sb, srcs + checks.voice_source(voice), fctx)
        item.provenance["checks"] = report.to_dict()
    item.provenance["stage_times"] = dict(run.times)
    if ctx.persist and ctx.catalog is not None:
        run.stored = (ctx.catalog, item_id)
        run.stage("save", ctx.catalog.add, [item])
        item.provenance["stage_times"] = dict(run.times)
    notes = list(ctx.notes) + ([f"storyboard ({sb.source}): {sb.note}"] if sb.note else [])
    return CreateResult(item, sb, media, cover_path, dict(run.times), timeline, notes)


def publish(catalog, item_id: str, user: str) -> Item:
    """Make a created item public; only its owner may, and only if the publish checks (licence,
    near-duplicate, privacy) pass. Raises ValueError with the reason otherwise."""
    from ..fidelity.gate import publish as checked_publish

    store = catalog.store
    item = store.get_item(item_id)
    if item is None or (item.visibility == "private" and item.owner != user):
        raise ValueError(f"there is no item “{item_id}” of yours to publish")
    report = checked_publish(item, user, catalog.settings, store)
    if not report.allowed or report.held:
        raise ValueError(f"not published: {report.summary()}")
    return item
