"""Where the rest of GeneRec meets the checks: screen a request, seal a result.

`context_for` builds the check context for one user (every other account's name counts as
"another user", so a request naming them with "history" or "profile" is caught). `screen`
runs the request checks before any work starts. `seal` is what the editor and the creator
call on each new item before it is stored or shown: inherit the sources' licence, strip
personal data from what is stored, then `pipeline.finish` (watermark, result checks, C2PA
Content Credentials; the new files are deleted when a check fails), for a new video with its
cover and for a new cover alone alike.
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


def redact_item(item: Item, ctx: Context, sources: list[Item] = ()) -> None:
    """Personal data never reaches a stored item: title, description, tags and the recorded request.
    A name that a public source's own metadata states (a cartoon character, a credited creator)
    is not personal data and stays."""
    from .privacy import redact

    public = " ".join(f"{s.title} {s.description} {' '.join(s.tags)} {s.attribution}" for s in sources if s.visibility == "public")
    item.title = redact(item.title, ctx, public=public, others=[item.description])
    item.description = redact(item.description, ctx, public=public)
    item.tags = [redact(t, ctx, names=False) for t in item.tags]
    if isinstance(item.provenance.get("request"), str):
        item.provenance["request"] = redact(item.provenance["request"], ctx)


def seal(item: Item, media: Path | None, sources: list[Item], ctx: Context, *, cover: Path | None = None,
         script: dict | None = None, component: str = "creator", models: dict | None = None, marked: bool = False) -> Report:
    """Licence, privacy, then `finish`. Returns the report; when it is not allowed the new files are gone.
    `media` None seals a cover alone (a thumbnail over a video that stays untouched)."""
    from .pipeline import finish, inherit_licence

    item.provenance["licence_reason"] = inherit_licence(item, sources).reason
    redact_item(item, ctx, sources)
    return finish(item, media, script, sources, ctx, cover=cover, component=component, models=models, marked=marked)


def report_lines(item: Item) -> list[str] | None:
    """The fidelity report stored with an item: its summary, then one line per check (None if unchecked)."""
    rep = (item.provenance or {}).get("checks")
    if not rep:
        return None
    r = Report.from_dict(rep)
    return [r.summary()] + r.lines()


def signed_sources(item: Item, settings: Settings) -> tuple[Path | None, list[Item]]:
    """The file whose Content Credentials validate for this item and the sources they name (None when unsigned)."""
    from . import provenance

    for rel in (item.media_path, item.cover_path):
        if not rel:
            continue
        path = settings.data_path(rel)
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
    report = check_publish(trial, media if media.suffix == ".mp4" else settings.data_path(item.media_path), sources, ctx)
    if report.allowed and not report.held:
        item.visibility, item.provenance = "public", trial.provenance
        item.provenance["publish_checks"] = report.to_dict()
        store.add_items([item])
    return report
