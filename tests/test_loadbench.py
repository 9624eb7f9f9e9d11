"""`bench load` end to end, small: two signed-in sessions against `python app.py` (keyword planner,
no LLM) on a copy of the real corpus, and a third account asking for a video meanwhile; every turn
served, the video made, nothing the app acknowledged missing."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(240, func_only=True)  # ~70 s on an idle 2-core box


def small_request_screen(data, monkeypatch) -> None:
    """The learned request screen's cache file in `data`, made by its own code from 10 rows per label
    (the whole training set takes minutes on two cores) and told to pass everything (so few rows
    block harmless requests, and what it decides is not measured here); the app loads it as its own."""
    import numpy as np

    from generec.config import Settings
    from generec.fidelity import semantic
    from generec.fidelity.base import Context

    full = semantic.fit

    def few(texts, labels, calibrate, embedder, *a, **kw):
        keep = np.concatenate([np.flatnonzero(labels == lab)[:10] for lab in np.unique(labels)])
        return dict(full([texts[i] for i in keep], labels[keep], calibrate[keep], embedder, *a, **kw), threshold=float("inf"))

    monkeypatch.setattr(semantic, "fit", few)
    monkeypatch.setattr(semantic, "_fitted", {})
    semantic.model(Context(Settings(data_dir=data, threads=1)))


def test_load_bench_serves_signed_in_sessions_and_loses_no_row(real_data_dir, tmp_path, monkeypatch, capsys):
    from app_server import private_copy
    from generec.bench.load import main

    src = private_copy(real_data_dir, tmp_path / "src")
    small_request_screen(src, monkeypatch)   # else the first turn waits minutes for the fit
    assert main(["--sessions", "2", "--turns", "2", "--llm", "rules", "--data", str(src), "--json",
                 "--create", "make a 10 second video about kites at the beach"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["errors"] == 0, r["first_errors"]
    assert r["served"] > 0 and r["served"] + r["declined"] + r["refused_busy"] + r["refused_limit"] == 4
    rows = r["rows"]
    assert rows["user message"]["acknowledged"] == r["served"] + r["declined"] and rows["impression"]["acknowledged"] == r["shown"] > 0
    assert rows["like"]["acknowledged"] + rows["dislike"]["acknowledged"] == r["served"]
    assert r["lost"] == 0, rows
    made = r["creation"]   # a video asked for during the load: shown, and stored as AI-made
    assert made["kind"] == "served" and made["made"] and made["s"] > 0, made


def test_reconcile_counts_an_acknowledged_row_that_is_not_stored(fast_settings):
    """The accounting itself: a like the app acknowledged but the database lacks is lost."""
    from generec.bench.load import reconcile
    from generec.store import open_store
    from generec.types import Interaction, User

    fast_settings.data_dir.mkdir(parents=True)
    store = open_store(fast_settings.db_url)
    store.upsert_user(User(name="load01", display="load01"))
    store.add_message("load01", "s", "user", "show me birds", {})
    store.record(Interaction("load01", "a", "impression", session="s"))
    store.close()
    rows = [{"account": "load01", "kind": "served", "text": "show me birds", "shown": ["a"], "ack": ("a", "like")}]
    r = reconcile(fast_settings.db_url, rows)
    assert r["user message"] == {"acknowledged": 1, "stored": 1, "lost": 0}
    assert r["impression"]["lost"] == 0 and r["like"] == {"acknowledged": 1, "stored": 0, "lost": 1}
