"""`python -m generec bench creator`: time per stage, relevance, and personalisation, printed.

- Time: each request makes a ~10 s video through `create()` with the configured LLM (by
  default the bundled Qwen2.5-Coder-1.5B); stage times per request, the median, and the
  one-off costs (app, LLM load, visual library) apart.
- Relevance: cosine (MiniLM) between the request and what the video shows: each scene's
  source description plus the image model's labels of a frame from the middle of each scene
  in the rendered file. The baseline renders the same storyboard over randomly drawn corpus
  shots.
- Personalisation: two personas (simulated histories) ask the same things; each video's
  content (scene descriptions, sources, frame labels) is compared with both users' liked items.
Files made here are deleted at the end; nothing is added to the store.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

import numpy as np
from PIL import Image

REQUESTS = ["a calm video about rainy nights in the city", "how planets orbit the sun", "a funny video about a robot in a factory",
            "snow falling on a quiet winter evening", "a cozy morning with coffee", "birds and animals in nature"]
PERSONAL = ["a video about the night sky", "something to watch about animals", "a relaxing video about the city"]


def _frames(path, times) -> list[Image.Image]:
    """The frame at each of `times` (seconds), through the one frame reader."""
    from ..media import probe, read_frames

    info = probe(path)
    return [im for t in times for im in read_frames(path, n=1, start=t, length=0, info=info).images()]


def shown_text(path, timeline, sources: list[str], image_model) -> str:
    mids = [(s["start"] + s["end"]) / 2 for s in timeline]
    labels = [n for per in image_model.analyse(_frames(path, mids), top=3).labels for n, p in per if p >= 0.1]
    return "; ".join(sources) + ". Seen: " + ", ".join(dict.fromkeys(labels))


def _cos(a, b) -> float:
    return float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def random_shot_video(ctx, res, seed: int, out):
    """The same storyboard, silent, over corpus shots drawn at random."""
    from ..creator.stages import render_all
    from ..creator.visuals import Visual

    lib, rng = ctx.library(), random.Random(seed)
    shots = [s for s in lib.shots.shots if s.duration >= 1.0]
    picks = rng.sample(shots, len(res.storyboard.scenes))
    vis = [Visual("shot", f"{s.item_id}@{s.start}", f"{s.title}; {', '.join(s.labels)}".strip("; "), 0.0, shot=s) for s in picks]
    g = dict(res.item.provenance["guidance"], narration=False)
    total, timeline, _ = render_all(ctx, res.storyboard, vis, [None] * len(vis), g, out.parent, out, None, lambda f: None, [])
    return timeline, [v.description for v in vis]


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="generec bench creator")
    p.add_argument("--requests", type=int, default=len(REQUESTS))
    p.add_argument("--no-llm", action="store_true", help="template storyboards (no LLM time)")
    p.add_argument("--users", default="leo,maya", help="two personas for the personalisation check")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from ..config import Settings
    from ..app import GeneRec
    from ..creator.context import CreatorContext
    from ..creator.pipeline import create

    settings = Settings.from_env()
    t0 = time.perf_counter()
    app = GeneRec(settings)
    once = {"app": time.perf_counter() - t0}
    llm = None
    if not args.no_llm:
        from ..llm import load_llm

        t0 = time.perf_counter()
        llm = load_llm(settings)
        once["llm_load"] = time.perf_counter() - t0
    ctx = CreatorContext.from_app(app, llm=llm)
    t0 = time.perf_counter()
    lib = ctx.library()
    once["library"] = time.perf_counter() - t0
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows every stage)")
    print("one-off: " + ", ".join(f"{k} {v:.1f} s" for k, v in once.items()) +
          f" | library: {len(lib.shots or [])} shots, {len(lib.icons.icons) if lib.icons else 0} icons, {len(lib.stills)} stills")
    made, report = [], {"once": once, "runs": [], "personal": []}
    emb, image_model = ctx.embedder, app.catalog.image_model
    try:
        print(f"\n{'request':45s} {'script':>6s} {'visual':>6s} {'voice':>6s} {'render':>6s} {'cover':>6s} {'checks':>6s} {'total':>6s} {'video':>6s}  rel   random  storyboard")
        for i, req in enumerate(REQUESTS[: args.requests]):
            t0 = time.perf_counter()
            res = create(req, {"duration_s": 10}, None, ctx)
            total = time.perf_counter() - t0
            made += [res.media_path, res.cover_path]
            src = [s["description"] for s in res.item.provenance["sources"]]
            q = emb.encode([req])[0]
            rel = _cos(q, emb.encode([shown_text(res.media_path, res.timeline, src, image_model)])[0])
            base_path = res.media_path.with_name(res.item.id + "-random.mp4")
            made.append(base_path)
            tl, bsrc = random_shot_video(ctx, res, i, base_path)
            base = _cos(q, emb.encode([shown_text(base_path, tl, bsrc, image_model)])[0])
            st = res.stage_times
            kinds = "/".join(s["kind"] for s in res.item.provenance["sources"])
            print(f"{req[:45]:45s} " + " ".join(f"{st.get(k, 0):6.1f}" for k in ("script", "visuals", "narration", "render", "cover", "checks")) +
                  f" {total:6.1f} {res.item.duration_s:5.1f}s {rel:5.2f} {base:6.2f}   {res.storyboard.source} ({kinds})", flush=True)
            if res.storyboard.note:
                print(f"    storyboard note: {res.storyboard.note[:150]}")
            report["runs"].append({"request": req, "stage_times": st, "total": total, "video_s": res.item.duration_s,
                                   "relevance": rel, "random": base, "storyboard": res.storyboard.source, "kinds": kinds,
                                   "titles": [s.narration for s in res.storyboard.scenes]})
        runs = report["runs"]
        if runs:
            med = {k: statistics.median(r["stage_times"].get(k, 0) for r in runs) for k in ("screen", "script", "visuals", "narration", "render", "cover", "checks")}
            print("\nmedian per stage: " + ", ".join(f"{k} {v:.1f} s" for k, v in med.items()) +
                  f"; median total {statistics.median(r['total'] for r in runs):.1f} s (first {runs[0]['total']:.1f} s) for "
                  f"{statistics.median(r['video_s'] for r in runs):.1f} s videos")
            wins = sum(r["relevance"] > r["random"] for r in runs)
            print(f"relevance: created {statistics.mean(r['relevance'] for r in runs):.3f} vs random shots "
                  f"{statistics.mean(r['random'] for r in runs):.3f}; created closer to the request in {wins}/{len(runs)}")
        _personal(args, app, ctx, emb, image_model, made, report)
    finally:
        for f in made:
            if f.exists():
                f.unlink()
    if args.json:
        print(json.dumps(report, default=float))
    return 0


def _personal(args, app, ctx, emb, image_model, made, report) -> None:
    from ..creator.pipeline import create

    users = [u for u in args.users.split(",") if app.store.get_user(u) is not None][:2]
    if len(users) < 2:
        print("personalisation: skipped (the personas are not in the store: run `python -m generec corpus build`)")
        return
    likes = {}
    for u in users:
        liked = [e.item_id for e in app.store.interactions(user=u, kinds=["like"])]
        v = app.catalog.text_vectors(liked).mean(axis=0)
        likes[u] = v / np.linalg.norm(v)
    print(f"\npersonalisation (simulated histories of {users[0]} and {users[1]}): cos(video, liked items)")
    own_wins, pairs = 0, 0
    for req in PERSONAL:
        vecs, refs = {}, {}
        for u in users:
            res = create(req, {"duration_s": 10}, u, ctx)
            made += [res.media_path, res.cover_path]
            src = [s["description"] for s in res.item.provenance["sources"]]
            scenes = [s.visual for s in res.storyboard.scenes]
            vecs[u] = emb.encode(["; ".join(scenes) + ". " + shown_text(res.media_path, res.timeline, src, image_model)])[0]
            refs[u] = {s["ref"] for s in res.item.provenance["sources"]}
        a, b = users
        row = {u: {w: _cos(vecs[u], likes[w]) for w in users} for u in users}
        own_wins += (row[a][a] > row[a][b]) + (row[b][b] > row[b][a])
        pairs += 2
        overlap = len(refs[a] & refs[b]) / max(1, len(refs[a] | refs[b]))
        print(f"  {req[:40]:40s} {a}'s video: {a} {row[a][a]:.3f} / {b} {row[a][b]:.3f} | {b}'s video: {a} {row[b][a]:.3f} / "
              f"{b} {row[b][b]:.3f} | videos differ {1 - _cos(vecs[a], vecs[b]):.3f}, shared sources {overlap:.0%}", flush=True)
        report["personal"].append({"request": req, "sims": row, "difference": 1 - _cos(vecs[a], vecs[b]), "shared_sources": overlap})
    print(f"each video closer to its own user's likes in {own_wins}/{pairs} cases; load average now {os.getloadavg()[0]:.1f}")
