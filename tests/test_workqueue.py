"""Creator jobs on a real queue: a real redis-server, dramatiq, and `python -m generec worker`
processes (model-free backends, the real creator pipeline). What must hold: a job is made by a
worker and seen from any app process; Stop works from another process; a worker killed with
-9 mid-job leaves its job to another worker, which makes it once; a job delivered twice runs once."""
from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import REAL_DATA
from conftest_redis import redis_url  # noqa: F401
from generec.config import ROOT, Settings

_db = itertools.count(1)


@pytest.fixture
def queue_env(tmp_path, redis_url):  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    if (REAL_DATA / "fidelity").exists():   # the fitted request screen (a keyed cache, minutes to refit)
        shutil.copytree(REAL_DATA / "fidelity", data / "fidelity")
    env = {"GENEREC_DATA_DIR": str(data), "GENEREC_QUEUE_URL": f"{redis_url}/{next(_db)}", "GENEREC_LLM": "rules",
           "GENEREC_EMBEDDER": "hash", "GENEREC_IMAGE_FEATURES": "colour", "GENEREC_CREATOR_VOICE": "none",
           "GENEREC_THREADS": "1"}
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        w = subprocess.Popen([sys.executable, "-m", "generec", "worker"], cwd=ROOT, env={**os.environ, **env},
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        workers.append(w)
        line = w.stdout.readline()   # "generec worker: serving …" once it listens
        assert "serving" in line, line
        return w

    yield Settings.from_env(env), start_worker
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=60)
        except subprocess.TimeoutExpired:
            w.kill()


def _app(settings):
    from generec.app import GeneRec

    app = GeneRec(settings)
    app.user("ann", create=True)
    return app


def test_a_video_made_by_a_worker_is_seen_from_another_app_and_stop_works_from_there(queue_env):
    settings, start_worker = queue_env
    a, b = _app(settings), _app(settings)     # two app processes' worth of state, sharing data dir and queue
    from generec.creator.queued import RemoteJobs

    assert isinstance(a.jobs, RemoteJobs)
    first = a.jobs.submit("a short video about paper boats", user="ann")
    second = a.jobs.submit("a short video about rainy streets", user="ann")
    b.jobs.follow(second.id).cancel()          # Stop pressed in the other app while it waits in the queue
    start_worker()
    seen = b.jobs.follow(first.id)             # followed from the other app, from the first event
    stages = [ev.stage for ev in seen.events(timeout=180) if ev.status == "running"]
    assert seen.status == "done", (seen.status, seen.error)
    assert {"screen", "render", "save"} <= set(stages)
    item = seen.result.item
    assert item.owner == "ann" and item.origin == "ai_created" and item.id in b.catalog.text_index
    assert first.wait(timeout=30).item.id == item.id
    assert b.store.get_job(first.id).status == "done" and b.store.get_job(first.id).runner == "queue"
    with pytest.raises(Exception, match="cancelled"):
        second.wait(timeout=30)
    mine = [it for it in b.store.list_items(visible_to="ann") if it.owner == "ann"]
    assert [it.id for it in mine] == [item.id]   # the cancelled job made nothing


def test_a_job_whose_worker_is_killed_is_made_once_by_another(queue_env):
    settings, start_worker = queue_env
    app = _app(settings)
    doomed = start_worker()
    job = app.jobs.submit("a short video about paper boats", user="ann")
    for ev in job.events(timeout=120):
        if ev.status == "running":
            break
    doomed.kill()                              # kill -9 in the middle of the job
    doomed.wait()
    start_worker()
    res = job.wait(timeout=240)
    assert job.status == "done" and res.item.owner == "ann"
    assert app.jobs.q.state(job.id)["attempts"] == "2"
    mine = [it for it in app.store.list_items(visible_to="ann") if it.owner == "ann"]
    assert [it.id for it in mine] == [res.item.id]


def test_a_job_delivered_twice_runs_once_and_a_worker_that_keeps_dying_ends_it(redis_url):  # noqa: F811
    from generec.creator.pipeline import CreateResult
    from generec.creator.storyboard import Storyboard
    from generec.types import Item
    from generec.creator.queued import MAX_ATTEMPTS, Queue, creation, run_job

    q = Queue(f"{redis_url}/{next(_db)}")
    calls = []

    def make(text, guidance, user, progress, cancel, item_id):
        calls.append(item_id)
        progress("render", 0.5)
        sb = Storyboard(title="T", scenes=[])
        return CreateResult(Item(id=item_id, title="T", duration_s=10.0), sb, None, None, {"render": 0.1})

    make = creation(make)
    q.emit(7, "queued")
    assert run_job(q, 7, {"text": "x"}, make) == "done"
    assert run_job(q, 7, {"text": "x"}, make) == "done"        # delivered again: nothing is made twice
    assert len(calls) == 1 and q.state(7)["status"] == "done"
    q.emit(8, "queued")
    q.redis.hset("generec:job:8", "attempts", MAX_ATTEMPTS)  # three deliveries whose workers died
    q.redis.hset("generec:job:8", "status", "running")
    assert run_job(q, 8, {"text": "x"}, make) == "failed" and len(calls) == 1
    assert "stopped" in q.redis.xrevrange("generec:job:8:events", count=1)[0][1]["message"]



def test_an_edit_runs_on_a_worker_and_its_result_reaches_the_chat_of_another_app(queue_env):
    """With the queue set, an editor op is a queued job too: a worker makes it, the chat that asked
    shows the new item, another app sees it, and a failing edit ends with its message."""
    from conftest import make_video
    from generec.events import Problem, ShowItem
    from generec.types import Item

    settings, start_worker = queue_env
    a, b = _app(settings), _app(settings)
    make_video(settings.media_dir / "dog.mp4", ["green", "white"], seconds=1.0)
    a.catalog.add([Item(id="dog-park", title="Dog playing in the park", tags=["dog"], media_path="media/dog.mp4", duration_s=2.0)])
    start_worker()
    _, deps, _ = a.read("ann", "s1", [])
    res = a._edit(deps, "dog-park", "restyle", {"style": "noir"})
    assert res["status"] == "started"
    shown = [ev for ev in res["events"] if isinstance(ev, ShowItem)]
    assert len(shown) == 1 and shown[0].item.owner == "ann" and shown[0].item.parent_id == "dog-park"
    job = next(j for j in a.store.jobs(user="ann"))
    assert job.kind == "edit" and job.runner == "queue" and job.status == "done"
    b.catalog.refresh()
    assert b.catalog.item(shown[0].item.id) is not None and shown[0].item.id in b.catalog.visible("ann")
    bad = a._edit(deps, "no-such-item", "restyle", {"style": "noir"})
    problems = [ev for ev in bad["events"] if isinstance(ev, Problem)]
    assert len(problems) == 1 and "Nothing was saved" in problems[0].text
