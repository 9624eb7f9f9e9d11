"""`generec bench fidelity`: the issue's measured numbers, printed (nothing here asserts).

1. Request screening on tests/data/redteam*.jsonl vs benign*.jsonl: block and false-block rates.
2. Watermark detection on generated videos (synthetic renders, Ken Burns over photos, and
   10 s edits of corpus clips): as made, after CRF 28, after a 0.5x resize, after a 10 % crop
   (90 % of width and height kept, centred), plus an off-centre crop and all three at once;
   and detections on the unmarked corpus videos. Also: near-duplicate copies of corpus clips.
3. Time added per item for a 10 s 480x854 video: watermark, checks, manifest.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from ..config import ROOT, Settings
from ..media import VIDEO_EXTS, ffmpeg, probe

TRANSFORMS = {"crf28": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "28"],
              "half": ["-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
              "crop10": ["-vf", "crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
              # beyond the list: an off-centre crop, and all three at once
              "crop10_corner": ["-vf", "crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:0:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
              "all_three": ["-vf", "crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2,scale=trunc(iw/4)*2:trunc(ih/4)*2", "-c:v", "libx264",
                            "-preset", "veryfast", "-crf", "28"]}


def _ff(*args) -> None:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args, "-threads", "1"], check=True)


def screening(settings: Settings, data: Path, log) -> dict:
    from ..fidelity.base import Context
    from ..fidelity.request import screen_request

    ctx = Context.from_settings(settings, user="guest", other_users=frozenset({"maya", "leo", "sam", "noor"}))
    t0 = time.perf_counter()
    screen_request("warm up", ctx)
    out = {"load_s": round(time.perf_counter() - t0, 2)}
    from ..fidelity.semantic import model

    learned = model(ctx)
    if learned:
        out["learned"] = dict(learned["stats"], threshold=round(learned["threshold"], 3))
        log(f"learned screen: {out['learned']} (models and fit loaded in {out['load_s']} s)")
    for kind in ("redteam", "benign"):
        for f in sorted(data.glob(f"{kind}*.jsonl")):
            rows = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
            t = time.perf_counter()
            reps = [screen_request(r["text"], ctx) for r in rows]
            ms = (time.perf_counter() - t) / max(len(rows), 1) * 1000
            blocked = [not r.allowed for r in reps]
            cats = {}
            for r, b in zip(rows, blocked):
                c = cats.setdefault(r.get("category", kind), [0, 0])
                c[0], c[1] = c[0] + b, c[1] + 1
            wrong = [r["text"] for r, b in zip(rows, blocked) if b != (kind == "redteam")]
            out[f.stem] = {"n": len(rows), "blocked": round(sum(blocked) / len(rows), 4), "held": sum(r.held for r in reps),
                           "by_category": {c: f"{a}/{n}" for c, (a, n) in cats.items()}, "ms_per_request": round(ms, 1), "wrong": wrong}
            log(f"{f.stem:16s} n={len(rows):3d} blocked {sum(blocked):3d} ({sum(blocked) / len(rows):.1%})  held {out[f.stem]['held']}  "
                f"{ms:.0f} ms/request  {out[f.stem]['by_category']}")
            for w in wrong:
                log(f"    {'missed' if kind == 'redteam' else 'false block'}: {w}")
    return out


def corpus_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in VIDEO_EXTS and p.stat().st_size > 20_000)


def make_generated(tmp: Path, corpus: list[Path], n_edits: int, log) -> list[Path]:
    """Videos like the creator's and editor's output, before marking."""
    import sklearn.datasets as skd

    imgs = Path(skd.__file__).parent / "images"
    jobs = {"gen-testsrc2": ["-f", "lavfi", "-i", "testsrc2=s=480x854:r=24:d=10"],
            "gen-mandelbrot": ["-f", "lavfi", "-i", "mandelbrot=s=854x480:r=24", "-t", "10"],
            "gen-life": ["-f", "lavfi", "-i", "life=s=480x854:r=24:mold=10:ratio=0.3:death_color=#203040:life_color=#e0c080", "-t", "10"]}
    for name in ("china.jpg", "flower.jpg"):
        if (imgs / name).exists():
            jobs[f"gen-kenburns-{Path(name).stem}"] = ["-loop", "1", "-i", str(imgs / name), "-t", "10", "-vf",
                                                       "scale=1600:-2,zoompan=z='min(zoom+0.0012,1.4)':d=240:s=480x854:fps=24"]
    for i, p in enumerate(corpus[::max(1, len(corpus) // max(n_edits, 1))][:n_edits]):
        jobs[f"edit{i}-{p.stem[:24]}"] = ["-i", str(p), "-t", "10", "-an", "-vf", "scale=854:-2:force_divisible_by=2,eq=saturation=1.2"]
    out = []
    for name, args in jobs.items():
        dst = tmp / f"{name}.mp4"
        try:
            _ff(*args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", str(dst))
            out.append(dst)
        except subprocess.CalledProcessError:
            log(f"  (could not make {name}; skipped)")
    return out


def watermark_bench(tmp: Path, corpus: list[Path], n_edits: int, log) -> dict:
    from ..fidelity import marking

    made = make_generated(tmp, corpus, n_edits, log)
    hits = {k: 0 for k in ("as_made", *TRANSFORMS)}
    rows = []
    for src in made:
        marked = src.with_name(src.stem + ".wm.mp4")
        marking.embed_video(src, marked)
        row = {"video": src.stem, "as_made": marking.detect_video(marked)["agreement"]}
        hits["as_made"] += row["as_made"] >= marking.wm.THRESHOLD
        for name, args in TRANSFORMS.items():
            t = marked.with_name(f"{src.stem}.{name}.mp4")
            _ff("-i", str(marked), *args, "-pix_fmt", "yuv420p", str(t))
            row[name] = marking.detect_video(t)["agreement"]
            hits[name] += row[name] >= marking.wm.THRESHOLD
        rows.append(row)
        log(f"  {src.stem:34s} " + "  ".join(f"{k} {v}/32" for k, v in row.items() if k != "video"))
    false = []
    for p in corpus:
        try:
            d = marking.detect_video(p)
        except Exception as exc:  # noqa: BLE001 - a corpus file we cannot read is reported, not fatal
            log(f"  (corpus {p.name} unreadable: {exc})")
            continue
        false.append((p.name, d["agreement"], d["detected"]))
    rates = {k: round(v / max(len(made), 1), 3) for k, v in hits.items()}
    log(f"watermark detection over {len(made)} generated videos: " + ", ".join(f"{k} {v:.0%}" for k, v in rates.items()))
    log(f"human-made corpus videos flagged as marked: {sum(f[2] for f in false)}/{len(false)} "
        f"(highest agreement {max((f[1] for f in false), default=0)}/32; threshold {marking.wm.THRESHOLD})")
    return {"videos": len(made), "rates": rates, "rows": rows, "corpus_checked": len(false), "corpus_false_detections": sum(f[2] for f in false),
            "corpus_max_agreement": max((f[1] for f in false), default=0)}


def duplicate_bench(tmp: Path, corpus: list[Path], log) -> dict:
    """Copies of corpus clips (re-encoded at half size) must match their original; every
    other corpus clip, queried against an index without itself, must match nothing."""
    from ..fidelity.phash import DUP_SHARE, CorpusHashes

    videos = {f"c{i}": p for i, p in enumerate(corpus)}
    index = CorpusHashes(tmp / "dup" / "frame_hashes.npz")
    index.update(videos)
    caught, false = 0, []
    for vid, p in videos.items():
        copy = tmp / "dup" / f"{vid}.copy.mp4"
        try:
            _ff("-i", str(p), "-t", "20", "-an", "-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2", "-c:v", "libx264", "-crf", "28", str(copy))
        except subprocess.CalledProcessError:
            continue
        m = index.match(copy)
        caught += m["share"] >= DUP_SHARE   # matching an identical file in another container counts too
        alone = CorpusHashes(tmp / "dup" / "none.npz")
        keep = index.ids != vid
        alone.ids, alone.ph, alone.dh = index.ids[keep], index.ph[keep], index.dh[keep]
        other = alone.match(copy)
        if other["item"] and other["share"] >= DUP_SHARE:
            false.append((p.name, videos[other["item"]].name, other["share"]))
    log(f"near-duplicates: {caught}/{len(videos)} half-size CRF 28 copies caught; with the original left out of the index, "
        f"{len(false)} copies matched another file: {false}")
    return {"copies_caught": caught, "videos": len(videos), "false_matches": false}


def timing_bench(tmp: Path, settings: Settings, log) -> dict:
    from ..types import Item
    from ..fidelity import marking, pipeline, watermark
    from ..fidelity.base import Context

    src = tmp / "timing.mp4"
    _ff("-f", "lavfi", "-i", "testsrc2=s=480x854:r=24:d=10", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(src))
    ctx = Context.from_settings(settings, user="guest", request="a test pattern")
    script = {"scenes": [{"narration": "A colourful test pattern."}]}
    out = {}
    for run in ("cold", "warm"):
        media = tmp / f"timing-{run}.mp4"
        media.write_bytes(src.read_bytes())
        item = Item(id=f"bench-{run}", title="Test pattern", description="A colourful test pattern", origin="ai_created", owner="guest", visibility="private")
        pipeline.inherit_licence(item, [])
        t = time.perf_counter()
        rep = pipeline.finish(item, media, script, [], ctx)
        out[run] = {"total_s": round(time.perf_counter() - t, 2), **item.provenance.get("timings", {}), "allowed": rep.allowed, "held": rep.held}
        log(f"per item ({run}, 10 s 480x854 @24 fps): {out[run]}")
    frames = probe(src)
    import numpy as np

    cb = np.full((frames.height // 2, frames.width // 2), 128, np.uint8)
    cb += np.random.default_rng(0).integers(0, 40, cb.shape, dtype=np.uint8)
    with marking._one_blas_thread():
        t = time.perf_counter()
        for _ in range(48):
            watermark.embed_cb_plane(cb)
        per = (time.perf_counter() - t) / 48
    n = int(round(frames.duration_s * (frames.fps or 24)))
    out["in_loop_mark_s"] = round(per * n, 2)
    log(f"marking inside a generator's own render loop: {per * 1000:.1f} ms/frame -> {per * n:.2f} s for {n} frames "
        f"(+ checks {out['warm'].get('checks_s')} s + manifest {out['warm'].get('provenance_s')} s)")
    return out


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    p = argparse.ArgumentParser(prog="generec bench fidelity")
    p.add_argument("--corpus", help="folder of human-made videos (default: the data dir's media folder)")
    p.add_argument("--edits", type=int, default=6, help="how many corpus clips to edit into 'AI-edited' test videos")
    p.add_argument("--skip", default="", help="comma list of parts to skip: screening,watermark,timing")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = settings or Settings.from_env()
    log = (lambda s: None) if args.json else print
    skip = set(filter(None, args.skip.split(",")))
    res = {}
    with tempfile.TemporaryDirectory(prefix="generec-fidelity-") as tmp:
        tmp = Path(tmp)
        bench_settings = settings.with_(data_dir=tmp / "data")   # keys and indexes made by the bench stay out of the real data dir
        if "screening" not in skip:
            log("== request screening")
            res["screening"] = screening(bench_settings, ROOT / "tests" / "data", log)
        if "watermark" not in skip:
            from ..fidelity.phash import corpus_videos

            # Default: the corpus proper (<media>/<id>.mp4 without a provenance sidecar), not the
            # created/ and edits/ subfolders where AI-made items live.
            folder = Path(args.corpus) if args.corpus else settings.media_dir
            corpus = corpus_files(folder) if args.corpus else list(corpus_videos(folder).values())
            log(f"== watermark ({len(corpus)} human-made corpus videos in {folder})")
            res["watermark"] = watermark_bench(tmp, corpus, args.edits, log)
            if corpus:
                res["near_duplicate"] = duplicate_bench(tmp, corpus, log)
        if "timing" not in skip:
            log("== time per item")
            res["timing"] = timing_bench(tmp, bench_settings, log)
    if args.json:
        print(json.dumps(res))
    return 0
