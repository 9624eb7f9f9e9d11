"""Where the rest of GeneRec meets the checks: screen a request, seal a result.

`context_for` builds the check context for one user (every other account's name counts as
"another user", so a request naming them with "history" or "profile" is caught). `screen`
runs the request checks before any work starts. `seal` is what the editor and the creator
call on each new item before it is stored or shown: inherit the sources' licence, strip
personal data from what is stored, then `finish` (watermark, result checks, C2PA Content
Credentials; the media is deleted when a check fails). `seal_cover` signs through the same
`pipeline.sign` as every video.
"""
from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..types import Item
from .base import Context, Report


def context_for(settings: Settings, store=None, user: str | None = None, request: str = "") -> Context:
    others: frozenset[str] = frozenset()
    if store is not None:
        try:
            others = frozenset(u.name for u in store.list_users() if u.name != user)
        except Exception:   # a store that cannot list users only weakens the other-user rule
            others = frozenset()
    return Context.from_settings(settings, user=user, other_users=others, request=request or "")


def screen(settings: Settings, store, user: str | None, text: str) -> Report:
    from .request import screen_request

    return screen_request(text, context_for(settings, store, user, text))


def redact_item(item: Item, ctx: Context) -> None:
    """Personal data never reaches a stored item: title, description, tags and the recorded request."""
    from .privacy import redact

    item.title = redact(item.title, ctx)
    item.description = redact(item.description, ctx)
    item.tags = [redact(t, ctx, names=False) for t in item.tags]
    if isinstance(item.provenance.get("request"), str):
        item.provenance["request"] = redact(item.provenance["request"], ctx)


def seal(item: Item, media: Path, sources: list[Item], ctx: Context, *, cover: Path | None = None,
         script: dict | None = None, component: str = "creator", models: dict | None = None, marked: bool = False) -> Report:
    """Licence, privacy, then `finish`. Returns the report; when it is not allowed the files are gone."""
    from .pipeline import finish, inherit_licence

    item.provenance["licence_reason"] = inherit_licence(item, sources).reason
    redact_item(item, ctx)
    return finish(item, media, script, sources, ctx, cover=cover, component=component, models=models, marked=marked)


def report_lines(item: Item) -> list[str] | None:
    """The fidelity report stored with an item: its summary, then one line per check (None if unchecked)."""
    rep = (item.provenance or {}).get("checks")
    if not rep:
        return None
    r = Report.from_dict(rep)
    return [r.summary()] + r.lines()


def seal_cover(item: Item, cover: Path, sources: list[Item], ctx: Context, component: str = "editor") -> Report:
    """For edits whose only new file is a cover (a personalised thumbnail over the source video):
    the cover is marked, checked and signed; the source video is left untouched."""
    import time

    from PIL import Image

    from . import marking
    from .backends import nsfw_scores
    from .base import CheckResult, Unavailable
    from .pipeline import inherit_licence, sign
    from .result import _item_texts, _language, _licence, _privacy, _stereotypes

    cover = Path(cover)
    inherit_licence(item, sources)
    redact_item(item, ctx)
    t = time.perf_counter()
    checks = []
    try:
        marking.embed_image(cover, cover)
        with Image.open(cover) as im:
            scores = nsfw_scores([im.convert("RGB")], ctx)
        checks.append(CheckResult.failed("nsfw", "the cover looks sexually explicit") if max(scores) >= ctx.nsfw_threshold
                      else CheckResult.passed("nsfw", f"cover checked, score {max(scores):.2f}"))
    except Unavailable as exc:
        checks.append(CheckResult.not_run("nsfw", str(exc)))
    except (ImportError, OSError) as exc:
        checks.append(CheckResult.not_run("nsfw", f"the cover could not be read or marked: {exc}"))
    texts = _item_texts(item, None)
    checks += [_language(texts, ctx), _stereotypes(texts), _privacy(item, None, ctx), _licence(item, sources, strict=False)]
    try:
        found = marking.detect_image(cover)["detected"]
        checks.append(CheckResult.passed("watermark", "watermark present in the cover") if found
                      else CheckResult.failed("watermark", "the new cover carries no invisible watermark"))
    except (ImportError, OSError) as exc:
        checks.append(CheckResult.not_run("watermark", f"watermark could not be checked: {exc}"))
    report = Report(checks, "result")
    item.provenance["checks"] = report.to_dict()
    if not report.allowed:
        cover.unlink(missing_ok=True)
        return report
    sign(item, [cover], sources, report, ctx, component=component)   # the one signing path, as for videos
    item.provenance["timings"] = {"seal_s": round(time.perf_counter() - t, 3)}
    return report


def signed_sources(item: Item, settings: Settings) -> tuple[Path | None, list[Item]]:
    """The file whose Content Credentials validate for this item and the sources they name (None when unsigned)."""
    from . import provenance

    for rel in (item.media_path, item.cover_path):
        if not rel:
            continue
        path = Path(rel) if Path(rel).is_absolute() else Path(settings.data_dir) / rel
        got = provenance.read(path) if path.exists() else {"valid": False}
        if got["valid"] and got["item"].get("item_id") in (item.id, None):
            return path, [Item(s["id"] or s["title"], s["title"] or s["id"], licence=s.get("licence") or "",
                               attribution=s.get("attribution") or "") for s in got["ingredients"]]
    return None, []


def publish(item: Item, user: str, settings: Settings, store) -> Report:
    """The owner makes a generated item public, if the stricter publish checks allow it.
    Raises ValueError when the item is not theirs to publish."""
    from .base import CheckResult
    from .result import check_publish

    if item.origin == "human" or item.owner != user:
        raise ValueError("only the person an AI-made item was made for can publish it")
    media, sources = signed_sources(item, settings)
    if media is None:
        return Report([CheckResult.failed("provenance", "the item has no signed provenance manifest, so it cannot be published")], "publish")
    trial = Item(**{**item.to_dict(), "visibility": "public",
                    "provenance": {**item.provenance, "published_by_owner": True}})
    ctx = context_for(settings, store, user)
    report = check_publish(trial, media if media.suffix == ".mp4" else Path(settings.data_dir) / item.media_path, sources, ctx)
    if report.allowed and not report.held:
        item.visibility, item.provenance = "public", trial.provenance
        item.provenance["publish_checks"] = report.to_dict()
        store.add_items([item])
    return report
