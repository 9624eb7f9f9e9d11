"""`python -m generec bench checks`: every corpus video through every edit op, and what the
fidelity checks said about each result.

On a private copy of the data dir, a bench user (`checks-bench`, no likes) asks the chat's own
edit tool (`app.tools.edit_item`, default settings, no instruction) for each op on each corpus
video (restyle, which has no default look, is asked for `--style`, vintage by default). Per op it counts results kept, refused by a check and held (a check could not run), and
per check how often it failed or did not run; `--show` lists every such case with its reason,
so each one can be looked at. With `--creations N`, the creator also makes a 10 s video for each of
the first N create requests (no upload) of the `tune` instructor sets, with the configured LLM, and
the same counts are kept for them (op `create`). Nothing is asserted; numbers are printed.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from ..config import Settings
from ..editor import OPS
from .app import carry_caches, copy_data_dir

USER = "checks-bench"


def create_requests(n: int) -> list[str]:
    """The first `n` create requests without an upload of the `tune` instructor sets (never a sealed one)."""
    from ..config import ROOT
    from .evaluate import load_requests
    from .instructor import request_sets

    rows = [r for e in request_sets("instructor_") if e["role"] == "tune" for r in load_requests(ROOT / e["file"])]
    texts = [r["text"] for r in rows if r["gold"]["action"] == "create" and "upload" not in r.get("tags", [])]
    return list(dict.fromkeys(texts))[:n]


def creator_context(app, settings: Settings):
    """The creator as the chat's job runs it: the configured LLM (templates when it cannot load), one
    context for every creation, so its library is built once."""
    from ..creator.context import CreatorContext
    from ..llm import LLMUnavailable, load_llm

    try:
        llm = load_llm(settings)
    except LLMUnavailable:
        llm = None
    return CreatorContext.from_app(app, llm=llm)


def sweep(settings: Settings, items: int | None, ops: list[str], style: str = "vintage", log=print, creations: int = 0) -> dict:
    from ..app import GeneRec
    from ..app.tools import edit_item
    from ..creator.pipeline import CreateError, create
    from ..instructor.tools import Deps
    from ..types import User

    app = GeneRec(settings)
    app.store.upsert_user(User(name=USER, display="checks bench (simulated)", simulated=True))
    videos = [it for it in app.store.list_items(visible_to=None) if it.media_path and it.origin == "human"]
    videos = videos[:items] if items else videos
    deps = Deps(store=app.store, catalog=app.catalog, feed=app.feed, settings=settings, user=USER, session="bench")
    per_op, per_check, cases = defaultdict(Counter), defaultdict(Counter), []

    def tally(op: str, source: str, made: list) -> None:
        for item in made:
            checks = (item.provenance or {}).get("checks", {}).get("checks", {})
            bad = {name: c for name, c in checks.items() if c["status"] != "pass"}
            per_op[op]["held" if any(c["status"] == "not_run" for c in bad.values()) else "kept"] += 1
            for name, c in bad.items():
                per_check[name][c["status"]] += 1
                cases.append({"item": source, "op": op, "outcome": c["status"], "check": name, "reason": c.get("reason", "")[:300]})

    for it in videos:
        for op in ops:
            t0 = time.perf_counter()
            res = edit_item(deps, it.id, op, {"style": style if op == "restyle" else None, "query": None})   # restyle needs a look
            secs = time.perf_counter() - t0
            if res["status"] != "ok":
                refused = res["message"].startswith("the fidelity checks refused")
                per_op[op]["refused" if refused else "error"] += 1
                cases.append({"item": it.id, "op": op, "outcome": "refused" if refused else "error", "reason": res["message"][:300]})
                log(f"  {op:9s} {it.id[:40]:40s} {'refused' if refused else 'error':8s} {secs:5.1f} s  {res['message'][:120]}")
                continue
            tally(op, it.id, [app.store.get_item(made["id"]) for made in res["items"]])
            log(f"  {op:9s} {it.id[:40]:40s} ok       {secs:5.1f} s  {len(res['items'])} item(s)")
    requests = create_requests(creations)
    creator = creator_context(app, settings) if requests else None
    for req in requests:
        t0 = time.perf_counter()
        try:
            made = [create(req, {"duration_s": 10}, USER, creator).item]   # 10 s, as the chat's job makes it
        except CreateError as exc:   # the checks stage's refusal, or another stage that broke
            outcome = "refused" if exc.message.startswith("Refused") else "error"
            per_op["create"][outcome] += 1
            cases.append({"item": req, "op": "create", "outcome": outcome, "reason": str(exc)[:300]})
            log(f"  create    {req[:40]:40s} {outcome:8s} {time.perf_counter() - t0:5.1f} s  {str(exc)[:120]}")
            continue
        tally("create", req, made)
        gone = made[0].provenance.get("authenticity_dropped") or []
        log(f"  create    {req[:40]:40s} ok       {time.perf_counter() - t0:5.1f} s  {made[0].title[:60]}"
            + (f"  (dropped as unsupported: {'; '.join(g[:60] for g in gone)})" if gone else ""))
    for c in (c for c in cases if c["outcome"] == "refused"):   # "<title>: Refused: <check>: <reason>; <check>: <reason>"
        for line in c["reason"].split(" | "):
            for name in re.findall(r"(?:Refused: |; )([a-z_]+): ", line):
                per_check[name]["fail"] += 1
    return {"videos": len(videos), "ops": ops, "creations": len(requests), "per_op": {k: dict(v) for k, v in per_op.items()},
            "per_check": {k: dict(v) for k, v in per_check.items()}, "cases": cases}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench checks", description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, help="only the first N corpus videos (default: all)")
    ap.add_argument("--ops", default=",".join(OPS), help=f"comma-separated, from {', '.join(OPS)}")
    ap.add_argument("--style", default="vintage", help="the look restyle is asked for (it has no default)")
    ap.add_argument("--creations", type=int, default=0, help="also make a video for each of the first N create requests of the tune instructor sets")
    ap.add_argument("--show", action="store_true", help="list every refused, failed or held case with its reason")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    src = Settings.from_env()
    tmp = Path(tempfile.mkdtemp(prefix="generec-checks-"))
    try:
        # the corpus build's fitted screen and evaluated prompts come along: the sweep measures the checks, not a refit
        settings = src.with_(data_dir=carry_caches(src.data_dir, copy_data_dir(src.data_dir, tmp / "data")))
        rep = sweep(settings, args.items, [o.strip() for o in args.ops.split(",") if o.strip()], args.style,
                    log=(lambda *a: None) if args.json else print, creations=args.creations)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    print(f"\n{rep['videos']} corpus videos × {len(rep['ops'])} ops" + (f", {rep['creations']} creations" if rep["creations"] else ""))
    for op in rep["ops"] + (["create"] if rep["creations"] else []):
        print(f"  {op:9s} " + "  ".join(f"{k} {v}" for k, v in sorted(rep["per_op"].get(op, {}).items())))
    print("checks that did not pass:")
    for name, c in sorted(rep["per_check"].items()):
        print(f"  {name:14s} " + "  ".join(f"{k} {v}" for k, v in sorted(c.items())))
    if args.show:
        for c in rep["cases"]:
            print(f"  {c['op']:9s} {c['item'][:40]:40s} {c.get('check', c['outcome']):14s} {c['reason']}")
    return 0
