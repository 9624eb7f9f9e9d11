"""`python -m generec bench scale`: GeneRec past one process, on real engines; prints one JSON object.

It starts a real `redis-server` and a real PostgreSQL with pgvector (scripts/pg.sh) in a temp
folder, seeds the PostgreSQL store and its vectors from the built corpus, and starts queue
workers (`python -m generec worker`) and two app processes (`app.py`, sign-in accounts) on one
shared data dir. Then it measures:

- jobs: creations submitted, done, lost (never ended), and one whose worker was `kill -9`ed
  while it ran (recovered when another worker finished it); creations per hour with 1 and 2 workers;
- `cross_process_feedback_visible`: a dislike sent to app A removes that video from app B's next
  answer to the same request (a control account asks B twice with no feedback: does the top
  video stay? Only then is the check informative, and the JSON says so), and B's data export
  lists it;
- `cross_process_item_visible`: a video a worker made is served by both apps to its owner;
- `ann_recall_at_10`: pgvector's HNSW index against exact search, over real text vectors
  (the ml-latest-small titles embedded by the catalog's model, about 9.1k; `--small`: the corpus's own).

`--small` is the version `make test` runs: model-free backends (keyword planner, hash
embedder, colour features, no voice), 12 corpus items, 2 creations per setting.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..config import ROOT, Settings
from .app import AppProcess, free_port

SMALL_ENV = {"GENEREC_LLM": "rules", "GENEREC_EMBEDDER": "hash", "GENEREC_IMAGE_FEATURES": "colour",
             "GENEREC_CREATOR_VOICE": "none"}
ACCOUNTS = (("scale01", "scale-bench-01-pw"), ("scale02", "scale-bench-02-pw"))


# ---- engines -----------------------------------------------------------------------------------
def start_redis(folder: Path, port: int | None = None, durable: bool = False) -> tuple[subprocess.Popen, str]:
    """Debian's redis-server on loopback (a free port unless given), answering when this returns.
    `durable`: every write appended to its log in `folder` (else nothing is kept)."""
    import redis

    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server not found: `bash scripts/apt.sh` or apt-get install redis-server")
    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    keep = ["--appendonly", "yes", "--appendfsync", "everysec"] if durable else ["--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", *keep, "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")


class Engines:
    """A redis-server and a PostgreSQL with pgvector, stopped by `stop()`. Throwaway by default
    (temp folders, Redis without persistence); `keep_in` makes both live in that folder and
    survive a restart (Redis appends every write to its log), as `make scale-demo` wants."""

    def __init__(self, folder: Path, keep_in: Path | None = None, redis_port: int | None = None):
        self.redis, self.redis_url = start_redis((keep_in or folder) / "redis", redis_port, durable=keep_in is not None)
        # its own folder: pg.sh hands it to the postgres user
        self.pg_dir, self.keep = (keep_in / "pg", True) if keep_in else (Path(tempfile.mkdtemp(prefix="generec-pg-")), False)
        started = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start", str(self.pg_dir), "generec"],
                                 capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHON": sys.executable})
        if started.returncode != 0:
            self.redis.terminate()
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()[-400:]}")
        self.pg_url = started.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=30)
        subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", str(self.pg_dir)], capture_output=True,
                       timeout=120, env={**os.environ, "PYTHON": sys.executable})
        if not self.keep:
            shutil.rmtree(self.pg_dir, ignore_errors=True)


# ---- the shared data dir, seeded from the built corpus ------------------------------------------
def seed(src: Settings, dst: Settings, small: bool, log, media_only_if_missing: bool = False) -> dict:
    """Items of the built corpus into the PostgreSQL store, their vectors into pgvector; media,
    fitted caches and the model cache hard-linked or linked (nothing in `src` is written)."""
    from ..recsys.catalog import Catalog
    from ..recsys.index import VectorIndex
    from ..recsys.pgvector import PgVectorIndex
    from ..store import open_store

    dst.data_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("media", "fidelity", "cache", "creator"):
        if (src.data_dir / sub).is_dir() and not (media_only_if_missing and (dst.data_dir / sub).exists()):
            shutil.copytree(src.data_dir / sub, dst.data_dir / sub, copy_function=os.link, dirs_exist_ok=True)
    if src.model_cache.is_dir() and not (dst.data_dir / "models").exists():
        (dst.data_dir / "models").symlink_to(src.model_cache.resolve())
    with open_store(src.db_url) as s_store:
        items = [it for it in s_store.list_items(visible_to=None) if it.from_corpus]
    items = items[:12] if small else items
    store = open_store(dst.db_url)
    t0 = time.perf_counter()
    if small:   # model-free vectors computed here (the built index holds the real models' ones)
        Catalog(dst, store).add(items)
    else:
        store.add_items(items)
        for kind in ("text", "image"):
            src_idx = VectorIndex.load(src.index_dir / f"{kind}.faiss")
            ids = [it.id for it in items if it.id in src_idx]
            PgVectorIndex(store.engine, kind, src_idx.dim).add(ids, src_idx.vectors(ids))
    from ..app.accounts import Accounts

    for name, pw in ACCOUNTS:
        Accounts(store).add(name, pw)
    store.close()
    log(f"seeded {len(items)} items into PostgreSQL + pgvector in {time.perf_counter() - t0:.1f} s")
    return {"items": len(items)}


# ---- measurements ------------------------------------------------------------------------------
def ann_recall(engine_url: str, settings: Settings, small: bool, log, k: int = 10, queries: int = 200) -> dict:
    """Recall@k of pgvector's HNSW index against exact inner-product search, on real text vectors."""
    from sqlalchemy import create_engine, text

    from ..recsys.pgvector import EF_SEARCH, PgVectorIndex, stored_dim

    if small:   # the seeded corpus's own vectors; queries are slightly moved copies of some of them
        from ..store import open_store

        with open_store(settings.db_url) as store:
            seeded = PgVectorIndex(store.engine, "text", stored_dim(store.engine, "text"))
            V = seeded.vectors(list(seeded.ids.values()))
        Q = V[: min(queries, len(V))] + 0.01
        source = f"the seeded corpus's {len(V)} text vectors"
    else:
        from ..models.embed import load_text_embedder
        from ..recsys.data import load_ml_latest_small

        titles = load_ml_latest_small().texts
        model = load_text_embedder(settings.embedder, settings.threads)
        t0 = time.perf_counter()
        M = np.asarray(model.encode(titles), np.float32)
        log(f"embedded {len(titles)} MovieLens titles in {time.perf_counter() - t0:.0f} s")
        order = np.random.default_rng(0).permutation(len(M))
        Q, V = M[order[:queries]], M[order[queries:]]
        source = f"{len(V)} MovieLens titles embedded by {settings.embedder} (queries: {len(Q)} other titles)"
    names = [f"v{i}" for i in range(len(V))]
    admin = create_engine(engine_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS ann WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE ann"))
    admin.dispose()
    from sqlalchemy.engine import make_url

    eng = create_engine(make_url(engine_url).set(database="ann"))
    idx = PgVectorIndex(eng, "text", V.shape[1])
    t0 = time.perf_counter()
    idx.add(names, V)
    load_s = time.perf_counter() - t0
    hits, lat = 0, []
    for q in Q:
        exact = {names[j] for j in np.argsort(-(V @ q))[:k]}
        t = time.perf_counter()
        got = {i for i, _ in idx.search(q, k)}
        lat.append(time.perf_counter() - t)
        hits += len(exact & got)
    eng.dispose()
    return {"ann_recall_at_10": hits / (k * len(Q)), "ann_vectors": len(V), "ann_queries": len(Q), "ann_source": source,
            "ann_ef_search": EF_SEARCH, "ann_query_ms_p50": float(np.median(lat) * 1000), "ann_insert_s": load_s}


class Workers:
    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.procs = env, log_dir, []

    def start(self, n: int = 1) -> list[subprocess.Popen]:
        new = []
        for _ in range(n):
            log = open(self.log_dir / f"worker{len(self.procs)}.log", "w")
            p = subprocess.Popen([sys.executable, "-m", "generec", "worker"], cwd=ROOT, env={**os.environ, **self.env},
                                 stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
            self.procs.append(p)
            new.append(p)
        for p in new:
            line = p.stdout.readline()
            if "serving" not in line:
                raise RuntimeError(f"a worker did not start: {line!r}; see {self.log_dir}")
        return new

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


def creations(jobs, n: int, user: str, timeout_s: float) -> dict:
    """Submit n creations at once and wait for all; (done, failed, lost, seconds)."""
    t0 = time.perf_counter()
    subs = [jobs.submit(f"a short video about {topic}", user=user)
            for topic in (["paper boats", "rainy streets", "kites at the beach", "autumn leaves"] * 8)[:n]]
    ends = {}
    for job in subs:
        left = max(1.0, timeout_s - (time.perf_counter() - t0))
        for _ in job.events(timeout=left):
            pass
        ends[job.id] = job.status
    took = time.perf_counter() - t0
    return {"done": sum(s == "done" for s in ends.values()), "failed": sum(s in ("failed", "cancelled") for s in ends.values()),
            "lost": sum(s not in ("done", "failed", "cancelled") for s in ends.values()), "seconds": took,
            "item_ids": [j.result.item.id for j in subs if j.status == "done"]}


def killed_worker(jobs, workers: Workers, user: str, timeout_s: float) -> dict:
    job = jobs.submit("a short video about a lighthouse", user=user)
    for ev in job.events(timeout=timeout_s):
        if ev.status == "running":
            break
    who = jobs.q.state(job.id).get("worker", "")
    pid = int(who.rsplit(":", 1)[-1]) if who else None
    victim = next((p for p in workers.procs if p.pid == pid), None)
    if victim is None:
        return {"killed_worker_jobs_recovered": 0, "killed_note": f"the job's worker was not found ({who!r})"}
    victim.kill()
    victim.wait()
    for _ in job.events(timeout=timeout_s):
        pass
    return {"killed_worker_jobs_recovered": int(job.status == "done"),
            "killed_worker_attempts": int(jobs.q.state(job.id).get("attempts", 0)), "killed_job_status": job.status,
            "killed_job_item": job.result.item.id if job.status == "done" else None}


def cross_process(url_a: str, url_b: str, item_id: str | None) -> dict:
    """The dislike in A / answer in B check, with its control, and the worker's item in both apps."""
    import httpx
    from gradio_client import Client

    from .load import timed_turn

    def client(url, acc):
        return Client(url, auth=acc, verbose=False, download_files=False, httpx_kwargs={"timeout": 120.0})

    out = {}
    query = "show me something calm"
    a1, b1, b2 = client(url_a, ACCOUNTS[0]), client(url_b, ACCOUNTS[0]), client(url_b, ACCOUNTS[1])
    control = [timed_turn(b2, query)["shown"], timed_turn(b2, query)["shown"]]
    out["control_top_kept_without_feedback"] = bool(control[0] and control[0][0] in control[1])
    first = timed_turn(b1, query)["shown"]
    if not first:
        return {**out, "cross_process_feedback_visible": False, "feedback_note": "app B showed nothing"}
    top = first[0]
    ack = a1.predict(top, "dislike", None, "you", api_name="/feedback")
    after = timed_turn(b1, query)["shown"]
    export = httpx.get(url_b.rstrip("/") + "/me/export", cookies=b1.cookies, timeout=60)
    listed = export.status_code == 200 and any(r.get("item_id") == top and r.get("kind") == "dislike"
                                               for r in (export.json().get("interactions") or []))
    out.update({"cross_process_feedback_visible": bool(after) and top not in after and listed,
                "feedback_ack_in_a": ack.get("kind") == "dislike", "b_answer_before": first, "b_answer_after": after,
                "b_export_lists_the_dislike": listed,
                "feedback_check_informative": out["control_top_kept_without_feedback"]})
    if item_id:
        seen = {}
        for name, c, url in (("a", a1, url_a), ("b", b1, url_b)):
            r = httpx.head(url.rstrip("/") + f"/media/{item_id}", cookies=c.cookies, timeout=60)
            seen[name] = r.status_code
        other = httpx.head(url_b.rstrip("/") + f"/media/{item_id}", cookies=b2.cookies, timeout=60).status_code
        out.update({"cross_process_item_visible": seen == {"a": 200, "b": 200}, "item_status_by_app": seen,
                    "item_status_for_another_account": other})
    for c in (a1, b1, b2):
        c.close()
    return out


def run(src: Settings, small: bool, log, keep: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="generec-scale-"))
    report: dict = {"mode": "small" if small else "full", "cores": os.cpu_count()}
    engines = apps = workers = None
    try:
        engines = Engines(tmp)
        report["engines"] = {"redis": engines.redis_url, "postgresql": engines.pg_url.split("?")[0]}
        env = {"GENEREC_DATA_DIR": str(tmp / "data"), "GENEREC_DATABASE_URL": engines.pg_url,
               "GENEREC_QUEUE_URL": engines.redis_url, "GENEREC_THREADS": "1", **(SMALL_ENV if small else {})}
        dst = Settings.from_env(env)
        report["seed"] = seed(src, dst, small, log)
        report.update(ann_recall(engines.pg_url, dst, small, log))
        log(f"ANN recall@10 {report['ann_recall_at_10']:.3f} on {report['ann_vectors']} vectors")
        from ..app import GeneRec

        app = GeneRec(dst)
        for name, _ in ACCOUNTS:
            app.user(name, create=True)
        user = ACCOUNTS[0][0]
        workers = Workers(env, tmp)
        n = 2 if small else 4
        timeout = 600.0 if small else 1800.0
        workers.start(1)
        one = creations(app.jobs, n, user, timeout)
        log(f"1 worker: {one['done']}/{n} in {one['seconds']:.0f} s")
        workers.start(1)
        two = creations(app.jobs, n, user, timeout)
        log(f"2 workers: {two['done']}/{n} in {two['seconds']:.0f} s")
        killed = killed_worker(app.jobs, workers, user, timeout)
        log(f"killed worker: {killed}")
        report["jobs_submitted"] = 2 * n + 1
        report["jobs_done"] = one["done"] + two["done"] + int(killed.get("killed_job_status") == "done")
        report["jobs_lost"] = one["lost"] + two["lost"] + int(killed.get("killed_job_status") not in ("done", "failed", "cancelled"))
        report.update(killed)
        report["throughput_creations_per_hour"] = {"1_worker": round(one["done"] / one["seconds"] * 3600, 1),
                                                   "2_workers": round(two["done"] / two["seconds"] * 3600, 1)}
        env_apps = {**env, "GENEREC_AUTH": "accounts"}
        from unittest import mock

        with mock.patch.dict(os.environ, env_apps):
            apps = [AppProcess(dst.data_dir, 1, log_name=f"app{i}.log") for i in range(2)]
        for a in apps:
            a.wait_ready(600)
        report.update(cross_process(apps[0].url, apps[1].url, (one["item_ids"] or two["item_ids"] or [None])[0]))
        log("cross-process checks done")
    finally:
        for a in apps or []:
            a.stop()
        if workers is not None:
            workers.stop()
        if engines is not None:
            engines.stop()
        if keep:
            report["folder"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generec bench scale", description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="model-free backends and a few jobs (what make test runs)")
    ap.add_argument("--json", action="store_true", help="(the output is always one JSON object)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (logs, data) and print where")
    args = ap.parse_args(argv)
    src = Settings.from_env()
    if not (src.data_dir / "generec.db").exists():
        print(f"generec bench scale: no built corpus in {src.data_dir}: run `make corpus`", file=sys.stderr)
        return 2
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    print(json.dumps(run(src, args.small, log, args.keep), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
