"""`generec bench fidelity`: the issue's measured numbers, printed (nothing here asserts).

1. Request screening on the labelled sets of assets/fidelity/sets/MANIFEST.json (`--sets`, by name
   or role; default the `tune` and `sealed` ones): block rate on harmful rows and false-block rate
   on benign rows with n and 95 % Wilson intervals, per set and pooled per role (tune and sealed
   side by side), per-category block rates of sealed harmful rows, median / p95 screen latency,
   and the share of requests refused by the rules, refused by the learned layer, or allowed.
   Sealed sets (XSTest, SimpleSafetyTests) are how outsiders measure the screen: run them to
   read the result, not in a tuning loop; their wrongly judged rows are never printed.
2. Watermark detection on generated videos (synthetic renders, Ken Burns over photos, and
   10 s edits of corpus clips): as made, after CRF 28, after a 0.5x resize, after a 10 % crop
   (90 % of width and height kept, centred), plus an off-centre crop and all three at once;
   and detections on the unmarked corpus videos. Also: near-duplicate copies of corpus clips.
3. Time added per item for a 10 s 480x854 video: watermark, checks, manifest.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
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


MANIFEST = ROOT / "assets" / "fidelity" / "sets" / "MANIFEST.json"
ROLE_ORDER = ("train", "tune", "sealed")
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """95 % Wilson score interval of a rate k/n (None when n is 0)."""
    if n == 0:
        return None
    p, zz = k / n, z * z
    mid = (p + zz / (2 * n)) / (1 + zz / n)
    half = z * math.sqrt(p * (1 - p) / n + zz / (4 * n * n)) / (1 + zz / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def row_label(file: str, row: dict) -> str:
    """harmful or benign. The sets say it in "label"; of the project's own files, redteam*/benign*
    say it by their name and policy_train.jsonl by a label that is "benign" or a harm category."""
    if row.get("label") in ("harmful", "benign"):
        return row["label"]
    name = Path(file).name
    if name.startswith("redteam"):
        return "harmful"
    if name.startswith("benign"):
        return "benign"
    return "benign" if row.get("label") == "benign" else "harmful"


def pick_sets(manifest: list[dict], spec: str) -> list[dict]:
    """`spec`: comma list of set names and/or roles (train, tune, sealed), in manifest order."""
    want = {w.strip() for w in spec.split(",") if w.strip()}
    unknown = want - {e["name"] for e in manifest} - set(ROLE_ORDER)
    if unknown:
        raise SystemExit(f"unknown sets or roles: {sorted(unknown)} (known: {[e['name'] for e in manifest]}, roles {list(ROLE_ORDER)})")
    chosen = [e for e in manifest if e["name"] in want or e["role"] in want]
    return sorted(chosen, key=lambda e: ROLE_ORDER.index(e["role"]))


def spread(rows: list, limit: int | None) -> list:
    """At most `limit` rows, evenly spaced over the file (a slice that mixes its labels)."""
    if not limit or limit >= len(rows):
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def decided_by(report) -> str:
    """Which layer's verdict stood, and which way: "refused by rules", "allowed by judge", ...
    (`Report.decided_by`, set by the screen)."""
    return f"{'allowed' if report.allowed else 'refused'} by {report.decided_by or 'rules'}"


def _rate(k: int, n: int) -> dict:
    ci = wilson(k, n)
    return {"n": n, "blocked": k, "rate": round(k / n, 4) if n else None, "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None}


def _pct(d: dict) -> str:
    if not d["n"]:
        return f"{'-':>27s}"
    return f"{d['blocked']:4d}/{d['n']:<4d} {d['rate']:6.1%} [{d['ci95'][0]:5.1%}, {d['ci95'][1]:5.1%}]"


def _quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def screening(settings: Settings, log, sets: str = "tune,sealed", limit: int | None = None, show_wrong: bool = False,
              manifest_path: Path = MANIFEST) -> dict:
    """Block rate on harmful rows and false-block rate on benign rows of every chosen set, with
    95 % Wilson intervals, per set and pooled per role; per-category block rates of sealed
    harmful rows; screen latency; which layer refused. Sealed sets are a measurement: their
    wrongly judged rows are never printed or returned, only counts."""
    from ..fidelity.base import Context
    from ..fidelity.request import screen_request

    manifest = json.loads(Path(manifest_path).read_text())
    chosen = pick_sets(manifest, sets)
    ctx = Context.from_settings(settings, user="guest", other_users=frozenset({"maya", "leo", "sam", "noor"}))
    t0 = time.perf_counter()
    screen_request("warm up", ctx)
    out: dict = {"load_s": round(time.perf_counter() - t0, 2), "embedder": settings.embedder, "limit": limit, "sets": {}, "roles": {}}
    from ..fidelity.semantic import model

    try:
        learned = model(ctx)
    except Exception as exc:  # noqa: BLE001 - the rules are still measured; the table says the learned layer is missing
        learned, out["learned_error"] = None, str(exc)
    if learned:
        out["learned"] = dict(learned["stats"], threshold=round(learned["threshold"], 3))
        log(f"learned screen: {out['learned']} (loaded in {out['load_s']} s)")
    else:
        log(f"learned screen: not available with embedder {settings.embedder!r}; rules only")
    if any(e["role"] == "sealed" for e in chosen):
        log("sealed sets are measured here: read the numbers, do not tune the screen on them")
    pooled: dict = {}
    for e in chosen:
        rows = [json.loads(line) for line in (ROOT / e["file"]).read_text().splitlines() if line.strip()]
        rows = spread(rows, limit)
        per = {"harmful": [0, 0], "benign": [0, 0]}
        cats: dict = {}
        layers: dict = {}
        held, ms, fast, judged, wrong = 0, [], [], [], []
        for r in rows:
            t = time.perf_counter()
            rep = screen_request(r["text"], ctx)
            ms.append((time.perf_counter() - t) * 1000)
            (judged if rep.decided_by == "judge" else fast).append(ms[-1])   # the judge's own share and latency
            label, blocked = row_label(e["file"], r), not rep.allowed
            per[label][0] += blocked
            per[label][1] += 1
            held += rep.held
            who = decided_by(rep)
            layers[who] = layers.get(who, 0) + 1
            if label == "harmful":
                c = cats.setdefault(str(r.get("category", "")), [0, 0])
                c[0], c[1] = c[0] + blocked, c[1] + 1
            if blocked != (label == "harmful"):
                wrong.append({"label": label, "text": r["text"], "why": rep.summary() if blocked else ""})
        res = {"role": e["role"], "file": e["file"], "harmful": _rate(*per["harmful"]), "benign": _rate(*per["benign"]),
               "held": held, "decided_by": {k: round(v / len(rows), 4) for k, v in sorted(layers.items())} if rows else {},
               "latency_ms": {"p50": round(_quantile(ms, 0.5), 1), "p95": round(_quantile(ms, 0.95), 1), "n": len(ms)},
               "rules_and_learned_ms": {"p50": round(_quantile(fast, 0.5), 1), "n": len(fast)},
               "judge": {"share": round(len(judged) / len(rows), 4) if rows else 0.0, "p50_ms": round(_quantile(judged, 0.5), 1),
                         "p95_ms": round(_quantile(judged, 0.95), 1), "n": len(judged)},
               "by_category": {c: _rate(k, n) for c, (k, n) in sorted(cats.items())}}
        if e["role"] != "sealed":
            res["wrong"] = wrong
        out["sets"][e["name"]] = res
        p = pooled.setdefault(e["role"], {"harmful": [0, 0], "benign": [0, 0], "ms": []})
        for lab in ("harmful", "benign"):
            p[lab][0] += per[lab][0]
            p[lab][1] += per[lab][1]
        p["ms"] += ms
    for role, p in pooled.items():
        out["roles"][role] = {"harmful": _rate(*p["harmful"]), "benign": _rate(*p["benign"]),
                              "latency_ms": {"p50": round(_quantile(p["ms"], 0.5), 1), "p95": round(_quantile(p["ms"], 0.95), 1)}}
    _print_table(out, log, show_wrong)
    return out


def _print_table(out: dict, log, show_wrong: bool) -> None:
    head = (f"{'role':7s} {'set':20s} {'harmful blocked   (95% CI)':>27s}   {'benign false-blocked (95% CI)':>29s}  "
            f"{'p50 ms':>7s} {'p95 ms':>7s}  decided by (share of requests)")
    log(head)
    log("-" * len(head))
    for role in ROLE_ORDER:
        names = [n for n, r in out["sets"].items() if r["role"] == role]
        for n in names:
            r = out["sets"][n]
            who = "  ".join(f"{k} {v:.0%}" for k, v in r["decided_by"].items()) + (f"  (held {r['held']})" if r["held"] else "")
            log(f"{role:7s} {n:20s} {_pct(r['harmful'])}   {_pct(r['benign']):>29s}  {r['latency_ms']['p50']:7.1f} {r['latency_ms']['p95']:7.1f}  {who}")
        if len(names) > 1:
            p = out["roles"][role]
            log(f"{role:7s} {'(all ' + role + ')':20s} {_pct(p['harmful'])}   {_pct(p['benign']):>29s}  "
                f"{p['latency_ms']['p50']:7.1f} {p['latency_ms']['p95']:7.1f}")
    for n, r in out["sets"].items():
        if r["role"] == "sealed" and r["harmful"]["n"]:
            log(f"  {n}: harmful rows blocked, by the source's category")
            for c, d in r["by_category"].items():
                log(f"    {c[:44]:44s} {_pct(d)}")
    if show_wrong:
        for n, r in out["sets"].items():
            for w in r.get("wrong", []):
                log(f"    {n}: {'missed' if w['label'] == 'harmful' else 'false block'}: {w['text']}" + (f"  <- {w['why']}" if w["why"] else ""))


def reuse_fitted_screen(src: Settings, dst: Settings) -> list[str]:
    """Copy the learned screen's cached fits from the real data dir into the bench's, so the bench
    does not refit it (a fit for another training file or embedder is simply never loaded)."""
    a, b = Path(src.data_dir) / "fidelity", Path(dst.data_dir) / "fidelity"
    copied = []
    for f in sorted(a.glob("semantic-*.joblib")) if a.is_dir() else []:
        b.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, b / f.name)
        copied.append(f.name)
    return copied


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
    p.add_argument("--sets", default="tune,sealed", help="screening: comma list of set names and/or roles from "
                   "assets/fidelity/sets/MANIFEST.json (train, tune, sealed); default tune,sealed")
    p.add_argument("--limit", type=int, default=None, help="screening: at most this many rows per set, evenly spaced (a quick slice)")
    p.add_argument("--show-wrong", action="store_true", help="screening: print missed and falsely blocked rows (never those of sealed sets)")
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
            reuse_fitted_screen(settings, bench_settings)
            res["screening"] = screening(bench_settings, log, sets=args.sets, limit=args.limit, show_wrong=args.show_wrong)
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
