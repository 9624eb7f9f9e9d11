"""The store on every backend: migrations, round trips, visibility, validation, atomic batches,
concurrent writers. Each test gets a fresh, empty database (a SQLite file, or a new database
in the throwaway PostgreSQL cluster of conftest_pg.py)."""
from __future__ import annotations

import math
import threading

import pytest
from sqlalchemy import inspect

from conftest_pg import pg_server  # noqa: F401  (fixture, used through request.getfixturevalue)
from generec.store import MIGRATIONS, Store, applied, migrate, open_store
from generec.store import migrations as migrations_mod
from generec.store.schema import TABLES
from generec.types import Interaction, Item, User

NAMES = [name for name, _ in MIGRATIONS]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'generec.db'}"   # parent folder made by the store
        return
    server = request.getfixturevalue("pg_server")
    u = server.fresh_database()
    yield u
    server.drop_database(u)


@pytest.fixture
def store(url):
    s = open_store(url)
    yield s
    s.close()


def _item(id_, **kw) -> Item:
    return Item(id=id_, title=kw.pop("title", f"title {id_}"), **kw)


# -- migrations --------------------------------------------------------------------------
def test_migrations_apply_once_and_are_recorded_once(url):
    with Store(url) as first:
        assert first.applied == NAMES and len(NAMES) >= 2
        assert migrate(first.engine) == []
        assert applied(first.engine) == NAMES
        assert first.count("schema_migrations") == len(NAMES)
    with Store(url) as again:                   # a second process opening the same database
        assert again.applied == []
        assert again.count("schema_migrations") == len(NAMES)


def test_migrated_database_matches_schema_module(store):
    insp = inspect(store.engine)
    for name, table in TABLES.items():
        assert {c["name"] for c in insp.get_columns(name)} == set(table.c.keys()), name
        assert {i["name"] for i in insp.get_indexes(name)} == {i.name for i in table.indexes}, name


def test_failing_migration_leaves_no_trace(url, monkeypatch):
    def broken(conn):
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations_mod, "MIGRATIONS", MIGRATIONS + [("9999_broken", broken)])
    with pytest.raises(RuntimeError, match="boom"):
        Store(url)
    with Store(url, migrate_now=False) as s:    # the DDL before the error was rolled back too
        assert not inspect(s.engine).has_table("half_done")
        assert applied(s.engine) == NAMES


# -- round trips -------------------------------------------------------------------------
def test_user_round_trip_and_update(store):
    ann = User("ann", display="Ann ✓", simulated=True, bio="likes cats",
               preferences={"include": ["cats"], "avoid": [], "real_only": True}, created_at=100.5)
    store.upsert_user(ann)
    assert store.get_user("ann") == ann
    store.upsert_user(User("ann", display="Ann B", created_at=999.0))
    got = store.get_user("ann")
    assert (got.display, got.simulated, got.created_at) == ("Ann B", False, 100.5)  # first creation kept
    store.set_preferences("ann", {"avoid": ["dogs"]})
    assert store.get_user("ann").preferences == {"avoid": ["dogs"]}
    store.upsert_user(User("bob"))
    assert [u.name for u in store.list_users()] == ["ann", "bob"]
    assert store.get_user("nobody") is None
    with pytest.raises(KeyError):
        store.set_preferences("nobody", {})


def test_item_round_trip_replace_and_remove(store):
    store.upsert_user(User("ann"))
    src = _item("v1", description="a clip — ünïcode", tags=["cat", "snow"], labels=["animal"],
                media_path="media/v1.mp4", cover_path="media/v1.jpg", duration_s=12.25, width=480,
                height=854, has_audio=True, licence="CC-BY-4.0", attribution="someone",
                provenance={"source": "pkg", "steps": [{"op": "trim", "at": [0.5, 2]}], "n": None},
                source={"deb": "x", "version": "1.0"}, created_at=1234.5)
    edit = _item("v2", origin="ai_edited", parent_id="v1", visibility="private", owner="ann",
                 provenance={"model": "fake", "prompt": "brighter"})
    store.add_items([src, edit])
    assert store.get_item("v1") == src and store.get_item("v2") == edit
    store.add_item(_item("v1", title="renamed"))                # replace by id
    assert store.get_item("v1").title == "renamed" and store.count("items") == 2
    store.record(Interaction("ann", "v1", "like", at=5.0))
    assert store.remove_item("v1") is True and store.remove_item("v1") is False
    assert store.get_item("v1") is None
    assert store.get_item("v2").parent_id == "v1"                # lineage survives its source
    assert [e.item_id for e in store.interactions(user="ann")] == ["v1"]   # history kept


def test_interactions_round_trip_order_and_filters(store):
    store.upsert_user(User("ann"))
    store.upsert_user(User("bob"))
    events = [Interaction("ann", "a", "impression", at=10.0, session="s1"),
              Interaction("ann", "a", "watch", 7.5, at=11.0, session="s1"),
              Interaction("bob", "b", "skip", at=10.5),
              Interaction("ann", "b", "dislike", at=9.0)]
    ids = [store.record(e) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert store.interactions(user="ann") == [events[3], events[0], events[1]]   # by time
    assert store.interactions(kinds=["watch", "skip"]) == [events[2], events[1]]
    assert store.interactions(since=10.5) == [events[2], events[1]]
    assert store.interactions(item_id="b", user="bob") == [events[2]]
    assert store.record_many([Interaction("bob", "c", "play", at=1.0)] * 3) == 3
    assert store.count("interactions") == 7
    # the recommender's incremental read: by arrival (row id), not by time, and only what is new
    assert [r[0] for r in store.events_since()] == sorted(r[0] for r in store.events_since()) and store.last_event_id() >= ids[-1]
    assert [(r[1], r[3]) for r in store.events_since(ids[1])][:2] == [("bob", "skip"), ("ann", "dislike")]
    assert store.events_since(store.last_event_id()) == []


def test_visibility_private_items_only_for_their_owner(store):
    for name in ("ann", "bob"):
        store.upsert_user(User(name))
    store.add_items([
        _item("pub", created_at=1.0),
        _item("ann1", origin="ai_created", visibility="private", owner="ann", created_at=2.0),
        _item("bob1", origin="ai_created", visibility="private", owner="bob", created_at=3.0),
        _item("annpub", origin="ai_created", owner="ann", created_at=4.0),
    ])
    ids = lambda xs: [i.id for i in xs]  # noqa: E731
    assert ids(store.list_items()) == ["pub", "annpub"]
    assert ids(store.list_items(visible_to="ann")) == ["pub", "ann1", "annpub"]
    assert ids(store.list_items(visible_to="bob")) == ["pub", "bob1", "annpub"]
    assert ids(store.list_items(visible_to="carol")) == ["pub", "annpub"]
    assert ids(store.list_items(visible_to="ann", origin="ai_created")) == ["ann1", "annpub"]
    # the light read the feed and the taste use: the same rule and order, ids and origins only
    assert store.visible_origins("ann") == {"pub": "human", "ann1": "ai_created", "annpub": "ai_created"}
    assert list(store.visible_origins("bob")) == ["pub", "bob1", "annpub"]
    assert list(store.visible_origins("carol")) == list(store.visible_origins(None)) == ["pub", "annpub"]


def test_items_by_id_and_interactions_by_session(store):
    store.upsert_user(User("ann"))
    mine = _item("ann1", origin="ai_created", visibility="private", owner="ann", tags=["cat"])
    store.add_items([_item("pub"), mine])
    got = store.get_items(["ann1", "pub", "gone", "pub"])          # any visibility; unknown ids left out
    assert got == {"ann1": mine, "pub": store.get_item("pub")}
    assert store.get_items([]) == {} and store.get_items(iter(["pub"])) == {"pub": store.get_item("pub")}
    store.record_many([Interaction("ann", "pub", "like", session="ml")] * 3 + [Interaction("ann", "pub", "play")])
    assert store.count_interactions(session="ml") == 3 and store.count_interactions(session="other") == 0
    assert store.count_interactions() == store.count("interactions") == 4


# -- bad input ---------------------------------------------------------------------------
BAD = [
    ("add_item", _item("x", origin="robot"), ["'robot'", "ai_created"]),
    ("add_item", _item("x", visibility="secret"), ["'secret'", "private"]),
    ("add_item", _item("x", visibility="private"), ["needs an owner"]),
    ("add_item", _item("x", origin="ai_edited"), ["parent_id"]),
    ("add_item", _item("x", duration_s=math.nan), ["duration_s", "nan"]),
    ("add_item", _item("x", provenance={"score": math.inf}), ["provenance", "JSON"]),
    ("add_item", _item("x", title="nul\x00"), ["title", "NUL"]),
    ("add_item", _item("x", tags="cat"), ["tags", "list"]),
    ("record", Interaction("ann", "x", "love"), ["'love'", "impression", "skip"]),
    ("record", Interaction("ann", "x", "watch"), ["watch value", "None"]),
    ("record", Interaction("ghost", "x", "like"), ["unknown user", "'ghost'"]),
    ("upsert_user", User(""), ["user name", "empty"]),
]


@pytest.mark.parametrize("method,record,words", BAD, ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(BAD)])
def test_bad_records_are_refused_with_a_clear_message(store, method, record, words):
    store.upsert_user(User("ann"))
    with pytest.raises(ValueError) as err:
        getattr(store, method)(record)
    for w in words:
        assert w in str(err.value)
    assert (store.count("items"), store.count("interactions"), store.count("users")) == (0, 0, 1)


def test_other_bad_arguments(store):
    store.upsert_user(User("ann"))
    job = store.create_job("ann", "edit")
    for call, words in [(lambda: store.add_message("ann", "s", "robot", "hi"), ["'robot'", "assistant"]),
                        (lambda: store.update_job(job, "exploded"), ["'exploded'", "running"]),
                        (lambda: store.update_job(job, "running", progress=1.5), ["1.5"]),
                        (lambda: store.list_items(origin="alien"), ["'alien'", "human"]),
                        (lambda: store.interactions(kinds=["hover"]), ["'hover'", "play"]),
                        (lambda: store.count("passwords"), ["'passwords'", "items"]),
                        (lambda: store.create_job("ghost", "edit"), ["'ghost'"])]:
        with pytest.raises(ValueError) as err:
            call()
        assert all(w in str(err.value) for w in words), str(err.value)
    assert store.get_job(job).status == "queued" and store.count("jobs") == 1


def test_a_bad_batch_stores_nothing_and_loses_nothing(store):
    store.upsert_user(User("ann"))
    store.add_items([_item("keep1", tags=["a"]), _item("keep2")])
    before = store.list_items()
    store.record(Interaction("ann", "keep1", "like", at=1.0))
    # refused by the checks, before any SQL
    with pytest.raises(ValueError, match="'weird'"):
        store.add_items([_item("new1"), _item("keep1", title="overwritten"), _item("new2", origin="weird")])
    with pytest.raises(ValueError, match="repeated"):
        store.add_items([_item("new1"), _item("new1")])
    # refused by the database (owner foreign key) after earlier rows of the batch were written
    with pytest.raises(ValueError, match="'ghost'"):
        store.add_items([_item("new1"), _item("keep2", title="overwritten"),
                         _item("new3", visibility="private", owner="ghost")])
    with pytest.raises(ValueError, match="'ghost'"):
        store.record_many([Interaction("ann", "keep1", "play", at=2.0), Interaction("ghost", "keep1", "play")])
    assert store.list_items() == before
    assert store.get_item("new1") is None
    assert store.interactions() == [Interaction("ann", "keep1", "like", at=1.0)]


# -- chat and jobs -----------------------------------------------------------------------
def test_messages_by_session_latest_first_cut(store):
    store.upsert_user(User("ann"))
    for i in range(5):
        store.add_message("ann", "s1", "user" if i % 2 == 0 else "assistant", f"m{i}", {"i": i})
    store.add_message("ann", "s2", "user", "other")
    assert [m.content for m in store.messages("ann", "s1")] == ["m0", "m1", "m2", "m3", "m4"]
    assert [m.content for m in store.messages("ann", "s1", limit=2)] == ["m3", "m4"]
    last = store.messages("ann", limit=1)[0]
    assert (last.session, last.role, last.content, last.meta) == ("s2", "user", "other", {})
    assert store.messages("ann", "s1")[2].meta == {"i": 2}
    with pytest.raises(ValueError, match="unknown user 'bob'"):
        store.add_message("bob", "s1", "user", "hi")


def test_job_lifecycle(store):
    store.upsert_user(User("ann"))
    jid = store.create_job("ann", "edit", {"item": "v1", "ops": ["trim"]})
    job = store.get_job(jid)
    assert (job.status, job.params, job.progress, job.result) == ("queued", {"item": "v1", "ops": ["trim"]}, None, None)
    store.update_job(jid, "running", progress=0.5)
    store.update_job(jid, "done", progress=1.0, result={"item_id": "v9"})
    job = store.get_job(jid)
    assert (job.status, job.progress, job.result, job.error) == ("done", 1.0, {"item_id": "v9"}, None)
    assert job.updated_at >= job.created_at
    assert [j.id for j in store.jobs(user="ann", status="done")] == [jid]
    assert store.get_job(jid + 100) is None
    with pytest.raises(KeyError):
        store.update_job(jid + 100, "failed", error="x")


# -- concurrency -------------------------------------------------------------------------
def test_concurrent_writers_lose_nothing(store):
    threads_n, per_thread = 8, 50
    for t in range(threads_n):
        store.upsert_user(User(f"u{t}"))
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work(t: int) -> None:
        start.wait()                          # all threads hit the database at the same moment
        for i in range(per_thread):
            try:
                store.record(Interaction(f"u{t}", f"item{i % 7}", "watch", float(i), at=t * 1000 + i))
                if i % 10 == 0:               # mix in upserts that contend for the same row
                    store.add_item(_item("shared", title=f"by u{t} #{i}"))
            except BaseException as e:        # noqa: BLE001 - collected, asserted below
                errors.append(e)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for th in pool:
        th.start()
    for th in pool:
        th.join(timeout=120)
    assert errors == []
    assert store.count("interactions") == threads_n * per_thread
    assert store.count("items") == 1
    for t in range(threads_n):
        got = store.interactions(user=f"u{t}")
        assert [e.value for e in got] == [float(i) for i in range(per_thread)]


def test_in_memory_sqlite_works_for_single_threaded_use():
    with open_store("sqlite://") as s:
        s.upsert_user(User("ann"))
        s.record(Interaction("ann", "a", "like"))
        assert s.count("interactions") == 1
