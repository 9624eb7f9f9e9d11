"""`bench scale --small` on real engines (redis-server, PostgreSQL 18 with pgvector, queue workers
and two `app.py` processes, model-free backends): nothing is lost, a killed worker's job is made
by another, a dislike in one app changes the other's next answer, and a worker's video is served
by both apps to its owner only."""
from __future__ import annotations

from conftest import REAL_DATA
from generec.bench.scale import run
from generec.config import Settings


def test_the_small_scale_bench_holds_on_real_engines():
    r = run(Settings.from_env({"GENEREC_DATA_DIR": str(REAL_DATA)}), small=True, log=print)
    assert r["jobs_submitted"] == 5 and r["jobs_done"] == 5 and r["jobs_lost"] == 0, r
    assert r["killed_worker_jobs_recovered"] == 1 and r["killed_worker_attempts"] == 2, r
    assert r["throughput_creations_per_hour"]["1_worker"] > 0 and r["throughput_creations_per_hour"]["2_workers"] > 0
    assert r["feedback_ack_in_a"] and r["b_export_lists_the_dislike"], r
    assert r["b_answer_before"][0] not in r["b_answer_after"], r
    assert r["cross_process_item_visible"] and r["item_status_for_another_account"] == 404, r
    assert r["ann_recall_at_10"] >= 0.9 and r["ann_vectors"] == 12
