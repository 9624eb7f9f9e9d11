"""`python -m generec bench items [--quick] [--json FILE]`: edits and creations graded by independent judges.

`bench editor` and `bench creator` grade with the models that made the items. Here every figure
is judged by a model that took no part in making the item (`generec.bench.judges`):
EfficientNet-Lite2 for pictures (same family as the maker's Lite0: shared ImageNet bias),
multilingual-e5-small for text, Whisper base (multilingual) to hear created videos, BRISQUE and
PIQE for quality, frame differences and Farneback flow for flicker and motion, and KID on Lite2
features for the distance to the corpus.

SIMULATED users (there are no real interaction logs for this corpus): each likes one real group
of corpus items defined by metadata, not by any model: a source package (the Blupi cutscenes, the
lebiniou visualisers, the physics experiments) or a tag that spans packages ("live action",
"calm", ...). Half of the group builds the taste the maker uses, exactly as the app builds it
(mean Lite0 feature of the liked covers, `recsys.profile._cover_feature`, plus the liked
items' texts); the other half is held out and only the judge sees it.

- thumbnail: the maker's pick for the user (argmax of Lite0 candidates · taste, as
  `editor.thumbnail.choose_frame`) vs the original cover vs one random candidate frame (seeded)
  vs the pick made for another group's user; scored by the mean Lite2 cosine to the held-out
  covers, and by the pick's percentile among the video's candidates (a random pick: 0.5).
- clip: the chosen clip (`editor.clip.score_units` + `plan_clips`) vs the opening stretch of the
  same length vs one random window vs the other user's clip; window = mean Lite2 feature of its
  frames.
- created: `creator.pipeline.create` videos; relevance = e5 cosine between the request and what
  the video says (its audio track transcribed by Whisper base) and shows (Lite2 labels of its
  frames), against the same video scored with the other requests. The same figure with the
  narration script (the creator's own text, not independent) is kept beside it, labelled so;
  the word error rate of the transcript against that script checks the narration is intelligible.
- quality: BRISQUE, PIQE, flicker, motion per video (created, and the corpus as the baseline),
  and BRISQUE and PIQE of the thumbnails.
- distance: KID (Lite2 features) of the created frames to the corpus, against k random corpus
  videos vs the rest of the corpus (k = number of created videos, same frames per video).

Every figure: value (mean), n (the resampled unit: simulated users for edits, videos for
creations), a 95 % bootstrap interval, its baselines with theirs, and paired differences where
the pairs exist. `run()` returns {"meta": {...}, section: {figure: {...}}}.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from . import judges as J
from .creator import PERSONAL, REQUESTS as CREATOR_REQUESTS
from .recsys import bootstrap_ci

SEED = 14
THUMB_MIN_S, CLIP_MIN_S = 3.0, 12.0
# requests for created videos (the creator bench's): the first ones are made; all of them are the pool a video is also scored against
REQUESTS = CREATOR_REQUESTS + PERSONAL


# ---------------------------------------------------------------- figures

def _stat(values, groups=None) -> dict:
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    g = None if groups is None else np.asarray(groups)[ok]
    v = v[ok]
    lo, hi = bootstrap_ci(v, seed=SEED, groups=g) if len(v) else (float("nan"), float("nan"))
    out = {"value": float(v.mean()) if len(v) else float("nan"), "n": int(len(v)), "ci95": [lo, hi]}
    if g is not None:
        out["groups"] = len(set(g.tolist()))
    return out


def figure(values, judge: str, baselines: dict | None = None, paired: bool = True, note: str = "", groups=None, **extra) -> dict:
    """One figure: mean, n, 95 % bootstrap interval, baselines (each with its own) and, when a baseline
    has one value per unit in the same order, the paired difference (figure − baseline) with its interval.
    `groups` (one label per unit): the intervals resample whole groups (simulated users of one taste group)."""
    out = {**_stat(values, groups), "judge": judge, "baselines": {}}
    v = np.asarray(values, float)
    for name, b in (baselines or {}).items():
        if isinstance(b, dict):          # a constant such as chance
            out["baselines"][name] = b
            continue
        b = np.asarray(b, float)
        same = len(b) == len(v)
        out["baselines"][name] = _stat(b, groups if same else None)
        if paired and same:
            out.setdefault("paired", {})[f"minus {name}"] = _stat(v - b, groups)
    if note:
        out["note"] = note
    out.update(extra)
    return out


# ---------------------------------------------------------------- simulated users


def _user_means(per: list[dict], keys, users: list[dict]) -> tuple[dict, int]:
    """Each user's mean of every list in `keys` (users without a pick dropped), their taste group
    (`group`), and the pairs behind them."""
    m = {k: np.array([np.mean(p[k]) if p[k] else np.nan for p in per]) for k in keys}
    m["group"] = np.array([str(u.get("group", f"user {k}")) for k, u in enumerate(users)])   # no group: a user is its own
    ok = np.isfinite(m["chosen"])
    return {k: v[ok] for k, v in m.items()}, int(sum(len(p["chosen"]) for p in per))

def groups(items: list, min_size: int = 6, max_overlap: float = 0.7) -> list[tuple[str, list[int]]]:
    """Real groups of corpus items from metadata: source packages, then tags that span packages
    (a tag with more than `max_overlap` of its items inside one group already taken is left out)."""
    by: dict[str, set[int]] = {}
    for i, it in enumerate(items):
        by.setdefault("package:" + str((it.source or {}).get("package", "?")), set()).add(i)
    pk = sorted(((k, s) for k, s in by.items() if len(s) >= min_size), key=lambda kv: (-len(kv[1]), kv[0]))
    tags: dict[str, set[int]] = {}
    for i, it in enumerate(items):
        for t in it.tags:
            tags.setdefault("tag:" + t, set()).add(i)
    chosen = list(pk)
    for k, s in sorted(tags.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(s) >= min_size and all(len(s & c) / len(s) <= max_overlap for _, c in chosen):
            chosen.append((k, s))
    return [(k, sorted(s)) for k, s in chosen]


def simulated_users(items: list, grp: list, splits: int, seed: int = SEED) -> list[dict]:
    rng, users = np.random.default_rng(seed), []
    for name, members in grp:
        for s in range(splits):
            perm = rng.permutation(members)
            users.append({"name": f"sim-{name.split(':', 1)[1].replace(' ', '-')}-s{s}", "group": name,
                          "liked": {items[i].id for i in members}, "train": sorted(perm[: len(perm) // 2].tolist()),
                          "held": sorted(perm[len(perm) // 2:].tolist())})
    for k, u in enumerate(users):   # another user's taste: one of a different group, drawn once
        others = [j for j, w in enumerate(users) if w["group"] != u["group"]]
        u["other"] = int(rng.choice(others)) if others else k
    return users


def _small(im, width: int = 224):
    """A picture at the width the maker's frames are decoded at, so covers and frames meet on equal terms."""
    from PIL import Image

    w, h = im.size
    return im.resize((width, max(2, round(h * width / w))), Image.BILINEAR) if w > width else im


def percentile(scores: np.ndarray, k: int) -> float:
    """Share of the other candidates that candidate k beats (ties count half); a random pick averages 0.5."""
    s = np.asarray(scores, float)
    if len(s) < 2:
        return float("nan")
    return float(((s < s[k]).sum() + 0.5 * ((s == s[k]).sum() - 1)) / (len(s) - 1))


# ---------------------------------------------------------------- thumbnails

def thumbnails(items, idx, cat, maker, judge, users, held2, held0, covers2, log) -> dict:
    """Per simulated user, means over the corpus videos they did not like."""
    from ..editor.thumbnail import candidates, choose_frame
    from ..media import probe

    rng = np.random.default_rng(SEED + 1)
    keys = ("chosen", "cover", "random", "other", "pct", "pct_random", "pct_other", "pct_self", "beats_cover", "random_beats_cover")
    per = [{k: [] for k in keys} for _ in users]
    q = {(m, w): [] for m in ("brisque", "piqe") for w in ("pick", "cover", "random")}
    checked = False
    for n_item, i in enumerate(idx):
        it = items[i]
        path = cat.path(it.media_path)
        info = probe(path)
        times, pics, _ = candidates(path, info)
        f0 = maker.analyse(pics, top=1).features
        f2 = judge.analyse(pics, top=1).features
        if not checked and users:   # the replicated pick is the maker's own pick
            t, _, _ = choose_frame(path, info, maker, users[0]["taste"])
            pick0 = int(np.argmax(f0 @ users[0]["taste"]))
            assert abs(times[pick0] - t) < 1e-6, "the replicated thumbnail pick differs from editor.thumbnail.choose_frame"
            checked = True
        picked_here, rand_here = set(), set()
        for k, u in enumerate(users):
            if it.id in u["liked"]:
                continue
            s2 = (f2 @ held2[k].T).mean(axis=1)          # judge: Lite2 cosine to held-out liked covers
            s0 = (f0 @ held0[k].T).mean(axis=1)          # the maker's own view, for contrast only
            pick = int(np.argmax(f0 @ u["taste"]))
            other = int(np.argmax(f0 @ users[u["other"]]["taste"]))
            r = int(rng.integers(len(pics)))
            cov = float((held2[k] @ covers2[i]).mean())
            p = per[k]
            p["chosen"].append(s2[pick]); p["cover"].append(cov); p["random"].append(s2[r]); p["other"].append(s2[other])
            p["pct"].append(percentile(s2, pick)); p["pct_random"].append(percentile(s2, r)); p["pct_other"].append(percentile(s2, other))
            p["pct_self"].append(percentile(s0, pick))
            p["beats_cover"].append(float(s2[pick] > cov)); p["random_beats_cover"].append(float(s2[r] > cov))
            picked_here.add(pick); rand_here.add(r)
        # quality of what a user would see: one pick, one random frame, the cover (BRISQUE, PIQE at 224 px)
        if picked_here:
            cover = _small(_cover(cat, it))
            for m in ("brisque", "piqe"):
                score = getattr(J, m)
                q[m, "pick"].append(np.mean([score(pics[j]) for j in sorted(picked_here)[:2]]))
                q[m, "random"].append(score(pics[min(rand_here)]))
                q[m, "cover"].append(score(cover))
        if (n_item + 1) % 5 == 0:
            log(f"  thumbnails: {n_item + 1}/{len(idx)} videos")
    m, pairs = _user_means(per, keys, users)
    img = J.JUDGES["image"].split(":")[0]
    return {
        "cosine to held-out likes": figure(m["chosen"], img, {"original cover": m["cover"], "random frame": m["random"],
                                                               "other user's pick": m["other"]}, pairs=pairs, videos=len(idx), groups=m["group"]),
        "percentile among the video's candidate frames": figure(
            m["pct"], img, {"random frame": m["pct_random"], "other user's pick": m["pct_other"], "chance": {"value": 0.5}},
            pairs=pairs, note="share of the video's other candidate frames the pick beats, by the judge", groups=m["group"]),
        "beats the original cover": figure(m["beats_cover"], img, {"random frame beats the cover": m["random_beats_cover"]}, pairs=pairs,
                                           groups=m["group"]),
        "self-graded percentile (maker's Lite0, NOT independent)": figure(
            m["pct_self"], "EfficientNet-Lite0 (the maker itself)", {"independent judge (Lite2)": m["pct"]}, pairs=pairs,
            note="the same pick graded by the model that made it, to show how much self-grading inflates", groups=m["group"]),
        **{f"{m.upper()} of the thumbnail (lower is better)": figure(
            q[m, "pick"], J.JUDGES[key].split(":")[0], {"original cover": q[m, "cover"], "random frame": q[m, "random"]},
            note="per video, frames at 224 px wide; n = videos") for m, key in (("brisque", "quality"), ("piqe", "piqe"))},
    }


def _cover(cat, it):
    from ..media import load_image

    return load_image(cat.path(it.cover_path))


# ---------------------------------------------------------------- clips

def clips(items, idx, cat, ctx, judge, users, held2, log) -> dict:
    from ..editor.base import EditRequest
    from ..editor.clip import describe, plan_clips, score_units
    from ..media import probe, read_frames

    rng = np.random.default_rng(SEED + 2)
    keys = ("chosen", "opening", "random", "other", "pct", "pct_random")
    per = [{k: [] for k in keys} for _ in users]
    lengths = []
    for n_item, i in enumerate(idx):
        it = items[i]
        path = cat.path(it.media_path)
        info = probe(path)
        units, _, feats0 = describe(path, info, ctx)
        dur = units[-1].end
        fr = read_frames(path, fps=min(2.0, 90.0 / max(dur, 1.0)), width=224, info=info)
        f2, ft = judge.analyse(fr.images(), top=1).features, fr.times

        def window(a: float, b: float) -> np.ndarray:
            sel = (ft >= a) & (ft < b)
            v = f2[sel].mean(axis=0) if sel.any() else f2[int(np.argmin(np.abs(ft - (a + b) / 2)))]
            return v / max(float(np.linalg.norm(v)), 1e-12)

        plans = {}
        for k, u in enumerate(users):
            req = EditRequest(path, taste=u["taste"], liked_text=u["liked_text"])
            score, _ = score_units(units, feats0, req, ctx)
            plans[k] = plan_clips(units, score, 1)[0]
        for k, u in enumerate(users):
            if it.id in u["liked"]:
                continue
            plan, oplan = plans[k], plans[u["other"]]
            d = plan.end - plan.start
            lengths.append(d)
            s = lambda a, b: float((held2[k] @ window(a, b)).mean())  # noqa: E731
            a = float(rng.uniform(0, max(dur - d, 0.0)))
            p = per[k]
            p["chosen"].append(s(plan.start, plan.end)); p["opening"].append(s(0.0, d)); p["random"].append(s(a, a + d))
            p["other"].append(s(oplan.start, oplan.end))
            starts = np.arange(0.0, max(dur - d, 0.0) + 1e-9, 0.5)
            if len(starts) >= 2:
                grid = np.array([s(x, x + d) for x in starts])
                p["pct"].append(percentile(np.append(grid, p["chosen"][-1]), len(grid)))
                p["pct_random"].append(percentile(np.append(grid, p["random"][-1]), len(grid)))
        log(f"  clips: {n_item + 1}/{len(idx)} videos ({it.id}, {dur:.0f} s)")
    m, pairs = _user_means(per, keys, users)
    img = J.JUDGES["image"].split(":")[0]
    okp = np.isfinite(m["pct"])
    return {
        "cosine to held-out likes": figure(m["chosen"], img, {"opening": m["opening"], "random window": m["random"],
                                                               "other user's clip": m["other"]},
                                           pairs=pairs, videos=len(idx), clip_s_median=float(np.median(lengths)) if lengths else None,
                                           groups=m["group"]),
        "percentile among windows of the same length": figure(
            m["pct"][okp], img, {"random window": m["pct_random"][okp], "chance": {"value": 0.5}},
            note="windows start every 0.5 s; pairs where the clip is the whole video are left out", groups=m["group"][okp]),
    }


# ---------------------------------------------------------------- per-video measures

def video_measures(path, frames_for_kid: int, quality_frames: int, judge) -> dict:
    """BRISQUE and PIQE (means over evenly spread frames, 512 px), flicker and motion (first 10 s at 8 fps,
    160 px), Lite2 features of evenly spread frames (KID) and their labels."""
    from ..media import probe, read_frames

    info = probe(path)
    q = read_frames(path, n=quality_frames, width=min(512, info.width), info=info)
    m = read_frames(path, fps=8.0, width=160, length=min(info.duration_s, 10.0), info=info)
    k = read_frames(path, n=frames_for_kid, width=224, info=info)
    an = judge.analyse(k.images(), top=3)
    ims = q.images()
    return {"brisque": float(np.mean([J.brisque(im) for im in ims])), "piqe": float(np.mean([J.piqe(im) for im in ims])),
            "flicker": J.flicker(m.pixels), "motion": J.motion(m.pixels, m.fps), "features": an.features, "labels": an.labels}


def corpus_measures(items, cat, judge, frames: int, quality_frames: int, log) -> list[dict]:
    out = []
    for n, it in enumerate(items):
        out.append(video_measures(cat.path(it.media_path), frames, quality_frames, judge))
        if (n + 1) % 10 == 0:
            log(f"  corpus measures: {n + 1}/{len(items)} videos")
    return out


def kid_figures(created: list[np.ndarray], corpus: list[np.ndarray], resamples: int = 200) -> dict:
    """KID of created frames to corpus frames, pairs of frames from one video left out of the within-set
    terms; interval: videos resampled on both sides. Reference: k corpus videos (k = created videos,
    same frames per video) against the other corpus videos, over random draws of the k."""
    rng = np.random.default_rng(SEED + 3)

    def pooled(sets, pick):
        return np.concatenate([sets[j] for j in pick]), np.concatenate([np.full(len(sets[j]), j) for j in pick])

    def between(a, b, pa, pb):
        (xa, ga), (xb, gb) = pooled(a, pa), pooled(b, pb)
        return J.kid(xa, xb, ga, gb)

    k, c = len(created), len(corpus)
    value = between(created, corpus, range(k), range(c))
    boot = np.array([between(created, corpus, rng.integers(0, k, k), rng.integers(0, c, c)) for _ in range(resamples)])
    ref = []
    for _ in range(resamples):
        perm = rng.permutation(c)
        ref.append(between(corpus, corpus, perm[:k], perm[k:]))
    ref, boot = np.array(ref), boot[np.isfinite(boot)]
    q = lambda v: [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))] if len(v) else [float("nan")] * 2  # noqa: E731
    return {"value": value, "n": k, "ci95": q(boot), "judge": "KID (unbiased MMD², cubic kernel) on EfficientNet-Lite2 features",
            "baselines": {f"{k} random corpus videos vs the rest": {"value": float(np.nanmean(ref)), "n": k, "ci95": q(ref[np.isfinite(ref)])}},
            "frames": {"created": int(sum(len(x) for x in created)), "corpus": int(sum(len(x) for x in corpus))},
            "note": "within-set pairs of frames from one video are left out; interval: videos resampled on both sides; "
                    "baseline interval: over random draws of k corpus videos. Created videos mix corpus shots with "
                    "drawn backgrounds, icons, stills and on-screen text, so they need not sit near 0"}


def shown_labels(labels: list[list[tuple[str, float]]], least: float = 0.1) -> str:
    return ", ".join(dict.fromkeys(n.split(",")[0] for per in labels for n, p in per if p >= least))


SAYS = {"heard": "what the video says is its audio track transcribed by Whisper base (the judge)",
        "narration": "what the video says is its narration script: the creator's own text, NOT an independent reading"}
SHOWS = "what it shows is the top EfficientNet-Lite2 ImageNet labels (p >= 0.1) of evenly spread frames"


def created(settings, app, judge, n_requests: int, frames: int, quality_frames: int, use_llm: bool, log) -> tuple[dict, list[dict]]:
    from ..creator.context import CreatorContext
    from ..creator.pipeline import CreateError, create

    llm = None
    if use_llm:
        from ..llm import load_llm

        llm = load_llm(settings)
    ctx = CreatorContext.from_app(app, llm=llm)
    sj = J.speech_judge(settings)
    made, vids, refused = [], [], []
    try:
        for req in REQUESTS[:n_requests]:
            t0 = time.perf_counter()
            try:
                res = create(req, {"duration_s": 10}, None, ctx)
            except CreateError as exc:   # the creator's own checks may refuse a video: counted, not judged
                refused.append({"request": req, "reason": str(exc)[:300]})
                log(f"  not created: {req!r}: {str(exc)[:150]}")
                continue
            made += [res.media_path, res.cover_path]
            meas = video_measures(res.media_path, frames, quality_frames, judge)
            meas.update(request=req, narration=" ".join(s.narration for s in res.storyboard.scenes),
                        seconds=time.perf_counter() - t0, storyboard=res.storyboard.source)
            # the judge hears the audio track as a viewer would; a video without one says nothing
            tr = sj.transcribe(Path(res.media_path)) if res.item.has_audio else None
            meas.update(heard=tr.text if tr else "", heard_language=tr.language if tr else None)
            vids.append(meas)
            log(f"  created {len(vids)}/{n_requests} in {meas['seconds']:.0f} s: {req!r} ({res.storyboard.source})")
    finally:
        for f in made:
            if Path(f).exists():
                Path(f).unlink()
    if len(vids) < 2:
        raise RuntimeError(f"only {len(vids)} of {n_requests} videos were created: {refused}")
    tj = J.text_judge()
    Q = tj.query(REQUESTS)
    rel = {}
    kinds = {   # figure name: (what the video says, whether what it shows is added)
        "says (Whisper-base transcript) and shows": ("heard", True),
        "shows (frame labels only)": (None, True),
        "says (Whisper-base transcript only)": ("heard", False),
        "says (narration script: the maker's own text, NOT independent) and shows": ("narration", True),
    }
    for kind, (says, shows) in kinds.items():
        texts = [" ".join(filter(None, [v[says] if says else "", f"Seen: {shown_labels(v['labels'])}." if shows else ""]))
                 for v in vids]
        P = tj.passage(texts)
        S = P @ Q.T                                     # videos x requests
        own = np.array([S[i, i] for i in range(len(vids))])
        others = np.array([np.delete(S[i], i).mean() for i in range(len(vids))])
        top1 = np.array([float(np.argmax(S[i]) == i) for i in range(len(vids))])
        rank = np.array([percentile(S[i], i) for i in range(len(vids))])
        txt = J.JUDGES["text"].split(":")[0]
        note = "; ".join(filter(None, [SAYS.get(says), SHOWS if shows else ""]))
        rel[f"relevance: request vs what the video {kind}"] = figure(
            own, txt, {"same video vs the other requests": others}, note=note, requests_in_pool=len(REQUESTS))
        rel[f"request ranked first among {len(REQUESTS)} ({kind})"] = figure(
            top1, txt, {"chance": {"value": 1 / len(REQUESTS)}}, paired=False)
        if kind == "says (Whisper-base transcript) and shows":
            rel["request's percentile among the pool (says and shows)"] = figure(rank, txt, {"chance": {"value": 0.5}}, paired=False)
    # is the narration intelligible? the judge's transcript against the script the creator meant to say
    nv = len(vids)
    heard = [J.wer(v["narration"], v["heard"]) if v["heard_language"] else float("nan") for v in vids]
    other = [J.wer(vids[(i + 1) % nv]["narration"], v["heard"]) if v["heard_language"] else float("nan") for i, v in enumerate(vids)]
    rel["narration heard: word error rate of the Whisper-base transcript vs the script (lower is better)"] = figure(
        heard, J.JUDGES["speech"].split(":")[0], {"the transcript vs the next video's script": other},
        note="lower-cased words without punctuation; digits vs spelt-out numbers count as errors; videos without an "
             "audio track left out; the baseline is what an unrelated script scores", languages=[v["heard_language"] for v in vids])
    return rel, vids, refused


# ---------------------------------------------------------------- run

def run(settings, quick: bool = False, log=print, n_requests: int | None = None, use_llm: bool = True,
        sections: tuple[str, ...] = ("thumbnail", "clip", "created")) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from ..app import GeneRec
    from ..editor.base import EditContext
    from ..recsys.profile import _cover_feature

    t_all = time.perf_counter()
    app = GeneRec(settings)
    cat = app.catalog
    maker = cat.image_model
    judge = J.image_judge(1)
    torch.set_num_threads(1)
    items = [it for it in cat.visible(None).values() if it.origin == "human" and it.cover_path and it.media_path]
    items.sort(key=lambda it: it.id)
    if len(items) < 8:
        raise RuntimeError("the corpus has fewer than 8 videos; run `python -m generec corpus build` first")
    grp = groups(items)
    users = simulated_users(items, grp, splits=2 if quick else 3)
    covers = [_cover(cat, it) for it in items]
    covers2 = judge.analyse([_small(c) for c in covers], top=1).features
    covers0 = maker.analyse([_small(c) for c in covers], top=1).features
    held2, held0 = [covers2[u["held"]] for u in users], [covers0[u["held"]] for u in users]
    for u in users:
        u["taste"] = _cover_feature(cat, [items[i] for i in u["train"]], maker)   # what the app would build from these likes
        u["liked_text"] = [items[i].text() for i in u["train"]]
    rng = np.random.default_rng(SEED)
    thumb_idx = [i for i, it in enumerate(items) if it.duration_s >= THUMB_MIN_S]
    clip_idx = [i for i, it in enumerate(items) if it.duration_s >= CLIP_MIN_S]
    if quick:
        thumb_idx = sorted(rng.choice(thumb_idx, min(16, len(thumb_idx)), replace=False).tolist())
        longest = max(clip_idx, key=lambda i: items[i].duration_s)
        clip_idx = sorted({longest, *rng.choice([i for i in clip_idx if i != longest], min(3, len(clip_idx) - 1), replace=False).tolist()})
    out: dict = {"meta": {
        "users": "SIMULATED: each likes one metadata group of corpus items (source package or tag); half the group builds the "
                 "maker's taste, half is held out for the judge",
        "groups": {k: len(v) for k, v in grp}, "simulated_users": len(users), "corpus_videos": len(items),
        "maker": {"image": getattr(maker, "name", "?"), "text": getattr(cat.text_model, "name", "?")},
        "judges": J.JUDGES, "quick": quick, "unit_of_resampling": "simulated user (edits), video (creations)",
        "ci": "95 % percentile bootstrap of the mean, 1000 resamples (generec.bench.recsys.bootstrap_ci); per-user figures resample whole taste groups", "seconds": {}}}
    secs = out["meta"]["seconds"]
    log(f"items bench: {len(items)} corpus videos, {len(users)} SIMULATED users over {len(grp)} metadata groups; "
        f"judge loaded in {time.perf_counter() - t_all:.0f} s (with the app)")
    if "thumbnail" in sections:
        t0 = time.perf_counter()
        out["thumbnail"] = thumbnails(items, thumb_idx, cat, maker, judge, users, held2, held0, covers2, log)
        secs["thumbnail"] = round(time.perf_counter() - t0, 1)
    if "clip" in sections:
        t0 = time.perf_counter()
        ctx = EditContext(settings, settings.data_dir / "cache" / "items-bench", image_model=maker, text_embedder=cat.text_model)
        out["clip"] = clips(items, clip_idx, cat, ctx, judge, users, held2, log)
        secs["clip"] = round(time.perf_counter() - t0, 1)
    if "created" in sections:
        t0 = time.perf_counter()
        nreq = n_requests or (3 if quick else 6)
        out["created"], vids, refused = created(settings, app, judge, nreq, 4 if quick else 6, 3 if quick else 5, use_llm, log)
        secs["created"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        corpus = corpus_measures(items, cat, judge, 4 if quick else 6, 3 if quick else 5, log)
        q = J.JUDGES["quality"].split(":")[0]
        out["quality"] = {
            "BRISQUE per created video (lower is better)": figure([v["brisque"] for v in vids], q,
                                                                  {"corpus videos": [c["brisque"] for c in corpus]}, paired=False),
            "PIQE per created video (lower is better)": figure([v["piqe"] for v in vids], J.JUDGES["piqe"].split(":")[0],
                                                               {"corpus videos": [c["piqe"] for c in corpus]}, paired=False),
            "flicker per created video": figure([v["flicker"] for v in vids], "median mean |frame difference|, 0-255, 8 fps",
                                                {"corpus videos": [c["flicker"] for c in corpus]}, paired=False),
            "motion per created video": figure([v["motion"] for v in vids], "Farneback flow, frame widths per second",
                                               {"corpus videos": [c["motion"] for c in corpus]}, paired=False),
        }
        out["distance"] = {"KID created vs corpus": kid_figures([v["features"] for v in vids], [c["features"] for c in corpus])}
        secs["quality_and_distance"] = round(time.perf_counter() - t0, 1)
        out["meta"]["created_seconds_each"] = [round(v["seconds"], 1) for v in vids]
        out["meta"]["created_requests"] = [v["request"] for v in vids]
        out["meta"]["created_heard_by_whisper_base"] = [v["heard"] for v in vids]
        out["meta"]["refused_by_the_creator"] = refused
    secs["total"] = round(time.perf_counter() - t_all, 1)
    return plain(out)


def plain(x):
    """Python numbers, lists and dicts only, with None for a missing value (NaN is not JSON)."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [plain(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if np.isfinite(x) else None
    return x


# ---------------------------------------------------------------- printing

def _fmt(x) -> str:
    return "  nan" if x is None or not np.isfinite(x) else (f"{x:.4f}" if abs(x) < 10 else f"{x:.1f}")


def table(res: dict) -> str:
    lines = []
    for sec, figs in res.items():
        if sec == "meta":
            continue
        lines.append(f"\n[{sec}]")
        for name, f in figs.items():
            if not isinstance(f, dict):
                lines.append(f"  ({f})")
                continue
            lo, hi = f["ci95"]
            extra = (f"  pairs={f['pairs']}" if "pairs" in f else "") + (f" over {f['groups']} groups" if "groups" in f else "")
            lines.append(f"  {name}: {_fmt(f['value'])} [{_fmt(lo)}, {_fmt(hi)}] n={f['n']}{extra}   judge: {f['judge']}")
            for b, bv in f.get("baselines", {}).items():
                ci = bv.get("ci95")
                lines.append(f"      baseline {b}: {_fmt(bv['value'])}" + (f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else ""))
            for b, bv in f.get("paired", {}).items():
                lines.append(f"      paired {b}: {_fmt(bv['value'])} [{_fmt(bv['ci95'][0])}, {_fmt(bv['ci95'][1])}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ap = argparse.ArgumentParser(prog="generec bench items")
    ap.add_argument("--quick", action="store_true", help="fewer videos, users and created videos (~10 min)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--requests", type=int, default=None, help="created videos (default 3 quick, 6 full)")
    ap.add_argument("--no-llm", action="store_true", help="template storyboards for created videos")
    ap.add_argument("--only", default="thumbnail,clip,created", help="sections: thumbnail, clip, created")
    args = ap.parse_args(argv)
    from ..config import Settings

    t0 = time.perf_counter()
    res = run(Settings.from_env(), quick=args.quick, n_requests=args.requests, use_llm=not args.no_llm,
              sections=tuple(s.strip() for s in args.only.split(",") if s.strip()))
    m = res["meta"]
    print(f"\nitems bench ({'quick' if args.quick else 'full'}): {m['corpus_videos']} corpus videos, {m['simulated_users']} "
          f"SIMULATED users over groups {m['groups']}")
    print("judges (none took part in making the items; Lite2 shares a family with the maker's Lite0):")
    for k, v in m["judges"].items():
        print(f"  {k}: {v}")
    print(table(res))
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; per section {m['seconds']}; load average {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, allow_nan=False))
        print(f"wrote {args.json}")
    return 0
