"""`python -m generec bench app`: how fast the chat app starts, answers, and how much memory it holds.

Measured on a private copy of the data dir (database copied with SQLite's backup API, index and
media copied, model cache linked, the corpus build's caches and fitted models copied unless
`--cold`), so nothing is written to the real one:

- start: `python app.py` as a subprocess on a free loopback port, until `/` answers HTTP 200;
  then the first chat turn through gradio_client (the page is served once the models are warm);
- server side: `GeneRec.turn` called in this process, time until its last event, over N varied
  requests (default 50), rotating the persona profiles;
- end to end: the same requests through gradio_client's `/chat` against the subprocess;
- memory: the app process's peak resident set (VmHWM from /proc; psutil sampling elsewhere);
- setup: install and corpus-build times, cold as the Makefile recorded them, warm by running the targets.

Numbers are printed (a table, or one JSON object with `--json`); nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from ..config import ROOT, Settings

# Retrieval requests on every theme of the corpus. "show me …" keeps the planner on retrieval, so
# this measures the retrieval turn; how well the planner routes bare phrases is `bench instructor`'s job.
TOPICS = [
    "birds", "a cute dog", "funny animals", "rabbits in a meadow", "physics experiments", "a falling ball experiment",
    "a puck on an air table", "magnets in a classroom", "science lessons", "colourful abstract visuals", "neon patterns",
    "a hypnotic spiral", "a psychedelic music visualiser", "calm glowing particles", "something dreamy and violet",
    "glitchy noise", "cartoon robots", "a cartoon story", "blupi in the snow", "a go-kart at night",
    "a tiny planet in space", "animated characters having a party", "something sad and wintry", "a bulldozer in the fog",
    "a spooky spider", "city streets with bicycles", "old racing cars", "black and white history footage",
    "a person talking in a car", "a linux terminal tutorial", "plants in the sunlight", "cosy indoor scenes",
    "the solar system", "stars and galaxies", "something relaxing before bed", "energetic dance music visuals",
    "a creative commons explainer", "something funny", "short clips about machines", "a laboratory",
    "castles and towers", "a river crossing", "a crystal machine with sparkles", "icy blue shapes",
    "warm orange colours", "something green and organic", "a slow smooth wave", "live action footage", "a pendulum",
]
QUERIES = ["something calm with animals"] + [f"show me {t}" for t in TOPICS]
USERS = ("maya", "leo", "sam", "noor")


# -- a private data dir --------------------------------------------------------------------------
def copy_data_dir(src: Path, dst: Path) -> Path:
    """A private data dir: the database (consistent even with a live WAL), the index and the media
    as real files inside dst (Gradio serves only files under allowed_paths, and anything the app
    makes lands here, never in src); the model cache is linked read-only. No caches are carried."""
    from ..store import Store

    dst.mkdir(parents=True, exist_ok=True)
    with Store(f"sqlite:///{src / 'generec.db'}", migrate_now=False) as db:   # only the store opens the file
        db.backup_to(dst / "generec.db")
    shutil.copytree(src / "index", dst / "index")
    if (src / "media").exists():
        shutil.copytree((src / "media").resolve(), dst / "media")  # follows links: files, not symlinks
    if (src / "models").exists():
        (dst / "models").symlink_to((src / "models").resolve())
    return dst


DERIVED = ("cache", "creator", "fidelity", "recsys")   # keyed caches and fitted models the corpus build leaves


def carry_caches(src: Path, dst: Path) -> Path:
    """`dst` with the data dir `src`'s caches and fitted models (the learned request screen, the LLM's
    evaluated prompts, ...) copied in: a data dir as `make demo` leaves it, so the first turn measures
    the app and not a refit."""
    for sub in DERIVED:
        if (src / sub).is_dir() and not (dst / sub).exists():
            shutil.copytree((src / sub).resolve(), dst / sub)
    return dst


def message_parts(msgs: list, kind: str) -> list:
    """The parts of one kind ("text", "file") of gradio chat messages; a message whose content is
    plain text is one text part."""
    out = []
    for m in (m for m in msgs if isinstance(m, dict)):
        content = m.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}] if isinstance(content, str) else []
        out += [p for p in parts if isinstance(p, dict) and p.get("type", "text") == kind]
    return out


def this_turn(history: list) -> list:
    """The messages after the last user message: what the app answered to it."""
    history = [m for m in history or [] if isinstance(m, dict)]
    return history[max((n for n, m in enumerate(history) if m.get("role") == "user"), default=-1) + 1:]


def shown_ids(msgs: list) -> list[str]:
    """Item ids of the videos among msgs: a video's file is named after its item
    (`…/generec-media/<id>.mp4`, served by the app's checked route), or a `/media/<id>` URL."""
    refs = [str((f.get("url") or f.get("path")) if isinstance(f, dict) else f) for f in (p.get("file") for p in message_parts(msgs, "file")) if f]
    return [r.split("/media/", 1)[1].split("/")[0] if "/media/" in r else Path(r).stem for r in refs]


# -- the app as a subprocess ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def peak_rss_mb(pid: int) -> float | None:
    """The kernel's high-water mark of the process's resident set."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class RssSampler(threading.Thread):
    """Fallback where /proc has no VmHWM: the largest RSS psutil sees, sampled every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0.0, threading.Event()

    def run(self):
        try:
            import psutil

            p = psutil.Process(self.pid)
            while not self.halt.is_set():
                self.peak = max(self.peak, p.memory_info().rss / 2**20)
                self.halt.wait(0.2)
        except Exception:  # psutil missing or the process ended: keep what was seen
            pass


class AppProcess:
    def __init__(self, data_dir: Path, threads: int, log_name: str = "app.log", port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ, GENEREC_DATA_DIR=str(data_dir), GRADIO_SERVER_NAME="127.0.0.1",
                   GRADIO_SERVER_PORT=str(self.port), GENEREC_THREADS=str(threads), HF_HUB_OFFLINE="1",
                   TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
        self.log = open(data_dir / log_name, "wb")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=str(ROOT), env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.sampler = RssSampler(self.proc.pid)
        self.sampler.start()

    def wait_ready(self, timeout_s: float) -> float:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if _ok(self.url):
                return time.perf_counter() - self.t0
            if self.proc.poll() is not None:
                raise RuntimeError(f"`python app.py` exited with {self.proc.returncode}; see {self.log.name}")
            time.sleep(0.05)
        raise RuntimeError(f"`python app.py` did not answer within {timeout_s:.0f} s; see {self.log.name}")

    def peak_mb(self) -> tuple[float | None, str]:
        hwm = peak_rss_mb(self.proc.pid)
        if hwm is not None:
            return hwm, "VmHWM"
        return (self.sampler.peak or None), "psutil samples"

    def stop(self) -> None:
        self.sampler.halt.set()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the app's own session: it and its children only
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass
        self.log.close()


# -- measurements --------------------------------------------------------------------------------
def pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "mean": statistics.fmean(xs) if xs else None,
            "max": max(xs) if xs else None}


def _action(detail: str) -> str:
    return (detail or "?").split(" · ")[0].strip() or "?"


def _stats(rows: list[dict]) -> dict:
    """rows: one per turn {"s", "first_s", "action", "items"}; retrieval = planned as retrieve and showed items."""
    retr = [r for r in rows if r["action"] == "retrieve" and r["items"]]
    return {"turn_s": summary([r["s"] for r in rows]), "retrieval_turn_s": summary([r["s"] for r in retr]),
            "retrieval_first_item_s": summary([r["first_s"] for r in retr if r["first_s"] is not None]),
            "actions": dict(Counter(r["action"] for r in rows)), "turns_with_items": sum(1 for r in rows if r["items"])}


def server_side(settings: Settings, queries: list[str], log) -> dict:
    """GeneRec.turn in this process: time to its last event (and to the first item shown)."""
    from ..events import Problem, ShowItem, Step
    from ..app import GeneRec

    t = time.perf_counter()
    app = GeneRec(settings)
    app.warm_up()
    warm = time.perf_counter() - t
    rows, problems = [], []
    for i, q in enumerate(queries):
        user = USERS[i % len(USERS)]
        t0, row = time.perf_counter(), {"first_s": None, "action": "?", "items": 0}
        try:
            for ev in app.turn(user, q, session=f"appbench-{user}"):
                if isinstance(ev, ShowItem):
                    row["items"] += 1
                    row["first_s"] = row["first_s"] or time.perf_counter() - t0
                elif isinstance(ev, Step) and ev.title == "Reading your request" and ev.status != "pending":
                    row["action"], row["plan_s"] = _action(ev.detail), ev.seconds
                elif isinstance(ev, Step) and ev.title == "Searched the corpus":
                    row["search_s"] = ev.seconds
                elif isinstance(ev, Problem):
                    problems.append((q, ev.text[:120]))
        except Exception as exc:  # count it, keep measuring
            problems.append((q, f"{type(exc).__name__}: {str(exc)[:120]}"))
        row["s"] = time.perf_counter() - t0
        rows.append(row)
        log(f"  turn {i + 1}/{len(queries)} {row['s']:.2f} s {row['action']} {row['items']} items  {q!r}")
    app.store.close()
    steps = {k: summary([r[k] for r in rows if r.get(k) is not None]) for k in ("plan_s", "search_s")}
    return {"load_and_warm_s": warm, **_stats(rows), **steps, "problems": problems}


def end_to_end(url: str, queries: list[str], log) -> dict:
    """The same requests through gradio_client's /chat, one client (one session) per profile."""
    from gradio_client import Client

    clients = {u: Client(url, verbose=False) for u in USERS}
    rows, errors = [], []
    for i, q in enumerate(queries):
        user = USERS[i % len(USERS)]
        t0, row = time.perf_counter(), {"first_s": None, "action": "?", "items": 0}
        try:
            job = clients[user].submit({"text": q, "files": []}, [], user, api_name="/chat")
            for out in job:  # every streamed update of the chat
                if row["first_s"] is None and shown_ids(out[0] or []):
                    row["first_s"] = time.perf_counter() - t0
            msgs = this_turn(job.result()[0])
            for m in msgs:
                texts = [p.get("text") or "" for p in message_parts([m], "text")]
                if ((m.get("metadata") or {}).get("title") or "").startswith("Reading your request") and texts:
                    row["action"] = _action(texts[0])
            row["items"] = len(shown_ids(msgs))
        except Exception as exc:  # count it, keep measuring
            errors.append((q, f"{type(exc).__name__}: {str(exc)[:120]}"))
        row["s"] = time.perf_counter() - t0
        rows.append(row)
        log(f"  e2e {i + 1}/{len(queries)} {row['s']:.2f} s {row['action']} {row['items']} items  {q!r}")
    for c in clients.values():
        c.close()
    return {**_stats(rows), "errors": errors}


def first_turn(url: str, text: str = "something calm with animals") -> float:
    from gradio_client import Client

    c = Client(url, verbose=False)
    t0 = time.perf_counter()
    c.predict({"text": text, "files": []}, [], "maya", api_name="/chat")
    took = time.perf_counter() - t0
    c.close()
    return took


# -- output --------------------------------------------------------------------------------------
def _f(x, unit="s", nd=2) -> str:
    return "—" if x is None else f"{x:.{nd}f} {unit}"


def setup_times(data_dir: Path) -> dict:
    """Install and corpus-build times: cold ones as the Makefile recorded them when each step really
    ran (`.venv/.stamps/*.seconds`, `<data>/.corpus-build-seconds`), warm ones by running the targets now."""
    out: dict = {"install_cold_s": {}, "corpus_build_cold_s": None}
    for f in sorted((ROOT / ".venv" / ".stamps").glob("*.seconds")):
        out["install_cold_s"][f.stem] = float(f.read_text().strip() or 0)
    out["install_cold_total_s"] = sum(out["install_cold_s"].values()) or None
    corpus = Path(data_dir) / ".corpus-build-seconds"
    if corpus.exists():
        out["corpus_build_cold_s"] = float(corpus.read_text().strip() or 0)
    env = dict(os.environ, GENEREC_DATA_DIR=str(data_dir))
    for target in ("install", "corpus"):
        t = time.perf_counter()
        res = subprocess.run(["make", "-s", target], cwd=ROOT, env=env, capture_output=True, text=True)
        out[f"{target}_warm_s"] = round(time.perf_counter() - t, 2) if res.returncode == 0 else None
    return out


def table(r: dict) -> str:
    rows = [("setting", f"llm={r['llm']} threads={r['threads']} queries={r['queries']} cores={r['cores']} "
                        f"load(1m) {r['loadavg_1m_before']:.1f} → {r['loadavg_1m_after']:.1f}")]
    if "setup" in r:
        su = r["setup"]
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in su["install_cold_s"].items()) or "not recorded (installed before timing existed)"
        rows += [("install, cold (as recorded when it ran)", f"{_f(su['install_cold_total_s'], nd=0)}  ({steps})"),
                 ("install, warm (`make install` now)", _f(su["install_warm_s"])),
                 ("corpus build, cold (as recorded)", _f(su["corpus_build_cold_s"], nd=0)),
                 ("corpus, warm (`make corpus` now)", _f(su["corpus_warm_s"]))]
    if "start" in r:
        s = r["start"]
        rows += [("app start → HTTP 200", _f(s["ready_s"])), ("first turn after ready", _f(s["first_turn_s"])),
                 (f"app peak RSS ({s['peak_rss_from']})", _f(s["peak_rss_mb"], "MB", 0))]
    for key, label in (("server", "server (GeneRec.turn)"), ("client", "end to end (gradio_client)")):
        if key not in r:
            continue
        v = r[key]
        if key == "server":
            rows += [("GeneRec load + LLM warm-up (in process)", _f(v["load_and_warm_s"])),
                     ("server: planning step (LLM) p50 / p95", f"{_f(v['plan_s']['p50'])} / {_f(v['plan_s']['p95'])}"),
                     ("server: corpus search step p50 / p95", f"{_f(v['search_s']['p50'], nd=3)} / {_f(v['search_s']['p95'], nd=3)}")]
        rt, ft, at = v["retrieval_turn_s"], v["retrieval_first_item_s"], v["turn_s"]
        rows += [(f"{label}: retrieval turn p50 / p95", f"{_f(rt['p50'])} / {_f(rt['p95'])}  (n={rt['n']})"),
                 (f"{label}: first item p50 / p95", f"{_f(ft['p50'])} / {_f(ft['p95'])}"),
                 (f"{label}: every turn p50 / p95", f"{_f(at['p50'])} / {_f(at['p95'])}  (n={at['n']})"),
                 (f"{label}: planned actions", ", ".join(f"{a} {n}" for a, n in sorted(v["actions"].items())))]
    w = max(len(k) for k, _ in rows)
    out = [f"{k:<{w}}  {v}" for k, v in rows]
    for label, key in (("server", "problems"), ("client", "errors")):
        for q, why in r.get(label, {}).get(key, [])[:10]:
            out.append(f"  {label} {key[:-1]}: {q!r}: {why}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench app", description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=50, help="requests per latency run (cycling through %d)" % len(QUERIES))
    ap.add_argument("--data-dir", type=Path, help="data dir to copy (default: GENEREC_DATA_DIR or ./data)")
    ap.add_argument("--skip-server", action="store_true", help="no in-process GeneRec.turn run")
    ap.add_argument("--skip-app", action="store_true", help="no subprocess app (start time, memory, gradio_client run)")
    ap.add_argument("--first", default="something calm with animals", help="the first request after the app is ready "
                    "(the default is a plain search the cue words plan; one with a negation or a question goes to the LLM)")
    ap.add_argument("--cold", action="store_true", help="start without the data dir's caches and fitted models (the app fits "
                    "and reads everything during its warm-up); default: as `make demo` leaves the data dir")
    ap.add_argument("--ready-timeout", type=float, default=300.0)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--verbose", action="store_true", help="print every turn as it is measured")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    settings = Settings.from_env()
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        print("generec bench app: it measures a private copy of a SQLite data dir; unset GENEREC_DATABASE_URL", file=sys.stderr)
        return 2
    src = (args.data_dir or settings.data_dir).resolve()
    if not (src / "generec.db").is_file():
        print(f"generec bench app: no built corpus in {src}: run `make corpus`", file=sys.stderr)
        return 2
    queries = (QUERIES * (args.queries // len(QUERIES) + 1))[:max(1, args.queries)]
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if args.verbose else (lambda s: None)
    out, sys.stdout = sys.stdout, sys.stderr  # model libraries print on load: stdout is for the result alone
    tmp = Path(tempfile.mkdtemp(prefix="generec-appbench-"))
    report: dict = {"llm": settings.llm, "threads": settings.threads, "queries": len(queries), "data_dir": str(src),
                    "cores": os.cpu_count(), "loadavg_1m_before": os.getloadavg()[0]}
    try:
        report["setup"] = setup_times(src)
        data = copy_data_dir(src, tmp / "data")
        if not args.cold:
            carry_caches(src, data)
        report["caches"] = "none (--cold)" if args.cold else "as the corpus build left them"
        if not args.skip_app:
            proc = AppProcess(data, settings.threads)
            try:
                ready = proc.wait_ready(args.ready_timeout)
                log(f"app ready in {ready:.2f} s on {proc.url}")
                ft = first_turn(proc.url, args.first)
                report["client"] = end_to_end(proc.url, queries, log)
                peak, how = proc.peak_mb()
                report["start"] = {"ready_s": ready, "first_request": args.first, "first_turn_s": ft, "peak_rss_mb": peak, "peak_rss_from": how}
            finally:
                proc.stop()
        if not args.skip_server:
            report["server"] = server_side(settings.with_(data_dir=data), queries, log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout = out
    report["loadavg_1m_after"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
