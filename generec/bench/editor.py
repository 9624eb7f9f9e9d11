"""`python -m generec bench editor`: personalisation lift (GeneRec's own measure) and op timings.

Lift. There are no real interaction logs for this corpus, so the users are *simulated*:
covers of the real corpus are grouped into visual clusters (k-means on image features) and
each simulated user likes the items of one cluster. Half of a user's liked covers form the
taste vector; the other half are held out. For every corpus video the user did not like, the
measure is the mean cosine similarity between the chosen thumbnail and the held-out liked
covers, against the video's default cover and a random frame (the mean over the sampled
frames). Clips likewise: the chosen clip's mean frame feature against the opening stretch
and a random stretch of the same length. Timings are taken with warm models and printed.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 7


def kmeans(x: np.ndarray, k: int, iters: int = 50, seed: int = SEED) -> np.ndarray:
    """Cluster labels on the unit sphere (spherical k-means, k-means++ start)."""
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = 1 - np.max(x @ np.array(centres).T, axis=1)
        centres.append(x[rng.choice(len(x), p=d / d.sum())] if d.sum() > 0 else x[rng.integers(len(x))])
    c = np.array(centres)
    for _ in range(iters):
        lab = np.argmax(x @ c.T, axis=1)
        new = np.array([x[lab == j].mean(axis=0) if (lab == j).any() else c[j] for j in range(k)])
        new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
        if np.allclose(new, c):
            break
        c = new
    return np.argmax(x @ c.T, axis=1)


def simulated_users(ids: list[str], covers: np.ndarray, k: int, splits: int) -> list[dict]:
    """Simulated users: each likes one visual cluster; half the likes build the taste, half are held out."""
    rng, users = np.random.default_rng(SEED), []
    lab = kmeans(covers, k)
    for j in range(k):
        members = np.flatnonzero(lab == j)
        if len(members) < 4:
            continue
        for s in range(splits):
            perm = rng.permutation(members)
            train, held = perm[: len(perm) // 2], perm[len(perm) // 2:]
            t = covers[train].mean(axis=0)
            users.append({"name": f"sim-c{j}-s{s}", "liked": {ids[i] for i in members}, "taste": t / np.linalg.norm(t),
                          "held": covers[held]})
    return users


def thumbnail_lift(items, catalog, images, users) -> dict:
    from ..media import load_image, probe
    from ..editor.thumbnail import candidates

    chosen, cover, rand, wins = [], [], [], []
    for it in items:
        path = catalog.path(it.media_path)
        _, pics, _ = candidates(path, probe(path))
        feats = images.analyse(pics, top=1).features
        cov = images.analyse([load_image(catalog.path(it.cover_path))], top=1).features[0]
        for u in users:
            if it.id in u["liked"]:
                continue
            best = feats[int(np.argmax(feats @ u["taste"]))]
            chosen.append(float((u["held"] @ best).mean()))
            cover.append(float((u["held"] @ cov).mean()))
            rand.append(float((feats @ u["held"].T).mean()))
            wins.append(chosen[-1] > cover[-1])
    return {"pairs": len(chosen), "chosen": np.mean(chosen), "default_cover": np.mean(cover), "random_frame": np.mean(rand),
            "win_rate_vs_cover": np.mean(wins)}


def clip_lift(items, catalog, ctx, users) -> dict:
    from ..media import probe
    from ..editor.base import EditRequest
    from ..editor.clip import describe, plan_clips, score_units

    chosen, opening, rand = [], [], []
    for it in items:
        path = catalog.path(it.media_path)
        units, _, feats = describe(path, probe(path), ctx)
        starts = np.array([u.start for u in units])
        ends = np.array([u.end for u in units])

        def look(a: float, b: float) -> np.ndarray:
            w = np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0, None)
            v = (feats * w[:, None]).sum(axis=0)
            return v / max(np.linalg.norm(v), 1e-12)

        for u in users:
            if it.id in u["liked"]:
                continue
            score, _ = score_units(units, feats, EditRequest(path, taste=u["taste"]), ctx)
            plan = plan_clips(units, score, 1)[0]
            d = plan.end - plan.start
            chosen.append(float((u["held"] @ look(plan.start, plan.end)).mean()))
            opening.append(float((u["held"] @ look(0, d)).mean()))
            rand.append(float(np.mean([(u["held"] @ look(a, a + d)).mean() for a in np.linspace(0, ends[-1] - d, 20)])))
    return {"pairs": len(chosen), "chosen": np.mean(chosen), "opening": np.mean(opening), "random_window": np.mean(rand)}


def _cut(src: Path, dst: Path, start: float, length: float) -> Path:
    from ..media import ffmpeg

    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-ss", str(start), "-i", str(src), "-t", str(length),
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(dst)], check=True)
    return dst


def _cpu() -> float:
    import resource

    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def _time(fn, repeat: int = 1) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds incl. ffmpeg children): CPU time shows the cost when the machine is shared."""
    out = []
    for _ in range(repeat):
        t, c = time.perf_counter(), _cpu()
        fn()
        out.append((time.perf_counter() - t, _cpu() - c))
    return tuple(np.median(np.array(out), axis=0).tolist())


def timings(settings, catalog, long_item, taste) -> dict:
    from ..editor import run_edit
    from ..editor.base import EditContext, EditRequest

    src = catalog.path(long_item.media_path)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fresh = settings.with_(data_dir=tmp / "data")   # empty transcript cache: the clip run is cold
        ctx = EditContext(fresh, tmp / "out", image_model=catalog.image_model, text_embedder=catalog.text_model)
        v30, v15 = _cut(src, tmp / "v30.mp4", 30, 30), _cut(src, tmp / "v15.mp4", 40, 15)
        t = {"thumbnail_30s": _time(lambda: run_edit("thumbnail", EditRequest(v30, taste=taste), ctx), 3)}
        req = EditRequest(src, long_item, instruction="the parts about music", taste=taste)
        t["clip_3min_cold"] = _time(lambda: run_edit("clip", req, ctx))
        t["clip_3min_warm"] = _time(lambda: run_edit("clip", req, ctx))
        for look in ("warm", "noir", "vintage", "cartoon", "sketch", "vivid", "2x speed", "vertical 9:16"):
            t[f"restyle_15s_{look.replace(' ', '_')}"] = _time(lambda: run_edit("restyle", EditRequest(v15, instruction=look), ctx))
        t["caption_30s_cold"] = _time(lambda: run_edit("caption", EditRequest(v30, instruction="funny"), ctx))
    return t


def main(argv: list[str] | None = None) -> int:
    from ..config import Settings
    from ..app import GeneRec

    ap = argparse.ArgumentParser(prog="generec bench editor")
    ap.add_argument("--clusters", type=int, default=5)
    ap.add_argument("--splits", type=int, default=3, help="held-out splits per cluster (one simulated user each)")
    ap.add_argument("--min-thumb-s", type=float, default=5.0)
    ap.add_argument("--min-clip-s", type=float, default=15.0)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    app = GeneRec(settings)
    cat = app.catalog
    items = [it for it in cat.visible(None).values() if it.origin == "human" and it.cover_path and it.media_path]
    if len(items) < 8:
        print("bench editor: the corpus has fewer than 8 videos; run `python -m generec corpus build` first")
        return 1
    t0 = time.perf_counter()
    images = cat.image_model
    from ..media import load_image

    ids = [it.id for it in items]
    covers = images.analyse([load_image(cat.path(it.cover_path)) for it in items], top=1).features
    users = simulated_users(ids, covers, args.clusters, args.splits)
    from ..editor.base import EditContext

    ctx = EditContext(settings, settings.data_dir / "cache" / "editor-bench", image_model=images, text_embedder=cat.text_model)
    thumbs = thumbnail_lift([it for it in items if it.duration_s >= args.min_thumb_s], cat, images, users)
    clips = clip_lift([it for it in items if it.duration_s >= args.min_clip_s], cat, ctx, users)
    report = {"corpus_items": len(items), "simulated_users": len(users), "image_model": getattr(images, "name", "?"),
              "thumbnail": thumbs, "clip": clips, "lift_seconds": round(time.perf_counter() - t0, 1)}
    if not args.no_timing:
        longest = max(items, key=lambda it: it.duration_s)
        report["timings_s"] = timings(settings, cat, longest, users[0]["taste"] if users else None)
    if args.json:
        print(json.dumps(report, default=float))
        return 0
    print(f"editor bench: {len(items)} corpus videos, {len(users)} SIMULATED users (visual clusters of covers; half of each user's likes held out)")
    th, cl = thumbs, clips
    print(f"thumbnail  pairs={th['pairs']}  mean cos to held-out liked covers: chosen {th['chosen']:.4f} | default cover {th['default_cover']:.4f}"
          f" | random frame {th['random_frame']:.4f}  lift vs cover {th['chosen'] - th['default_cover']:+.4f}"
          f" ({(th['chosen'] / th['default_cover'] - 1) * 100:+.1f}%), vs random {th['chosen'] - th['random_frame']:+.4f}"
          f" ({(th['chosen'] / th['random_frame'] - 1) * 100:+.1f}%); beats the cover in {th['win_rate_vs_cover'] * 100:.0f}% of pairs")
    print(f"clip       pairs={cl['pairs']}  chosen {cl['chosen']:.4f} | opening {cl['opening']:.4f} | random window {cl['random_window']:.4f}"
          f"  lift vs opening {cl['chosen'] - cl['opening']:+.4f}, vs random {cl['chosen'] - cl['random_window']:+.4f}")
    if "timings_s" in report:
        import os

        print(f"timings (wall / CPU incl. ffmpeg; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    for name, (wall, cpu) in report.get("timings_s", {}).items():
        print(f"time {name:28s} {wall:6.2f} s wall  {cpu:6.2f} s cpu")
    return 0
