"""Checking a generated or edited result before it is shown.

`check_result` runs, in order: NSFW on sampled frames, the script's language (abuse model,
harmful-topic rules), stereotypes, personal data in everything the item stores, the
authenticity of stated facts, licence inheritance, the watermark, and the near-duplicate
check against the corpus; a new cover alone (a thumbnail over an unchanged video) gets the
checks that apply to a picture. A result with any `fail` is discarded by the caller; with any
`not_run` it is held. `check_publish` is the stricter gate for making an item public.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..media import MediaError
from ..types import Item
from . import authenticity, licences
from .base import CheckResult, Context, Report, Unavailable
from .privacy import CONTACT, find_pii
from .rules import HARMFUL, STEREOTYPE, find

SCRIPT_PROFANITY = 0.6   # stricter than for requests: generated words are ours


def _frames(media: Path, item: Item) -> tuple[list, str | None]:
    """Frames shared by the NSFW and watermark checks (one decoding pass), or why not."""
    from ..media import read_frames

    try:
        return list(read_frames(media, n=7, layout="i420").pixels), None
    except (MediaError, OSError) as exc:
        return [], f"frames could not be read: {exc}"


def _nsfw(frames: list, why_not: str | None, cover: Path | None, ctx: Context) -> CheckResult:
    from PIL import Image

    from .backends import nsfw_scores

    if why_not:
        return CheckResult.not_run("nsfw", why_not)
    from .marking import rgb

    images = [Image.fromarray(rgb(f)) for f in frames]
    if cover is not None and (cover.is_file() or not frames):   # a cover checked alone must be readable
        try:
            with Image.open(cover) as im:
                images.append(im.convert("RGB"))
        except OSError as exc:
            return CheckResult.not_run("nsfw", f"the cover could not be read: {exc}")
    try:
        scores = nsfw_scores(images, ctx)
    except Unavailable as exc:
        return CheckResult.not_run("nsfw", str(exc))
    worst = max(range(len(scores)), key=scores.__getitem__)
    score = round(scores[worst], 3)
    if not frames:   # a cover alone
        where, seen = "the cover", f"cover checked, score {scores[worst]:.2f}"
    else:
        where = f"sampled frame {worst + 1} of {len(frames)}" if worst < len(frames) else "the cover"
        seen = f"{len(scores)} frames checked, highest score {scores[worst]:.2f}"
    if scores[worst] >= ctx.nsfw_threshold:
        return CheckResult.failed("nsfw", f"{where} looks sexually explicit (score {scores[worst]:.2f})", max_score=score)
    return CheckResult.passed("nsfw", seen, max_score=score)


def public_pixels(item: Item, sources: list[Item]) -> bool:
    """An edit whose every pixel comes from public corpus videos through ffmpeg (cut, recolour,
    speed, crop; no model drew anything) cannot add explicit content to them; only its sources can
    hold any. The NSFW model is then asked about the sources' own frames: a sepia look over a
    cartoon reads as skin to it (Big Buck Bunny, 0.92 in `bench checks`)."""
    prov = item.provenance or {}
    return (item.origin == "ai_edited" and prov.get("models") == [] and bool(sources)
            and all(s.from_corpus and s.media_path for s in sources))


def _source_nsfw(item: Item, frames: list, sources: list[Item], cover: Path | None, ctx: Context) -> CheckResult:
    """The NSFW verdict for a `public_pixels` edit: its sources' frames decide, and the edit's own
    score is reported beside them."""
    own = _nsfw(frames, None, cover, ctx)
    if own.status != "fail":
        return own
    source_frames = []
    for s in sources:
        got, why_not = _frames(ctx.settings.data_path(s.media_path), s)
        if why_not:
            return CheckResult.not_run("nsfw", f"the edit scored {own.details['max_score']:.2f}, and its source's frames could not be read: {why_not}")
        source_frames += got
    theirs = _nsfw(source_frames, None, None, ctx)
    if theirs.status != "pass":
        return theirs
    return CheckResult.passed("nsfw", f"an ffmpeg edit of public corpus video: their own frames scored at most {theirs.details['max_score']:.2f}; "
                                      f"the new look scored {own.details['max_score']:.2f}, which the look (not the content) explains",
                              max_score=theirs.details["max_score"], edit_score=own.details["max_score"])


def _item_texts(item: Item, script) -> list[str]:
    return [t for t in [item.title, item.description, *item.tags] + authenticity.script_texts(script) if t]


_WORD = re.compile(r"[A-Za-z'’]+")


def _base(word: str) -> str:
    """A word in lower case without its possessive ("Mom's" -> "mom")."""
    return re.sub(r"['’]s$", "", word.lower())


def _added_words(texts: list[str], sources: list[Item], request: str = "") -> list[str]:
    """The lines a result adds to its sources and to the request. A public corpus source's own title,
    description and tags were admitted with the corpus and are shown beside it anyway; a derived
    title that starts with the source's title ("1906 French Grand Prix (vintage)") adds only what
    follows. The request's words passed the request screen: a line loses them ("Mom" on screen in
    "a birthday video for my mom" adds nothing; the classifier reads the lone word "mom" as abuse)."""
    public = [s for s in sources if s.from_corpus]
    known = {t for s in public for t in (s.title, s.description, *s.tags) if t}
    asked = {_base(w) for w in _WORD.findall(request)}
    out = []
    for t in texts:
        if t in known:
            continue
        head = next((s.title for s in public if s.title and t.startswith(s.title)), "")
        rest = t[len(head):].strip(" —-:()")
        if asked:
            rest = " ".join(_WORD.sub(lambda m: "" if _base(m.group(0)) in asked else m.group(0), rest).split())
        if re.search(r"[A-Za-z]", rest):
            out.append(rest)
    return out


def _language(texts: list[str], ctx: Context, sources: list[Item] = ()) -> CheckResult:
    """Harmful-topic rules on every line; the abuse classifier (a word-level model that reads
    "black and white" as abuse) only on the words the result adds to its public sources."""
    joined = " \n".join(texts)
    hits = find(HARMFUL, joined)
    if hits:
        return CheckResult.failed("script_safety", f"the script contains {hits[0][0]} ({hits[0][1]!r})")
    from .backends import profanity_probs

    texts = _added_words(texts, list(sources), ctx.request)
    try:
        probs = profanity_probs(texts, ctx) if texts else []
    except Unavailable as exc:
        return CheckResult.not_run("script_safety", f"rules passed, but the abuse classifier could not run: {exc}")
    bad = [(p, t) for p, t in zip(probs, texts) if p >= SCRIPT_PROFANITY]
    if bad:
        return CheckResult.failed("script_safety", f"the script uses profane or abusive words ({bad[0][1][:60]!r})", score=round(bad[0][0], 3))
    return CheckResult.passed("script_safety", f"{len(texts)} line(s) the result adds checked for abuse")


def _stereotypes(texts: list[str]) -> CheckResult:
    hits = find(STEREOTYPE, " \n".join(texts))
    if hits:
        return CheckResult.failed("stereotypes", f"the script attaches a stereotype to a group ({hits[0][1]!r})")
    return CheckResult.passed("stereotypes", "no generalisation about a group of people")


def _privacy(item: Item, script, ctx: Context) -> CheckResult:
    # the words the item keeps (numbers such as timestamps and frame times are not personal data)
    said = [v for k, v in item.provenance.items() if k in ("request", "instruction", "title", "description", "caption")
            and isinstance(v, str)]
    stored = " \n".join(_item_texts(item, script) + said + [item.attribution])
    found, why_not = find_pii(stored, ctx, names=False)
    contact = sorted({f.kind.lower() for f in found if f.kind in CONTACT})
    if contact:
        return CheckResult.failed("privacy", f"the item would store personal data ({', '.join(contact)})")
    if item.origin != "human":
        if ctx.user and item.owner != ctx.user:
            return CheckResult.failed("privacy", f"the item is owned by {item.owner!r}, not by the user who asked")
        from_history = bool(item.provenance.get("from_history"))
        if from_history and item.visibility == "public" and not item.provenance.get("published_by_owner"):
            return CheckResult.failed("privacy", "made from the user's history: it stays private until that user publishes it")
    if why_not:
        return CheckResult.not_run("privacy", f"no contact data found by the rules, but NER could not run: {why_not}")
    return CheckResult.passed("privacy", "no personal data stored; visibility rules respected")


def _licence(item: Item, sources: list[Item], strict: bool) -> CheckResult:
    derived = licences.derive([(s.id, s.licence, s.attribution) for s in sources])
    if not item.licence or not item.attribution:
        return CheckResult.failed("licence", "the item carries no licence or attribution")
    if not licences.compatible(item.licence, derived):
        return CheckResult.failed("licence", f"licence {item.licence!r} does not honour the sources: it must be {derived.licence!r} ({derived.reason})")
    missing = [s.id for s in sources if s.attribution and s.attribution not in item.attribution]
    if missing:
        return CheckResult.failed("licence", f"attribution of {', '.join(missing)} is missing")
    if (strict or item.visibility == "public") and not derived.publishable:
        return CheckResult.failed("licence", f"publishing is blocked: {derived.reason}")
    return CheckResult.passed("licence", derived.reason, licence=derived.licence, publishable=derived.publishable)


def _watermark(item: Item, frames: list, why_not: str | None, cover: Path | None = None) -> CheckResult:
    if item.origin == "human":
        return CheckResult.passed("watermark", "human-made item: no watermark expected")
    if why_not:
        return CheckResult.not_run("watermark", why_not)
    from . import marking, watermark

    if not frames:   # a cover alone
        try:
            found = marking.detect_image(cover)["detected"]
        except (ImportError, OSError) as exc:
            return CheckResult.not_run("watermark", f"watermark could not be checked: {exc}")
        return (CheckResult.passed("watermark", "watermark present in the cover") if found
                else CheckResult.failed("watermark", "the new cover carries no invisible watermark"))
    try:
        with marking._one_blas_thread():
            res = watermark.detect_frames([marking.u_plane(f) for f in frames])
    except ImportError as exc:
        return CheckResult.not_run("watermark", f"watermark could not be checked: {exc} (pip install opencv-python-headless==4.14.0.94)")
    if not res["detected"]:
        return CheckResult.failed("watermark", "the generated video carries no invisible watermark", agreement=res["agreement"])
    return CheckResult.passed("watermark", f"watermark present ({res['agreement']}/{res['bits']} bits)")


def _duplicate(item: Item, media: Path, ctx: Context, strict: bool, frames: list | None = None) -> CheckResult:
    from .phash import DUP_SHARE, CorpusHashes, corpus_videos, thumbs_from_frames

    videos = {k: v for k, v in corpus_videos(ctx.settings.media_dir).items() if k != item.id}
    try:
        index = CorpusHashes(ctx.fidelity_dir / "frame_hashes.npz")
        index.update(videos)
        from .marking import luma

        m = index.match(media) if not frames else index.match(thumbs=thumbs_from_frames([luma(f) for f in frames]))
    except (MediaError, OSError, ValueError) as exc:
        return CheckResult.not_run("near_duplicate", f"duplicate check could not run: {exc}")
    if index.skipped:
        m["unreadable_corpus_files"] = index.skipped
    if m["item"] and m["share"] >= DUP_SHARE:
        why = f"an unmodified copy of corpus item {m['item']!r} ({m['share']:.0%} of frames match)"
        if strict or item.visibility == "public":
            return CheckResult.failed("near_duplicate", f"{why}: it cannot be published as new", **m)
        return CheckResult.passed("near_duplicate", f"{why}; fine privately, publishing will be blocked", **m)
    return CheckResult.passed("near_duplicate", f"not a copy of a corpus item (best match {m['share']:.0%})", **m)


def check_result(item: Item, media_path: Path | None, script: dict | None, sources: list[Item], ctx: Context, *,
                 cover: Path | None = None) -> Report:
    """The checks before a result is shown. `cover` defaults to the item's `cover_path`. With no
    `media_path` the only new file is the cover (a personalised thumbnail over an unchanged video):
    NSFW and the watermark are read from the cover, and the checks that belong to a new video
    (authenticity of its script, near-duplicate frames) are left out."""
    if cover is None and item.cover_path:
        cover = ctx.settings.data_path(item.cover_path)
    cover = Path(cover) if cover is not None else None
    texts = _item_texts(item, script)
    if media_path is None:
        if cover is None:
            raise ValueError("check_result needs a video or a cover")
        return Report([_nsfw([], None, cover, ctx), _language(texts, ctx, sources), _stereotypes(texts), _privacy(item, script, ctx),
                       _licence(item, sources, strict=False), _watermark(item, [], None, cover)], "result")
    frames, why_not = _frames(Path(media_path), item)
    nsfw = _source_nsfw(item, frames, sources, cover, ctx) if not why_not and public_pixels(item, sources) else _nsfw(frames, why_not, cover, ctx)
    return Report([nsfw, _language(texts, ctx, sources), _stereotypes(texts), _privacy(item, script, ctx),
                   authenticity.check(item, script, sources, ctx), _licence(item, sources, strict=False),
                   _watermark(item, frames, why_not), _duplicate(item, Path(media_path), ctx, strict=False, frames=frames)], "result")


def check_publish(item: Item, media_path: Path, sources: list[Item], ctx: Context) -> Report:
    """Run when a user makes an item public: licence and near-duplicate rules are strict here."""
    return Report([_licence(item, sources, strict=True), _duplicate(item, Path(media_path), ctx, strict=True),
                   _privacy(item, None, ctx)], "publish")
