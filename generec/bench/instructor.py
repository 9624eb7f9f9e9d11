"""`python -m generec bench instructor`: routing accuracy, slot F1 and latency per LLM backend.

Runs the labelled requests in `tests/data/instructor_requests.jsonl` through the same
`Planner.plan` the chat uses (context: the titles shown before, the kind of upload), then
times whole retrieval turns on the real corpus for the first-visible-step and turn latency.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from ..config import ROOT, Settings
from .evaluate import load_requests, report_table, run, score
from .fidelity import wilson
from ..instructor.planner import Planner

DATA = ROOT / "tests" / "data" / "instructor_requests.jsonl"
TURN_QUERIES = ["something calm with animals", "funny cartoon", "physics experiments please", "music visualiser with neon colours",
                "old cars racing", "a bird", "something relaxing", "show me a dog", "animation about building", "street life"]


def _planner(settings: Settings, backend: str) -> Planner:
    """`rules`, an LLM spec, or an LLM spec with `+plain` (plain searches planned by the cue words)
    or `+alone` (the model's plan as it is, without the cue-word corrections of `reconcile`)."""
    if backend == "rules":
        return Planner(None)
    from ..llm import load_llm

    spec, *plus = backend.split("+")
    return Planner(load_llm(settings, spec), fast="plain" in plus, check="alone" not in plus)


def request_sets(prefix: str = "") -> list[dict]:
    """The labelled sets of tests/data/MANIFEST.json whose name starts with `prefix` ("instructor_",
    "verdicts_"): name, file, role (train, tune or sealed)."""
    manifest = ROOT / "tests" / "data" / "MANIFEST.json"
    return [e for e in json.loads(manifest.read_text()) if e["name"].startswith(prefix)] if manifest.exists() else []


def role_of(path: Path) -> str:
    """The set's role in tests/data/MANIFEST.json (train, tune or sealed); `unlisted` otherwise."""
    here = Path(path).resolve()
    return next((e["role"] for e in request_sets() if (ROOT / e["file"]).resolve() == here), "unlisted")


def compare_plain(settings: Settings, backend: str, reqs: list[dict], busy: bool = False) -> dict:
    """The requests `rules.is_plain_search` takes away from the model (given the built corpus's words,
    as in the app), planned both ways: does the shortcut lose anything there? (Scores on that subset
    only; n and the share are reported.) `busy`: the wider shortcut of a busy model (unknown words
    of five letters or more pass too: `GENEREC_PLAN_FAST=busy`)."""
    from ..instructor.rules import is_plain_search, known_words
    from ..store import Store

    with Store(settings.db_url, migrate_now=False) as db:
        known = known_words(db)
    plain = [r for r in reqs if is_plain_search(r["text"], (r.get("context") or {}).get("shown") or [],
                                                (r.get("context") or {}).get("has_upload"), known, long_words_ok=busy)]
    out = {"n_all": len(reqs), "n_plain": len(plain), "share_plain": len(plain) / len(reqs) if reqs else 0.0,
           "shortcut": "busy (corpus words, and unknown words of 5+ letters)" if busy else "plain (corpus words only)"}
    if not plain:
        return out
    golds = [r["gold"] for r in plain]
    for name in ("rules", backend):
        planner = _planner(settings, name)
        if planner.llm is not None:
            planner.plan("hello")
        preds, lat = run(_plan_fn(planner), plain)
        res = score(golds, preds, lat)
        out[name] = {k: res[k] for k in ("action_accuracy", "slot_f1", "latency_p50_s")}
        out[name]["action_ci95"] = wilson(round(res["action_accuracy"] * res["n"]), res["n"])
        out[name]["wrong"] = [r["text"] for r, p in zip(plain, preds) if (p or {}).get("action") != r["gold"]["action"]]
    return out


def _plan_fn(planner: Planner, sources: list[str] | None = None):
    def plan(text: str, context: dict):
        shown = context.get("shown") or []
        p = planner.plan(text, [{"title": s.get("title", "")} for s in shown], context.get("has_upload"))
        if sources is not None:
            sources.append(p.source)
        return p.guidance
    return plan


def plan_set(settings: Settings, backend: str, reqs: list[dict]) -> dict:
    """Every request planned by `backend` as the chat plans it, scored against its gold label, with
    the action accuracy's 95 % interval, the share of plans that fell back to the rules, and the load time."""
    t0 = time.perf_counter()
    planner = _planner(settings, backend)
    load_s = time.perf_counter() - t0
    if planner.llm is not None:   # evaluate the prompt prefix once, as the app does at start
        planner.plan("hello")
    sources: list[str] = []
    preds, lat = run(_plan_fn(planner, sources), reqs)
    res = score([r["gold"] for r in reqs], preds, lat)
    res["action_ci95"] = wilson(round(res["action_accuracy"] * res["n"]), res["n"])
    # a model backend whose plan came from the keyword rules (it timed out or failed twice)
    res["fell_back"] = sum(s.startswith("rules (") for s in sources) / len(sources) if planner.llm is not None and sources else 0.0
    res["load_s"] = load_s
    return res


def turn_latency(settings: Settings, backend: str, n: int) -> dict:
    """First visible step and whole retrieval turn, server side, through GeneRec.turn."""
    import shutil
    import tempfile
    from pathlib import Path

    from ..app import GeneRec
    from ..store import Store

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        with Store(f"sqlite:///{settings.data_dir / 'generec.db'}", migrate_now=False) as db:   # a consistent copy, WAL included
            db.backup_to(d / "generec.db")
        shutil.copytree(settings.index_dir, d / "index")
        for sub in ("media", "models"):
            (d / sub).symlink_to(settings.data_dir / sub)
        app = GeneRec(settings.with_(data_dir=d, llm=backend))
        app.instructor  # load the model before timing, as the app does at start
        list(app.turn("maya", "warm up", session="bench-warm"))
        first, total = [], []
        for i in range(n):
            t0 = time.perf_counter()
            it = app.turn("maya", TURN_QUERIES[i % len(TURN_QUERIES)], session=f"bench-{i}")
            next(it)
            first.append(time.perf_counter() - t0)
            list(it)
            total.append(time.perf_counter() - t0)
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    return {"first_step_p50_s": statistics.median(first), "turn_p50_s": statistics.median(total), "turn_p95_s": q(total, 0.95), "turns": n}


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench instructor")
    ap.add_argument("--backends", default="llamacpp,llamacpp:fast,rules",
                    help="comma-separated GENEREC_LLM specs; `SPEC+alone` is the model without the cue-word corrections")
    ap.add_argument("--limit", type=int, default=0, help="only the first N requests")
    ap.add_argument("--requests", type=Path, default=DATA,
                    help="labelled JSONL (default: the 189-request tuning set; see README 'Measuring' for the held-out sets)")
    ap.add_argument("--turns", type=int, default=20, help="retrieval turns to time per backend (0: skip)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--compare-plain", metavar="BACKEND",
                    help="only the plain searches (GENEREC_PLAN_FAST=plain skips the model on them): rules vs BACKEND there")
    ap.add_argument("--busy", action="store_true", help="with --compare-plain: the wider shortcut a busy model takes (unknown long words pass)")
    args = ap.parse_args(argv)
    settings = settings or Settings.from_env()
    reqs = load_requests(args.requests)
    role = role_of(args.requests)
    reqs = reqs[: args.limit] if args.limit else reqs
    if args.compare_plain:
        out = compare_plain(settings, args.compare_plain, reqs, busy=args.busy)
        out["requests"], out["role"] = str(args.requests), role
        print(json.dumps(out, indent=None if args.json else 2))
        return 0
    results = {}
    for backend in args.backends.split(","):
        res = plan_set(settings, backend, reqs)
        if args.turns:
            res.update(turn_latency(settings, backend, args.turns))
        res["threads"] = settings.threads
        results[backend] = res
        if not args.json:
            print(f"{backend}: action {res['action_accuracy']:.3f}, slot F1 {res['slot_f1']:.3f}, p50 plan {res['latency_p50_s']:.2f} s", flush=True)
    if args.json:
        print(json.dumps({"requests": str(args.requests), "role": role, "backends": results}))
    else:
        print(report_table(results))
        for b, r in results.items():
            lo, hi = r["action_ci95"]
            print(f"{b}: action {r['action_accuracy']:.3f} [{lo:.3f}, {hi:.3f}] (n {r['n']}), plans that fell back to the rules {r['fell_back']:.1%}")
            print("  confusion (gold → planned): " + "; ".join(
                f"{g}: " + ", ".join(f"{p} {c}" for p, c in row.items() if c) for g, row in r["confusion"].items()))
            if "turn_p50_s" in r:
                print(f"{b}: first visible step p50 {r['first_step_p50_s'] * 1000:.0f} ms; retrieval turn p50 {r['turn_p50_s']:.2f} s, p95 {r['turn_p95_s']:.2f} s ({r['turns']} turns, {r['threads']} thread(s))")
        print(f"requests: {len(reqs)} from {args.requests} (role: {role})")
    return 0
