"""`python -m generec bench load`: many signed-in sessions at once; latency, refusals, and acknowledged vs stored rows.

On a private copy of the data dir (appbench.copy_data_dir, plus its fitted models and caches) it
makes one account per session (`load01`, …), starts `python app.py` with `GENEREC_AUTH=accounts`
on a free loopback port and runs the sessions in threads, each its own signed-in gradio_client.
A session sends `--turns` retrieval requests in a row (with `--think S`, pausing about S seconds
between them, as a person reading or watching; by default none: a stress test where the next
request follows each answer) and likes or dislikes one shown video after each served turn
(`/feedback`); with `--create TEXT`, one more account asks for a video meanwhile. A turn is served, declined by the request screen, refused at once
("busy" / "wait": the session waits what it was told, at most 30 s, then sends its next request)
or an error. Per turn: submit-to-result latency and queue wait (until Gradio's status leaves the
queue). Afterwards, with the app stopped, the database is read back: each acknowledged like or
dislike must be an interaction row, each served turn its user message and one impression per
video shown. Nothing is asserted; numbers are printed (a table, or one JSON object with `--json`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from unittest import mock

from .app import QUERIES, AppProcess, carry_caches, copy_data_dir, message_parts, pct, shown_ids, this_turn
from ..config import Settings

STARTED = {"PROCESSING", "ITERATING", "PROGRESS", "FINISHED", "CANCELLED"}   # Gradio status codes past the queue


def account(i: int) -> tuple[str, str]:
    return f"load{i:02d}", f"load-bench-{i:02d}-pw"


def classify(msgs: list) -> tuple[str, str]:
    """(served | declined | busy | limit | error, the warning text if any) of a finished turn's messages."""
    warn = [t for t in (p.get("text") or "" for p in message_parts(msgs, "text")) if t.startswith("⚠️")]
    # refused at once (busy, or this account's limit); the request screen said no (the request is stored)
    for kind, cue in (("busy", "busy"), ("limit", "Wait"), ("declined", "⚠️ I won't do that")):
        if any(cue in w for w in warn):
            return kind, next(w for w in warn if cue in w)
    if warn and not shown_ids(msgs):
        return "error", warn[0]
    return "served", warn[0] if warn else ""


def timed_turn(client, text: str, choice: str = "you", timeout_s: float = 900.0) -> dict:
    """One /chat turn: latency (submit to final result), queue wait, outcome, shown item ids. The
    arguments go by component (box, Profile choice; a history input gets []); the history returned
    is kept server-side and grows, so this turn is what follows the last user message."""
    params = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/chat"]["parameters"]
    by = {"multimodaltextbox": {"text": text, "files": []}, "chatbot": [], "dropdown": choice}
    t0 = time.perf_counter()
    job = client.submit(*[by.get(str(p.get("component")).lower()) for p in params], api_name="/chat")
    left_queue = None
    while not job.done():
        if left_queue is None and job.status().code.name in STARTED:
            left_queue = time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout_s:
            job.cancel()
            raise TimeoutError(f"no answer within {timeout_s:.0f} s")
        time.sleep(0.05)
    history, s = job.result()[0] or [], time.perf_counter() - t0
    msgs = this_turn(history)
    kind, note = classify(msgs)
    return {"text": text, "s": s, "queue_s": left_queue if left_queue is not None else s, "kind": kind,
            "note": note, "shown": shown_ids(msgs) if kind == "served" else []}


def sign_in(url: str, i: int) -> tuple:
    """A signed-in gradio_client (a browser waits longer than httpx's 5 s, so 60 s), and its time."""
    from gradio_client import Client
    t0 = time.perf_counter()
    c = Client(url, auth=account(i), verbose=False, download_files=False, httpx_kwargs={"timeout": 60.0})
    return c, time.perf_counter() - t0


def session(url: str, i: int, turns: int, out: list, signins: list, log, think_s: float = 0.0) -> None:
    """Session `i` signs in and sends its turns; `think_s` > 0: between turns it pauses a time drawn
    uniformly from 0.5-1.5x that (seeded by `i`), as a person reading the answer or watching a video."""
    import random

    name, pause = account(i)[0], random.Random(i)
    try:
        client, took = sign_in(url, i)
        signins.append({"account": name, "s": took})
    except Exception as exc:  # count it; this session's turns are not run
        return signins.append({"account": name, "error": f"sign-in: {type(exc).__name__}: {exc}"[:200]})
    for t in range(turns):
        text = QUERIES[(i * 7 + t) % len(QUERIES)]
        if t and think_s > 0:
            time.sleep(pause.uniform(0.5 * think_s, 1.5 * think_s))
        try:
            row = timed_turn(client, text)
        except Exception as exc:
            row = {"text": text, "kind": "error", "note": f"{type(exc).__name__}: {str(exc)[:160]}"}
        row["account"] = name
        if row.get("shown"):
            item, kind = row["shown"][t % len(row["shown"])], ("like", "dislike")[t % 2]
            try:
                ack = client.predict(item, kind, None, "you", api_name="/feedback")
                ok = ack.get("item_id") == item and ack.get("kind") == kind
                row["ack" if ok else "feedback_error"] = (item, kind) if ok else f"unexpected answer {ack!r}"[:160]
            except Exception as exc:
                row["feedback_error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
        out.append(row)
        log(f"  {name} turn {t + 1}/{turns} {row['kind']} {row.get('s', 0):.1f} s (queue {row.get('queue_s', 0):.1f} s) "
            f"{len(row.get('shown', []))} shown {row['note'][:60]!r}")
        if row["kind"] in ("busy", "limit"):   # wait what it said ("in about N s", "Wait N s"), at most 30 s
            told = re.search(r"(?:in about|Wait) (\d+) s", row["note"])
            time.sleep(min(30.0, float(told.group(1))) if told else 2.0)
    client.close()


def creation(url: str, i: int, text: str, out: dict, log) -> None:
    """Account `i` asks for one video (`--create`) while the sessions chat: the time until the turn
    that streams the creation ends, and the ids it showed (read back from the store afterwards)."""
    try:
        client = sign_in(url, i)[0]
        out.update(timed_turn(client, text))
        client.close()
    except Exception as exc:  # noqa: BLE001 - a failed creation is reported with the run, not raised
        out.update(kind="error", note=f"{type(exc).__name__}: {str(exc)[:160]}")
    log(f"  creation {out.get('kind')} {out.get('s', 0):.1f} s {out.get('shown')}")


def made_items(db_url: str, ids: list[str]) -> dict[str, dict]:
    """Which of `ids` the store holds as AI-created items, with where each one's time went (the
    creator's stage seconds) and which model wrote its storyboard."""
    from ..store import open_store

    with open_store(db_url) as store:
        items = [it for i in ids if (it := store.get_item(i)) is not None and it.origin == "ai_created"]
    board = lambda it: it.provenance.get("storyboard") or {}  # noqa: E731
    return {it.id: {"stage_s": it.provenance.get("stage_times", {}), "storyboard": f"{board(it).get('source', '')} {board(it).get('model', '')}".strip()}
            for it in items}


def reconcile(db_url: str, rows: list[dict]) -> dict:
    """Acknowledged vs stored, per kind: what the app said it kept against what the database holds."""
    from ..store import open_store

    report = {k: {"acknowledged": 0, "stored": 0, "lost": 0} for k in ("user message", "impression", "like", "dislike")}
    with open_store(db_url) as store:
        for name in sorted({r["account"] for r in rows}):
            mine = [r for r in rows if r["account"] == name]
            served = [r for r in mine if r["kind"] == "served"]
            acks = [r["ack"] for r in mine if "ack" in r]
            said = {"user message": Counter(r["text"] for r in mine if r["kind"] in ("served", "declined")),
                    "impression": Counter(i for r in served for i in r["shown"]),
                    **{k: Counter(i for i, kk in acks if kk == k) for k in ("like", "dislike")}}
            have = {"user message": Counter(m.content for m in store.messages(name, limit=100_000) if m.role == "user"),
                    **{k: Counter(e.item_id for e in store.interactions(user=name, kinds=[k]))
                       for k in ("impression", "like", "dislike")}}
            for k, want in said.items():
                report[k]["acknowledged"] += sum(want.values())
                report[k]["stored"] += sum(have[k].values())
                report[k]["lost"] += sum((want - have[k]).values())
    return report


def summarise(rows: list[dict], signins: list[dict], wall_s: float) -> dict:
    served = [r for r in rows if r["kind"] == "served"]
    spread = lambda xs: {"p50": pct(xs, 50), "p95": pct(xs, 95), "max": max(xs, default=None)}  # noqa: E731
    errors = [f"{x['account']}: {x['error']}" for x in signins if "error" in x]
    errors += [f"{r['account']}: {r['note']}" for r in rows if r["kind"] == "error"]
    errors += [f"{r['account']} feedback: {r['feedback_error']}" for r in rows if "feedback_error" in r]
    return {"signed_in": sum("s" in x for x in signins), "sign_in_s": spread([x["s"] for x in signins if "s" in x]),
            "turns": len(rows), "served": len(served), "shown": sum(len(r["shown"]) for r in served),
            **{k: sum(r["kind"] == w for r in rows) for k, w in (("declined", "declined"), ("refused_busy", "busy"), ("refused_limit", "limit"))},
            "errors": len(errors), "first_errors": errors[:5], "latency_s": spread([r["s"] for r in served]),
            "queue_wait_s": spread([r["queue_s"] for r in rows if "queue_s" in r]),
            "wall_s": wall_s, "served_per_min": 60 * len(served) / wall_s if wall_s else None}


def table(r: dict) -> str:
    f = lambda x, unit=" s": "—" if x is None else f"{x:.1f}{unit}"  # noqa: E731
    spread = lambda d: f"p50 {f(d['p50'])}  p95 {f(d['p95'])}  max {f(d['max'])}"  # noqa: E731
    lines = [f"setup       {r.get('setup', 'in-process')}",
             f"setting     {r['sessions']} sessions × {r['turns_per_session']} turns, think {r.get('think_s', 0):g} s, llm={r['llm']}, threads={r['threads']}, slots={r.get('llm_slots', 1)}, "
             f"max_waiting={r['max_waiting']}, cores={r['cores']}, load(1m) {r['load_before']:.1f} → {r['load_after']:.1f}",
             f"app ready   {f(r['ready_s'])}; first turn (warm-up, not counted) {f(r['warm_turn_s'])}",
             f"sign-in     {r['signed_in']}/{r['sessions']} sessions, {spread(r['sign_in_s'])}",
             f"turns       {r['turns']}: served {r['served']} ({r['shown']} videos shown), declined by the screen {r['declined']}, "
             f"refused busy {r['refused_busy']}, refused limit {r['refused_limit']}, errors {r['errors']}",
             f"latency     served turns {spread(r['latency_s'])}", f"queue wait  {spread(r['queue_wait_s'])}",
             f"throughput  {f(r['served_per_min'], ' served turns/min')} over {f(r['wall_s'])}",
             f"server log  {r['server_log_errors']} error lines",
             *([f"creation    {r['creation']['text']!r}: {r['creation']['kind']} in {f(r['creation']['s'])}, AI-made items shown {json.dumps(r['creation']['made'])} {r['creation']['note'][:80]}"]
               if r.get("creation") else []), "", f"{'rows':<14}{'acknowledged':>13}{'stored':>8}{'lost':>6}"]
    lines += [f"{k:<14}{v['acknowledged']:>13}{v['stored']:>8}{v['lost']:>6}" for k, v in r["rows"].items()]
    return "\n".join(lines + [f"lost in all  {r['lost']}"] + [f"  error: {e}" for e in r["first_errors"]]
                     + [f"  server log: {e[:160]}" for e in r["server_log_first"]])


SETUPS = ("in-process", "two-slots", "llm-server")


def run_setup(setup: str, args, settings: Settings, src: Path, log) -> dict:
    """One setup on its own private copy of the data dir: `in-process` (the app's own llama.cpp),
    `two-slots` (the same with `GENEREC_LLM_SLOTS=2`: two copies of the model answer at once) or
    `llm-server` (the bundled model behind `python -m generec llm-server`, reached through the
    `openai:` backend; the server's evaluated prompts are warmed by the warm-up turn)."""
    n = max(1, args.sessions)
    llm, waiting = args.llm or settings.llm, args.max_waiting or settings.max_waiting
    tmp = Path(tempfile.mkdtemp(prefix="generec-loadbench-"))
    report = {"setup": setup, "sessions": n, "turns_per_session": max(1, args.turns), "llm": llm, "threads": settings.threads,
              "max_waiting": waiting, "think_s": args.think, "plan_fast": settings.plan_fast, "cores": os.cpu_count(), "load_before": os.getloadavg()[0]}
    server = None
    try:
        data = carry_caches(src, copy_data_dir(src, tmp / "data"))   # a server under load has them already
        from ..app.accounts import Accounts
        from ..store import open_store
        with open_store(Settings(data_dir=data).db_url) as store:
            for i in range(n + 2):   # load00 takes the warm-up turn; the last one asks for a video (--create)
                Accounts(store).add(*account(i))
        env = {"GENEREC_AUTH": "accounts", "GENEREC_LLM": llm, "GENEREC_MAX_WAITING": str(waiting),
               "GENEREC_LLM_SLOTS": "2" if setup == "two-slots" else str(settings.llm_slots)}
        report["llm_slots"] = int(env["GENEREC_LLM_SLOTS"])
        if setup == "llm-server":
            from ..app.llm_warm import warm
            from ..llm import server as llmserver
            from .app import free_port

            port = free_port()
            t0 = time.perf_counter()
            server = llmserver.start(settings, port, log=open(data / "llm-server.log", "w"))
            report["llm_server_start_s"] = time.perf_counter() - t0
            report["llm_server_warm_s"] = warm(settings, port)   # as the in-process model's saved prompt states
            env.update(llmserver.env_for(port))
            report["llm"] = env["GENEREC_LLM"] + " (llama-cpp-python server, bundled GGUF)"
        with mock.patch.dict(os.environ, env):   # AppProcess copies the environment when it starts
            proc = AppProcess(data, settings.threads)
        rows, signins = [], []
        try:
            report["ready_s"] = proc.wait_ready(args.ready_timeout)
            c = sign_in(proc.url, 0)[0]
            report["warm_turn_s"] = timed_turn(c, "something calm with animals")["s"]
            c.close()
            t0 = time.perf_counter()
            threads = [threading.Thread(target=session, args=(proc.url, i, max(1, args.turns), rows, signins, log, args.think), daemon=True)
                       for i in range(1, n + 1)]
            made: dict = {}
            if args.create:   # asked a moment after the sessions start, so it meets their load
                threads.append(threading.Thread(target=lambda: (time.sleep(2.0), creation(proc.url, n + 1, args.create, made, log)), daemon=True))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        finally:
            proc.stop()
        bad = [ln for ln in (data / "app.log").read_text(errors="replace").splitlines() if "Traceback" in ln or "ERROR" in ln[:40]]
        report["server_log_errors"], report["server_log_first"] = len(bad), bad[:3]
        report.update(summarise(rows, signins, wall))
        report["rows"] = reconcile(Settings(data_dir=data).db_url, rows)
        if args.create:
            report["creation"] = {"text": args.create, "kind": made.get("kind"), "s": made.get("s"), "note": made.get("note", ""),
                                  "made": made_items(Settings(data_dir=data).db_url, made.get("shown") or [])}
        report["lost"] = sum(v["lost"] for v in report["rows"].values())
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    report["load_after"] = os.getloadavg()[0]
    return report


def side_by_side(reports: list[dict]) -> str:
    f = lambda x: "—" if x is None else f"{x:.1f}"  # noqa: E731
    rows = [("turns served / sent", lambda r: f"{r['served']}/{r['turns']}"), ("errors", lambda r: str(r["errors"])),
            ("refused busy", lambda r: str(r["refused_busy"])), ("latency p50 s", lambda r: f(r["latency_s"]["p50"])),
            ("latency p95 s", lambda r: f(r["latency_s"]["p95"])), ("latency max s", lambda r: f(r["latency_s"]["max"])),
            ("served turns/min", lambda r: f(r["served_per_min"])), ("rows lost", lambda r: str(r["lost"])),
            ("creation s", lambda r: f((r.get("creation") or {}).get("s")))]
    head = f"{'':<22}" + "".join(f"{r['setup']:>16}" for r in reports)
    return "\n".join([head] + [f"{name:<22}" + "".join(f"{get(r):>16}" for r in reports) for name, get in rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench load", description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--turns", type=int, default=10, help="requests each session sends")
    ap.add_argument("--think", type=float, default=0.0,
                    help="seconds a session pauses between its turns (drawn from 0.5-1.5x, seeded; default 0: the next request as soon as an answer ends)")
    ap.add_argument("--data", type=Path, help="built data dir to copy (default: GENEREC_DATA_DIR or ./data)")
    ap.add_argument("--llm", help="GENEREC_LLM for the app (default: as configured, e.g. llamacpp)")
    ap.add_argument("--max-waiting", type=int, help="GENEREC_MAX_WAITING for the app (default: as configured)")
    ap.add_argument("--create", metavar="TEXT", help="one more account asks for this video 2 s into the run; its time to the shown video is printed")
    ap.add_argument("--setups", default="in-process", help=f"comma-separated, run one after another and printed side by side: {', '.join(SETUPS)}")
    ap.add_argument("--ready-timeout", type=float, default=300.0)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--verbose", action="store_true", help="print every turn as it ends (stderr)")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    src = (args.data or settings.data_dir).resolve()
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    why = ("it loads a private copy of a SQLite data dir; unset GENEREC_DATABASE_URL" if not settings.db_url.startswith("sqlite")
           else "" if (src / "generec.db").is_file() else f"no built corpus in {src}: run `make corpus`")
    why = why or next((f"unknown setup {s!r}: choose from {', '.join(SETUPS)}" for s in setups if s not in SETUPS), "")
    if why:
        return print(f"generec bench load: {why}", file=sys.stderr) or 2
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if args.verbose else (lambda s: None)
    out, sys.stdout = sys.stdout, sys.stderr   # libraries print on load: stdout is for the result alone
    term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stopped, it still stops its app and removes its copy
    try:
        reports = [run_setup(s, args, settings, src, log) for s in setups]
    finally:
        sys.stdout = out
        signal.signal(signal.SIGTERM, term)
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else {"setups": reports}, indent=2))
    else:
        print("\n\n".join(table(r) for r in reports) + ("\n\n" + side_by_side(reports) if len(reports) > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
